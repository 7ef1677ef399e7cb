"""Driving a real window under Xvfb, shared by the window tests.

A virtual screen (Xvfb), windows found by the process that owns them, keys pressed and the
close button's WM_DELETE_WINDOW sent, screenshots taken with Pillow. The helpers are meant
to hold up on a loaded machine: a window may take a minute to appear, and pygame may
re-create its X window (a resizable window after `set_mode`, or the next view of the same
program), so an id that went stale is found again from the owning process and the action
retried; what the tests assert about the window is unchanged.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def start_walker(display_name: str, *argv: str) -> subprocess.Popen[str]:
    """`walker ARGV...` drawing on the virtual display (the tests' off-screen SDL driver
    removed), with its output piped as text."""
    env = {k: v for k, v in os.environ.items() if k != "SDL_VIDEODRIVER"}
    env["DISPLAY"] = display_name
    return subprocess.Popen(
        [sys.executable, "-m", "walker", *argv],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


FIND_TIMEOUT_S = 120.0
"""How long a window may take to appear: a program importing torch on a busy machine is slow."""

_OWNERS: dict[int, subprocess.Popen[str]] = {}
"""Window id -> the process that showed it, so a stale id can be found again."""


@contextlib.contextmanager
def virtual_display(size: str = "1024x768x24") -> Iterator[str]:
    """An Xvfb screen for the duration; its display name (":N"). Xvfb picks a display number
    no other X server holds and reports it (`-displayfd`), so test workers running side by
    side (pytest-xdist) and other programs' servers never share a screen. Raises
    RuntimeError if Xvfb does not start within 10 s."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", size, "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        number = _displayed_number(read_end, deadline=time.time() + 10)
    finally:
        os.close(read_end)
    if number is None:
        server.kill()
        server.wait(timeout=10)
        raise RuntimeError("Xvfb did not start")
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _displayed_number(read_end: int, deadline: float) -> int | None:
    """The display number Xvfb writes to `read_end` (one line), or None by `deadline`."""
    written = b""
    while not written.endswith(b"\n"):
        remaining = deadline - time.time()
        if remaining <= 0 or not select.select([read_end], [], [], remaining)[0]:
            return None
        chunk = os.read(read_end, 64)
        if not chunk:  # the server ended without a display
            return None
        written += chunk
    return int(written)


def _x_env(display_name: str) -> dict[str, str]:
    return {**os.environ, "DISPLAY": display_name}


def screenshot(display_name: str) -> np.ndarray:
    from PIL import ImageGrab

    # A busy Xvfb can refuse one connection ("X connection failed"); ask again briefly.
    for attempt in range(20):
        try:
            return np.asarray(ImageGrab.grab(xdisplay=display_name).convert("RGB"))
        except OSError:
            if attempt == 19:
                raise
            time.sleep(0.25)
    raise AssertionError("unreachable")


def count(image: np.ndarray, colour: tuple[int, int, int]) -> int:
    return int(np.all(image == np.array(colour, dtype=np.uint8), axis=-1).sum())


def wait_for_colour(
    display_name: str,
    process: subprocess.Popen[str],
    colour: tuple[int, int, int],
    pixels: int = 2000,
    timeout: float = 60.0,
) -> np.ndarray:
    """A screenshot once at least `pixels` of `colour` show (the window is drawing, so its
    event loop runs and a key pressed now is read); fails the test if the program ends or
    the colour never shows within `timeout`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise ended_early(process)
        shot = screenshot(display_name)
        if count(shot, colour) >= pixels:
            return shot
        time.sleep(0.2)
    raise AssertionError(f"{colour} never showed {pixels} pixels within {timeout:.0f} s")


def ended_early(process: subprocess.Popen[str], before: str = "") -> AssertionError:
    """The failure of a program that ended (before `before` showed), with the ends of its
    output and of its errors: a one-line error may be on either."""
    out, err = process.communicate()
    return AssertionError(
        f"the program ended early (exit {process.returncode}){before}; its output ends:\n"
        f"{out[-2000:]}\nand its errors:\n{err[-2000:]}"
    )


def _windows_of(display_name: str, process: subprocess.Popen[str]) -> list[int]:
    found = subprocess.run(
        ["xdotool", "search", "--pid", str(process.pid)],
        capture_output=True,
        text=True,
        env=_x_env(display_name),
    )
    return [int(word) for word in found.stdout.split()]


def find_window(
    display_name: str, process: subprocess.Popen[str], timeout: float = FIND_TIMEOUT_S
) -> int:
    """The id of a window `process` shows, waiting for it to appear."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise ended_early(process)
        windows = _windows_of(display_name, process)
        if windows:
            _OWNERS[windows[0]] = process
            return windows[0]
        time.sleep(0.2)
    raise AssertionError(f"no window appeared within {timeout:.0f} s")


