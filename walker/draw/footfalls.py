"""Footfall (Hildebrand) diagrams: one bar per foot over time, filled while it is planted.

A gait is easiest to read as when each foot is down: a walk shows two bars that take turns
and overlap a little, a run or a hop shows gaps where both are up (flight), a shuffle shows
many short bars. This module holds the data side, free of any drawing library:
`planted_intervals` turns a per-control-step contact sequence into (start, end) times, and
`ContactHistory` keeps the last few seconds of a running Henry's contacts for the window's
scrolling strip. `draw_footfall_strip` paints such a window with pygame; the matplotlib
diagram of `walker eval --plot` (in the app) reads the same intervals.

A contact sample is the state of a foot switch at the end of one control step, and stands
for that step: sample `i` of a sequence starting at `start_s` covers
`[start_s + i * dt_s, start_s + (i + 1) * dt_s]`, as in `envs.gait.GaitMeter`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from walker.draw.henry import LEFT_LEG, RIGHT_LEG, shade

if TYPE_CHECKING:
    import pygame

Color = tuple[int, int, int]
Text = Callable[[str, Color], "pygame.Surface"]
Interval = tuple[float, float]

STRIP_FILL: Color = (246, 243, 236)
STRIP_EDGE: Color = (90, 80, 70)
FLIGHT: Color = (245, 170, 60)
"""Where both feet are up: the flight phases of a run or a hop."""
SECOND_TICK: Color = (200, 192, 180)
STRIP_TEXT: Color = (60, 54, 48)

STRIP_SECONDS = 4.0
"""How much time the window's strip shows, the newest at its right edge."""


