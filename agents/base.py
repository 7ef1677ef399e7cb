"""What an agent is: something that acts, and optionally something that learns.

The training loop, evaluation, the live window and the benchmarks all talk to agents through
these two small protocols, so any object with the right methods plugs in; there is no base
class to inherit.

Everything is batched over environments: `obs` has a leading axis of `n` environments
(`n == 1` for a single env), and so do actions, rewards and masks. A batched interface lets
PPO and DQN run one network pass for all environments; tabular agents simply loop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np


class Batch(NamedTuple):
    """One vector-env step, for all `n` environments at once."""

    obs: np.ndarray
    """Observations the actions were chosen for, shape (n, *obs_shape)."""
    actions: np.ndarray
    """Actions taken, shape (n,) for Discrete or (n, action_dim) for Box."""
    rewards: np.ndarray
    """Rewards received, shape (n,)."""
    next_obs: np.ndarray
    """The observations the actions led to, shape (n, *obs_shape). Where an episode ended
    this is its final observation, not the first one of the next episode."""
    terminated: np.ndarray
    """(n,) bool: the episode reached a terminal state, so do not bootstrap from next_obs."""
    truncated: np.ndarray
    """(n,) bool: the episode was cut by a time limit, so next_obs is still worth
    bootstrapping from."""
    masks: np.ndarray | None = None
    """(n, n_actions) bool legal actions for `obs`, or None when the env has no mask."""
    next_masks: np.ndarray | None = None
    """(n, n_actions) bool legal actions for `next_obs`, or None."""
    acted: bool = False
    """True when `actions` are what this agent's latest `act(obs, masks, explore=True)` call
    returned for these `obs` (the collector says so). An agent that remembers what it drew
    then (PPO's log-probabilities and values) may use that record; otherwise it must treat
    the actions as someone else's."""


class RunPlan(NamedTuple):
    """What a learner needs to know about the run it learns in. The run decides it (the
    training loop's config), so agent configs hold hyperparameters only."""

    n_envs: int = 1
    """Environments stepped together: every `learn` batch has this many rows."""
    total_steps: int | None = None
    """The training budget in env steps (all envs together), for schedules such as
    learning-rate annealing or epsilon decay; None when the run is bounded by episodes."""

    def check(self) -> RunPlan:
        """This plan, or a ValueError naming the field that cannot work."""
        if not isinstance(self.n_envs, int) or self.n_envs < 1:
            raise ValueError(f"n_envs must be a whole number >= 1, got {self.n_envs!r}")
        if self.total_steps is not None and (
            not isinstance(self.total_steps, int) or self.total_steps < 1
        ):
            raise ValueError(
                f"total_steps must be a whole number >= 1 or None, got {self.total_steps!r}"
            )
        return self


def saved_run_plan(config: dict[str, Any], state: dict[str, Any]) -> RunPlan:
    """The plan a checkpoint was saved under: from its state, or, for checkpoints written
    while agent configs still held `n_envs` and `total_steps`, from those (they are taken
    out of `config`, so it builds today's config)."""
    legacy = RunPlan(int(config.pop("n_envs", 1)), config.pop("total_steps", None))
    if "n_envs" in state:
        return RunPlan(int(state["n_envs"]), state["total_steps"])
    return legacy


class ServoScale(NamedTuple):
    """What an action of the continuous Henry means, for gaits that plan leg motions: a
    swing of +-1 is `swing_limit_rad`, an extension of +-1 is `lift_height_m` about
    `stand_drop_m`, and one action lasts `dt_s`."""

    swing_limit_rad: float
    stand_drop_m: float
    lift_height_m: float
    dt_s: float

    @classmethod
    def of(cls, env: Any) -> ServoScale:
        """The scale of a `HenryContinuousEnv` (or a wrapper around one)."""
        base = getattr(env, "unwrapped", env)
        spec = base.henry_spec
        return cls(spec.swing_limit_rad, spec.stand_drop_m, spec.lift_height_m, float(base.dt))


def forget(memory: dict[int, Any], env_index: int | None) -> None:
    """An agent's `reset` for per-env memory kept by env index: drop `env_index`'s entry,
    or every entry when it is None."""
    if env_index is None:
        memory.clear()
    else:
        memory.pop(env_index, None)


@runtime_checkable
class Agent(Protocol):
    """Something that acts."""

    def reset(self, env_index: int | None = None) -> None:
        """Forget per-episode state (of one environment, or of all when None)."""

    def act(
        self, obs: np.ndarray, masks: np.ndarray | None = None, explore: bool = False
    ) -> np.ndarray:
        """Actions for a batch of observations; `explore=False` asks for the best guess."""


@runtime_checkable
class Learner(Agent, Protocol):
    """Something that acts, learns from batches of transitions, and can be saved."""

    def learn(self, batch: Batch) -> dict[str, float]:
        """Take one vector step into account; return metrics worth logging (may be empty)."""

    def hud(self) -> dict[str, Any]:
        """Values the live window and progress bar show (epsilon, learning rate, ...)."""

    def save(self, path: str | Path, metadata: dict[str, Any]) -> Path:
        """Write a checkpoint atomically; `metadata` holds the env id and spec."""


def _mask_array(masks: Any, n_envs: int, n_actions: int) -> np.ndarray:
    """`masks` as an (n_envs, n_actions) bool array (no copy if it is one), shape checked."""
    if isinstance(masks, np.ndarray) and masks.dtype == np.bool_:
        array = masks  # already what the collector builds
    else:
        array = np.asarray(masks).astype(bool)
    if array.ndim == 1:
        array = array[None, :]
    if array.shape != (n_envs, n_actions):
        raise ValueError(f"action masks have shape {array.shape}, expected ({n_envs}, {n_actions})")
    return array


NO_LEGAL_ACTION = "an action mask allows no action at all"

_BOOL = np.dtype(np.bool_)


def checked_masks(masks: Any, n_envs: int, n_actions: int) -> np.ndarray | None:
    """`masks` as an (n_envs, n_actions) bool array, validated, or None."""
    if masks is None:
        return None
    array = _mask_array(masks, n_envs, n_actions)
    if not array.any(axis=1).all():
        raise ValueError(NO_LEGAL_ACTION)
    return array


def legal_rows(masks: Any, n_envs: int, n_actions: int) -> list[list[bool]] | None:
    """`checked_masks` as one list of bools per env, for agents that loop over envs in
    Python (on a few envs and actions, lists cost less than numpy calls), or None."""
    if masks is None:
        return None
    if type(masks) is np.ndarray and masks.dtype is _BOOL and masks.shape == (n_envs, n_actions):
        rows: list[list[bool]] = masks.tolist()  # what the collector builds: nothing to convert
    else:
        rows = _mask_array(masks, n_envs, n_actions).tolist()
    if not all(map(any, rows)):
        raise ValueError(NO_LEGAL_ACTION)
    return rows


def act_one(
    agent: Agent, obs: Any, info: dict[str, Any] | None = None, explore: bool = False
) -> Any:
    """Act on a single (unbatched) observation, reading the mask from `info` if present."""
    mask = None if not info or "action_mask" not in info else np.asarray(info["action_mask"])
    batch_obs = np.asarray(obs)[None, ...]
    batch_mask = None if mask is None else mask.astype(bool)[None, :]
    action = agent.act(batch_obs, batch_mask, explore)[0]
    return action.item() if np.ndim(action) == 0 else action
