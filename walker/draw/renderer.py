"""Drawing Henry's world with pygame: robots in lanes, a HUD per lane, learning panels.

Physics keeps y pointing up in metres; this module owns the flip to pixels. A `Scene` (in
`walker.draw.scene`) is everything one lane shows (Henry's geometry, where his episode
started, a label, HUD lines, optionally a tabular agent's Q-values, a small learning curve
and a translucent ghost), or an env's own rgb_array picture in place of Henry.
`Renderer.draw` paints scenes (and optionally `Panels` in a strip below the lanes) onto one
surface; `Renderer.frame` returns it as an HxWx3 uint8 array.

Layout scales with the frame: lanes share the height above the panel strip, Henry is drawn
about 70% of a lane tall (at most so large that 2 m of ground stays in view), the HUD
flows into further columns when a lane is short, and everything a lane draws is clipped to
that lane, so one lane's text never lands in another. `race_size` gives frames big enough
for every lane to be at least 150 px tall. `EnvRenderer` is what an environment's
`render()` uses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from walker.draw.camera import CAMERA_MODES, HENRY_HALF_WIDTH_M, Camera, shared_view, zoom_step
from walker.draw.footfalls import draw_footfall_strip
from walker.draw.henry import SOLE_DOWN as SOLE_DOWN
from walker.draw.henry import SOLE_UP as SOLE_UP
from walker.draw.henry import Footprints, draw_henry, legend_items, legend_surface
from walker.draw.panels import Panels, draw_panels
from walker.draw.scene import DEFAULT_SIZE as DEFAULT_SIZE
from walker.draw.scene import LANE_COLORS as LANE_COLORS
from walker.draw.scene import MIN_LANE_PX as MIN_LANE_PX
from walker.draw.scene import WINDOW_SIZE as WINDOW_SIZE
from walker.draw.scene import QRow as QRow
from walker.draw.scene import Scene as Scene
from walker.draw.scene import race_size as race_size
from walker.draw.window import DisplayUnavailableError as DisplayUnavailableError
from walker.draw.window import Window as Window
from walker.draw.window import display_available as display_available
from walker.draw.window import pygame_module
from walker.sim.body import Bump
from walker.sim.world import Geometry

if TYPE_CHECKING:
    import pygame

HENRY_HEIGHT_M = 0.5
"""Standing height of Henry (sole to torso top) with the default spec."""

BACKGROUND = (236, 241, 246)
SKY_LINE = (210, 220, 230)
GROUND = (120, 104, 88)
GROUND_MARK = (245, 240, 230)
BUMP_EDGE = (196, 178, 150)
START_LINE = (200, 60, 60)
TEXT = (30, 34, 40)
GHOST_KEY = (255, 0, 255)
HUD_PLATE_ALPHA = 190
"""How opaque the sky-coloured patch behind each HUD line is (of 255)."""
GHOST_ALPHA = 110
PANEL_SHARE = 0.44
"""Part of the frame's height the learning panels take when they are shown."""
BELOW_GROUND = 0.17
"""Part of a lane under the ground line: the ruler and its labels."""
STRIP_SHARE = 0.13
"""Part of a lane the footfall strip takes, under the ruler, when scenes carry one."""


