"""The Ray side of `walker.app.core.sweep`: start a local Ray or join a cluster (keeping
walker's own handlers of the stop signals), run every task as a Ray task with progress
reports through a Ray queue, and stop without a word from Ray on Ctrl-C or a signal.

A stop never calls `ray.cancel`. In Ray 2.60 a cancel that lands while its task's result
comes back (the core marks the task failed, then the reply completes it) trips a fatal
check in the core ("Tried to complete task that was not pending"): a stack dump of Ray's,
and the process aborts with status 1. Instead, at most two tasks per CPU of the cluster are
handed to Ray at a time, so nothing long waits in Ray's queue, and on a stop
`ray.shutdown` disconnects: the raylet ends the workers of this driver, a local Ray ends
with them, and what was in flight is dropped. Ray retries no task itself (`max_retries=0`),
since a worker ended by that shutdown would make it retry and print an error as it fails to
tell the departing driver so; this module runs a task again whose worker died instead
(`POOL_RESTARTS`).
"""

from __future__ import annotations

import collections
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
    """Run every task on Ray. On a stop, a Ray this call started or joined is shut down
    (in-flight tasks end with their workers); in a Ray the caller started, the tasks in
    flight (at most two per CPU) run to their end and their results are dropped."""
    import ray
    import ray.util.queue

    started = _start_ray(backend) if not ray.is_initialized() else False
    try:
        with contextlib.ExitStack() as stack:
            reports = None
            if on_progress is not None:
                # An actor that takes no CPU from the tasks; this process reads it.
                reports = ray.util.queue.Queue(actor_options={"num_cpus": 0})
                stack.callback(reports.shutdown)
                receive = partial(reports.get, True)  # get(block, timeout)
                stack.enter_context(listening(receive, ray.util.queue.Empty, tasks, on_progress))
            return _ray_gather(function, tasks, shared, deliver, reports)
    finally:
        if started:
            ray.shutdown()


def _in_flight_limit() -> int:
    """How many tasks are handed to Ray at a time: two per CPU of the cluster, so each
    worker has its next task at hand and little waits in Ray's queue."""
    import ray

    cpus = ray.cluster_resources().get("CPU", 1)  # type: ignore[no-untyped-call]
    return max(2, 2 * int(cpus))


def _ray_gather(
    function: TaskFunction,
    tasks: Sequence[Any],
    shared: dict[str, Any],
    deliver: Callable[[Any, Any], None],
    reports: Any,
) -> list[Failure]:
    """Hand the tasks to Ray a few at a time and hand over results as they come; a task
    whose worker died runs again, up to `POOL_RESTARTS` times."""
    import ray

    remote = ray.remote(num_cpus=1, max_retries=0)(_ray_call)
    shared_ref: Any = ray.put(shared)
    limit = _in_flight_limit()
    waiting = collections.deque(range(len(tasks)))
    running: dict[Any, tuple[int, int]] = {}  # Ray reference -> (task index, restarts)

    def submit(index: int, restarts: int) -> None:
        ref = remote.remote(function, tasks[index], shared_ref, index, reports)
        running[ref] = (index, restarts)

    failures: list[Failure] = []
    while waiting or running:
        while waiting and len(running) < limit:
            submit(waiting.popleft(), 0)
        done, _ = ray.wait(list(running), num_returns=1)
        for ref in done:
            index, restarts = running.pop(ref)
            task = tasks[index]
            try:
                result = ray.get(ref)
            except ray.exceptions.RayTaskError as error:
                cause = error.cause if isinstance(error.cause, BaseException) else error
                failures.append(Failure(task, describe_error(cause)))
                continue
            except ray.exceptions.RayError as error:  # its worker or node died
                if restarts < POOL_RESTARTS:
                    submit(index, restarts + 1)
                else:
                    failures.append(Failure(task, f"Ray lost it: {type(error).__name__}"))
                continue
            deliver(task, result)
    return failures
