"""A hand-written controller inside a learned policy: residual reinforcement learning.

With `PPOConfig.residual = "walking"`, PPO's policy does not drive `HenryContinuous-v0` on
its own. Every step the closed-loop walking controller (`agents.walking`) proposes an
action, and the policy's action, a correction in [-1, 1] per servo times
`PPOConfig.residual_scale`, is added to it before the sum is clipped to the action space
(Johannink et al. 2019, "Residual Reinforcement Learning for Robot Control"). Learning
starts from the controller's walk rather than from a random flail, and a small scale keeps
the corrections a correction.

The controller is part of the agent, not of the env: the policy network sees the env's
observation and the controller's proposal (four more inputs), and a checkpoint records the
controller's `WalkingConfig`, so a policy plays with the controller it learned beside even
when the defaults change later (a parameter the checkpoint does not record, added since,
takes its default: each such addition acts only where the older controller had no answer,
like `reach_down_steps`). The controller is built for Henry's standard geometry
(`HenrySpec`'s swing limit, standing drop and lift height, one control step of
`control_dt_s` per env step): the bench's conditions (friction, mass, strength, bumps,
pushes) leave that alone; an env with another geometry or `frame_skip` is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any, TypeVar

import numpy as np
from gymnasium import spaces

from agents.base import ServoScale
from agents.ppo_config import RESIDUAL_CONTROLLERS
from agents.walking import WalkingConfig, WalkingController
from envs import OBSERVATION_FIELDS
from walker.errors import InputError
from walker.sim.spec import HenrySpec


class ResidualError(InputError):
    """A residual policy was asked for on an env or with a controller it cannot use."""


def standard_scale() -> ServoScale:
    """What an action means on `HenryContinuous-v0` with Henry's standard geometry."""
    spec = HenrySpec()
    return ServoScale(
        spec.swing_limit_rad, spec.stand_drop_m, spec.lift_height_m, spec.control_dt_s
    )


def check_residual_env(env: Any) -> None:
    """A `ResidualError` unless `env` (or what it wraps) acts as the standard continuous
    Henry the residual's controller is built for."""
    base = getattr(env, "unwrapped", env)
    try:
        scale = ServoScale.of(base)
    except AttributeError:
        scale = None
    if scale != standard_scale():
        raise ResidualError(
            "a residual policy corrects the walking controller of HenryContinuous-v0 with "
            "Henry's standard geometry and one control step per env step; this env is "
            f"{type(base).__name__} with servo scale {scale}"
        )


AgentT = TypeVar("AgentT")


def check_agent_env(agent: AgentT, env: Any) -> AgentT:
    """`agent`, after a `ResidualError` if it corrects a controller that cannot drive `env`
    (an agent without a `residual` controller fits any env it was built for)."""
    if getattr(agent, "residual", None) is not None:
        check_residual_env(env)
    return agent


class Residual:
    """The controller half of a residual policy: what it proposes, and the sum it makes."""

    extra_features = 4
    """The controller's proposal, one value per servo, appended to the policy's input."""

    def __init__(
        self,
        name: str,
        scale: float,
        observation_space: spaces.Space[Any],
        action_space: spaces.Space[Any],
        controller: Mapping[str, Any] | None = None,
    ) -> None:
        if name not in RESIDUAL_CONTROLLERS:
            raise ResidualError(
                f"unknown residual controller {name!r}; choose {', '.join(RESIDUAL_CONTROLLERS)}"
            )
        observed = (len(OBSERVATION_FIELDS),)
        if not (
            isinstance(observation_space, spaces.Box)
            and observation_space.shape == observed
            and isinstance(action_space, spaces.Box)
            and action_space.shape == (4,)
        ):
            raise ResidualError(
                f"the residual {name!r} controller drives HenryContinuous-v0 (observations "
                f"of shape {observed}, four servo actions), not observations "
                f"{observation_space} and actions {action_space}"
            )
        self.name = name
        self.scale = float(scale)
        self.controller = WalkingController(standard_scale(), WalkingConfig(**(controller or {})))
        self._low = action_space.low
        self._high = action_space.high

    def controller_config(self) -> dict[str, Any]:
        """The controller's parameters, as a checkpoint records them."""
        return asdict(self.controller.config)

    def propose(self, obs: np.ndarray, commit: bool = True) -> np.ndarray:
        """The controller's actions for a batch of observations, row i for env i. With
        `commit=False` its memory is left as it was (the observation is only looked at)."""
        obs = np.asarray(obs)
        if commit:
            return self.controller.act(obs)
        return self.controller.preview(obs)

    def combine(self, proposals: np.ndarray, corrections: np.ndarray) -> np.ndarray:
        """The env actions: the proposals plus `scale` times the corrections (each clipped
        to [-1, 1] first), clipped to the action space."""
        total = proposals + self.scale * np.clip(corrections, -1.0, 1.0)
        actions: np.ndarray = np.clip(total, self._low, self._high).astype(np.float32)
        return actions

    def reset(self, env_index: int | None = None) -> None:
        self.controller.reset(env_index)
