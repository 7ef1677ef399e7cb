"""Live learning panels: per-episode speed against the hard-coded gait, and a Q-table heat map.

A training window shows these under Henry's lane and updates them as episodes end and as the
table learns; a network agent's panels (its actions, critic and per-action values) are drawn
by `walker.draw.mind` and laid out here with the others. The data come in as plain values
(`SpeedCurve`, `QTableView`, ...), so this module knows nothing of agents or envs; the app
builds them from the run.

The heat map puts states along x and actions along y (a discrete Henry has 75 reachable
states and 8 actions, which fit a panel this way round): each cell is a Q-value on a
blue-to-yellow scale, illegal actions are grey, the current state's column is outlined and
the chosen action's cell is boxed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from walker.draw.mind import (
    ActionBars,
    ActionTrace,
    ValueTrace,
    draw_action_bars,
    draw_action_trace,
    draw_value_trace,
)

if TYPE_CHECKING:
    import pygame

Color = tuple[int, int, int]
Text = Callable[[str, Color], "pygame.Surface"]

PANEL_FILL: Color = (250, 251, 253)
PANEL_EDGE: Color = (200, 208, 218)
AXIS: Color = (90, 96, 106)
TEXT: Color = (30, 34, 40)
EPISODE_DOT: Color = (150, 180, 214)
AVERAGE: Color = (31, 95, 168)
REFERENCE: Color = (192, 57, 43)
ILLEGAL: Color = (205, 205, 210)
HIGHLIGHT: Color = (230, 20, 20)
CURRENT: Color = (20, 20, 20)

# A perceptually even blue-green-yellow scale (viridis, sampled at nine points).
_SCALE = np.array(
    [
        (68, 1, 84),
        (71, 45, 123),
        (59, 82, 139),
        (44, 114, 142),
        (33, 145, 140),
        (40, 174, 128),
        (94, 201, 98),
        (173, 220, 48),
        (253, 231, 37),
    ],
    dtype=float,
)
_LUT = np.stack(
    [np.interp(np.linspace(0, 8, 256), np.arange(9), _SCALE[:, c]) for c in range(3)], axis=1
).astype(np.uint8)


@dataclass
class SpeedCurve:
    """Training episodes' speeds, with the hard-coded gait's speed to compare."""

    speeds_m_s: Sequence[float]
    reference_m_s: float | None = None
    """The hard-coded gait's speed, drawn as a dashed line (None: no line)."""
    window: int = 10
    """Episodes in the moving average."""


@dataclass
class QTableView:
    """A tabular agent's whole table, and where it is now."""

    q: np.ndarray
    """Q-values, states by actions."""
    legal: np.ndarray
    """Same shape: which actions are legal in each state."""
    action_names: Sequence[str]
    state: int | None = None
    """Row of `q` for the current state (None: not among the rows shown)."""
    action: int | None = None
    """Column of the action just chosen."""
    action_colors: Sequence[Color] = ()
    """Colours for the action labels (for example the leg each action moves)."""


@dataclass
class Panels:
    """What the panel strip under the lanes shows; any part may be absent. The present
    ones are laid side by side in this order."""

    speed: SpeedCurve | None = None
    qtable: QTableView | None = None
    actions: ActionTrace | None = None
    """A continuous policy's action means and spread over the episode (PPO)."""
    value: ValueTrace | None = None
    """The critic's estimates against the return received (PPO)."""
    bars: ActionBars | None = None
    """Per-action values now (DQN's Q-values, a discrete PPO's probabilities)."""


def moving_average(values: Sequence[float], window: int) -> np.ndarray:
    """Trailing mean over `window` values (fewer at the start)."""
    data = np.asarray(values, dtype=float)
    if data.size == 0 or window <= 1:
        return data
    cumulative = np.concatenate([[0.0], np.cumsum(data)])
    ends = np.arange(1, data.size + 1)
    starts = np.maximum(0, ends - window)
    average: np.ndarray = (cumulative[ends] - cumulative[starts]) / (ends - starts)
    return average


def _frame(pg: Any, surface: pygame.Surface, rect: pygame.Rect, title: str, text: Text) -> int:
    """Panel background and title; returns the y where the content starts."""
    pg.draw.rect(surface, PANEL_FILL, rect)
    pg.draw.rect(surface, PANEL_EDGE, rect, 1)
    label = text(title, TEXT)
    surface.blit(label, (rect.x + 8, rect.y + 5))
    return int(rect.y + 8 + label.get_height())


