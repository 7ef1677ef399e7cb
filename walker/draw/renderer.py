"""Drawing Henry's world with pygame: one or several robots in lanes, a HUD, frames as arrays.

Physics keeps y pointing up in metres; this module owns the flip to pixels. A `Scene` is
everything one lane shows (Henry's geometry, where his episode started, a label, HUD lines,
optionally a tabular agent's Q-values and a learning curve). `Renderer.draw` paints scenes
onto one surface and `Renderer.frame` returns it as an HxWx3 uint8 array. `Window` shows a
surface on screen and turns key presses into commands; `EnvRenderer` is what an
environment's `render()` uses.

pygame is imported lazily and only `pygame.display` and `pygame.font` are initialised, so
importing this module costs nothing and needs no display.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from walker.sim.world import Geometry

if TYPE_CHECKING:
    import pygame

DEFAULT_SIZE = (600, 400)

BACKGROUND = (236, 241, 246)
SKY_LINE = (210, 220, 230)
GROUND = (120, 104, 88)
GROUND_MARK = (245, 240, 230)
START_LINE = (200, 60, 60)
TEXT = (30, 34, 40)
SOLE_DOWN = (46, 160, 67)
SOLE_UP = (160, 160, 170)
LEG = (60, 64, 72)
LANE_COLORS = [(52, 120, 200), (230, 140, 30), (140, 80, 190), (40, 160, 150),
               (200, 70, 90), (110, 110, 110)]


class DisplayUnavailableError(RuntimeError):
    """A window was asked for but there is no display to open it on."""


def display_available() -> bool:
    """Whether a real window can be opened (an X11 or Wayland display is set)."""
    if os.environ.get("SDL_VIDEODRIVER", "") in ("dummy", "offscreen"):
        return False
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


@dataclass
class QRow:
    """One action's line in the HUD's state-action table."""

    name: str
    value: float
    chosen: bool = False


@dataclass
class Scene:
    """What one lane shows."""

    geometry: Geometry
    start_x_m: float = 0.0
    label: str = ""
    color: tuple[int, int, int] = LANE_COLORS[0]
    hud: Mapping[str, Any] = field(default_factory=dict)
    """Lines of the heads-up display, `name: value`, drawn top-left in order."""
    qrows: Sequence[QRow] = ()
    """A tabular agent's legal actions in the current state with their Q-values."""
    curve: Sequence[float] = ()
    """Recent episode returns (or distances), drawn as a small live learning curve."""
    finish_x_m: float | None = None
    """Draw a finish line this far from the start, for races."""


def _ensure_pygame() -> Any:
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    if not pygame.font.get_init():
        pygame.font.init()
    return pygame


class _Camera:
    """Follows one robot smoothly along x; maps metres to pixels with y flipped."""

    def __init__(self, px_per_m: float, width: int, ground_px: int, smoothing: float) -> None:
        self.px_per_m = px_per_m
        self.width = width
        self.ground_px = ground_px
        self.smoothing = smoothing
        self.center_x: float | None = None

    def follow(self, x: float) -> None:
        if self.center_x is None or abs(x - self.center_x) > 5.0:
            self.center_x = x  # first frame, or a reset far away: jump, don't glide
            return
        self.center_x += (x - self.center_x) * self.smoothing
        # However fast Henry goes, he stays in the middle half of the view.
        leash = 0.25 * self.width / self.px_per_m
        self.center_x = min(max(self.center_x, x - leash), x + leash)

    def to_px(self, x: float, y: float) -> tuple[float, float]:
        assert self.center_x is not None
        return (self.width / 2 + (x - self.center_x) * self.px_per_m,
                self.ground_px - y * self.px_per_m)


