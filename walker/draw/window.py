"""An on-screen, resizable pygame window that reports key presses and mouse drags.

Events are pumped on every `show` and `poll` call, so the window stays responsive when the
caller is paused or between episodes, as long as it keeps calling `poll`. A drag (press,
move, release of the left button) is reported once, on release, as a `Drag` in window
pixels; while it is under way `dragging` holds its two ends so a caller can draw an arrow.
When the user resizes the window, `size` changes and the caller redraws at the new size.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from walker.errors import UnavailableError

if TYPE_CHECKING:
    import pygame


class DisplayUnavailableError(UnavailableError):
    """A window was asked for but there is no display to open it on."""


def display_available() -> bool:
    """Whether a real window can be opened (an X11 or Wayland display is set)."""
    if os.environ.get("SDL_VIDEODRIVER", "") in ("dummy", "offscreen"):
        return False
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


@dataclass(frozen=True)
class Drag:
    """A finished left-button drag, in window pixels."""

    start: tuple[int, int]
    end: tuple[int, int]
    seconds: float


MIN_SIZE = (320, 240)


class Window:
    """A resizable window: `show` a surface, read keys from `poll`, drags from `take_drags`."""

    def __init__(self, size: tuple[int, int], title: str = "Henry") -> None:
        offscreen = os.environ.get("SDL_VIDEODRIVER", "") in ("dummy", "offscreen")
        if not (display_available() or offscreen):
            raise DisplayUnavailableError(
                "no display is available for a window (DISPLAY is not set); use "
                "'walker record' to write a video instead, or run under xvfb-run"
            )
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        import pygame

        self.pygame = pygame
        pygame.display.init()
        try:
            self.screen = pygame.display.set_mode(size, pygame.RESIZABLE)
        except pygame.error as error:
            raise DisplayUnavailableError(
                f"could not open a window ({error}); use 'walker record' to write a video"
            ) from error
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
