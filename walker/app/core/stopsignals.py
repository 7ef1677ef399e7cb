"""SIGTERM and SIGHUP stop a command the way Ctrl-C does, so work is saved and files cleaned.

By default SIGTERM (`timeout`, `kill`, a container stop) and SIGHUP (a closed terminal, a
dropped ssh session) end Python at once: no `finally` runs, so a training run saves nothing
and a video's temporary file stays behind. Inside `stop_on_signals()` they raise `StopSignal`
instead, a `KeyboardInterrupt`, so every place that already saves or cleans up on Ctrl-C
does the same for them. A repeated signal while the first is being handled is ignored, so a
second `kill` cannot cut a checkpoint save short (SIGKILL still ends the process). The exit
status follows the shell's convention, 128 + the signal number: 130 for Ctrl-C, 143 for
SIGTERM, 129 for SIGHUP.

A signal that lands while the physics engine has called back into Python (pymunk's
collision callbacks and finalizers run inside its C code, where a raised exception is
printed as "Exception ignored from cffi callback" with a traceback, then dropped) is not
raised there: the handler sends the same signal again a few milliseconds later, when the
main thread is back in Python's own code, and raises it then.
"""

from __future__ import annotations

import contextlib
import os
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


_PENDING: list[KeyboardInterrupt] = []
"""The stop a signal raised inside `stop_on_signals`, until the block ends."""

_RAISED: list[bool] = []
"""Whether that stop has been raised (it waits while the physics engine runs Python)."""

_CALLED_BACK_FROM = f"{os.sep}pymunk{os.sep}"
"""Where the code C calls into lives (the physics engine's), where an exception is dropped."""

RETRY_S = 0.005
"""How long a stop that landed in such code waits before its signal is sent again."""


def signal_number(interrupt: BaseException) -> int:
    """The signal that stopped the command: `interrupt`'s, or, for a plain
    `KeyboardInterrupt` inside `stop_on_signals`, the stop that arrived. Ray's blocking calls
    (`ray.wait`, `ray.get`) hand any exception a signal's handler raised on as a plain
    `KeyboardInterrupt`, which would make a SIGTERM look like Ctrl-C."""
    if not isinstance(interrupt, StopSignal) and _PENDING:
        interrupt = _PENDING[0]
    return interrupt.signum if isinstance(interrupt, StopSignal) else int(signal.SIGINT)


def signal_name(interrupt: BaseException) -> str:
    return signal.Signals(signal_number(interrupt)).name


def raise_if_stopped() -> None:
    """Raise again the stop a signal already raised, if it was swallowed.

    Python runs a signal's handler wherever the main thread is, and a `KeyboardInterrupt`
    raised inside a finalizer (pymunk frees a space's memory from one) is printed as
    "Exception ignored" and dropped: the command would go on as if nothing happened. Loops
    call this once per step, which costs one list lookup."""
    if _PENDING:
        _RAISED[:] = [True]
        raise _PENDING[0]


def _send_again(signum: int) -> None:
    """Send `signum` to this process again, unless its stop was raised meanwhile (or the
    block is over, when the signal would meet its default handler)."""
    if _PENDING and not _RAISED:
        os.kill(os.getpid(), signum)


def _called_back(frame: FrameType | None) -> bool:
    """Whether the main thread is inside code the physics engine's C code called."""
    while frame is not None:
        if _CALLED_BACK_FROM in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, Ctrl-C (SIGINT) raises `KeyboardInterrupt` and SIGTERM and SIGHUP
    raise `StopSignal`, once, in the main thread; `raise_if_stopped` raises it again if it
    was swallowed. A SIGINT that was ignored when the block began (a background job) stays
    ignored.

    Outside the main thread (where Python cannot install handlers) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        if _RAISED or (_PENDING and signal_number(_PENDING[0]) != signum):
            return  # a repeated signal while the first is being handled
        if not _PENDING:
            _PENDING.append(KeyboardInterrupt() if signum == signal.SIGINT else StopSignal(signum))
        if _called_back(frame):  # raised here, it would be printed and dropped: later
            retry = threading.Timer(RETRY_S, _send_again, (signum,))
            retry.daemon = True
            retry.start()
            return
        _RAISED[:] = [True]
        raise _PENDING[0]

    handled = list(STOP_SIGNALS)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        handled.append(signal.SIGINT)
    previous: dict[signal.Signals, Any] = {}
    for stop in handled:
        previous[stop] = signal.signal(stop, handle)
    try:
        yield
    finally:
        _PENDING.clear()
        _RAISED.clear()
        for stop, handler in previous.items():
            signal.signal(stop, handler)
