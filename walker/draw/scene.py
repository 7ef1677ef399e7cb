"""What a lane shows (`Scene`, `QRow`) and the frame sizes and lane colours that every
view shares; `walker.draw.renderer` paints scenes.

A lane shows Henry's body (`Scene.geometry`), or, for an env that is not Henry's, the
picture the env rendered itself (`Scene.picture`, an HxWx3 uint8 array), scaled into the
lane under the same HUD."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from walker.draw.footfalls import FootfallWindow
from walker.sim.world import Geometry

DEFAULT_SIZE = (600, 400)
WINDOW_SIZE = (960, 540)
MIN_LANE_PX = 150
LANE_COLORS = [
    (52, 120, 200),
    (230, 140, 30),
    (140, 80, 190),
    (205, 175, 40),
    (200, 70, 90),
    (110, 110, 110),
]


def race_size(lanes: int) -> tuple[int, int]:
    """A frame for `lanes` lanes side by side: 1280x720 up to four, taller beyond."""
    if lanes < 1:
        raise ValueError(f"lanes must be at least 1, got {lanes}")
    return (1280, max(720, 180 * lanes))


@dataclass
class QRow:
    """One action's line in the HUD's state-action table."""

    name: str
    value: float
    chosen: bool = False


@dataclass
class Scene:
    """What one lane shows."""

    geometry: Geometry | None
    """Henry's body (None in a lane that shows an env's own `picture` instead)."""
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
    episode: object = None
    """Which episode this is; footprints are cleared when it changes."""
    ghost: Geometry | None = None
    """A second Henry drawn translucent in the same lane, aligned on the start line."""
    ghost_start_x_m: float = 0.0
    ghost_label: str = ""
    ghost_color: tuple[int, int, int] = LANE_COLORS[1]
    place: int | None = None
    """The lane's place in a race (1 leads), drawn large at the lane's right."""
    footfalls: FootfallWindow | None = None
    """The last seconds of foot contacts, drawn as a scrolling strip under the ground
    (None: no strip)."""
    picture: np.ndarray | None = None
    """The env's own rgb_array frame (HxWx3 uint8), drawn instead of Henry: scaled to fit
    the lane, centred, under the HUD; ghosts, footprints and the ruler are not drawn."""