def current_window(display_name: str, window: int) -> int:
    """`window`, or the window its owner shows now if pygame re-created it."""
    process = _OWNERS.get(window)
    if process is None:
        return window
    windows = _windows_of(display_name, process)
    if window in windows:
        return window
    return find_window(display_name, process)


def xdo(display_name: str, *args: str) -> str:
    """Run one xdotool command; its output. Fails the test if xdotool fails."""
    return subprocess.run(
        ["xdotool", *args], check=True, capture_output=True, text=True, env=_x_env(display_name)
    ).stdout


def press(display_name: str, window: int, key: str, attempts: int = 3) -> None:
    """Press `key` in `window`, finding the window again if its id went stale before the key
    went down. The programs act on key-down, which may close or replace the window at once:
    a key-up that then finds no window is not a reason to press again (a second Escape would
    close the next view too)."""
    for attempt in range(attempts):
        target = current_window(display_name, window)
        down = subprocess.run(
            ["xdotool", "keydown", "--window", str(target), key],
            capture_output=True,
            text=True,
            env=_x_env(display_name),
        )
        if down.returncode == 0 and "BadWindow" not in down.stderr:
            subprocess.run(
                ["xdotool", "keyup", "--window", str(target), key],
                capture_output=True,
                env=_x_env(display_name),
            )
            return
        if attempt == attempts - 1:
            raise AssertionError(f"xdotool could not press {key}: {down.stderr.strip()}")
        time.sleep(0.5)


def geometry(display_name: str, window: int) -> tuple[int, int, int, int]:
    """(x, y, width, height) of the window on the screen."""
    out = xdo(display_name, "getwindowgeometry", str(current_window(display_name, window)))
    position = re.search(r"Position: (\d+),(\d+)", out)
    size = re.search(r"Geometry: (\d+)x(\d+)", out)
    assert position and size, f"no geometry in {out!r}"
    x, y = map(int, position.groups())
    w, h = map(int, size.groups())
    return x, y, w, h


def close_window(display_name: str, window: int) -> None:
    """Send WM_DELETE_WINDOW, as a window manager's close button does (to the window the
    owner shows now: a message to a destroyed window would be an X error)."""
    window = current_window(display_name, window)
    x11 = ctypes.cdll.LoadLibrary("libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]

    class ClientMessage(ctypes.Structure):
        _fields_ = [
            ("type", ctypes.c_int),
            ("serial", ctypes.c_ulong),
            ("send_event", ctypes.c_int),
            ("display", ctypes.c_void_p),
            ("window", ctypes.c_ulong),
            ("message_type", ctypes.c_ulong),
            ("format", ctypes.c_int),
            ("data", ctypes.c_long * 5),
        ]

    class Event(ctypes.Union):
        _fields_ = [("client", ClientMessage), ("pad", ctypes.c_long * 24)]

    handle = x11.XOpenDisplay(display_name.encode())
    assert handle, "cannot open the X display"
    event = Event()
    event.client.type = 33  # ClientMessage
    event.client.window = window
    event.client.message_type = x11.XInternAtom(handle, b"WM_PROTOCOLS", 0)
    event.client.format = 32
    event.client.data[0] = x11.XInternAtom(handle, b"WM_DELETE_WINDOW", 0)
    x11.XSendEvent.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_int,
        ctypes.c_long,
        ctypes.c_void_p,
    ]
    x11.XSendEvent(handle, window, 0, 0, ctypes.byref(event))
    x11.XFlush.argtypes = [ctypes.c_void_p]
    x11.XFlush(handle)
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    x11.XCloseDisplay(handle)


WINDOW_TEST_MARKS = [
    pytest.mark.display,
    pytest.mark.skipif(
        not (shutil.which("Xvfb") and shutil.which("xdotool")),
        reason="Xvfb and xdotool are needed (scripts/setup.sh dev installs them)",
    ),
]
"""The marks of every test module that opens a real window: `pytestmark = WINDOW_TEST_MARKS`."""
