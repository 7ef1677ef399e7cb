"""How a running sweep task tells its caller how far it is (`walker.app.core.sweep`).

A task of a sweep given `on_progress` is called with a third argument, `report`; each
`report(message)` goes, tagged with the task's index, through a queue the caller's process
reads (a multiprocessing queue from worker processes, a Ray queue actor from Ray workers)
and on to `on_progress(task, message)` there, on a listener thread.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

TaskFunction = Callable[..., Any]
"""`function(task, shared) -> result`, or `function(task, shared, report) -> result` in a
sweep given `on_progress`."""
Progress = Callable[[Any, Any], None]
"""`on_progress(task, message)`: what a running task reported."""


def call_task(
    function: TaskFunction,
    task: Any,
    shared: Mapping[str, Any],
    report: Callable[[Any], None] | None,
) -> Any:
    """`function(task, shared)`, or with `report` `function(task, shared, report)`."""
    return function(task, shared) if report is None else function(task, shared, report)


@contextlib.contextmanager
def listening(
    receive: Callable[[float], tuple[int, Any]],
    empty: type[BaseException],
    tasks: Sequence[Any],
    on_progress: Progress,
) -> Iterator[None]:
    """Hand what `receive(timeout)` brings, `(task index, message)`, to `on_progress` on a
    thread of its own while the body runs, and what is still queued when it ends. This
    process only ever reads the queue, so a worker ended in the middle of a write cannot
    block it."""
    done = threading.Event()

    def listen() -> None:
        while True:
            try:
                index, message = receive(0.1)
            except empty:
                if done.is_set():
                    return
                continue
            on_progress(tasks[index], message)

    listener = threading.Thread(target=listen, name="sweep-progress", daemon=True)
    listener.start()
    try:
        yield
    finally:
        done.set()
        listener.join(timeout=2)
