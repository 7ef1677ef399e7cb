"""Panels of what a network agent thinks: its actions over the episode, its critic, its
per-action values now.

* `ActionTrace`: a continuous policy's action means per servo over the current episode,
  each with its +-1 standard deviation band (how sure the policy is);
* `ValueTrace`: the critic's estimate V(s_t) at each step of the episode against the
  discounted return actually received from that step up to now (complete once the
  discount has made later rewards negligible; the latest steps' are drawn faint);
* `ActionBars`: one bar per action for the current observation (DQN's Q-values, or a
  discrete policy's probabilities), illegal actions grey, the chosen one boxed.

The data come in as plain arrays, so this module knows nothing of agents; the app builds
them from the agent's own forward passes as the run goes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from walker.draw.henry import shade

if TYPE_CHECKING:
    import pygame

Color = tuple[int, int, int]
Text = Callable[[str, Color], "pygame.Surface"]

TEXT: Color = (30, 34, 40)
AXIS: Color = (90, 96, 106)
GRID: Color = (222, 227, 234)
VALUE: Color = (0, 120, 110)
RECEIVED: Color = (214, 110, 20)
ILLEGAL: Color = (205, 205, 210)
BAR: Color = (80, 140, 200)
HIGHLIGHT: Color = (230, 20, 20)
PANEL_FILL: Color = (250, 251, 253)
ZERO_LINE: Color = shade(GRID, AXIS, 0.3)

BAND_COLUMNS = 48
"""Points along a +-1 std band."""
MIN_STEPS_SHOWN = 300
"""The x axis spans at least this many steps, so a young episode does not fill it."""


@dataclass
class ActionTrace:
    """A continuous policy's outputs over the current episode, one row per step."""

    means: np.ndarray
    """(steps, servos) action means."""
    stds: np.ndarray
    """(steps, servos) standard deviations of the action distribution."""
    names: Sequence[str]
    colors: Sequence[Color]
    low: float = -1.0
    high: float = 1.0
    """The action space's bounds (drawn as faint lines; the env clips to them)."""


@dataclass
class ValueTrace:
    """The critic against what came: per step of the episode so far."""

    values: np.ndarray
    """V(s_t) as the critic estimated it at step t."""
    received: np.ndarray
    """The discounted return received from step t up to now."""
    settled: int
    """Steps whose received return is complete within the discount's horizon (the rest,
    the latest ones, still grow as rewards come)."""


@dataclass
class ActionBars:
    """Per-action values for the current observation."""

    title: str
    names: Sequence[str]
    values: np.ndarray
    legal: np.ndarray
    chosen: int | None = None
    fmt: str = "{:+.3f}"


def columns(steps: int, width: int) -> np.ndarray:
    """Which steps to draw when `steps` must fit in `width` pixels (all when they fit)."""
    if steps <= width:
        return np.arange(steps)
    picked: np.ndarray = np.linspace(0, steps - 1, width).astype(int)
    return picked


def points(xs: np.ndarray, ys: np.ndarray) -> list[list[float]]:
    """(x, y) pairs as plain floats: pygame takes them far faster than numpy scalars."""
    pairs: list[list[float]] = np.column_stack([xs, ys]).tolist()
    return pairs


def _title(pg: Any, surface: pygame.Surface, rect: pygame.Rect, title: str, text: Text) -> int:
    pg.draw.rect(surface, PANEL_FILL, rect)
    pg.draw.rect(surface, (200, 208, 218), rect, 1)
    label = text(title, TEXT)
    surface.blit(label, (rect.x + 8, rect.y + 5))
    return int(rect.y + 8 + label.get_height())


