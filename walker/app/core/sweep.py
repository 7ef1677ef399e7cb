"""Running a list of small independent tasks in this process, on a process pool, or on Ray.

A sweep is a pure function `function(task, shared) -> result` and a list of tasks. The
same function runs in-process (one worker), in a `ProcessPoolExecutor` (`workers > 1`), or
as a Ray task (`@ray.remote(num_cpus=1)`; a local Ray without an address, a cluster with
one). `shared` is read-only data every task may need (checkpoints, as bytes): it is shipped
once per worker process or once into Ray's object store, not once per task. Each result is
handed to `on_result` in this process as soon as it arrives, so the caller can save it
before the next one; which worker ran a task never changes its result. A task that raises
becomes a `Failure` naming the task, and the others carry on. Ctrl-C or a signal stops the
sweep and ends its worker processes at once; results already handed over stay handed over.

A sweep given `on_progress` calls `function(task, shared, report)` instead, and each
`report(message)` reaches `on_progress(task, message)` here while the task runs, wherever it
runs (`walker.app.core.progress`): one progress bar can follow long tasks.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import socket
import traceback
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from typing import Any

from tqdm import tqdm

from walker.app.core.progress import Progress, TaskFunction, call_task, listening
from walker.errors import InputError

POOL_RESTARTS = 2
"""How often Ray runs a task again whose worker process died before it counts as crashed (a
process pool runs each task a dead worker took down once more, alone)."""


class SweepError(InputError):
    """A sweep cannot run as asked (bad worker count, Ray missing or unreachable)."""


@dataclass(frozen=True)
class Failure:
    """A task that raised (or whose worker died), and why, in one line."""

    task: Any
    message: str


@dataclass(frozen=True)
class Backend:
    """Where tasks run: `workers` local processes, or Ray when `ray` is True."""

    workers: int = 1
    ray: bool = False
    ray_address: str | None = None
    """A Ray cluster's address (`host:port`, `ray://host:port` or `auto`); None starts a
    local Ray on this machine."""
    workers_given: bool = False
    """Whether `workers` was asked for: a local Ray then gets exactly that many CPUs."""

    def describe(self) -> str:
        if self.ray:
            return f"Ray at {self.ray_address}" if self.ray_address else "a local Ray"
        return "this process" if self.workers == 1 else f"{self.workers} worker processes"


def default_workers() -> int:
    """All the cores this process may use."""
    return (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )


def check_backend(backend: Backend) -> None:
    """Fail with one sentence, before any work, if `backend` cannot run."""
    if backend.workers < 1:
        raise SweepError(f"--workers must be at least 1, got {backend.workers}")
    if not backend.ray:
        return
    try:
        import ray  # noqa: F401
    except ImportError as error:
        raise SweepError(
            "--ray needs Ray, an optional extra: run 'scripts/setup.sh ray' "
            "(or pip install 'henry-walker[ray]')"
        ) from error
    address = backend.ray_address
    if address and address != "auto":
        host, port = _host_port(address)
        try:
            with socket.create_connection((host, port), timeout=5.0):
                pass
        except OSError as error:
            raise SweepError(
                f"cannot reach a Ray cluster at {address}: {error.strerror or error}"
            ) from error


def _host_port(address: str) -> tuple[str, int]:
    bare = address.split("://", 1)[-1]
    host, _, port = bare.rpartition(":")
    if not host or not port.isdigit():
        raise SweepError(
            f"--ray address must look like HOST:PORT (e.g. 10.0.0.5:6379), got {address!r}"
        )
    return host, int(port)


def run_sweep(
    function: TaskFunction,
    tasks: Sequence[Any],
    *,
    backend: Backend,
    on_result: Callable[[Any, Any], None],
    shared: Mapping[str, Any] | None = None,
    label: str = "tasks",
    progress: bool = True,
    on_progress: Progress | None = None,
) -> list[Failure]:
    """Run `function(task, shared)` for every task; return the tasks that failed. With
    `on_progress`, `function(task, shared, report)`, and `on_progress` hears each report
    (possibly from another thread of this process)."""
    shared = dict(shared or {})
    if not tasks:
        return []
    bar = tqdm(total=len(tasks), desc=label, unit="task", disable=not progress, dynamic_ncols=True)

    def deliver(task: Any, result: Any) -> None:
        on_result(task, result)
        bar.update(1)

    try:
        if backend.ray:
            return _run_ray(function, tasks, backend, shared, deliver, on_progress)
        if backend.workers == 1:
            return _run_here(function, tasks, shared, deliver, on_progress)
        return _run_pool(function, tasks, backend.workers, shared, deliver, on_progress)
    finally:
        bar.close()


def _describe(error: BaseException) -> str:
    last = traceback.format_exception_only(type(error), error)[-1].strip()
    return last.replace("\n", " ")


def _run_here(
    function: TaskFunction,
    tasks: Sequence[Any],
    shared: Mapping[str, Any],
    deliver: Callable[[Any, Any], None],
    on_progress: Progress | None,
) -> list[Failure]:
    failures = []
    for task in tasks:
        report = None if on_progress is None else partial(on_progress, task)
        try:
            result = call_task(function, task, shared, report)
        except Exception as error:
            failures.append(Failure(task, _describe(error)))
            continue
        deliver(task, result)
    return failures


# -- process pool --------------------------------------------------------------------------

_worker_shared: dict[str, Any] = {}
_worker_reports: list[Any] = []
"""A worker process's end of the progress queue (empty when nobody listens)."""


