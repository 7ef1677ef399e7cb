"""Henry as a character on screen: two legs in two colours, telescoping legs, joints, a face.

The right leg is drawn in magenta, the left in cyan, everywhere Henry appears (window,
videos, pictures), so the article's state ("right foot extension, left foot on ground") can
be followed by eye. Each leg is an outer sleeve fixed at the hip and an inner rod sliding out
of it to the ankle, so the extension stroke shows as a part that gets longer and shorter.
Soles stay green while planted and grey while lifted, with a band of the leg's colour on top.
`Footprints` remembers where each foot was last planted, so stride shows at a glance.

Everything here draws through a `to_px` function (metres to pixels, y flipped), so the same
code draws a lane's Henry and a translucent ghost on a layer of its own.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from walker.sim.spec import HenrySpec
from walker.sim.world import Geometry, LegGeometry

if TYPE_CHECKING:
    import pygame

Color = tuple[int, int, int]
ToPx = Callable[[float, float], tuple[float, float]]

RIGHT_LEG: Color = (200, 30, 140)
LEFT_LEG: Color = (0, 165, 225)
SOLE_DOWN: Color = (46, 160, 67)
SOLE_UP: Color = (160, 160, 170)
OUTLINE: Color = (30, 34, 40)
JOINT_FILL: Color = (250, 250, 250)
EYE_WHITE: Color = (255, 255, 255)
GROUND: Color = (120, 104, 88)

SLEEVE_LENGTH_M = HenrySpec().leg_min_length_m * 0.8
"""The outer tube: shorter than the shortest leg, so the inner rod always shows."""
SLEEVE_WIDTH_M = 0.05
ROD_WIDTH_M = 0.022
FOOTPRINTS_KEPT = 4


def shade(color: Color, toward: Color, amount: float) -> Color:
    """`color` moved `amount` (0..1) of the way to `toward`."""
    r, g, b = (round(c + (t - c) * amount) for c, t in zip(color, toward, strict=True))
    return (r, g, b)


def _bar(
    start: tuple[float, float], end: tuple[float, float], width_m: float
) -> list[tuple[float, float]]:
    """Corners of a rectangle of `width_m` from `start` to `end` (world metres)."""
    dx, dy = end[0] - start[0], end[1] - start[1]
    length = math.hypot(dx, dy) or 1e-9
    nx, ny = -dy / length * width_m / 2, dx / length * width_m / 2
    return [
        (start[0] + nx, start[1] + ny),
        (end[0] + nx, end[1] + ny),
        (end[0] - nx, end[1] - ny),
        (start[0] - nx, start[1] - ny),
    ]


def _draw_leg(
    pg: Any,
    surface: pygame.Surface,
    to_px: ToPx,
    hip: tuple[float, float],
    leg: LegGeometry,
    color: Color,
    px_per_m: float,
) -> None:
    ankle = leg.ankle
    dx, dy = ankle[0] - hip[0], ankle[1] - hip[1]
    length = math.hypot(dx, dy) or 1e-9
    sleeve = min(SLEEVE_LENGTH_M, length)
    collar = (hip[0] + dx / length * sleeve, hip[1] + dy / length * sleeve)
    rod_color = shade(color, OUTLINE, 0.35)
    pg.draw.polygon(surface, rod_color, [to_px(*p) for p in _bar(collar, ankle, ROD_WIDTH_M)])
    sleeve_px = [to_px(*p) for p in _bar(hip, collar, SLEEVE_WIDTH_M)]
    pg.draw.polygon(surface, color, sleeve_px)
    pg.draw.polygon(surface, OUTLINE, sleeve_px, 1)
    sole = [to_px(*p) for p in leg.sole]
    pg.draw.polygon(surface, SOLE_DOWN if leg.contact else SOLE_UP, sole)
    # The top third of the sole in the leg's colour: which foot is which, even when planted.
    top = [leg.sole[1], leg.sole[2]]
    bottom = [leg.sole[0], leg.sole[3]]
    band = [top[0], top[1], _mix(top[1], bottom[1], 0.4), _mix(top[0], bottom[0], 0.4)]
    pg.draw.polygon(surface, color, [to_px(*p) for p in band])
    pg.draw.polygon(surface, OUTLINE, sole, 1)
    joint = max(2, round(px_per_m * 0.014))
    for centre in (collar, ankle):
        pg.draw.circle(surface, JOINT_FILL, to_px(*centre), joint)
        pg.draw.circle(surface, OUTLINE, to_px(*centre), joint, 1)


def _mix(a: tuple[float, float], b: tuple[float, float], t: float) -> tuple[float, float]:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def _draw_torso(
    pg: Any, surface: pygame.Surface, to_px: ToPx, geometry: Geometry, color: Color, px_per_m: float
) -> None:
    corners = geometry.torso
    points = [to_px(*p) for p in corners]
    pg.draw.polygon(surface, color, points)
    pg.draw.polygon(surface, OUTLINE, points, 2)
    cx = sum(p[0] for p in corners) / len(corners)
    cy = sum(p[1] for p in corners) / len(corners)
    # The hip sits under the torso's centre, so centre minus hip points up in his frame.
    ux, uy = cx - geometry.hip[0], cy - geometry.hip[1]
    norm = math.hypot(ux, uy) or 1e-9
    ux, uy = ux / norm, uy / norm
    fx, fy = uy, -ux  # forward: up turned a quarter clockwise

    def local(forward_m: float, up_m: float) -> tuple[float, float]:
        return to_px(cx + fx * forward_m + ux * up_m, cy + fy * forward_m + uy * up_m)

    eye_r = max(3, round(px_per_m * 0.022))
    pg.draw.circle(surface, EYE_WHITE, local(0.085, 0.018), eye_r)
    pg.draw.circle(surface, OUTLINE, local(0.085, 0.018), eye_r, 1)
    pg.draw.circle(surface, OUTLINE, local(0.094, 0.016), max(1, eye_r // 2))
    smile = [local(0.055 + 0.014 * k, -0.028 - 0.012 * math.sin(math.pi * k / 4)) for k in range(5)]
    pg.draw.lines(surface, OUTLINE, False, smile, max(1, round(px_per_m * 0.006)))


def draw_henry(
    surface: pygame.Surface, to_px: ToPx, geometry: Geometry, color: Color, px_per_m: float
) -> None:
    """Draw Henry: the far (left) leg, the torso with its face, the near (right) leg, hip."""
    import pygame as pg

    _draw_leg(pg, surface, to_px, geometry.hip, geometry.left, LEFT_LEG, px_per_m)
    _draw_torso(pg, surface, to_px, geometry, color, px_per_m)
    _draw_leg(pg, surface, to_px, geometry.hip, geometry.right, RIGHT_LEG, px_per_m)
    hip_r = max(3, round(px_per_m * 0.02))
    pg.draw.circle(surface, JOINT_FILL, to_px(*geometry.hip), hip_r)
    pg.draw.circle(surface, OUTLINE, to_px(*geometry.hip), hip_r, 2)


class Footprints:
    """Where each foot was planted, newest last, for one lane; cleared when Henry restarts."""

    def __init__(self) -> None:
        self.prints: dict[str, deque[float]] = {
            "right": deque(maxlen=FOOTPRINTS_KEPT),
            "left": deque(maxlen=FOOTPRINTS_KEPT),
        }
        self._down = {"right": False, "left": False}
        self._episode: object = None

    def update(self, geometry: Geometry, episode: object) -> None:
        if episode != self._episode:
            self._episode = episode
            for prints in self.prints.values():
                prints.clear()
            self._down = {"right": False, "left": False}
        for name, leg in (("right", geometry.right), ("left", geometry.left)):
            x = leg.ankle[0]
            prints = self.prints[name]
            if leg.contact and not self._down[name]:
                prints.append(x)
            elif leg.contact and prints:
                prints[-1] = x  # a planted foot that slides drags its print along
            self._down[name] = leg.contact

    def draw(self, surface: pygame.Surface, to_px: ToPx, px_per_m: float) -> None:
        """Chevrons on the ground under each planted ankle, older ones fainter."""
        import pygame as pg

        size = max(3.0, px_per_m * 0.02)
        for name in ("left", "right"):
            prints = self.prints[name]
            for age, x in enumerate(reversed(prints)):
                x_px, y_px = to_px(x, 0.0)
                points = [(x_px - size, y_px + 2), (x_px + size, y_px + 2), (x_px, y_px + 2 + size)]
                pg.draw.polygon(surface, _PRINT_TINTS[name][age], points)


_PRINT_TINTS = {
    name: [shade(color, GROUND, min(0.8, 0.25 * age)) for age in range(FOOTPRINTS_KEPT)]
    for name, color in (("right", RIGHT_LEG), ("left", LEFT_LEG))
}
"""Footprint colours by age: the newest in the leg's colour, older ones fading into the ground."""


