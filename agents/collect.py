"""Collecting experience: the one place a vector-env step becomes a `Batch`.

`Collector` steps a Gymnasium vector env with an agent, one vector step per `step()` call,
and returns the step as a `Batch` together with what episode bookkeeping needs: the running
return and length of every env, and for each episode that ended, its return, length,
illegal actions and final info. Training, the race and watch lanes, the experiments and the
agent tests all collect through it, so every learner sees transitions built the same way.

The vector env must reset in `AutoresetMode.SAME_STEP`: when an episode ends, the step
already returns the next episode's first observation (and, for masked envs, its mask), and
the ended episode's last ones arrive in `info["final_obs"]` and `info["final_info"]`. The
collector patches those into `Batch.next_obs` and `Batch.next_masks`, so the learner gets
the real final transition and no dummy step after a reset.

The collector duck-types the vector env (`reset`, `step`, `num_envs`, `metadata`) and
imports no gymnasium, as the agents layer only knows `gymnasium.spaces`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from agents.base import Agent, Batch

SAME_STEP = "SameStep"
"""The value of `gymnasium.vector.AutoresetMode.SAME_STEP`, which the collector needs."""


class EpisodeEnd(NamedTuple):
    """One episode that ended on this step."""

    env_index: int
    """Which env of the vector env it ran in."""
    episode_return: float
    """Sum of its rewards."""
    length: int
    """Steps it took."""
    terminated: bool
    """It reached a terminal state (False when it was truncated)."""
    illegal_actions: int
    """Steps whose action the env reported as illegal (`info["illegal_action"]`)."""
    info: dict[str, Any]
    """The info of its last step."""


class Step(NamedTuple):
    """What one `Collector.step` did."""

    batch: Batch
    """The transitions of all envs, final observations patched in where episodes ended."""
    ended: Sequence[EpisodeEnd]
    """The episodes that ended on this step (usually none)."""
    infos: dict[str, Any]
    """The vector env's infos after the step: where an episode ended, those of the next
    episode's start (the last step's info is in its `EpisodeEnd.info`)."""


_NOTHING_ENDED: tuple[EpisodeEnd, ...] = ()


def _masks(infos: dict[str, Any], n_envs: int) -> np.ndarray | None:
    if "action_mask" not in infos:
        return None
    masks = np.asarray(infos["action_mask"]).astype(bool)
    if masks.ndim == 2 and len(masks) == n_envs:
        return masks  # already (n_envs, n_actions): no reshape needed
    return masks.reshape(n_envs, -1)


def env_info(infos: dict[str, Any], index: int) -> dict[str, Any]:
    """The info of env `index` out of a vector env's batched infos (nested dicts too)."""
    return {
        key: env_info(value, index) if isinstance(value, dict) else value[index]
        for key, value in infos.items()
        if not key.startswith("_") and (f"_{key}" not in infos or infos[f"_{key}"][index])
    }


