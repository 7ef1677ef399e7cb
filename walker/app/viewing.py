"""What the windows add to plain drawing: learning panels, mouse pushes, time-lapse, ghosts.

These are small functions of the run's values, shared by the playback, race and training
windows: `qtable_view` turns a tabular agent's table into the heat map's rows (the states
Henry can be in, with at least one foot down), `speed_curve` the episodes' speeds into the
speed panel, `push_from_drag` a mouse drag on Henry into a horizontal impulse on his torso,
and `frame_stride` the frame rate and time-lapse factor into control steps per frame.

`Nudges` is the env side of a push: a wrapper with two attributes a vector env can set from
outside (`set_attr`, so it works for envs in worker processes too), which the next step
carries out: a pending impulse is applied to the torso as the step begins, and a stand-up
request ends the episode (truncated, as an interruption from outside is) so that the reset
puts Henry back on both feet.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import gymnasium as gym
import numpy as np

import envs
from walker.draw.henry import LEFT_LEG, RIGHT_LEG
from walker.draw.panels import QTableView, SpeedCurve
from walker.draw.renderer import Renderer
from walker.draw.window import Drag

CONTROL_HZ = 60
PUSH_N_S_PER_M = 6.0
"""Impulse per metre of horizontal drag. On the default Henry standing on both feet, 2 N*s
sets the torso moving at 0.3 m/s and he holds, 4 N*s at 0.7 m/s and he still recovers, 6 N*s
throws him over."""
MAX_PUSH_N_S = 8.0
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


class Push(NamedTuple):
    """A push carried out, as the step's `info["push"]` reports it."""

    impulse_n_s: float
    vx_before_m_s: float
    """The torso's horizontal velocity just before the impulse..."""
    vx_after_m_s: float
    """...and just after it."""

    def describe(self) -> str:
        return (f"push {self.impulse_n_s:+.2f} N*s: torso vx {self.vx_before_m_s:+.2f} -> "
                f"{self.vx_after_m_s:+.2f} m/s")


class Nudges(gym.Wrapper[Any, Any, Any, Any]):
    """Pushes and stand-ups asked for from outside the env (see the module docstring)."""

    def __init__(self, env: gym.Env[Any, Any]) -> None:
        super().__init__(env)
        base = env.unwrapped
        if not isinstance(base, envs.HenryEnv):
            raise ViewError("only Henry's envs can be pushed")
        self.base = base
        self.pending_push_n_s = 0.0
        """Impulse (N*s, + forward) to give the torso when the next step begins."""
        self.stand_up_requested = False
        """End the episode after the next step and start the next one standing."""

    def step(self, action: Any) -> tuple[Any, Any, bool, bool, dict[str, Any]]:
        push: Push | None = None
        if self.pending_push_n_s:
            before = self.base.world.read_state().torso_vx_m_s
            self.base.push(self.pending_push_n_s)
            push = Push(self.pending_push_n_s, before, self.base.world.read_state().torso_vx_m_s)
            self.pending_push_n_s = 0.0
        obs, reward, terminated, truncated, info = self.env.step(action)
        if push is not None:
            info = {**info, "push": push}
        return obs, reward, terminated, truncated or self.stand_up_requested, info

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        if self.stand_up_requested:
            self.stand_up_requested = False
            options = {**(options or {}), "pose": "standing"}
        return self.env.reset(seed=seed, options=options)


def nudge(vector_env: Any, env_index: int, *, push_n_s: float = 0.0,
          stand_up: bool = False) -> None:
    """Ask env `env_index` of `vector_env` (wrapped in `Nudges`) for a push or a stand-up."""
    count = int(vector_env.num_envs)
    if push_n_s:
        vector_env.set_attr("pending_push_n_s",
                            [push_n_s if i == env_index else 0.0 for i in range(count)])
    if stand_up:
        vector_env.set_attr("stand_up_requested", [i == env_index for i in range(count)])


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
