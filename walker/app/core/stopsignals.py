"""SIGTERM and SIGHUP stop a command the way Ctrl-C does, so work is saved and files cleaned.

By default SIGTERM (`timeout`, `kill`, a container stop) and SIGHUP (a closed terminal, a
dropped ssh session) end Python at once: no `finally` runs, so a training run saves nothing
and a video's temporary file stays behind. Inside `stop_on_signals()` they raise `StopSignal`
instead, a `KeyboardInterrupt`, so every place that already saves or cleans up on Ctrl-C
does the same for them. A repeated signal while the first is being handled is ignored, so a
second `kill` cannot cut a checkpoint save short (SIGKILL still ends the process). The exit
status follows the shell's convention, 128 + the signal number: 130 for Ctrl-C, 143 for
SIGTERM, 129 for SIGHUP.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class StopSignal(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived; handled like Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_status(interrupt: BaseException) -> int:
    """The shell's exit status for a command stopped by `interrupt` (Ctrl-C: 130)."""
    return 128 + signal_number(interrupt)


def signal_number(interrupt: BaseException) -> int:
    return interrupt.signum if isinstance(interrupt, StopSignal) else int(signal.SIGINT)


def signal_name(interrupt: BaseException) -> str:
    return signal.Signals(signal_number(interrupt)).name


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise `StopSignal` (once) in the main thread.

    Outside the main thread (where Python cannot install handlers) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stopping = [False]

    def handle(signum: int, frame: FrameType | None) -> None:
        if stopping[0]:
            return
        stopping[0] = True
        raise StopSignal(signum)

    previous: dict[signal.Signals, Any] = {}
    for stop in STOP_SIGNALS:
        previous[stop] = signal.signal(stop, handle)
    try:
        yield
    finally:
        for stop, handler in previous.items():
            signal.signal(stop, handler)