class Collector:
    """Steps `vector_env` with `agent` (exploring unless told otherwise) and keeps the books
    of the episodes running in it. Call `reset` once before the first `step`."""

    def __init__(self, vector_env: Any, agent: Agent, explore: bool = True) -> None:
        mode = vector_env.metadata.get("autoreset_mode")
        if getattr(mode, "value", mode) != SAME_STEP:
            raise ValueError(
                f"the collector needs a vector env in SAME_STEP autoreset mode, got {mode!r}"
            )
        self.vector_env = vector_env
        self.agent = agent
        self.explore = explore
        self.n_envs = int(vector_env.num_envs)
        self.obs: Any = None
        """The observations the next step acts on, (n_envs, *obs_shape)."""
        self.masks: np.ndarray | None = None
        """Their legal actions, (n_envs, n_actions), or None."""
        self.infos: dict[str, Any] = {}
        self.returns = np.zeros(self.n_envs)
        """The running return of each env's current episode."""
        self._taken = 0
        """Vector steps taken since `reset`."""
        self._started = np.zeros(self.n_envs, dtype=np.int64)
        """The vector step at which each env's current episode started."""
        self.illegal = np.zeros(self.n_envs, dtype=np.int64)
        self._to_reset: list[int] = []
        """Envs whose episode ended on the last step: the agent forgets them before it acts
        again (not at once, so it can still learn from that step's batch first)."""

    def reset(
        self, seed: int | Sequence[int] | None = None, options: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Start fresh episodes in every env; returns the infos of their first step."""
        seeds = list(seed) if isinstance(seed, Sequence) else seed
        self.obs, self.infos = self.vector_env.reset(seed=seeds, options=options)
        self.masks = _masks(self.infos, self.n_envs)
        self.returns[:] = 0.0
        self._taken = 0
        self._started[:] = 0
        self.illegal[:] = 0
        self._to_reset = []
        self.agent.reset()
        return self.infos

    @property
    def lengths(self) -> np.ndarray:
        """Steps taken so far in each env's current episode."""
        return self._taken - self._started

    def step(self) -> Step:
        """Act in every env once. The agent is reset for each env whose episode ended on
        the previous step, before it acts in the next episode."""
        if self._to_reset:
            for index in self._to_reset:
                self.agent.reset(index)
            self._to_reset = []
        obs, masks = self.obs, self.masks
        actions = self.agent.act(obs, masks, explore=self.explore)
        next_obs, rewards, terminated, truncated, infos = self.vector_env.step(actions)
        rewards = np.asarray(rewards, dtype=np.float64)
        terminated = np.asarray(terminated, dtype=bool)
        truncated = np.asarray(truncated, dtype=bool)
        next_masks = _masks(infos, self.n_envs)
        patched_obs, patched_masks = next_obs, next_masks
        ended: Sequence[EpisodeEnd] = _NOTHING_ENDED
        if self.n_envs == 1:  # one item: numpy's scalar arithmetic costs less than a ufunc
            self.returns[0] += rewards[0]
        else:
            self.returns += rewards
        self._taken += 1
        # A vector env holds a few envs: Python's `in` on their flags as lists costs less
        # than numpy's logic and any().
        if "illegal_action" in infos or True in terminated.tolist() or True in truncated.tolist():
            patched_obs, patched_masks, ended = self._count_ends(
                next_obs, next_masks, terminated, truncated, infos
            )
        batch = Batch(
            obs,
            actions,
            rewards,
            patched_obs,
            terminated,
            truncated,
            masks,
            patched_masks,
            self.explore,  # acted: these are the actions the agent just chose
        )
        self.obs, self.masks, self.infos = next_obs, next_masks, infos
        return Step(batch, ended, infos)

    def _count_ends(
        self,
        next_obs: Any,
        next_masks: np.ndarray | None,
        terminated: np.ndarray,
        truncated: np.ndarray,
        infos: dict[str, Any],
    ) -> tuple[Any, np.ndarray | None, Sequence[EpisodeEnd]]:
        """Count illegal actions and close the books of the episodes that ended, if any."""
        done = terminated | truncated
        if "illegal_action" in infos:
            # Where an episode ended, this info is the next episode's reset info; the ended
            # step's own verdict is in its final info.
            self.illegal += np.asarray(infos["illegal_action"], dtype=np.int64) * ~done
        if not any(done.tolist()):
            return next_obs, next_masks, _NOTHING_ENDED
        return self._end_episodes(done, next_obs, next_masks, terminated, infos)

    def _end_episodes(
        self,
        done: np.ndarray,
        next_obs: Any,
        next_masks: np.ndarray | None,
        terminated: np.ndarray,
        infos: dict[str, Any],
    ) -> tuple[Any, np.ndarray | None, list[EpisodeEnd]]:
        """Patch the final observations and masks in, and close the books of ended envs."""
        final_obs = np.array(next_obs, copy=True)
        final_infos = infos.get("final_info", {})
        final_masks = next_masks
        if next_masks is not None and "action_mask" in final_infos:
            final_masks = next_masks.copy()
            ended_masks = _masks(final_infos, self.n_envs)
            assert ended_masks is not None
            final_masks[done] = ended_masks[done]
        ended = []
        for i in np.flatnonzero(done):
            index = int(i)
            final_obs[index] = infos["final_obs"][index]
            info = env_info(final_infos, index)
            illegal = int(self.illegal[index]) + int(bool(info.get("illegal_action", False)))
            ended.append(
                EpisodeEnd(
                    index,
                    float(self.returns[index]),
                    int(self._taken - self._started[index]),
                    bool(terminated[index]),
                    illegal,
                    info,
                )
            )
            self.returns[index] = 0.0
            self._started[index] = self._taken
            self.illegal[index] = 0
            self._to_reset.append(index)
        return final_obs, final_masks, ended
