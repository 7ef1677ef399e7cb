"""What the windows add to plain drawing: learning panels, mouse pushes, ghosts.

These are small functions of the run's values, shared by the playback, race and training
windows: `qtable_view` turns a tabular agent's table into the heat map's rows (the states
Henry can be in, with at least one foot down), `speed_curve` the episodes' speeds into the
speed panel, and `push_from_drag` a mouse drag on Henry into a horizontal impulse on his
torso.

`Nudges` is the env side of a push: a wrapper that reads an inbox (a queue the window writes
to; a multiprocessing queue reaches envs in worker processes too) at the start of each step:
a push is applied to the torso as the step begins, and a stand-up request ends the episode
after the step (truncated, as an interruption from outside is) so that the reset puts Henry
back on both feet. Each push carried out is reported in the step's `info["push"]`.
"""

from __future__ import annotations

import queue
from collections.abc import Sequence
from typing import Any, NamedTuple

import gymnasium as gym
import numpy as np

import envs
from walker.draw.henry import LEFT_LEG, RIGHT_LEG
from walker.draw.panels import QTableView, SpeedCurve
from walker.draw.renderer import Renderer
from walker.draw.window import Drag, Window
from walker.errors import InputError

PUSH_N_S_PER_M = 6.0
"""Impulse per metre of horizontal drag. On the default Henry standing on both feet, 2 N*s
sets the torso moving at 0.3 m/s and he holds, 4 N*s at 0.7 m/s and he still recovers, 6 N*s
throws him over."""
MAX_PUSH_N_S = 8.0

ACTION_LABELS = {
    envs.Action.LIFT_RIGHT: "lift R",
    envs.Action.LIFT_LEFT: "lift L",
    envs.Action.RIGHT_FORWARD: "R forward",
    envs.Action.RIGHT_BACKWARD: "R back",
    envs.Action.LEFT_FORWARD: "L forward",
    envs.Action.LEFT_BACKWARD: "L back",
    envs.Action.PUT_DOWN_RIGHT: "put down R",
    envs.Action.PUT_DOWN_LEFT: "put down L",
}


class ViewError(InputError):
    """A viewing option is out of range."""


class Push(NamedTuple):
    """A push carried out, as the step's `info["push"]` reports it."""

    impulse_n_s: float
    vx_before_m_s: float
    """The torso's horizontal velocity just before the impulse..."""
    vx_after_m_s: float
    """...and just after it."""

    def describe(self) -> str:
        return (
            f"push {self.impulse_n_s:+.2f} N*s: torso vx {self.vx_before_m_s:+.2f} -> "
            f"{self.vx_after_m_s:+.2f} m/s"
        )


PUSH = "push"
STAND_UP = "stand up"


class Nudges(gym.Wrapper[Any, Any, Any, Any]):
    """Pushes and stand-ups a window asks for (see the module docstring). `inbox` holds
    `(PUSH, impulse_n_s)` and `(STAND_UP, None)` messages."""

    def __init__(self, env: gym.Env[Any, Any], inbox: Any) -> None:
        super().__init__(env)
        base = env.unwrapped
        if not isinstance(base, envs.HenryEnv):
            raise ViewError("only Henry's envs can be pushed")
        self.base = base
        self.inbox = inbox
        self.standing_up = False

    def _read_inbox(self) -> float:
        """Take every waiting message; return the total impulse asked for."""
        impulse = 0.0
        while True:
            try:
                kind, value = self.inbox.get_nowait()
            except queue.Empty:
                return impulse
            if kind == PUSH:
                impulse += float(value)
            elif kind == STAND_UP:
                self.standing_up = True

    def step(self, action: Any) -> tuple[Any, Any, bool, bool, dict[str, Any]]:
        impulse = self._read_inbox()
        push: Push | None = None
        if impulse:
            before = self.base.world.read_state().torso_vx_m_s
            self.base.push(impulse)
            push = Push(impulse, before, self.base.world.read_state().torso_vx_m_s)
        obs, reward, terminated, truncated, info = self.env.step(action)
        if push is not None:
            info = {**info, "push": push}
        return obs, reward, terminated, truncated or self.standing_up, info

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        if self.standing_up:
            self.standing_up = False
            options = {**(options or {}), "pose": "standing"}
        return self.env.reset(seed=seed, options=options)


def pushes_of(infos: dict[str, Any]) -> list[Push]:
    """The pushes a vector env's step infos report (env 0's, and any that ended)."""
    found = infos.get("push")
    if found is None:
        return []
    mask = infos.get("_push", [True] * len(found))
    return [
        push
        for push, present in zip(found, mask, strict=True)
        if present and isinstance(push, Push)
    ]


def speed_curve(speeds_m_s: Sequence[float], reference_m_s: float | None) -> SpeedCurve:
    """The speed panel's data; the moving average spans about a tenth of the episodes."""
    window = min(50, max(5, len(speeds_m_s) // 10))
    return SpeedCurve(list(speeds_m_s), reference_m_s, window)


def extension_levels(env: gym.Env[Any, Any]) -> int | None:
    """The discrete Henry's extension levels (None for other envs: no heat map there)."""
    base = env.unwrapped
    return base.extension_levels if isinstance(base, envs.HenryDiscreteEnv) else None


def qtable_view(agent: Any, levels: int | None, obs: Any, chosen: int | None) -> QTableView | None:
    """A tabular agent's whole table on the discrete Henry with `levels` extension levels,
    one row per state with a foot down (None for agents without a table, or other envs)."""
    q = getattr(agent, "q", None)
    encoder = getattr(agent, "encoder", None)
    if q is None or encoder is None or levels is None:
        return None
    states = envs.legal_start_states(levels)
    rows = [encoder.index(state) for state in states]
    legal = np.array([envs.discrete_action_mask(state, levels) for state in states])
    current = None
    if obs is not None:
        index = encoder.index(np.asarray(obs))
        current = rows.index(index) if index in rows else None
    actions = list(envs.Action)
    colours = [RIGHT_LEG if "RIGHT" in a.name else LEFT_LEG for a in actions]
    return QTableView(
        np.asarray(q)[rows], legal, [ACTION_LABELS[a] for a in actions], current, chosen, colours
    )


def push_from_drag(drag: Drag, renderer: Renderer) -> tuple[int, float] | None:
    """(lane, impulse in N*s) for a drag that starts on a Henry; None if it misses him."""
    lane = renderer.henry_at(drag.start)
    if lane is None:
        return None
    dx_m = (drag.end[0] - drag.start[0]) / renderer.px_per_m(lane)
    impulse = max(-MAX_PUSH_N_S, min(MAX_PUSH_N_S, dx_m * PUSH_N_S_PER_M))
    return (lane, impulse) if abs(impulse) >= 0.01 else None


def fit(renderer: Renderer, window: Window | None) -> None:
    """Draw at the window's size from now on, if the user resized it."""
    if window is not None and window.size != renderer.size:
        renderer.resize(window.size)


def drag_pushes(window: Window | None, renderer: Renderer) -> list[tuple[int, float]]:
    """(lane, impulse) for each drag on a Henry since the last look."""
    if window is None:
        return []
    pushes = [push_from_drag(drag, renderer) for drag in window.take_drags()]
    return [push for push in pushes if push is not None]
