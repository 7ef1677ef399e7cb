"""The shared window helpers hold up when pygame re-creates its window (a stale id)."""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from tests.app.xwindow import close_window, find_window, press, virtual_display

pytestmark = [
    pytest.mark.display,
    pytest.mark.skipif(
        not (shutil.which("Xvfb") and shutil.which("xdotool")),
        reason="Xvfb and xdotool are needed (scripts/setup.sh dev installs them)",
    ),
]

# Opens a window, prints "ready", and on "r" closes it and opens a new one; prints every key
# it gets and ends when its window is closed. A second X connection held open meanwhile keeps
# the server from handing the new window the old one's id, as happens when other clients come
# and go.
PROGRAM = textwrap.dedent("""
    import ctypes
    import pygame
    x11 = ctypes.cdll.LoadLibrary("libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    pygame.display.init()
    pygame.display.set_mode((200, 100))
    print("ready", flush=True)
    while True:
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                raise SystemExit(0)
            if event.type == pygame.KEYDOWN:
                print("key", pygame.key.name(event.key), flush=True)
                if event.key == pygame.K_r:
                    pygame.display.quit()
                    held = x11.XOpenDisplay(None)
                    pygame.display.init()
                    pygame.display.set_mode((200, 100))
                    print("re-created", flush=True)
        pygame.time.wait(20)
""")


@pytest.fixture(scope="module")
def display():
    try:
        with virtual_display() as name:
            yield name
    except RuntimeError as error:
        pytest.skip(str(error))


def test_keys_and_close_reach_a_window_pygame_re_created(display):
    env = {k: v for k, v in os.environ.items() if k != "SDL_VIDEODRIVER"}
    env["DISPLAY"] = display
    process = subprocess.Popen(
        [sys.executable, "-c", PROGRAM],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout.readline().strip() == "ready"
        old = find_window(display, process)
        # The window is destroyed as the key goes down, so the key-up finds no window: the
        # key must still count once (a second "r" would show below instead of "key a").
        press(display, old, "r")
        assert process.stdout.readline().strip() == "key r"
        assert process.stdout.readline().strip() == "re-created"
        # The new window may even get the old id back (X may reuse it); either way the
        # helper finds the window the process has now.
        press(display, old, "a")
        assert process.stdout.readline().strip() == "key a"
        close_window(display, old)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
