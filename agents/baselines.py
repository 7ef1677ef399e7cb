"""Policies that do not learn: the article's hand-written gait, its continuous counterpart,
and a random policy that only picks legal actions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from agents.base import ServoScale, checked_masks, forget
from envs.motions import Action, FootTargets, Stride, plan_motion


class HardcodedGait:
    """The article's simple policy for the discrete Henry, as an open-loop cycle.

    Lift the right foot, move it forward, put it down, lift the left foot, move it forward,
    put it down, repeat. It does not look at the state, so when its next action is not legal
    (for example when Henry starts with the left foot up, and "lift the right foot" is not
    allowed) it is stuck: it keeps asking for that action, the environment keeps refusing,
    and `failure` says why. Nothing is hidden.
    """

    SEQUENCE = (
        Action.LIFT_RIGHT,
        Action.RIGHT_FORWARD,
        Action.PUT_DOWN_RIGHT,
        Action.LIFT_LEFT,
        Action.LEFT_FORWARD,
        Action.PUT_DOWN_LEFT,
    )

    def __init__(self) -> None:
        self._index: dict[int, int] = {}
        self.failure: str | None = None
        """Why the gait got stuck (the first time it did), or None while it walks."""

    def reset(self, env_index: int | None = None) -> None:
        forget(self._index, env_index)
        if env_index is None:
            self.failure = None

    def act(
        self, obs: np.ndarray, masks: np.ndarray | None = None, explore: bool = False
    ) -> np.ndarray:
        n = len(obs)
        masks = checked_masks(masks, n, len(Action))
        actions = np.empty(n, dtype=np.int64)
        for env in range(n):
            index = self._index.get(env, 0)
            action = self.SEQUENCE[index]
            if masks is not None and not masks[env, action]:
                if self.failure is None:
                    self.failure = (
                        f"the hard-coded gait is stuck: its next action {action.name} is not "
                        f"legal in state {np.asarray(obs[env]).tolist()}"
                    )
            else:
                self._index[env] = (index + 1) % len(self.SEQUENCE)
            actions[env] = action
        return actions


class ContinuousGait:
    """The hard-coded gait for the continuous Henry: the same six motions, open loop.

    It replays the discrete gait's motions (`envs.motions.plan_motion`, the same step
    length, weight shift and 0.6 s per motion) as servo targets in [-1, 1], computed once
    for a whole cycle.
    """

    def __init__(
        self, scale: ServoScale, step_length_m: float = 0.07, motion_s: float = 0.6
    ) -> None:
        # The discrete env's default reach: two levels either side of the hip.
        stride = Stride(
            step_length_m,
            2 * step_length_m,
            scale.stand_drop_m,
            scale.stand_drop_m - scale.lift_height_m,
        )
        self._table = self._cycle(
            stride,
            scale.swing_limit_rad,
            scale.lift_height_m,
            max(4, round(motion_s / scale.dt_s)),
        )
        self._t: dict[int, int] = {}

    @classmethod
    def for_env(cls, env: Any, **kwargs: Any) -> ContinuousGait:
        """Build the gait for a `HenryContinuousEnv` (or a wrapper around one)."""
        return cls(ServoScale.of(env), **kwargs)

    @staticmethod
    def _cycle(stride: Stride, swing_limit: float, lift: float, steps: int) -> np.ndarray:
        targets = FootTargets((0.0, 0.0), (False, False))
        rows = []
        for action in HardcodedGait.SEQUENCE:
            motion, targets = plan_motion(targets, action, stride)
            for i in range(steps):
                right, left = motion.commands(i / steps)
                rows.append(
                    [
                        right.swing_rad / swing_limit,
                        (right.drop_m - stride.stand_drop_m) / lift,
                        left.swing_rad / swing_limit,
                        (left.drop_m - stride.stand_drop_m) / lift,
                    ]
                )
        return np.clip(np.array(rows, dtype=np.float32), -1.0, 1.0)

    @property
    def cycle_steps(self) -> int:
        """Env steps in one full gait cycle."""
        return len(self._table)

    def reset(self, env_index: int | None = None) -> None:
        forget(self._t, env_index)

    def act(
        self, obs: np.ndarray, masks: np.ndarray | None = None, explore: bool = False
    ) -> np.ndarray:
        actions = np.empty((len(obs), self._table.shape[1]), dtype=np.float32)
        for env in range(len(obs)):
            t = self._t.get(env, 0)
            actions[env] = self._table[t % len(self._table)]
            self._t[env] = t + 1
        return actions


class RandomPolicy:
    """Uniformly random actions from a seeded generator; only legal ones when masked."""

    def __init__(self, action_space: spaces.Space[Any], seed: int | None = None) -> None:
        if not isinstance(action_space, (spaces.Discrete, spaces.Box)):
            raise TypeError(
                f"RandomPolicy supports Discrete and Box action spaces, got "
                f"{type(action_space).__name__}"
            )
        self.action_space = action_space
        self.rng = np.random.default_rng(seed)

    def reset(self, env_index: int | None = None) -> None:
        return None

    def act(
        self, obs: np.ndarray, masks: np.ndarray | None = None, explore: bool = False
    ) -> np.ndarray:
        space = self.action_space
        n = len(obs)
        if isinstance(space, spaces.Discrete):
            checked = checked_masks(masks, n, int(space.n))
            if checked is None:
                return np.asarray(space.start + self.rng.integers(int(space.n), size=n))
            actions = np.empty(n, dtype=np.int64)
            for env in range(n):
                legal = np.flatnonzero(checked[env])
                actions[env] = space.start + legal[self.rng.integers(len(legal))]
            return actions
        return self.rng.uniform(space.low, space.high, size=(n, *space.shape)).astype(space.dtype)