class Renderer:
    """Draws scenes into an off-screen surface of `size` pixels, one lane per scene."""

    def __init__(
        self,
        size: tuple[int, int] = DEFAULT_SIZE,
        lanes: int = 1,
        smoothing: float = 0.15,
        camera: str = "follow",
    ) -> None:
        if lanes < 1:
            raise ValueError(f"lanes must be at least 1, got {lanes}")
        if camera not in CAMERA_MODES:
            raise ValueError(f"camera must be one of {', '.join(CAMERA_MODES)}, got {camera!r}")
        self.pygame = pygame_module()
        self.lanes = lanes
        self.smoothing = smoothing
        self.camera = camera
        """`follow`: each lane's camera follows its Henry; `shared`: one view for all lanes,
        measured from each lane's start line (`walker.draw.camera.shared_view`)."""
        self._shared: tuple[float, float] | None = None
        """The shared view drawn last (left edge in metres from the start, px per m)."""
        self._hud_right = 0
        self._footprints = [Footprints() for _ in range(lanes)]
        self._geometries: list[Geometry | None] = [None] * lanes
        self._text_cache: dict[tuple[str, tuple[int, int, int]], pygame.Surface] = {}
        self._plates: dict[tuple[int, int], pygame.Surface] = {}
        self._layout_key: tuple[tuple[int, int], bool, bool] | None = None
        self.resize(size)

    def resize(self, size: tuple[int, int]) -> None:
        """Draw at a new frame size from the next `draw` on (a resized window)."""
        width, height = int(size[0]), int(size[1])
        if width < 64 or height < 64:
            raise ValueError(f"frame size must be at least 64x64 pixels, got {width}x{height}")
        self.size = (width, height)
        self.surface = self.pygame.Surface(self.size)
        self._layout_key = None
        self._layout(False, False)

    def _layout(self, panels: bool, strip: bool) -> None:
        key = (self.size, panels, strip)
        if key == self._layout_key:
            return
        self._layout_key = key
        width, height = self.size
        self.panel_height = round(height * PANEL_SHARE) if panels else 0
        lane_h = (height - self.panel_height) / self.lanes
        self._lane_h = lane_h
        self._strip_h = round(max(16.0, STRIP_SHARE * lane_h)) if strip else 0
        px_per_m = min((lane_h - self._strip_h) * 0.70 / HENRY_HEIGHT_M, width / 2.0)
        self._base_px_per_m = px_per_m
        old = getattr(self, "_cameras", None)
        below = lane_h * BELOW_GROUND + self._strip_h
        self._cameras = [
            Camera(px_per_m, width, round(lane_h * (i + 1) - below), self.smoothing)
            for i in range(self.lanes)
        ]
        if old:
            for camera, previous in zip(self._cameras, old, strict=True):
                camera.center_x = previous.center_x
        font_px = round(min(22.0, max(15.0, lane_h / 11)))
        self._font = self.pygame.font.Font(None, font_px)
        self._small = self.pygame.font.Font(None, max(14, font_px - 3))
        self._big = self.pygame.font.Font(None, max(24, round(lane_h * 0.26)))
        self._text_cache.clear()
        self._legends: dict[tuple[str, tuple[int, int, int]] | None, pygame.Surface] = {}
        self._tiles: dict[float, pygame.Surface] = {}
        self._ghost_layer = self.pygame.Surface((width, max(1, math.ceil(lane_h))))
        self._ghost_layer.set_colorkey(GHOST_KEY)
        self._ghost_layer.set_alpha(GHOST_ALPHA)
        self._shared = None

    def lane_rect(self, index: int) -> pygame.Rect:
        """The pixels lane `index` owns."""
        top = round(index * self._lane_h)
        rect: pygame.Rect = self.pygame.Rect(
            0, top, self.size[0], round((index + 1) * self._lane_h) - top
        )
        return rect

    def px_per_m(self, index: int = 0) -> float:
        return self._cameras[index].px_per_m

    def henry_at(self, pos: tuple[int, int], margin_m: float = 0.08) -> int | None:
        """The lane whose Henry (as last drawn) is under window pixel `pos`, if any."""
        for index, geometry in enumerate(self._geometries):
            camera = self._cameras[index]
            if geometry is None or camera.center_x is None:
                continue
            x_m, y_m = camera.to_m(*pos)
            points = [*geometry.torso, *geometry.right.sole, *geometry.left.sole]
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            if (
                min(xs) - margin_m <= x_m <= max(xs) + margin_m
                and min(ys) - margin_m <= y_m <= max(ys) + margin_m
            ):
                return index
        return None

    # -- text -------------------------------------------------------------------------

    def _text(
        self, text: str, color: tuple[int, int, int] = TEXT, small: bool = False
    ) -> pygame.Surface:
        key = (("\x00" if small else "") + text, color)
        surface = self._text_cache.get(key)
        if surface is None:
            if len(self._text_cache) > 1024:
                self._text_cache.clear()
            surface = (self._small if small else self._font).render(text, True, color)
            self._text_cache[key] = surface
        return surface

    def _small_text(self, text: str, color: tuple[int, int, int]) -> pygame.Surface:
        return self._text(text, color, small=True)

    # -- drawing ----------------------------------------------------------------------

    def draw(self, scenes: Sequence[Scene], panels: Panels | None = None) -> pygame.Surface:
        """Paint `scenes` (at most `lanes` of them) and the panels, and return the surface."""
        if len(scenes) > self.lanes:
            raise ValueError(f"{len(scenes)} scenes do not fit in {self.lanes} lane(s)")
        if not self.pygame.font.get_init():  # quit by someone else (an env's close() does)
            self.pygame.font.init()
            self._layout_key = None  # rebuild the fonts
        self._layout(panels is not None, any(scene.footfalls is not None for scene in scenes))
        surface = self.surface
        surface.fill(BACKGROUND)
        rows = len(legend_items()) + any(scene.ghost is not None for scene in scenes)
        self._legend_bottom = 16 + rows * self._small.get_linesize()
        if self.camera == "shared" and scenes and all(s.geometry is not None for s in scenes):
            self._aim_shared(scenes)
        hud_right = 0
        for index, scene in enumerate(scenes):
            rect = self.lane_rect(index)
            surface.set_clip(rect)
            hud_right = max(hud_right, self._draw_lane(surface, index, scene, rect))
        self._hud_right = hud_right
        if any(scene.geometry is not None for scene in scenes):
            surface.set_clip(self.lane_rect(0))
            self._draw_legend(surface, scenes)
        surface.set_clip(None)
        if panels is not None:
            rect = self.pygame.Rect(
                0, self.size[1] - self.panel_height, self.size[0], self.panel_height
            )
            draw_panels(surface, rect, panels, self._small_text)
        return surface  # type: ignore[no-any-return]

    def _aim_shared(self, scenes: Sequence[Scene]) -> None:
        """Point every lane's camera at one stretch of track (`shared_view`), glided
        towards from the last frame's, the leader always in view."""
        width = self.size[0]
        distances = [_body(scene).hip[0] - scene.start_x_m for scene in scenes]
        # Keep the Henrys right of the HUD column (as wide as last frame's, within reason).
        left_px = min(self._hud_right + 8, 0.4 * width)
        right_px = width - (
            self._big.size("4th")[0] + 20 if any(s.place is not None for s in scenes) else 0
        )
        target = shared_view(distances, left_px, right_px, self._base_px_per_m)
        if self._shared is None or abs(target.left_m - self._shared[0]) > 5.0 / target.px_per_m:
            left_m, px_per_m = target.left_m, target.px_per_m
        else:
            last_left, last_px = self._shared
            k = self.smoothing
            px_per_m = math.exp(
                math.log(last_px) + (math.log(target.px_per_m) - math.log(last_px)) * k
            )
            left_m = last_left + (target.left_m - last_left) * k
            # Gliding never loses the leader, nor the last one when the target keeps him.
            front = max(distances) + HENRY_HALF_WIDTH_M
            back = min(distances) - HENRY_HALF_WIDTH_M
            left_m = max(left_m, front - right_px / px_per_m)
            if target.left_m + left_px / target.px_per_m <= back:
                left_m = min(left_m, back - left_px / px_per_m)
        self._shared = (left_m, px_per_m)
        scale = zoom_step(px_per_m)
        for camera, scene in zip(self._cameras, scenes, strict=False):
            camera.px_per_m = scale
            camera.anchor_px = 0.0
            camera.center_x = scene.start_x_m + left_m

    def _draw_lane(
        self, surface: pygame.Surface, index: int, scene: Scene, rect: pygame.Rect
    ) -> int:
        """Paint one lane; returns the right edge of its HUD."""
        pg = self.pygame
        camera = self._cameras[index]
        geometry = scene.geometry
        self._geometries[index] = geometry
        if geometry is None:
            return self._draw_picture_lane(surface, index, scene, rect)
        if self.camera == "follow":
            camera.follow(geometry.hip[0])
        if index > 0:
            pg.draw.line(surface, SKY_LINE, (0, rect.top), (rect.right, rect.top), 2)
        ground_px = camera.ground_px
        pg.draw.rect(surface, GROUND, (0, ground_px, rect.width, rect.bottom - ground_px))
        if geometry.bumps:
            self._draw_bumps(surface, camera, geometry.bumps)
        self._draw_marks(surface, camera, scene)
        footprints = self._footprints[index]
        footprints.update(geometry, scene.episode)
        footprints.draw(surface, camera.to_px, camera.px_per_m)
        if scene.ghost is not None:
            self._draw_ghost(surface, camera, scene, rect)
        draw_henry(surface, camera.to_px, geometry, scene.color, camera.px_per_m)
        if scene.footfalls is not None and self._strip_h:
            top = rect.bottom - self._strip_h
            draw_footfall_strip(
                surface,
                pg.Rect(6, top, rect.width - 12, self._strip_h - 3),
                scene.footfalls,
                self._small_text,
            )
        right_edge = rect.width - 8
        if len(scene.curve) >= 2:
            right_edge = self._draw_curve(surface, scene, rect, index == 0) - 8
        if scene.place is not None:
            right_edge = self._draw_place(surface, scene, rect, index == 0) - 8
        hud_right = self._draw_hud(surface, scene, rect, ground_px, right_edge)
        if self.camera == "shared":
            self._mark_behind(surface, camera, scene, hud_right)
        else:
            # In a narrow frame, keep Henry clear of the HUD from the next frame on.
            half_m = 0.3
            camera.anchor_px = min(
                max(rect.width / 2, hud_right + 8 + half_m * camera.px_per_m), rect.width * 0.62
            )
        return hud_right

    def _draw_picture_lane(
        self, surface: pygame.Surface, index: int, scene: Scene, rect: pygame.Rect
    ) -> int:
        """Paint a lane that shows an env's own picture: scaled to fit the lane, centred,
        with the HUD, the learning curve and the race place over it; returns the HUD's right
        edge."""
        pg = self.pygame
        if scene.picture is not None:
            picture = np.asarray(scene.picture)
            if picture.dtype != np.uint8 or picture.ndim != 3 or picture.shape[2] not in (3, 4):
                raise ValueError(
                    f"a lane's picture must be HxWx3 uint8, got {picture.dtype} {picture.shape}"
                )
            height, width = picture.shape[:2]
            image = pg.image.frombytes(
                np.ascontiguousarray(picture[..., :3]).tobytes(), (width, height), "RGB"
            )
            scale = min(rect.width / width, rect.height / height)
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            left = rect.left + (rect.width - size[0]) // 2
            top = rect.top + (rect.height - size[1]) // 2
            surface.blit(pg.transform.smoothscale(image, size), (left, top))
        if index > 0:
            pg.draw.line(surface, SKY_LINE, (0, rect.top), (rect.right, rect.top), 2)
        right_edge = rect.width - 8
        if len(scene.curve) >= 2:
            right_edge = self._draw_curve(surface, scene, rect, False) - 8
        if scene.place is not None:
            right_edge = self._draw_place(surface, scene, rect, False) - 8
        return self._draw_hud(surface, scene, rect, rect.bottom, right_edge)

    def _draw_place(
        self, surface: pygame.Surface, scene: Scene, rect: pygame.Rect, under_legend: bool
    ) -> int:
        """The lane's place in the race, large, at the right; returns its left edge."""
        assert scene.place is not None
        image = self._big.render(ordinal(scene.place), True, scene.color)
        top = rect.top + 6 + (self._legend_bottom if under_legend else 0)
        left = rect.width - image.get_width() - 12
        surface.blit(image, (left, top))
        return int(left)

    def _mark_behind(
        self, surface: pygame.Surface, camera: Camera, scene: Scene, hud_right: int
    ) -> None:
        """A shared view that cannot hold everyone says how far behind a Henry out of view
        is, at the lane's left edge."""
        left_m, _ = camera.to_m(0.0, 0.0)
        behind = left_m - _body(scene).hip[0]
        if behind <= 0:
            return
        label = self._text(f"<< {behind:.1f} m behind the view", scene.color)
        y = camera.ground_px - label.get_height() - 4
        surface.blit(label, (min(hud_right + 8, 0.4 * self.size[0]), y))

    def _draw_ghost(
        self, surface: pygame.Surface, camera: Camera, scene: Scene, rect: pygame.Rect
    ) -> None:
        assert scene.ghost is not None
        layer = self._ghost_layer
        layer.fill(GHOST_KEY)
        shift = scene.start_x_m - scene.ghost_start_x_m  # both start lines in one place
        top = rect.top

        def to_layer(x: float, y: float) -> tuple[float, float]:
            px, py = camera.to_px(x + shift, y)
            return px, py - top

        draw_henry(layer, to_layer, scene.ghost, scene.ghost_color, camera.px_per_m)
        surface.blit(layer, (0, top))

    def _draw_hud(
        self,
        surface: pygame.Surface,
        scene: Scene,
        rect: pygame.Rect,
        ground_px: int,
        right_edge: int,
    ) -> int:
        """The label, HUD and Q rows, top-left, flowing into further columns when short."""
        lines: list[tuple[str, tuple[int, int, int]]] = []
        if scene.label:
            lines.append((scene.label, scene.color))
        lines += [(f"{name}: {_format(value)}", TEXT) for name, value in scene.hud.items()]
        for row in scene.qrows:
            marker = ">" if row.chosen else " "
            lines.append(
                (f"{marker} {row.name:<15s} {row.value:+.3f}", scene.color if row.chosen else TEXT)
            )
        line_h = self._font.get_linesize()
        top, bottom = rect.top + 6, ground_px - 4
        x, y, column_w = 8, top, 0
        placed: list[tuple[pygame.Surface, int, int, int]] = []  # image, x, y, width shown
        for text, color in lines:
            image = self._text(text, color)
            if y + line_h > bottom and y > top:
                x, y, column_w = x + column_w + 18, top, 0
            if x + min(image.get_width(), 60) > right_edge:
                break  # no room left: drop the rest rather than draw over something
            placed.append((image, x, y, min(image.get_width(), max(0, right_edge - x))))
            if image.get_width() < 0.45 * rect.width:  # a long line (the keys) runs on anyway
                column_w = max(column_w, image.get_width())
            y += line_h
        columns: dict[int, tuple[int, int]] = {}  # left edge: (widest line, bottom)
        for _, left, row_y, shown in placed:
            widest, _ = columns.get(left, (0, 0))
            columns[left] = (max(widest, shown), row_y + line_h)
        for left, (widest, column_bottom) in columns.items():
            surface.blit(self._plate(widest + 6, column_bottom - top + 2), (left - 3, top - 1))
        for image, left, row_y, shown in placed:
            surface.blit(image, (left, row_y), (0, 0, shown, line_h))
        return x if len(placed) < len(lines) else x + column_w

    def _plate(self, width: int, height: int) -> pygame.Surface:
        """A translucent patch of sky behind a column of HUD lines, so the text reads over a
        ghost or footprints drawn under it (sizes round up to 8 px: a few surfaces serve)."""
        key = (-(-width // 8) * 8, -(-height // 8) * 8)
        plate = self._plates.get(key)
        if plate is None:
            plate = self.pygame.Surface(key)
            plate.fill(BACKGROUND)
            plate.set_alpha(HUD_PLATE_ALPHA)
            self._plates[key] = plate
        return plate

    def _draw_legend(self, surface: pygame.Surface, scenes: Sequence[Scene]) -> None:
        """Which colour is which leg (and which Henry is a ghost), top-right of lane 0."""
        ghost = next(((s.ghost_label, s.ghost_color) for s in scenes if s.ghost is not None), None)
        legend = self._legends.get(ghost)
        if legend is None:
            legend = legend_surface(self._small_text, self._small.get_linesize(), ghost)
            self._legends[ghost] = legend
        surface.blit(legend, (self.size[0] - legend.get_width() - 8, 8))

    def _ruler_tile(self, px_per_m: float) -> pygame.Surface:
        """One metre of ruler ticks (10 cm apart, longer at 50 cm and at the metre), drawn
        once and blitted along the ground: one blit per metre instead of ten lines."""
        tile = self._tiles.get(px_per_m)
        if tile is None:
            width = math.ceil(px_per_m)
            tile = self.pygame.Surface((width, 9))
            tile.set_colorkey((0, 0, 0))
            for tenth in range(10):
                x = round(tenth * px_per_m / 10)
                length = 8 if tenth == 0 else (5 if tenth == 5 else 3)
                self.pygame.draw.line(tile, GROUND_MARK, (x, 0), (x, length), 1)
            if len(self._tiles) > 32:  # a zooming shared camera asks for many scales
                self._tiles.clear()
            self._tiles[px_per_m] = tile
        return tile

    def _draw_bumps(self, surface: pygame.Surface, camera: Camera, bumps: Sequence[Bump]) -> None:
        """The bumps in view, as blocks of ground with a light top edge."""
        view_left, view_right = camera.visible_m()
        for near, far, height in bumps:  # in order along the ground
            if far < view_left:
                continue
            if near > view_right:
                break
            left, top = camera.to_px(near, height)
            right, bottom = camera.to_px(far, 0.0)
            block = (round(left), round(top), max(1, round(right - left)), round(bottom - top) + 1)
            self.pygame.draw.rect(surface, GROUND, block)
            self.pygame.draw.line(surface, BUMP_EDGE, (left, top), (right, top), 2)

    def _draw_marks(self, surface: pygame.Surface, camera: Camera, scene: Scene) -> None:
        """Ruler ticks every 10 cm and labels spaced so they never touch, from the start."""
        pg = self.pygame
        view_left, view_right = camera.visible_m()
        first = math.floor((view_left - scene.start_x_m) * 10)
        last = math.ceil((view_right - scene.start_x_m) * 10)
        ground_px = camera.ground_px
        label_y = max(
            ground_px + 9,
            camera.ground_px + round(0.17 * self._lane_h) - self._small.get_linesize(),
        )
        widest = self._small_text("-88.8 m", GROUND_MARK).get_width() + 12
        label_every = next(
            (k for k in (5, 10, 20, 50, 100) if k / 10 * camera.px_per_m >= widest), 200
        )
        tile = self._ruler_tile(camera.px_per_m)
        for metre in range(math.floor(first / 10), math.ceil(last / 10) + 1):
            x_px, _ = camera.to_px(scene.start_x_m + metre, 0.0)
            surface.blit(tile, (round(x_px), ground_px))
        for tenth in range(first - first % 5, last + 1, 5):
            x_px, _ = camera.to_px(scene.start_x_m + tenth / 10, 0.0)
            if tenth % label_every == 0:
                label = self._small_text(f"{tenth / 10:g} m", GROUND_MARK)
                left = x_px - label.get_width() / 2
                if left >= 0 and left + label.get_width() <= camera.width:  # whole, or not
                    surface.blit(label, (left, label_y))
        start_px, _ = camera.to_px(scene.start_x_m, 0.0)
        pg.draw.line(
            surface,
            START_LINE,
            (start_px, ground_px - 0.15 * camera.px_per_m),
            (start_px, ground_px),
            2,
        )
        if scene.finish_x_m is not None:
            finish_px, _ = camera.to_px(scene.start_x_m + scene.finish_x_m, 0.0)
            for k in range(8):
                color = TEXT if k % 2 == 0 else GROUND_MARK
                y0 = ground_px - (k + 1) * 0.075 * camera.px_per_m
                pg.draw.line(
                    surface, color, (finish_px, y0), (finish_px, y0 + 0.075 * camera.px_per_m), 4
                )

    def _draw_curve(
        self, surface: pygame.Surface, scene: Scene, rect: pygame.Rect, under_legend: bool
    ) -> int:
        """A small curve of recent returns, top-right of the lane; returns its left edge."""
        pg = self.pygame
        width = self.size[0]
        box_w = min(200, width // 4)
        y0 = rect.top + 8 + (self._legend_bottom if under_legend else 0)
        box_h = min(70, max(24, int(rect.bottom - 0.45 * self._lane_h - y0)))
        x0 = width - box_w - 8
        pg.draw.rect(surface, (250, 251, 253), (x0, y0, box_w, box_h))
        pg.draw.rect(surface, SKY_LINE, (x0, y0, box_w, box_h), 1)
        values = np.asarray(scene.curve[-box_w:], dtype=float)
        finite = values[np.isfinite(values)]
        if finite.size < 2:
            return x0
        lo, hi = float(finite.min()), float(finite.max())
        span = hi - lo if hi > lo else 1.0
        n = len(values)
        points = [
            (
                x0 + 2 + (box_w - 4) * i / (n - 1),
                y0 + box_h - 3 - (box_h - 6) * (float(v) - lo) / span,
            )
            for i, v in enumerate(values)
            if math.isfinite(v)
        ]
        pg.draw.lines(surface, scene.color, False, points, 2)
        surface.blit(self._small_text(f"return {hi:.3g}", TEXT), (x0 + 3, y0 + 2))
        low = self._small_text(f"{lo:.3g}", TEXT)
        surface.blit(low, (x0 + 3, y0 + box_h - low.get_height() - 1))
        return x0

    def frame(self) -> np.ndarray:
        """The surface as an HxWx3 uint8 array.

        The array is read-only: it wraps the bytes pygame returns without a further copy
        (a copy of a 600x400 frame costs about a third of a frame's budget). Copy it to
        draw on it.
        """
        width, height = self.size
        raw = self.pygame.image.tobytes(self.surface, "RGB")
        return np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)


def _body(scene: Scene) -> Geometry:
    """The Henry a scene shows (the shared camera and its marks are only aimed at Henrys)."""
    assert scene.geometry is not None, "a picture lane has no body to aim at"
    return scene.geometry


def ordinal(place: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st."""
    suffix = "th" if 10 <= place % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(place % 10, "th")
    return f"{place}{suffix}"


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


class EnvRenderer:
    """`render()` for a Henry environment: one lane, the env's HUD, rgb_array or a window."""

    def __init__(self, env: Any, mode: str, size: tuple[int, int] = DEFAULT_SIZE) -> None:
        self.env = env
        self.mode = mode
        self.renderer = Renderer(size)
        self.window: Window | None = None
        self._last_time_s = math.inf
        self._episodes = 0
        if mode == "human":
            self.window = Window(WINDOW_SIZE, "Henry")
            self.renderer.resize(WINDOW_SIZE)

    def scene(self) -> Scene:
        env = self.env
        hud: dict[str, Any] = {
            "time": f"{env.world.time_s:.1f} s",
            "distance": f"{env.distance_m:+.3f} m",
        }
        if env.world.time_s < self._last_time_s:  # time went back: a new episode
            self._episodes += 1
        self._last_time_s = env.world.time_s
        return Scene(
            geometry=env.world.geometry(),
            start_x_m=env.start_x_m,
            hud=hud,
            episode=self._episodes,
        )

    def render(self) -> np.ndarray | None:
        if self.window is not None and self.window.size != self.renderer.size:
            self.renderer.resize(self.window.size)
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