class Renderer:
    """Draws scenes into an off-screen surface of `size` pixels, one lane per scene."""

    def __init__(self, size: tuple[int, int] = DEFAULT_SIZE, lanes: int = 1,
                 smoothing: float = 0.15) -> None:
        width, height = size
        if width < 64 or height < 64:
            raise ValueError(f"frame size must be at least 64x64 pixels, got {width}x{height}")
        if lanes < 1:
            raise ValueError(f"lanes must be at least 1, got {lanes}")
        self.pygame = _ensure_pygame()
        self.size = (int(width), int(height))
        self.lanes = lanes
        self.surface = self.pygame.Surface(self.size)
        lane_h = height / lanes
        # Henry stands about 0.55 m tall; let him fill about 55% of a lane.
        px_per_m = min(lane_h * 0.55 / 0.55, width / 1.6)
        self._lane_h = lane_h
        self._cameras = [
            _Camera(px_per_m, width, round(lane_h * (i + 1) - lane_h * 0.16), smoothing)
            for i in range(lanes)
        ]
        font_px = max(11, min(16, int(lane_h / 14)))
        self._font = self.pygame.font.Font(None, font_px + 4)
        self._text_cache: dict[tuple[str, tuple[int, int, int]], pygame.Surface] = {}

    # -- text -------------------------------------------------------------------------

    def _text(self, text: str, color: tuple[int, int, int] = TEXT) -> pygame.Surface:
        key = (text, color)
        surface = self._text_cache.get(key)
        if surface is None:
            if len(self._text_cache) > 512:
                self._text_cache.clear()
            surface = self._font.render(text, True, color)
            self._text_cache[key] = surface
        return surface

    # -- drawing ----------------------------------------------------------------------

    def draw(self, scenes: Sequence[Scene]) -> pygame.Surface:
        """Paint `scenes` (at most `lanes` of them) and return the surface."""
        if len(scenes) > self.lanes:
            raise ValueError(f"{len(scenes)} scenes do not fit in {self.lanes} lane(s)")
        surface = self.surface
        surface.fill(BACKGROUND)
        for index, scene in enumerate(scenes):
            self._draw_lane(surface, index, scene)
        return surface  # type: ignore[no-any-return]

    def _draw_lane(self, surface: pygame.Surface, index: int, scene: Scene) -> None:
        pg = self.pygame
        camera = self._cameras[index]
        geometry = scene.geometry
        camera.follow(geometry.hip[0])
        top = round(index * self._lane_h)
        width = self.size[0]
        if index > 0:
            pg.draw.line(surface, SKY_LINE, (0, top), (width, top), 2)
        ground_px = camera.ground_px
        bottom = round((index + 1) * self._lane_h)
        pg.draw.rect(surface, GROUND, (0, ground_px, width, bottom - ground_px))
        self._draw_marks(surface, camera, scene)

        # Far leg (left) first, then torso, then near leg (right) on top.
        for leg, shade in ((geometry.left, 0.65), (geometry.right, 1.0)):
            hip_px = camera.to_px(*geometry.hip)
            ankle_px = camera.to_px(*leg.ankle)
            leg_color = tuple(int(c * shade + 255 * (1 - shade) * 0.5) for c in LEG)
            pg.draw.line(surface, leg_color, hip_px, ankle_px, max(3, int(camera.px_per_m * 0.025)))
            base_color = SOLE_DOWN if leg.contact else SOLE_UP
            sole_color = tuple(int(c * shade + 255 * (1 - shade) * 0.6) for c in base_color)
            pg.draw.polygon(surface, sole_color, [camera.to_px(*p) for p in leg.sole])
            if leg is geometry.left:
                self._draw_torso(surface, camera, scene)
        hip_radius = max(3, int(camera.px_per_m * 0.02))
        pg.draw.circle(surface, TEXT, camera.to_px(*geometry.hip), hip_radius)

        y = top + 6
        if scene.label:
            surface.blit(self._text(scene.label, scene.color), (8, y))
            y += self._font.get_linesize()
        for name, value in scene.hud.items():
            surface.blit(self._text(f"{name}: {_format(value)}"), (8, y))
            y += self._font.get_linesize()
        if scene.qrows:
            for row in scene.qrows:
                marker = ">" if row.chosen else " "
                color = scene.color if row.chosen else TEXT
                surface.blit(self._text(f"{marker} {row.name:<15s} {row.value:+.3f}", color),
                             (8, y))
                y += self._font.get_linesize()
        if len(scene.curve) >= 2:
            self._draw_curve(surface, scene, top)

    def _draw_torso(self, surface: pygame.Surface, camera: _Camera, scene: Scene) -> None:
        points = [camera.to_px(*p) for p in scene.geometry.torso]
        self.pygame.draw.polygon(surface, scene.color, points)
        self.pygame.draw.polygon(surface, TEXT, points, 2)

    def _draw_marks(self, surface: pygame.Surface, camera: _Camera, scene: Scene) -> None:
        pg = self.pygame
        assert camera.center_x is not None
        half_width_m = camera.width / 2 / camera.px_per_m
        first = math.floor((camera.center_x - half_width_m - scene.start_x_m) * 10)
        last = math.ceil((camera.center_x + half_width_m - scene.start_x_m) * 10)
        ground_px = camera.ground_px
        for tenth in range(first, last + 1):
            x_px, _ = camera.to_px(scene.start_x_m + tenth / 10, 0.0)
            whole = tenth % 10 == 0
            length = 12 if whole else (8 if tenth % 5 == 0 else 4)
            pg.draw.line(surface, GROUND_MARK, (x_px, ground_px), (x_px, ground_px + length), 2)
            if whole or tenth % 5 == 0:
                label = self._text(f"{tenth / 10:g} m", GROUND_MARK)
                surface.blit(label, (x_px - label.get_width() / 2, ground_px + length + 2))
        start_px, _ = camera.to_px(scene.start_x_m, 0.0)
        pg.draw.line(surface, START_LINE, (start_px, ground_px - 0.6 * camera.px_per_m),
                     (start_px, ground_px), 2)
        if scene.finish_x_m is not None:
            finish_px, _ = camera.to_px(scene.start_x_m + scene.finish_x_m, 0.0)
            for k in range(8):
                color = TEXT if k % 2 == 0 else GROUND_MARK
                y0 = ground_px - (k + 1) * 0.075 * camera.px_per_m
                pg.draw.line(surface, color, (finish_px, y0),
                             (finish_px, y0 + 0.075 * camera.px_per_m), 4)

    def _draw_curve(self, surface: pygame.Surface, scene: Scene, top: int) -> None:
        pg = self.pygame
        width = self.size[0]
        box_w = min(200, width // 3)
        box_h = min(70, int(self._lane_h / 4))
        x0, y0 = width - box_w - 8, top + 8
        pg.draw.rect(surface, (250, 251, 253), (x0, y0, box_w, box_h))
        pg.draw.rect(surface, SKY_LINE, (x0, y0, box_w, box_h), 1)
        values = np.asarray(scene.curve[-box_w:], dtype=float)
        finite = values[np.isfinite(values)]
        if finite.size < 2:
            return
        lo, hi = float(finite.min()), float(finite.max())
        span = hi - lo if hi > lo else 1.0
        n = len(values)
        points = [
            (x0 + 2 + (box_w - 4) * i / (n - 1),
             y0 + box_h - 3 - (box_h - 6) * (float(v) - lo) / span)
            for i, v in enumerate(values) if math.isfinite(v)
        ]
        pg.draw.lines(surface, scene.color, False, points, 2)
        surface.blit(self._text(f"{hi:.3g}"), (x0 + 3, y0 + 2))
        surface.blit(self._text(f"{lo:.3g}"), (x0 + 3, y0 + box_h - self._font.get_linesize()))

    def frame(self) -> np.ndarray:
        """The surface as an HxWx3 uint8 array.

        The array is read-only: it wraps the bytes pygame returns without a further copy
        (a copy of a 600x400 frame costs about a third of a frame's budget). Copy it to
        draw on it.
        """
        width, height = self.size
        raw = self.pygame.image.tobytes(self.surface, "RGB")
        return np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


class Window:
    """An on-screen window that shows surfaces and reports the keys pressed.

    Events are pumped on every `show` and `poll` call, so the window stays responsive when
    the caller is paused or between episodes, as long as it keeps calling `poll`.
    """

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
            self.screen = pygame.display.set_mode(size)
        except pygame.error as error:
            raise DisplayUnavailableError(
                f"could not open a window ({error}); use 'walker record' to write a video"
            ) from error
        pygame.display.set_caption(title)
        self.clock = pygame.time.Clock()
        self.closed = False

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
        return keys

    def show(self, surface: pygame.Surface, fps: float | None = None) -> list[str]:
        """Blit `surface`, flip, pump events; wait to hold `fps` if given."""
        self.screen.blit(surface, (0, 0))
        self.pygame.display.flip()
        keys = self.poll()
        if fps:
            self.clock.tick(fps)
        return keys

    def close(self) -> None:
        if not self.closed:
            self.closed = True
        self.pygame.display.quit()


class EnvRenderer:
    """`render()` for a Henry environment: one lane, the env's HUD, rgb_array or a window."""

    def __init__(self, env: Any, mode: str, size: tuple[int, int] = DEFAULT_SIZE) -> None:
        self.env = env
        self.mode = mode
        self.renderer = Renderer(size)
        self.window: Window | None = None
        if mode == "human":
            self.window = Window(size, "Henry")

    def scene(self) -> Scene:
        env = self.env
        hud: dict[str, Any] = {
            "time": f"{env.world.time_s:.1f} s",
            "distance": f"{env.distance_m:+.3f} m",
        }
        return Scene(geometry=env.world.geometry(), start_x_m=env.start_x_m, hud=hud)

    def render(self) -> np.ndarray | None:
        surface = self.renderer.draw([self.scene()])
        if self.window is not None:
            keys = self.window.show(surface, self.env.metadata.get("render_fps"))
            if "quit" in keys:
                self.close()
            return None
        return self.renderer.frame()

    def close(self) -> None:
        if self.window is not None:
            self.window.close()
            self.window = None
