"""Tabular Q-learning with epsilon-greedy exploration over legal actions.

The article's agent: a table of Q-values, one per (state, action); at each step a random
legal action with probability epsilon, otherwise the legal action with the highest Q-value
(ties broken at random); after each step the Bellman update

    Q(s, a) += alpha * (r + gamma * max over legal a' of Q(s', a') - Q(s, a))

with no bootstrap when the episode terminated (a fall) and a bootstrap when it was only
truncated by a time limit. It works on any Gymnasium env with a Discrete or MultiDiscrete
observation and Discrete actions; masks are used when the env provides them.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress
from pathlib import Path
from typing import Any

import numpy as np
import torch
from gymnasium import spaces

from agents.base import Batch, legal_rows
from agents.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from agents.qlearning_config import QLearningConfig

AGENT_KIND = "qlearning"


class StateEncoder:
    """Turns a Discrete or MultiDiscrete observation into one table row index."""

    def __init__(self, observation_space: spaces.Space[Any]) -> None:
        if isinstance(observation_space, spaces.Discrete):
            self.n_states = int(observation_space.n)
            self._start = int(observation_space.start)
            self._dims: tuple[int, ...] | None = None
        elif isinstance(observation_space, spaces.MultiDiscrete):
            if observation_space.nvec.ndim != 1:
                raise TypeError("tabular agents need a 1-D MultiDiscrete observation")
            self._dims = tuple(int(n) for n in observation_space.nvec)
            self.n_states = int(np.prod(self._dims))
            self._start = 0
        else:
            raise TypeError(
                f"tabular Q-learning needs a Discrete or MultiDiscrete observation space, got "
                f"{type(observation_space).__name__}; use DQN or PPO for continuous observations"
            )

    def index(self, obs: Any) -> int:
        if self._dims is None:
            return int(obs) - self._start
        return int(np.ravel_multi_index(tuple(int(v) for v in obs), self._dims))


def _legal_actions(legal: Sequence[bool] | np.ndarray) -> list[int]:
    """The indices of the legal actions, in order."""
    return list(compress(range(len(legal)), legal))


class QLearning:
    """Tabular Q-learning agent (see the module docstring)."""

    kind = AGENT_KIND
    config_type = QLearningConfig

    def __init__(
        self,
        observation_space: spaces.Space[Any],
        action_space: spaces.Space[Any],
        config: QLearningConfig | None = None,
        seed: int | None = None,
    ) -> None:
        if not isinstance(action_space, spaces.Discrete):
            raise TypeError(
                f"tabular Q-learning needs a Discrete action space, got "
                f"{type(action_space).__name__}"
            )
        self.config = config if config is not None else QLearningConfig()
        self.observation_space = observation_space
        self.action_space = action_space
        self.encoder = StateEncoder(observation_space)
        self.n_actions = int(action_space.n)
        self._action_start = int(action_space.start)
        self._all_actions = list(range(self.n_actions))
        self.q = np.full((self.encoder.n_states, self.n_actions), float(self.config.initial_q))
        self.visits = np.zeros((self.encoder.n_states, self.n_actions), dtype=np.int64)
        self._checked: tuple[Any, list[list[bool]]] = (None, [])
        """The last masks `_legal_rows` checked, and their rows."""
        self.seen_states: set[int] = set()
        """The states (rows of `visits`) with any visit: kept by `learn` and `load` as
        `visits` changes, as the HUD reads its size after every episode, and counting the
        rows of a large table each time would cost a small env more than its steps."""
        self.rng = np.random.default_rng(seed)
        self.steps = 0
        self.last_td_error = 0.0
        self.epsilon_override: float | None = None
        """When set (for example from the live window's +/- keys), used instead of the
        schedule."""

    # -- acting -----------------------------------------------------------------------

    @property
    def epsilon(self) -> float:
        if self.epsilon_override is not None:
            return self.epsilon_override
        return self.config.epsilon.value(self.steps)

    def reset(self, env_index: int | None = None) -> None:
        return None

    def greedy(self, state: int, legal: Sequence[bool] | np.ndarray | None) -> int:
        """Best legal action in `state`; ties are broken at random, never by index."""
        # One row of a few values: Python floats and lists cost less here than numpy calls.
        values: list[float] = self.q[state].tolist()
        top = max(values if legal is None else compress(values, legal))
        if top == top and values.count(top) == 1:  # no tie (the usual case), top not NaN
            return values.index(top)
        candidates = self._all_actions if legal is None else _legal_actions(legal)
        best = [action for action in candidates if values[action] == top]
        return best[0] if len(best) == 1 else best[int(self.rng.integers(len(best)))]

    def act(
        self, obs: np.ndarray, masks: np.ndarray | None = None, explore: bool = False
    ) -> np.ndarray:
        n = len(obs)
        rows = self._legal_rows(masks, n)
        epsilon = self.epsilon if explore else 0.0
        actions = np.empty(n, dtype=np.int64)  # filled item by item: cheaper than from a list
        for env, legal in enumerate([None] * n if rows is None else rows):
            if epsilon > 0.0 and self.rng.random() < epsilon:
                choices = self._all_actions if legal is None else _legal_actions(legal)
                action = choices[int(self.rng.integers(len(choices)))]
            else:
                action = self.greedy(self.encoder.index(obs[env]), legal)
            actions[env] = action + self._action_start
        return actions

    # -- learning ---------------------------------------------------------------------

    def target(
        self,
        reward: float,
        next_state: int,
        terminated: bool,
        next_legal: Sequence[bool] | np.ndarray | None,
    ) -> float:
        """The Bellman target r + gamma * max over legal a' of Q(s', a') (r alone if terminal)."""
        if terminated:
            return float(reward)
        values: list[float] = self.q[next_state].tolist()
        if next_legal is None:
            best = max(values)
        else:
            if len(next_legal) != len(values):
                raise ValueError(f"{len(next_legal)} legal flags for {len(values)} actions")
            best = max(compress(values, next_legal))
        return float(reward) + self.config.gamma * best

    def learn(self, batch: Batch) -> dict[str, float]:
        n = len(batch.obs)
        next_legal = self._legal_rows(batch.next_masks, n)
        # Python values: on a few envs, cheaper than indexing numpy arrays one item at a time.
        rows = zip(
            batch.obs.tolist(),
            batch.actions.tolist(),
            batch.rewards.tolist(),
            batch.next_obs.tolist(),
            batch.terminated.tolist(),
            [None] * n if next_legal is None else next_legal,
            strict=True,
        )
        alpha, q, visits, index = self.config.alpha, self.q, self.visits, self.encoder.index
        errors = 0.0
        for obs, action, reward, next_obs, terminated, legal in rows:
            state = index(obs)
            action = int(action) - self._action_start
            target = self.target(reward, index(next_obs), terminated, legal)
            value = q.item(state, action)
            error = target - value
            q[state, action] = value + alpha * error
            count = visits.item(state, action)
            visits[state, action] = count + 1
            if count == 0:
                self.seen_states.add(state)
            errors += abs(error)
        self.steps += n
        self.last_td_error = errors / n
        return {"td_error": self.last_td_error}

    def _legal_rows(self, masks: Any, n: int) -> list[list[bool]] | None:
        """`legal_rows(masks, ...)`, checked once per mask: the collector hands `act` the
        masks `learn` has just checked (the next observations'), so when `masks` is that
        array and holds the same flags, the rows checked then are returned."""
        if masks is None:
            return None
        checked_masks, checked_rows = self._checked
        if masks is checked_masks and len(checked_rows) == n and masks.tolist() == checked_rows:
            return checked_rows
        rows = legal_rows(masks, n, self.n_actions)
        if rows is not None and type(masks) is np.ndarray:
            self._checked = (masks, rows)
        return rows

    def hud(self) -> dict[str, Any]:
        return {
            "epsilon": self.epsilon,
            "alpha": self.config.alpha,
            "states_seen": len(self.seen_states),
        }

    # -- saving -----------------------------------------------------------------------

    def save(self, path: str | Path, metadata: dict[str, Any]) -> Path:
        state = {
            "q": torch.from_numpy(self.q.copy()),
            "visits": torch.from_numpy(self.visits.copy()),
            "steps": self.steps,
            "rng": self.rng.bit_generator.state,
            "n_states": self.encoder.n_states,
            "n_actions": self.n_actions,
        }
        return save_checkpoint(path, AGENT_KIND, self.config.to_dict(), state, metadata)

    @classmethod
    def load(
        cls, path: str | Path, observation_space: spaces.Space[Any], action_space: spaces.Space[Any]
    ) -> QLearning:
        """Restore an agent saved by `save`, checked against the env's spaces."""
        payload = load_checkpoint(path, AGENT_KIND)
        try:
            config = QLearningConfig.from_dict(payload["config"])
            state = payload["state"]
            agent = cls(observation_space, action_space, config)
            if (state["n_states"], state["n_actions"]) != agent.q.shape:
                raise CheckpointError(
                    f"checkpoint {path} has a {state['n_states']}x{state['n_actions']} Q-table "
                    f"but this env needs {agent.q.shape[0]}x{agent.q.shape[1]}"
                )
            agent.q = state["q"].numpy().astype(np.float64)
            agent.visits = state["visits"].numpy().astype(np.int64)
            agent.seen_states = set(np.flatnonzero(agent.visits.any(axis=1)).tolist())
            agent.steps = int(state["steps"])
            agent.rng.bit_generator.state = state["rng"]
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            if isinstance(error, CheckpointError):
                raise
            raise CheckpointError(f"checkpoint {path} is damaged: {error}") from error
        if not np.isfinite(agent.q).all():
            raise CheckpointError(f"checkpoint {path} is damaged: its Q-table is not finite")
        return agent