def _install_shared(shared: dict[str, Any], reports: Any) -> None:
    _worker_shared.clear()
    _worker_shared.update(shared)
    _worker_reports[:] = [] if reports is None else [reports]


def _send(index: int, message: Any) -> None:
    _worker_reports[0].put((index, message))


def _call_with_installed(function: TaskFunction, index: int, task: Any) -> Any:
    report = partial(_send, index) if _worker_reports else None
    return call_task(function, task, _worker_shared, report)


def _run_pool(
    function: TaskFunction,
    tasks: Sequence[Any],
    workers: int,
    shared: dict[str, Any],
    deliver: Callable[[Any, Any], None],
    on_progress: Progress | None,
) -> list[Failure]:
    # spawn, not fork: the parent has torch loaded, and forking a process whose OpenMP
    # threads exist can hang the child.
    context = multiprocessing.get_context("spawn")
    reports = None if on_progress is None else context.Queue()
    with contextlib.ExitStack() as stack:
        if reports is not None and on_progress is not None:
            receive = partial(reports.get, True)  # get(block, timeout)
            stack.enter_context(listening(receive, queue.Empty, tasks, on_progress))
        indexed = list(enumerate(tasks))
        pool = partial(_pool_pass, function, context, shared, reports, deliver)
        failures, broken = pool(indexed, workers)
        # A worker died (killed, out of memory, a crash in C): every task in flight or
        # queued on that pool lost its result. Run each of those again alone, on a pool of
        # its own, so only a task that kills its worker again is reported, and no
        # neighbour goes down with it.
        for item in broken:
            more, died = pool([item], 1)
            failures += more + [Failure(t, "its worker process died") for _, t in died]
    return failures


def _pool_pass(
    function: TaskFunction,
    context: Any,
    shared: dict[str, Any],
    reports: Any,
    deliver: Callable[[Any, Any], None],
    indexed: Sequence[tuple[int, Any]],
    workers: int,
) -> tuple[list[Failure], list[tuple[int, Any]]]:
    """Run `(index, task)`s on one process pool: (failures, those whose pool broke)."""
    failures: list[Failure] = []
    broken: list[tuple[int, Any]] = []
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(indexed)),
        mp_context=context,
        initializer=_install_shared,
        initargs=(shared, reports),
    )
    try:
        futures: dict[Future[Any], tuple[int, Any]] = {
            pool.submit(_call_with_installed, function, index, task): (index, task)
            for index, task in indexed
        }
        for future in as_completed(futures):
            index, task = futures[future]
            try:
                result = future.result()
            except BrokenProcessPool:
                broken.append((index, task))
                continue
            except Exception as error:
                failures.append(Failure(task, _describe(error)))
                continue
            deliver(task, result)
    except BaseException:  # Ctrl-C or a signal: results of tasks in flight could not be kept
        _stop_now(pool)
        raise
    pool.shutdown(wait=True)
    return failures, broken


def _stop_now(pool: ProcessPoolExecutor) -> None:
    """Cancel the queued tasks and end the workers at once, rather than wait for the tasks
    they are running (a task can train for minutes). There is no public way to end them
    before Python 3.14's `terminate_workers`, hence the executor's own process table."""
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.join(timeout=5)


# -- Ray -----------------------------------------------------------------------------------


def _ray_call(
    function: TaskFunction, task: Any, shared: Mapping[str, Any], index: int, reports: Any
) -> Any:
    report = None if reports is None else partial(_put_report, reports, index)
    return call_task(function, task, shared, report)


def _put_report(reports: Any, index: int, message: Any) -> None:
    reports.put((index, message))


def _run_ray(
    function: TaskFunction,
    tasks: Sequence[Any],
    backend: Backend,
    shared: dict[str, Any],
    deliver: Callable[[Any, Any], None],
    on_progress: Progress | None,
) -> list[Failure]:
    import logging

    import ray
    import ray.util.queue

    started = False
    if not ray.is_initialized():
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
        try:
            ray.init(**options)
        except (ConnectionError, RuntimeError, ValueError) as error:
            raise SweepError(
                f"cannot start or join Ray"
                f"{' at ' + backend.ray_address if backend.ray_address else ''}: "
                f"{_describe(error)}"
            ) from error
        started = True
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
                failures.append(Failure(task, _describe(cause)))
                continue
            except ray.exceptions.RayError as error:
                failures.append(Failure(task, f"Ray lost it: {type(error).__name__}"))
                continue
            deliver(task, result)
    return failures
