"""The Ray side of `walker.app.core.sweep`: start a local Ray or join a cluster (keeping
walker's own handlers of the stop signals), run every task as a Ray task with progress
reports through a Ray queue, and cancel what is still pending on Ctrl-C."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from walker.app.core.backend import (
    POOL_RESTARTS,
    Backend,
    Failure,
    SweepError,
    describe_error,
)
from walker.app.core.progress import Progress, TaskFunction, call_task, listening

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _stop_handlers() -> dict[signal.Signals, Any]:
    return {stop: signal.getsignal(stop) for stop in _STOP_SIGNALS}


def _restore(handlers: Mapping[signal.Signals, Any]) -> None:
    """Put back this process's handlers of Ctrl-C, SIGTERM and SIGHUP after `ray.init`: Ray
    installs its own for SIGTERM, which prints a stack dump and aborts the process, so a
    `kill` would skip the note on what is kept and leave Ray's processes behind."""
    if threading.current_thread() is not threading.main_thread():
        return
    for stop, handler in handlers.items():
        if handler is not None:
            signal.signal(stop, handler)


def _ray_call(
    function: TaskFunction, task: Any, shared: Mapping[str, Any], index: int, reports: Any
) -> Any:
    report = None if reports is None else partial(_put_report, reports, index)
    return call_task(function, task, shared, report)


def _put_report(reports: Any, index: int, message: Any) -> None:
    reports.put((index, message))


def _start_ray(backend: Backend) -> bool:
    """Start a local Ray or join `backend`'s cluster (True), keeping this process's own
    handlers of the stop signals; one sentence if Ray cannot start or be joined."""
    import logging

    import ray

    options: dict[str, Any] = {
        "include_dashboard": False,
        "log_to_driver": False,
        "logging_level": logging.WARNING,
    }
    # "local" starts a Ray of our own even when `ray start` left a cluster running here:
    # joining one is what an ADDRESS (or "auto") asks for.
    options["address"] = backend.ray_address or "local"
    if not backend.ray_address and backend.workers_given:
        options["num_cpus"] = backend.workers
    handlers = _stop_handlers()
    try:
        ray.init(**options)
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise SweepError(
            f"cannot start or join Ray"
            f"{' at ' + backend.ray_address if backend.ray_address else ''}: "
            f"{describe_error(error)}"
        ) from error
    _restore(handlers)
    return True


def run_ray(
    function: TaskFunction,
    tasks: Sequence[Any],
    backend: Backend,
    shared: dict[str, Any],
    deliver: Callable[[Any, Any], None],
    on_progress: Progress | None,
) -> list[Failure]:
    import ray
    import ray.util.queue

    started = _start_ray(backend) if not ray.is_initialized() else False
    pending: dict[Any, Any] = {}
    try:
        with contextlib.ExitStack() as stack:
            reports = None
            if on_progress is not None:
                # An actor that takes no CPU from the tasks; this process reads it.
                reports = ray.util.queue.Queue(actor_options={"num_cpus": 0})
                stack.callback(reports.shutdown)
                receive = partial(reports.get, True)  # get(block, timeout)
                stack.enter_context(listening(receive, ray.util.queue.Empty, tasks, on_progress))
            return _ray_gather(function, tasks, shared, deliver, reports, pending)
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    finally:
        if started:
            ray.shutdown()


def _ray_gather(
    function: TaskFunction,
    tasks: Sequence[Any],
    shared: dict[str, Any],
    deliver: Callable[[Any, Any], None],
    reports: Any,
    pending: dict[Any, Any],
) -> list[Failure]:
    """Submit every task to Ray and hand over results as they come; `pending` holds the
    tasks not yet back, by their Ray reference (the caller cancels them on Ctrl-C)."""
    import ray

    remote = ray.remote(num_cpus=1, max_retries=POOL_RESTARTS)(_ray_call)
    shared_ref: Any = ray.put(shared)
    for index, task in enumerate(tasks):
        pending[remote.remote(function, task, shared_ref, index, reports)] = task
    failures: list[Failure] = []
    waiting = list(pending)
    while waiting:
        done, waiting = ray.wait(waiting, num_returns=1)
        for ref in done:
            task = pending.pop(ref)
            try:
                result = ray.get(ref)
            except ray.exceptions.RayTaskError as error:
                cause = error.cause if isinstance(error.cause, BaseException) else error
                failures.append(Failure(task, describe_error(cause)))
                continue
            except ray.exceptions.RayError as error:
                failures.append(Failure(task, f"Ray lost it: {type(error).__name__}"))
                continue
            deliver(task, result)
    return failures
