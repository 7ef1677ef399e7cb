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
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import traceback
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

from walker.errors import InputError

TaskFunction = Callable[[Any, Mapping[str, Any]], Any]

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
) -> list[Failure]:
    """Run `function(task, shared)` for every task; return the tasks that failed."""
    shared = dict(shared or {})
    if not tasks:
        return []
    bar = tqdm(total=len(tasks), desc=label, unit="task", disable=not progress, dynamic_ncols=True)

    def deliver(task: Any, result: Any) -> None:
        on_result(task, result)
        bar.update(1)

    try:
        if backend.ray:
            return _run_ray(function, tasks, backend, shared, deliver)
        if backend.workers == 1:
            return _run_here(function, tasks, shared, deliver)
        return _run_pool(function, tasks, backend.workers, shared, deliver)
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
) -> list[Failure]:
    failures = []
    for task in tasks:
        try:
            result = function(task, shared)
        except Exception as error:
            failures.append(Failure(task, _describe(error)))
            continue
        deliver(task, result)
    return failures


# -- process pool --------------------------------------------------------------------------

_worker_shared: dict[str, Any] = {}


def _install_shared(shared: dict[str, Any]) -> None:
    _worker_shared.clear()
    _worker_shared.update(shared)


def _call_with_installed(function: TaskFunction, task: Any) -> Any:
    return function(task, _worker_shared)


def _run_pool(
    function: TaskFunction,
    tasks: Sequence[Any],
    workers: int,
    shared: dict[str, Any],
    deliver: Callable[[Any, Any], None],
) -> list[Failure]:
    failures, broken = _pool_pass(function, tasks, workers, shared, deliver)
    # A worker died (killed, out of memory, a crash in C): every task in flight or queued on
    # that pool lost its result. Run each of those again alone, on a pool of its own, so only
    # a task that kills its worker again is reported, and no neighbour goes down with it.
    for task in broken:
        more, died = _pool_pass(function, [task], 1, shared, deliver)
        failures += more + [Failure(t, "its worker process died") for t in died]
    return failures


def _pool_pass(
    function: TaskFunction,
    tasks: Sequence[Any],
    workers: int,
    shared: dict[str, Any],
    deliver: Callable[[Any, Any], None],
) -> tuple[list[Failure], list[Any]]:
    """Run `tasks` on one process pool: (failures, tasks whose pool broke under them)."""
    failures: list[Failure] = []
    broken: list[Any] = []
    # spawn, not fork: the parent has torch loaded, and forking a process whose OpenMP
    # threads exist can hang the child.
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(tasks)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_install_shared,
        initargs=(shared,),
    )
    try:
        futures: dict[Future[Any], Any] = {
            pool.submit(_call_with_installed, function, task): task for task in tasks
        }
        for future in as_completed(futures):
            task = futures[future]
            try:
                result = future.result()
            except BrokenProcessPool:
                broken.append(task)
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


def _ray_call(function: TaskFunction, task: Any, shared: Mapping[str, Any]) -> Any:
    return function(task, shared)


def _run_ray(
    function: TaskFunction,
    tasks: Sequence[Any],
    backend: Backend,
    shared: dict[str, Any],
    deliver: Callable[[Any, Any], None],
) -> list[Failure]:
    import logging

    import ray

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
    try:
        remote = ray.remote(num_cpus=1, max_retries=POOL_RESTARTS)(_ray_call)
        shared_ref: Any = ray.put(shared)
        pending = {remote.remote(function, task, shared_ref): task for task in tasks}
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
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    finally:
        if started:
            ray.shutdown()
