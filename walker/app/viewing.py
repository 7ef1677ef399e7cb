"""What the windows add to plain drawing: learning panels, mouse pushes, time-lapse, ghosts.

These are small functions of the run's values, shared by the playback, race and training
windows: `qtable_view` turns a tabular agent's table into the heat map's rows (the states
Henry can be in, with at least one foot down), `speed_curve` the episodes' speeds into the
speed panel, `push_from_drag` a mouse drag on Henry into a horizontal impulse on his torso,
and `frame_stride` the frame rate and time-lapse factor into control steps per frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

import envs
from walker.draw.henry import LEFT_LEG, RIGHT_LEG
from walker.draw.panels import QTableView, SpeedCurve
from walker.draw.renderer import Renderer
from walker.draw.window import Drag

CONTROL_HZ = 60
PUSH_N_S_PER_M = 2.5
"""Impulse per metre of horizontal drag (1 N*s moves the 3 kg torso at 0.33 m/s)."""
MAX_PUSH_N_S = 3.0
TIMELAPSE_SPEEDS = (1.0, 2.0, 4.0, 8.0, 16.0)
"""What the time-lapse key cycles through."""

ACTION_LABELS = {
    envs.Action.LIFT_RIGHT: "lift R", envs.Action.LIFT_LEFT: "lift L",
    envs.Action.RIGHT_FORWARD: "R forward", envs.Action.RIGHT_BACKWARD: "R back",
    envs.Action.LEFT_FORWARD: "L forward", envs.Action.LEFT_BACKWARD: "L back",
    envs.Action.PUT_DOWN_RIGHT: "put down R", envs.Action.PUT_DOWN_LEFT: "put down L",
}


class ViewError(ValueError):
    """A viewing option is out of range."""


def frame_stride(fps: float, speed: float = 1.0) -> int:
    """Control steps (1/60 s each) between two frames at `fps`, time-lapsed `speed` times."""
    if not 1 <= fps <= CONTROL_HZ:
        raise ViewError(f"fps must be between 1 and {CONTROL_HZ}, got {fps}")
    if not (math.isfinite(speed) and 1 <= speed <= 64):
        raise ViewError(f"--speed must be between 1 and 64 (times real time), got {speed}")
    return max(1, round(CONTROL_HZ * speed / fps))


def next_timelapse(speed: float) -> float:
    """The time-lapse factor after `speed` in the key's cycle."""
    later = [s for s in TIMELAPSE_SPEEDS if s > speed]
    return later[0] if later else TIMELAPSE_SPEEDS[0]


def speed_curve(speeds_m_s: Sequence[float], reference_m_s: float | None) -> SpeedCurve:
    """The speed panel's data; the moving average spans about a tenth of the episodes."""
    window = min(50, max(5, len(speeds_m_s) // 10))
    return SpeedCurve(list(speeds_m_s), reference_m_s, window)


def qtable_view(agent: Any, base: Any, obs: Any, chosen: int | None) -> QTableView | None:
    """A tabular agent's whole table on the discrete Henry, rows = states with a foot down."""
    q = getattr(agent, "q", None)
    encoder = getattr(agent, "encoder", None)
    if q is None or encoder is None or not isinstance(base, envs.HenryDiscreteEnv):
        return None
    levels = base.extension_levels
    states = envs.legal_start_states(levels)
    rows = [encoder.index(state) for state in states]
    legal = np.array([envs.discrete_action_mask(state, levels) for state in states])
    current = None
    if obs is not None:
        index = encoder.index(np.asarray(obs))
        current = rows.index(index) if index in rows else None
    actions = list(envs.Action)
    colours = [RIGHT_LEG if "RIGHT" in a.name else LEFT_LEG for a in actions]
    return QTableView(np.asarray(q)[rows], legal, [ACTION_LABELS[a] for a in actions],
                      current, chosen, colours)


def push_from_drag(drag: Drag, renderer: Renderer) -> tuple[int, float] | None:
    """(lane, impulse in N*s) for a drag that starts on a Henry; None if it misses him."""
    lane = renderer.henry_at(drag.start)
    if lane is None:
        return None
    dx_m = (drag.end[0] - drag.start[0]) / renderer.px_per_m(lane)
    impulse = max(-MAX_PUSH_N_S, min(MAX_PUSH_N_S, dx_m * PUSH_N_S_PER_M))
    return (lane, impulse) if abs(impulse) >= 0.01 else None