def draw_speed(surface: pygame.Surface, rect: pygame.Rect, curve: SpeedCurve, text: Text) -> None:
    """Per-episode speed (dots), its moving average (line) and the hard-coded gait (dashes)."""
    import pygame as pg

    top = _frame(pg, surface, rect, "speed per training episode (m/s)", text)
    speeds = np.asarray(curve.speeds_m_s, dtype=float)
    speeds = speeds[np.isfinite(speeds)]
    left, right = rect.x + 48, rect.right - 10
    bottom = rect.bottom - 22
    if right - left < 20 or bottom - top < 20:
        return
    values = list(speeds) + ([curve.reference_m_s] if curve.reference_m_s is not None else [])
    lo = min([0.0, *values])
    hi = max([0.01, *values])
    pad = (hi - lo) * 0.08
    lo, hi = lo - (pad if lo < 0 else 0.0), hi + pad

    def y_of(v: float) -> float:
        return float(bottom - (bottom - top) * (v - lo) / (hi - lo))

    pg.draw.line(surface, AXIS, (left, top), (left, bottom), 1)
    pg.draw.line(surface, AXIS, (left, y_of(0.0)), (right, y_of(0.0)), 1)
    for value in (lo, hi):
        label = text(f"{value:.3f}", AXIS)
        surface.blit(
            label,
            (
                left - label.get_width() - 4,
                min(max(y_of(value) - label.get_height() / 2, top), bottom - 8),
            ),
        )
    n = len(speeds)
    episodes = text(f"{n} episode{'s' if n != 1 else ''}", AXIS)
    surface.blit(episodes, (right - episodes.get_width(), bottom + 4))
    if curve.reference_m_s is not None:
        y = y_of(curve.reference_m_s)
        x = float(left)
        while x < right:
            pg.draw.line(surface, REFERENCE, (x, y), (min(x + 8, right), y), 2)
            x += 14
        label = text(f"hard-coded gait {curve.reference_m_s:.3f}", REFERENCE)
        above = y - label.get_height() - 2
        spot = (left + 6, above if above > top else y + 3)
        # On a backing of the panel's colour, so the curves never run through the words.
        pg.draw.rect(surface, PANEL_FILL, (*spot, label.get_width(), label.get_height()))
        surface.blit(label, spot)
    if n == 0:
        return
    span = max(n - 1, 1)

    def x_of(i: int) -> float:
        return left + 4 + (right - left - 8) * i / span

    radius = 2 if n < 200 else 1
    for i, v in enumerate(speeds):
        pg.draw.circle(surface, EPISODE_DOT, (x_of(i), y_of(float(v))), radius)
    if n >= 2:
        average = moving_average(speeds, curve.window)
        pg.draw.lines(
            surface, AVERAGE, False, [(x_of(i), y_of(float(v))) for i, v in enumerate(average)], 2
        )
        label = text(f"mean of {curve.window}: {average[-1]:.3f}", AVERAGE)
        surface.blit(label, (left + 6, bottom + 4))


def heat_colors(q: np.ndarray, legal: np.ndarray) -> np.ndarray:
    """RGB per cell (states x actions x 3): legal cells on the scale, illegal ones grey."""
    values = np.where(legal, q, np.nan)
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    span = hi - lo if hi > lo else 1.0
    index = np.clip(np.nan_to_num((values - lo) / span * 255, nan=0.0), 0, 255).astype(int)
    colors: np.ndarray = _LUT[index]
    colors[~legal] = ILLEGAL
    return colors


def draw_qtable(surface: pygame.Surface, rect: pygame.Rect, view: QTableView, text: Text) -> None:
    """The whole Q-table as a heat map, states along x, actions along y."""
    import pygame as pg

    top = _frame(pg, surface, rect, "Q-table: states (x) by actions (y)", text)
    names = list(view.action_names)
    label_w = max((text(name, TEXT).get_width() for name in names), default=0) + 12
    left, right = rect.x + label_w, rect.right - 8
    bottom = rect.bottom - 20
    states, actions = view.q.shape
    if states == 0 or actions == 0 or right - left < states or bottom - top < actions:
        return
    cell_w = (right - left) / states
    cell_h = (bottom - top) / actions
    colors = heat_colors(view.q, view.legal)  # states x actions x 3
    image = pg.surfarray.make_surface(np.ascontiguousarray(colors))  # x = state, y = action
    scaled = pg.transform.scale(image, (round(cell_w * states), round(cell_h * actions)))
    surface.blit(scaled, (left, top))
    colours = list(view.action_colors) or [TEXT] * len(names)
    for a, name in enumerate(names):
        label = text(name, colours[a] if a < len(colours) else TEXT)
        surface.blit(
            label, (left - label.get_width() - 6, top + cell_h * (a + 0.5) - label.get_height() / 2)
        )
    if view.state is not None and 0 <= view.state < states:
        x = left + cell_w * view.state
        pg.draw.rect(
            surface,
            CURRENT,
            (x - 1, top - 1, math.ceil(cell_w) + 2, round(cell_h * actions) + 2),
            2,
        )
        if view.action is not None and 0 <= view.action < actions:
            pg.draw.rect(
                surface,
                HIGHLIGHT,
                (
                    x - 3,
                    top + cell_h * view.action - 3,
                    math.ceil(cell_w) + 6,
                    math.ceil(cell_h) + 6,
                ),
                3,
            )
    finite = view.q[view.legal] if view.legal.any() else np.zeros(1)
    scale = text(
        f"low {float(finite.min()):+.3f}   high {float(finite.max()):+.3f}   grey: illegal", AXIS
    )
    surface.blit(scale, (left, bottom + 4))


def draw_panels(surface: pygame.Surface, rect: pygame.Rect, panels: Panels, text: Text) -> None:
    """Lay the present panels side by side in `rect`."""
    import pygame as pg

    parts: list[tuple[Callable[..., None], Any]] = []
    if panels.speed is not None:
        parts.append((draw_speed, panels.speed))
    if panels.qtable is not None:
        parts.append((draw_qtable, panels.qtable))
    if panels.actions is not None:
        parts.append((draw_action_trace, panels.actions))
    if panels.bars is not None:
        parts.append((draw_action_bars, panels.bars))
    if panels.value is not None:
        parts.append((draw_value_trace, panels.value))
    if not parts:
        return
    width = rect.width / len(parts)
    for i, (draw, data) in enumerate(parts):
        box = pg.Rect(round(rect.x + i * width) + 4, rect.y + 4, round(width) - 8, rect.height - 8)
        surface.set_clip(box)
        draw(surface, box, data, text)
    surface.set_clip(None)