def legend_items() -> Sequence[tuple[str, Color]]:
    """What the leg colours mean, for a legend."""
    return (("right leg", RIGHT_LEG), ("left leg", LEFT_LEG))


def legend_surface(
    text: Callable[[str, Color], pygame.Surface], line_h: int, ghost: tuple[str, Color] | None
) -> pygame.Surface:
    """A small boxed legend: a swatch per leg colour, and the ghost's if there is one."""
    import pygame as pg

    rows = [(f"{name}", color, False) for name, color in legend_items()]
    if ghost is not None:
        rows.append((f"ghost: {ghost[0]}", ghost[1], True))
    width = max(text(name, OUTLINE).get_width() for name, _, _ in rows) + 38
    legend = pg.Surface((width, len(rows) * line_h + 8))
    legend.fill((250, 251, 253))
    pg.draw.rect(legend, (210, 220, 230), legend.get_rect(), 1)
    for row, (name, color, outlined) in enumerate(rows):
        y = 4 + row * line_h
        if outlined:
            pg.draw.rect(legend, color, (6, y + 2, 20, line_h - 4), 2)
        else:
            pg.draw.line(legend, color, (6, y + line_h / 2), (26, y + line_h / 2), 6)
        legend.blit(text(name, OUTLINE), (30, y))
    return legend
