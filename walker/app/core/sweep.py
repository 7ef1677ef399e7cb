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
import queue
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any

from tqdm import tqdm

from walker.app.core.backend import POOL_RESTARTS as POOL_RESTARTS
from walker.app.core.backend import Backend as Backend
from walker.app.core.backend import Failure as Failure
from walker.app.core.backend import SweepError as SweepError
from walker.app.core.backend import check_backend as check_backend
from walker.app.core.backend import default_workers as default_workers
from walker.app.core.backend import describe_error
from walker.app.core.progress import Progress, TaskFunction, call_task, listening


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
            from walker.app.core.sweep_ray import run_ray  # ray

            return run_ray(function, tasks, backend, shared, deliver, on_progress)
        if backend.workers == 1:
            return _run_here(function, tasks, shared, deliver, on_progress)
        return _run_pool(function, tasks, backend.workers, shared, deliver, on_progress)
    finally:
        bar.close()


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
            failures.append(Failure(task, describe_error(error)))
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
                failures.append(Failure(task, describe_error(error)))
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
