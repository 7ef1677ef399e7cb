"""Shared test set-up: no window ever opens unless a test asks for a real display, and the
subprocesses tests start can be stopped with Ctrl-C (SIGINT)."""

import os
import signal

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


# pytest-xdist's workers ignore SIGINT (the controller handles Ctrl-C), and an ignored signal
# stays ignored across exec: every `walker` a test starts would then shrug off the SIGINT
# the Ctrl-C tests send it. A Python handler is reset to the default at exec, so restoring
# Python's own handler here gives the subprocesses a normal Ctrl-C again.
def _restore_ctrl_c() -> None:
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


_restore_ctrl_c()


@pytest.fixture(autouse=True)
def _ctrl_c_reaches_subprocesses():
    """The same before every test: an in-process test (Ray's start-up, a worker pool) may
    leave SIGINT ignored in this worker, and the next test's subprocesses would inherit it."""
    _restore_ctrl_c()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked slow go first (each group in collection order), so the two test workers
    start the long ones early and finish together instead of one idling through the tail."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one test worker more than the cores this process may use. Many tests spend
    seconds waiting on a subprocess, a window or Ray; the extra worker runs a test meanwhile
    (on 2 cores the suite took 7 min 14 s with 2 workers, 6 min 20 s with 3)."""
    from walker.app.core.machine import usable_cores

    return usable_cores() + 1
