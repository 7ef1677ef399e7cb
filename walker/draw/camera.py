"""Cameras: where a lane looks, in metres, and how many pixels a metre takes.

A `Camera` maps world metres to lane pixels with y flipped. In `follow` mode each lane's
camera glides after its own Henry, so he stays mid-lane. In `shared` mode (races) every lane
looks at the same stretch of track, measured from its own start line: `shared_view` picks
it from the distances the Henrys have covered so that every one of them is in view when
they fit (zooming out down to a floor if they spread), the leader is right of the middle
with room ahead of him, and so a lane further right is further ahead in every lane alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

CAMERA_MODES = ("shared", "follow")

HENRY_HALF_WIDTH_M = 0.45
"""Room kept around a Henry's hip so all of him (soles and torso) stays in view."""
LEADER_AT = 0.72
"""Where across the view the leader is drawn when everyone fits: right of the middle."""
MAX_ZOOM_OUT = 4.0
"""A shared view zooms out at most this many times before it stops keeping everyone in
view and follows the leader (the ones far behind get a marker at the lane's edge)."""


class Camera:
    """Maps metres to pixels with y flipped; in follow mode, follows one robot smoothly."""

    def __init__(self, px_per_m: float, width: int, ground_px: int, smoothing: float) -> None:
        self.px_per_m = px_per_m
        self.width = width
        self.ground_px = ground_px
        self.smoothing = smoothing
        self.center_x: float | None = None
        self.anchor_px = width / 2
        """Where on screen `center_x` is drawn: the middle, or right of a wide HUD."""

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
        return (
            self.anchor_px + (x - self.center_x) * self.px_per_m,
            self.ground_px - y * self.px_per_m,
        )

    def to_m(self, x_px: float, y_px: float) -> tuple[float, float]:
        assert self.center_x is not None
        return (
            self.center_x + (x_px - self.anchor_px) / self.px_per_m,
            (self.ground_px - y_px) / self.px_per_m,
        )

    def visible_m(self) -> tuple[float, float]:
        """The world x range the lane shows."""
        left, _ = self.to_m(0.0, 0.0)
        right, _ = self.to_m(float(self.width), 0.0)
        return left, right


class SharedView(NamedTuple):
    """What every lane of a shared camera shows: the stretch of track from `left_m` to
    `left_m + width_px / px_per_m`, in metres from each lane's start line."""

    left_m: float
    px_per_m: float


def shared_view(
    distances_m: Sequence[float], left_px: float, right_px: float, px_per_m: float
) -> SharedView:
    """The view of `distances_m` (how far each Henry is from his start line) drawn between
    `left_px` and `right_px` at up to `px_per_m`: everyone with `HENRY_HALF_WIDTH_M` around
    him if they fit (zooming out at most `MAX_ZOOM_OUT` times), the leader at `LEADER_AT`
    of the width when there is room, else as far right as keeps the last one in view; when
    they cannot all fit, the leader and those near him."""
    if not distances_m:
        raise ValueError("a shared view needs at least one distance")
    room_px = max(1.0, right_px - left_px)
    back = min(distances_m) - HENRY_HALF_WIDTH_M
    front = max(distances_m) + HENRY_HALF_WIDTH_M
    scale = max(px_per_m / MAX_ZOOM_OUT, min(px_per_m, room_px / (front - back)))
    span_m = room_px / scale
    leader = max(distances_m)
    # The leader at LEADER_AT of the room; then shifted as little as keeps all in view.
    start = leader - LEADER_AT * span_m
    start = min(start, back)  # the last one in view...
    start = max(start, front - span_m)  # ...but never at the cost of the leader
    return SharedView(start - left_px / scale, scale)


def zoom_step(px_per_m: float) -> float:
    """`px_per_m` rounded to a step of about 1%, so a slowly changing zoom reuses the
    ruler tiles drawn for it."""
    if px_per_m <= 0 or not math.isfinite(px_per_m):
        raise ValueError(f"px_per_m must be a positive number, got {px_per_m!r}")
    return float(math.exp(round(math.log(px_per_m) * 100) / 100))
