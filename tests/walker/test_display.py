"""A window is only opened on a display that answers: a display variable naming no server,
or an off-screen SDL driver, is told apart in one sentence pointing to `walker record`."""

import contextlib
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from walker.draw.window import DisplayUnavailableError, Window, display_problem


def _silent_display() -> str:
    """A display name no X server listens on."""
    for number in range(90, 200):
        if not Path(f"/tmp/.X11-unix/X{number}").exists():
            return f":{number}"
    pytest.skip("every display number from :90 to :199 is taken")


def test_a_display_variable_naming_no_server_is_refused_before_sdl_draws_off_screen(
    monkeypatch,
):
    name = _silent_display()
    monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", name)
    started = time.monotonic()
    assert display_problem() == f"no display server answers on DISPLAY={name}"
    with pytest.raises(DisplayUnavailableError) as error:
        Window((320, 240))
    assert time.monotonic() - started < 5
    assert str(error.value) == (
        f"cannot open a window (no display server answers on DISPLAY={name}); "
        "use 'walker record' to write a video instead, or run under xvfb-run"
    )


def test_a_tcp_display_with_nothing_listening_is_told_at_once(monkeypatch):
    # A TCP display whose port is closed is "no server" at once, not a hang.
    monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", "127.0.0.1:7")  # port 6007: nothing listens in a test box
    started = time.monotonic()
    problem = display_problem()
    assert time.monotonic() - started < 3
    if _listening(6007):
        pytest.skip("something listens on port 6007 here")
    assert problem == "no display server answers on DISPLAY=127.0.0.1:7"


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_an_off_screen_driver_is_named_not_mistaken_for_a_missing_display(monkeypatch):
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    assert display_problem() == "SDL_VIDEODRIVER=dummy draws off screen"
    monkeypatch.delenv("SDL_VIDEODRIVER")
    monkeypatch.delenv("DISPLAY")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert display_problem() == "DISPLAY is not set"


@pytest.mark.display
@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb")
def test_a_display_that_answers_has_no_problem(monkeypatch):
    name = _silent_display()
    server = subprocess.Popen(
        ["Xvfb", name, "-screen", "0", "640x480x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        socket_path = Path(f"/tmp/.X11-unix/X{name[1:]}")
        deadline = time.monotonic() + 20
        while not socket_path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)
        monkeypatch.setenv("DISPLAY", name)
        assert display_problem() is None
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_busy_display_is_asked_again_not_taken_for_missing(monkeypatch):
    # A server that has not yet accepted its queue of connections refuses the next one at
    # once (EAGAIN); under load the demo's race window was refused that way. The server is
    # there: once it accepts again, the display answers.
    import threading

    name = _silent_display()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(f"\0/tmp/.X11-unix/X{name[1:]}")
    server.listen(0)
    waiting = []
    while True:  # fill the queue
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.setblocking(False)
        try:
            client.connect(f"\0/tmp/.X11-unix/X{name[1:]}")
        except BlockingIOError:
            client.close()
            break
        waiting.append(client)

    def accept_later():
        time.sleep(0.5)
        server.settimeout(1.0)
        with contextlib.suppress(OSError):
            for _ in range(len(waiting) + 2):
                server.accept()[0].close()

    monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", name)
    accepter = threading.Thread(target=accept_later)
    accepter.start()
    try:
        assert display_problem() is None
    finally:
        accepter.join()
        for client in waiting:
            client.close()
        server.close()


class _FakePygame:
    """pygame's display as SDL behaves on a busy X server: it falls back to drawing off
    screen `refusals` times, then opens the window on the X11 driver."""

    RESIZABLE = 16
    error = RuntimeError

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.inits = 0
        self.display = self

    def init(self) -> None:
        self.inits += 1

    def set_mode(self, size, flags):
        return ("screen", size, flags)

    def get_driver(self) -> str:
        return "offscreen" if self.inits <= self.refusals else "x11"

    def quit(self) -> None:
        pass


def test_sdl_falling_back_off_screen_on_a_busy_display_is_tried_again(monkeypatch):
    from walker.draw import window

    pygame = _FakePygame(refusals=3)
    assert window.open_screen(pygame, (320, 240), offscreen=False) == ("screen", (320, 240), 16)
    assert pygame.inits == 4
    # A display that keeps refusing is given up after the patience, in one sentence.
    monkeypatch.setattr(window, "BUSY_PATIENCE_S", 0.5)
    monkeypatch.setattr(window, "display_problem", lambda: None)
    stubborn = _FakePygame(refusals=10**6)
    started = time.monotonic()
    with pytest.raises(DisplayUnavailableError, match="SDL fell back to drawing off screen"):
        window.open_screen(stubborn, (320, 240), offscreen=False)
    assert 0.5 <= time.monotonic() - started < 2.0 and stubborn.inits >= 2
    # An off-screen driver asked for by name is what the caller wanted: no retry.
    named = _FakePygame(refusals=10**6)
    window.open_screen(named, (320, 240), offscreen=True)
    assert named.inits == 1