def draw_action_trace(
    surface: pygame.Surface, rect: pygame.Rect, trace: ActionTrace, text: Text
) -> None:
    """A row per servo: the mean over the episode (line) inside its +-1 std band."""
    import pygame as pg

    top = _title(pg, surface, rect, "policy: action mean +-1 std, this episode", text)
    servos = trace.means.shape[1] if trace.means.ndim == 2 else 0
    label_w = max((text(n, TEXT).get_width() for n in trace.names), default=0) + 10
    left, right, bottom = rect.x + label_w, rect.right - 6, rect.bottom - 4
    if servos == 0 or right - left < 10 or bottom - top < 4 * servos:
        return
    row_h = (bottom - top) / servos
    steps = len(trace.means)
    span = max(steps, MIN_STEPS_SHOWN) - 1 or 1
    picked = columns(steps, int(right - left) // 2)
    xs = left + (right - left) * picked / span
    lo, hi = trace.low - 0.5, trace.high + 0.5
    scale = (row_h - 4) / (hi - lo)
    # The band at most BAND_COLUMNS wide (a polygon costs by its vertices), each point the
    # widest spread within its stretch of steps, so the band holds the jittery mean line.
    bins = columns(len(picked), BAND_COLUMNS) if len(picked) >= 2 else np.zeros(0, int)
    for servo in range(servos):
        row_top = top + servo * row_h
        color = trace.colors[servo % len(trace.colors)] if trace.colors else TEXT

        def y_of(v: np.ndarray, row_top: float = row_top) -> np.ndarray:
            out: np.ndarray = row_top + 2 + scale * (hi - np.minimum(np.maximum(v, lo), hi))
            return out

        for bound, line_color in ((trace.low, GRID), (trace.high, GRID), (0.0, ZERO_LINE)):
            y = row_top + 2 + scale * (hi - bound)
            pg.draw.line(surface, line_color, (left, y), (right, y), 1)
        name = text(trace.names[servo], color)
        surface.blit(name, (rect.x + 4, row_top + (row_h - name.get_height()) / 2))
        if steps == 0:
            continue
        mean = trace.means[picked, servo]
        std = trace.stds[picked, servo]
        if len(picked) >= 2:
            high = np.maximum.reduceat(mean + std, bins)
            low = np.minimum.reduceat(mean - std, bins)
            band_x = np.concatenate([xs[bins], xs[-1:], xs[-1:], xs[bins][::-1]])
            band_y = y_of(np.concatenate([high, high[-1:], low[-1:], low[::-1]]))
            pg.draw.polygon(surface, shade(color, PANEL_FILL, 0.72), points(band_x, band_y))
            pg.draw.lines(surface, color, False, points(xs, y_of(mean)), 2)
        else:
            upper, lower = y_of(mean + std), y_of(mean - std)
            pg.draw.line(surface, color, (xs[0], upper[0]), (xs[0], lower[0]), 2)


def draw_value_trace(
    surface: pygame.Surface, rect: pygame.Rect, trace: ValueTrace, text: Text
) -> None:
    """V(s_t) and the discounted return received from t, over the episode so far."""
    import pygame as pg

    top = _title(pg, surface, rect, "critic: V(s) vs discounted return received", text)
    line_h = text("V", TEXT).get_height()
    left, right, bottom = rect.x + 46, rect.right - 8, rect.bottom - line_h - 6
    steps = len(trace.values)
    if right - left < 10 or bottom - top < 10:
        return
    if steps == 0:
        return
    both = np.concatenate([trace.values, trace.received])
    finite = both[np.isfinite(both)]
    lo = float(min(0.0, finite.min())) if finite.size else 0.0
    hi = float(max(lo + 1e-6, finite.max())) if finite.size else 1.0
    pad = 0.06 * (hi - lo)
    lo, hi = lo - pad, hi + pad

    def y_of(v: np.ndarray) -> np.ndarray:
        out: np.ndarray = bottom - (bottom - top) * (v - lo) / (hi - lo)
        return out

    zero = float(y_of(np.array(0.0)))
    pg.draw.line(surface, AXIS, (left, top), (left, bottom), 1)
    pg.draw.line(surface, AXIS, (left, zero), (right, zero), 1)
    for value in (lo + pad, hi - pad):
        label = text(f"{value:.3g}", AXIS)
        y = min(max(float(y_of(np.array(value))) - label.get_height() / 2, top), bottom - 6)
        surface.blit(label, (left - label.get_width() - 4, y))
    span = max(steps, MIN_STEPS_SHOWN) - 1 or 1
    picked = columns(steps, int(right - left) // 2)
    xs = left + (right - left) * picked / span
    settled = picked < trace.settled
    received_y = y_of(trace.received[picked])
    if len(picked) >= 2:
        received = points(xs, received_y)
        cut = int(settled.sum())
        if cut >= 2:
            pg.draw.lines(surface, RECEIVED, False, received[:cut], 2)
        if len(received) - max(cut - 1, 0) >= 2:
            faint = shade(RECEIVED, PANEL_FILL, 0.6)
            pg.draw.lines(surface, faint, False, received[max(cut - 1, 0) :], 2)
        pg.draw.lines(surface, VALUE, False, points(xs, y_of(trace.values[picked])), 2)
    legend_y = bottom + 3
    v = text(f"V(s) {trace.values[-1]:.3g}", VALUE)
    surface.blit(v, (left, legend_y))
    surface.blit(text("received (pale: partial)", RECEIVED), (left + v.get_width() + 10, legend_y))


def draw_action_bars(
    surface: pygame.Surface, rect: pygame.Rect, bars: ActionBars, text: Text
) -> None:
    """A horizontal bar per action for the current observation; the chosen one boxed."""
    import pygame as pg

    top = _title(pg, surface, rect, bars.title, text)
    names = list(bars.names)
    if not names:
        return
    label_w = max(text(n, TEXT).get_width() for n in names) + 10
    value_w = text(bars.fmt.format(-8.888), TEXT).get_width() + 8
    left, right, bottom = rect.x + label_w, rect.right - value_w, rect.bottom - 4
    if right - left < 20 or bottom - top < len(names) * 4:
        return
    row_h = (bottom - top) / len(names)
    values = np.asarray(bars.values, dtype=float)
    legal = np.asarray(bars.legal, dtype=bool)
    shown = values[legal & np.isfinite(values)]
    lo = float(min(0.0, shown.min())) if shown.size else 0.0
    hi = float(max(0.0, shown.max())) if shown.size else 1.0
    if hi - lo < 1e-9:
        hi = lo + 1.0

    def x_of(v: float) -> float:
        return float(left + (right - left) * (v - lo) / (hi - lo))

    zero = x_of(0.0)
    best = int(np.flatnonzero(legal)[np.argmax(values[legal])]) if legal.any() else None
    for a, name in enumerate(names):
        y = top + a * row_h
        bar_h = max(2.0, row_h * 0.7)
        y_bar = y + (row_h - bar_h) / 2
        label = text(name, TEXT if legal[a] else ILLEGAL)
        surface.blit(label, (rect.x + 4, y + (row_h - label.get_height()) / 2))
        if not legal[a] or not np.isfinite(values[a]):
            pg.draw.rect(surface, ILLEGAL, (left, y_bar, right - left, bar_h), 1)
            continue
        x = x_of(float(values[a]))
        color = shade(BAR, TEXT, 0.35) if a == best else BAR
        pg.draw.rect(surface, color, (min(x, zero), y_bar, max(1.0, abs(x - zero)), bar_h))
        if a == bars.chosen:
            pg.draw.rect(surface, HIGHLIGHT, (left - 2, y_bar - 2, right - left + 4, bar_h + 4), 2)
        number = text(bars.fmt.format(float(values[a])), TEXT)
        surface.blit(number, (right + 4, y + (row_h - number.get_height()) / 2))
    pg.draw.line(surface, AXIS, (zero, top), (zero, bottom), 1)