def planted_intervals(
    contacts: Sequence[bool] | np.ndarray, dt_s: float, start_s: float = 0.0
) -> list[Interval]:
    """The (start, end) times of each run of planted samples in `contacts`."""
    if not (math.isfinite(dt_s) and dt_s > 0):
        raise ValueError(f"dt_s must be a positive number, got {dt_s!r}")
    down = np.asarray(contacts, dtype=bool).ravel()
    if down.size == 0:
        return []
    edges = np.diff(np.concatenate([[0], down.astype(np.int8), [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return [
        (start_s + float(a) * dt_s, start_s + float(b) * dt_s)
        for a, b in zip(starts, ends, strict=True)
    ]


def flight_intervals(
    right: Sequence[bool] | np.ndarray,
    left: Sequence[bool] | np.ndarray,
    dt_s: float,
    start_s: float = 0.0,
) -> list[Interval]:
    """The (start, end) times when neither foot is planted."""
    right_down = np.asarray(right, dtype=bool).ravel()
    left_down = np.asarray(left, dtype=bool).ravel()
    if right_down.shape != left_down.shape:
        raise ValueError(
            f"the two feet need as many samples, got {right_down.size} and {left_down.size}"
        )
    return planted_intervals(~right_down & ~left_down, dt_s, start_s)


class FootfallWindow(NamedTuple):
    """The contacts of the last `span_s` seconds, for a strip (newest last)."""

    right: np.ndarray
    left: np.ndarray
    dt_s: float
    end_s: float
    """Simulated time at the end of the last sample."""
    span_s: float

    @property
    def start_s(self) -> float:
        """Simulated time at the start of the first sample."""
        return self.end_s - len(self.right) * self.dt_s

    def planted(self) -> tuple[list[Interval], list[Interval]]:
        """(right foot's, left foot's) planted intervals, in simulated seconds."""
        start = self.start_s
        return (
            planted_intervals(self.right, self.dt_s, start),
            planted_intervals(self.left, self.dt_s, start),
        )

    def flights(self) -> list[Interval]:
        return flight_intervals(self.right, self.left, self.dt_s, self.start_s)


class ContactHistory:
    """The last `span_s` seconds of one Henry's foot contacts, one sample per control step."""

    def __init__(self, dt_s: float, span_s: float = STRIP_SECONDS) -> None:
        if not (math.isfinite(dt_s) and dt_s > 0 and math.isfinite(span_s) and span_s > 0):
            raise ValueError(f"need positive dt_s and span_s, got {dt_s!r} and {span_s!r}")
        self.dt_s = float(dt_s)
        self.span_s = float(span_s)
        self.capacity = max(1, math.ceil(span_s / dt_s))
        self._right = np.zeros(self.capacity, dtype=bool)
        self._left = np.zeros(self.capacity, dtype=bool)
        self._count = 0
        self.end_s = 0.0

    def clear(self, time_s: float = 0.0) -> None:
        """Forget everything: a new episode starts at `time_s`."""
        self._count = 0
        self.end_s = float(time_s)

    def extend(self, contacts: Iterable[tuple[bool, bool]], end_s: float) -> None:
        """Add (right, left) samples of consecutive control steps ending at `end_s`."""
        samples = np.asarray(list(contacts), dtype=bool).reshape(-1, 2)
        n = len(samples)
        if n:
            keep = min(n, self.capacity)
            self._right = np.roll(self._right, -keep)
            self._left = np.roll(self._left, -keep)
            self._right[-keep:] = samples[-keep:, 0]
            self._left[-keep:] = samples[-keep:, 1]
            self._count = min(self.capacity, self._count + n)
        self.end_s = float(end_s)

    def window(self) -> FootfallWindow:
        """A snapshot of what is kept (a copy: later samples do not change it)."""
        n = self._count
        return FootfallWindow(
            self._right[self.capacity - n :].copy(),
            self._left[self.capacity - n :].copy(),
            self.dt_s,
            self.end_s,
            self.span_s,
        )


def draw_footfall_strip(
    surface: pygame.Surface, rect: pygame.Rect, window: FootfallWindow, text: Text
) -> None:
    """The last seconds of footfalls in `rect`, scrolling: now at the right edge, a row per
    foot (right on top) filled in the leg's colour while planted, flight in amber under both,
    a faint tick at every whole simulated second."""
    import pygame as pg

    pg.draw.rect(surface, STRIP_FILL, rect)
    label_w = text("R", STRIP_TEXT).get_width() + 8
    left_px, right_px = rect.x + label_w, rect.right - 3
    if right_px - left_px < 20 or rect.height < 8:
        return
    px_per_s = (right_px - left_px) / window.span_s
    end = window.end_s

    def x_of(t: float) -> float:
        return right_px - (end - t) * px_per_s

    gap = 1 if rect.height < 24 else 2
    row_h = (rect.height - 3 * gap) / 2
    rows = ((rect.y + gap, RIGHT_LEG, "R"), (rect.y + 2 * gap + row_h, LEFT_LEG, "L"))
    for start, stop in window.flights():
        x0, x1 = max(x_of(start), left_px), x_of(stop)
        if x1 > left_px:
            pg.draw.rect(surface, FLIGHT, (x0, rect.y + 1, max(1.0, x1 - x0), rect.height - 2))
    first_second = math.ceil(end - window.span_s)
    for second in range(first_second, math.floor(end) + 1):
        x = x_of(second)
        if x >= left_px:
            pg.draw.line(surface, SECOND_TICK, (x, rect.y), (x, rect.bottom - 1), 1)
    for (top, color, name), intervals in zip(rows, window.planted(), strict=True):
        pale = shade(color, STRIP_FILL, 0.8)
        pg.draw.rect(surface, pale, (left_px, top, right_px - left_px, row_h), 1)
        for start, stop in intervals:
            x0, x1 = max(x_of(start), left_px), x_of(stop)
            if x1 > left_px:
                pg.draw.rect(surface, color, (x0, top, max(1.0, x1 - x0), row_h))
        label = text(name, color)
        surface.blit(label, (rect.x + 4, top + (row_h - label.get_height()) / 2))
    pg.draw.rect(surface, STRIP_EDGE, rect, 1)
