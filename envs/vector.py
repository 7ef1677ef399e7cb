"""One env as a vector env of one, for what gymnasium's general machinery costs a small env.

Training steps one env by default. `gymnasium.vector.SyncVectorEnv` would do it, but its
generic path (iterating the batched actions, merging every info key through `_add_info`,
concatenating into a buffer and deep-copying it) costs more than a small env's own step:
on Taxi-v4 about 30 us of overhead on a 20 us step. `SingleVectorEnv` returns the same
results in the same layout, for one env in `AutoresetMode.SAME_STEP` (what
`agents.collect.Collector` needs): observations and rewards with a leading axis of one, infos
batched as `SyncVectorEnv` batches them (each value in an array of one, beside a `_key`
flag), and where an episode ends, its last observation and info under `final_obs` and
`final_info` with the next episode's first ones in their usual places.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import batch_space, concatenate, create_empty_array, iterate

ARRAY_SPACES = (spaces.Box, spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary)
"""Spaces whose batch of one is `np.array([x], dtype=space.dtype)`; others go through
gymnasium's `concatenate`."""


PRESENT = np.ones(1, dtype=np.bool_)
"""Every `_key` flag of a vector env of one: the key is there. Read-only and shared, as a
fresh array per key and step would cost more than a small env's step."""
PRESENT.flags.writeable = False

_ONE_OF = {kind: np.zeros(1, dtype=kind) for kind in (int, float, bool)}
"""An array of one of each Python scalar type's dtype, as `SyncVectorEnv` batches that type
(rewards are floats, the episode flags bools): a copy with its item set is the same array
as `np.array((x,), dtype=kind)` and costs half as much."""
for _template in _ONE_OF.values():
    _template.flags.writeable = False


def batched_info(info: dict[str, Any]) -> dict[str, Any]:
    """`info` of one env in the layout `SyncVectorEnv` gives a vector env of one: every value
    in an array of one (its own dtype for numbers and arrays, object otherwise, nested dicts
    likewise), each beside a `_key` array saying it is there."""
    # Called on every step: the common types are told apart by `type(...) is`, which costs
    # far less than `isinstance` against several classes.
    batched: dict[str, Any] = {}
    for key, value in info.items():
        kind = type(value)
        array: Any
        if key == "final_obs":  # whatever it is, in an object array
            array = _object_array(value)
        elif kind is np.ndarray:
            array = value[None].copy(order="K")
        elif kind in _ONE_OF:
            array = _ONE_OF[kind].copy()
            array[0] = value
        elif kind is dict or isinstance(value, dict):
            array = batched_info(value)
        elif isinstance(value, np.ndarray | np.number):  # a subclass of ndarray, a numpy scalar
            array = np.array((value,), dtype=value.dtype)
        else:  # any other object
            array = _object_array(value)
        batched[key] = array
        batched[f"_{key}"] = PRESENT
    return batched


def _object_array(value: Any) -> np.ndarray:
    array = np.empty(1, dtype=object)
    array[0] = value
    return array


class SingleVectorEnv(gym.vector.VectorEnv[Any, Any, Any]):
    """The env `make_env` builds, stepped as a vector env of one in SAME_STEP autoreset mode
    (see the module docstring)."""

    def __init__(self, make_env: Callable[[], gym.Env[Any, Any]]) -> None:
        super().__init__()
        self.env = make_env()
        self.num_envs = 1
        self.metadata = {**self.env.metadata, "autoreset_mode": gym.vector.AutoresetMode.SAME_STEP}
        self.render_mode = self.env.render_mode
        self.single_observation_space = self.env.observation_space
        self.single_action_space = self.env.action_space
        self.observation_space = batch_space(self.single_observation_space, 1)
        self.action_space = batch_space(self.single_action_space, 1)
        space = self.single_observation_space
        self._obs_dtype = space.dtype if isinstance(space, ARRAY_SPACES) else None
        self._one_obs = (
            np.zeros(1, dtype=space.dtype) if isinstance(space, spaces.Discrete) else None
        )
        """For an observation that is one number: an array of one to copy and fill."""
        self._array_actions = isinstance(self.single_action_space, ARRAY_SPACES)

    def _batched_obs(self, obs: Any) -> Any:
        if self._obs_dtype is not None:
            return np.array((obs,), dtype=self._obs_dtype)
        space = self.single_observation_space
        out: Any = create_empty_array(space, 1)
        return concatenate(space, [obs], out)

    def reset(
        self,
        *,
        seed: int | Sequence[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """Reset the env (with `seed`, or the one seed of a list of one); `options` go to it
        as they are, except `reset_mask`, which a vector env of one can only honour by
        resetting its env."""
        if isinstance(seed, Sequence):
            if len(seed) != 1:
                raise ValueError(f"a vector env of one takes one seed, got {len(seed)}")
            seed = seed[0]
        if options is not None and "reset_mask" in options:
            options = dict(options)
            mask = np.asarray(options.pop("reset_mask"))
            if mask.shape != (1,) or mask.dtype != np.bool_ or not mask[0]:
                raise ValueError(f"reset_mask must be np.array([True]) here, got {mask!r}")
        obs, info = self.env.reset(seed=seed, options=options)
        return self._batched_obs(obs), batched_info(info)

    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        action = (
            actions[0] if self._array_actions else next(iter(iterate(self.action_space, actions)))
        )
        obs, reward, terminated, truncated, info = self.env.step(action)
        if terminated or truncated:
            infos = batched_info({"final_obs": obs, "final_info": info})
            obs, info = self.env.reset()
            infos.update(batched_info(info))
        else:
            infos = batched_info(info)
        # Arrays of one copied from a template and filled: the same arrays as np.array makes
        # of (x,), for half its cost.
        if self._one_obs is None:
            batched_obs = self._batched_obs(obs)
        else:
            batched_obs = self._one_obs.copy()
            batched_obs[0] = obs
        rewards, terminateds, truncateds = (
            _ONE_OF[float].copy(),
            _ONE_OF[bool].copy(),
            _ONE_OF[bool].copy(),
        )
        rewards[0], terminateds[0], truncateds[0] = reward, terminated, truncated
        return batched_obs, rewards, terminateds, truncateds, infos

    def render(self) -> tuple[Any, ...]:
        return (self.env.render(),)

    def close_extras(self, **kwargs: Any) -> None:
        self.env.close()
