"""An on-screen, resizable pygame window that reports key presses and mouse drags.

Events are pumped on every `show` and `poll` call, so the window stays responsive when the
caller is paused or between episodes, as long as it keeps calling `poll`. A drag (press,
move, release of the left button) is reported once, on release, as a `Drag` in window
pixels; while it is under way `dragging` holds its two ends so a caller can draw an arrow.
When the user resizes the window, `size` changes and the caller redraws at the new size.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from walker.errors import UnavailableError

if TYPE_CHECKING:
    import pygame


class DisplayUnavailableError(UnavailableError):
    """A window was asked for but there is no display to open it on."""


OFF_SCREEN_DRIVERS = ("dummy", "offscreen")
"""SDL video drivers that draw nowhere: asked for on purpose (tests), or SDL's silent
fallback when the display it was given does not answer."""

NO_WINDOW_ADVICE = "use 'walker record' to write a video instead, or run under xvfb-run"

BUSY_PATIENCE_S = 3.0
"""How long a display that is there but busy is asked again: the probe's connections it
refuses with EAGAIN, and SDL falling back to drawing off screen after the probe got in (a
busy X server refuses some connections for a moment)."""


def _connects(family: int, address: str | tuple[str, int]) -> bool:
    """Whether a server accepts a connection at `address`. A local server that is busy (its
    queue of connections not yet accepted is full) refuses at once with EAGAIN instead of
    keeping the caller waiting: that server is there, so it is asked again for a while."""
    deadline = time.monotonic() + BUSY_PATIENCE_S
    while True:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.settimeout(1.0)
            try:
                probe.connect(address)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
            except OSError:
                return False
            else:
                return True
        time.sleep(0.05)


def _x_server_answers(display: str) -> bool:
    """Whether an X server listens for `display` (":0", "unix:1.0", "host:10")."""
    host, _, screen = display.rpartition(":")
    number = screen.split(".")[0]
    if not number.isdigit():
        return False
    if host in ("", "unix") or host.endswith("/unix"):
        path = f"/tmp/.X11-unix/X{number}"
        return _connects(socket.AF_UNIX, "\0" + path) or _connects(socket.AF_UNIX, path)
    return _connects(socket.AF_INET, (host, 6000 + int(number)))


def _wayland_answers(name: str) -> bool:
    folder = os.environ.get("XDG_RUNTIME_DIR", "")
    path = name if os.path.isabs(name) else os.path.join(folder, name)
    return bool(folder or os.path.isabs(name)) and _connects(socket.AF_UNIX, path)


def display_problem() -> str | None:
    """Why no real window can be opened here, in a few words, or None when one can.

    A display variable alone is not enough: SDL falls back to drawing off screen when the
    display it names does not answer, and the window would silently show nothing. So the
    X server's (or Wayland compositor's) socket is tried, which takes milliseconds.
    """
    driver = os.environ.get("SDL_VIDEODRIVER", "")
    if driver in OFF_SCREEN_DRIVERS:
        return f"SDL_VIDEODRIVER={driver} draws off screen"
    wayland = os.environ.get("WAYLAND_DISPLAY", "")
    display = os.environ.get("DISPLAY", "")
    if not (wayland or display):
        return "DISPLAY is not set"
    if wayland and _wayland_answers(wayland):
        return None
    if display and _x_server_answers(display):
        return None
    shown = f"DISPLAY={display}" if display else f"WAYLAND_DISPLAY={wayland}"
    return f"no display server answers on {shown}"


def display_available() -> bool:
    """Whether a real window can be opened (a display is set and answers)."""
    return display_problem() is None


@dataclass(frozen=True)
class Drag:
    """A finished left-button drag, in window pixels."""

    start: tuple[int, int]
    end: tuple[int, int]
    seconds: float


MIN_SIZE = (320, 240)


def open_screen(pygame: Any, size: tuple[int, int], offscreen: bool) -> Any:
    """`pygame.display.set_mode(size)`, resizable. Where a display answered the probe but SDL
    fell back to drawing off screen (its own connection refused by a busy server), SDL is
    started again for up to `BUSY_PATIENCE_S` before the display counts as not answering."""
    deadline = time.monotonic() + BUSY_PATIENCE_S
    while True:
        pygame.display.init()
        try:
            screen = pygame.display.set_mode(size, pygame.RESIZABLE)
        except pygame.error as error:
            raise DisplayUnavailableError(
                f"could not open a window ({error}); {NO_WINDOW_ADVICE}"
            ) from error
        if offscreen or pygame.display.get_driver() not in OFF_SCREEN_DRIVERS:
            return screen
        pygame.display.quit()
        if time.monotonic() >= deadline:
            raise DisplayUnavailableError(
                f"cannot open a window (SDL fell back to drawing off screen: "
                f"{display_problem() or 'the display did not answer'}); {NO_WINDOW_ADVICE}"
            )
        time.sleep(0.2)


class Window:
    """A resizable window: `show` a surface, read keys from `poll`, drags from `take_drags`."""

    def __init__(self, size: tuple[int, int], title: str = "Henry") -> None:
        # An off-screen driver asked for by name (tests, recording the window) is honoured.
        offscreen = os.environ.get("SDL_VIDEODRIVER", "") in OFF_SCREEN_DRIVERS
        problem = None if offscreen else display_problem()
        if problem is not None:
            raise DisplayUnavailableError(f"cannot open a window ({problem}); {NO_WINDOW_ADVICE}")
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        import pygame

        self.pygame = pygame
        self.screen = open_screen(pygame, size, offscreen)
        pygame.display.set_caption(title)
        self.size: tuple[int, int] = (int(size[0]), int(size[1]))
        self.clock = pygame.time.Clock()
        self.closed = False
        self.dragging: tuple[tuple[int, int], tuple[int, int]] | None = None
        self._drag_started = 0.0
        self._drags: list[Drag] = []

    def poll(self) -> list[str]:
        """Pump events; return key names pressed since the last call ('quit' on close)."""
        pg = self.pygame
        keys: list[str] = []
        for event in pg.event.get():
            if event.type == pg.QUIT:
                self.closed = True
                keys.append("quit")
            elif event.type == pg.KEYDOWN:
                if event.key == pg.K_ESCAPE:
                    keys.append("escape")
                elif event.unicode:
                    keys.append(event.unicode)
                else:
                    keys.append(pg.key.name(event.key))
            elif event.type == pg.VIDEORESIZE:
                self._resized(event.w, event.h)
            elif event.type == pg.MOUSEBUTTONDOWN and event.button == 1:
                self.dragging = (event.pos, event.pos)
                self._drag_started = time.monotonic()
            elif event.type == pg.MOUSEMOTION and self.dragging is not None:
                self.dragging = (self.dragging[0], event.pos)
            elif event.type == pg.MOUSEBUTTONUP and event.button == 1 and self.dragging:
                self._drags.append(
                    Drag(self.dragging[0], event.pos, time.monotonic() - self._drag_started)
                )
                self.dragging = None
        return keys

    def _resized(self, width: int, height: int) -> None:
        width, height = max(MIN_SIZE[0], width), max(MIN_SIZE[1], height)
        width -= width % 2  # frames of the window may be recorded, and H.264 wants even sizes
        height -= height % 2
        self.size = (width, height)
        surface = self.pygame.display.get_surface()
        if surface is None or surface.get_size() != self.size:
            self.screen = self.pygame.display.set_mode(self.size, self.pygame.RESIZABLE)
        else:
            self.screen = surface

    def take_drags(self) -> list[Drag]:
        """Drags finished since the last call."""
        drags, self._drags = self._drags, []
        return drags

    def show(self, surface: pygame.Surface, fps: float | None = None) -> list[str]:
        """Blit `surface`, flip, pump events; wait to hold `fps` if given."""
        self.screen.blit(surface, (0, 0))
        if self.dragging is not None:
            start, end = self.dragging
            self.pygame.draw.line(self.screen, (230, 20, 20), start, end, 3)
            self.pygame.draw.circle(self.screen, (230, 20, 20), end, 6)
        self.pygame.display.flip()
        keys = self.poll()
        if fps:
            self.clock.tick(fps)
        return keys

    def close(self) -> None:
        self.closed = True
        self.pygame.display.quit()


def pygame_module() -> Any:
    """pygame, with its support banner silenced and fonts ready (no display needed)."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    if not pygame.font.get_init():
        pygame.font.init()
    return pygame
