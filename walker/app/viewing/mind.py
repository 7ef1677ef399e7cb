"""What a network agent thinks, episode by episode, for the live window's panels.

A `MindTrace` follows env 0 of a run (or a watched lane) from the steps the run collected:
for each step it asks the agent's own networks about the observation the step acted on
(`PPO.readout`, `DQN.q_values`) and keeps the reward it received. From that it builds the
panels of `walker.draw.mind`: PPO's action means per servo with their +-1 std band and its
critic's V(s_t) against the discounted return received from each step on; a discrete PPO's
action probabilities now; DQN's Q-values now. It reads batches, never the env.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from agents.dqn import DQN
from agents.ppo import PPO
from envs.continuous import ACTION_FIELDS
from walker.draw.henry import LEFT_LEG, RIGHT_LEG
from walker.draw.mind import ActionBars, ActionTrace, ValueTrace
from walker.draw.panels import Panels
from walker.draw.scene import LANE_COLORS

SETTLED_WEIGHT = 0.05
"""A step's received return counts as complete once the discount has brought the weight of
rewards still to come under this."""
FIRST_STEPS = 1024
"""Rows the traces allocate at first (they grow by doubling)."""


def servo_names(action_dim: int) -> tuple[list[str], list[tuple[int, int, int]]]:
    """Short names and colours of a continuous action's entries: Henry's servos by leg."""
    if action_dim == len(ACTION_FIELDS):
        names = [field.replace("right_", "R ").replace("left_", "L ") for field in ACTION_FIELDS]
        colors = [RIGHT_LEG if field.startswith("right") else LEFT_LEG for field in ACTION_FIELDS]
        return [n.replace("extension", "ext") for n in names], colors
    return [f"a{i}" for i in range(action_dim)], [
        LANE_COLORS[i % len(LANE_COLORS)] for i in range(action_dim)
    ]


class MindTrace:
    """The panels' data for one env's episode of a PPO or DQN agent (see the module
    docstring). Use `MindTrace.of(agent, names)`, which is None for other agents."""

    def __init__(self, agent: PPO | DQN, names: Sequence[str] | None) -> None:
        self.agent = agent
        self.names = list(names) if names is not None else None
        self.gamma = agent.config.gamma
        self.horizon = math.ceil(math.log(SETTLED_WEIGHT) / math.log(self.gamma))
        self.continuous = isinstance(agent, PPO) and not agent.discrete
        width = agent.action_shape[0] if self.continuous and isinstance(agent, PPO) else 0
        self.servos, self.colors = servo_names(width)
        self.steps = 0
        self._means = np.zeros((FIRST_STEPS, width))
        self._stds = np.zeros((FIRST_STEPS, width))
        self._values = np.zeros(FIRST_STEPS)
        self._received = np.zeros(FIRST_STEPS)
        self._weights = np.zeros(FIRST_STEPS)
        """gamma ** (now - t): how much a reward now adds to step t's received return."""
        self.bars: ActionBars | None = None

    @classmethod
    def of(cls, agent: Any, names: Sequence[str] | None) -> MindTrace | None:
        """A trace for a PPO or DQN agent; None for agents without networks to read."""
        if isinstance(agent, (PPO, DQN)):
            return cls(agent, names)
        return None

    def start(self, obs: Any, mask: Any) -> None:
        """A new episode begins at `obs` (with legal actions `mask`, or None)."""
        self.steps = 0
        self.bars = self._bars(obs, mask, None)

    def _grow(self) -> None:
        size = 2 * len(self._values)
        self._means = np.resize(self._means, (size, self._means.shape[1]))
        self._stds = np.resize(self._stds, (size, self._stds.shape[1]))
        for name in ("_values", "_received", "_weights"):
            setattr(self, name, np.resize(getattr(self, name), size))

    def observe(
        self, obs: Any, mask: Any, chosen: int | None, reward: float, next_obs: Any, next_mask: Any
    ) -> None:
        """One step: acted on `obs` (legal actions `mask`), took `chosen` (a discrete
        action, else None), received `reward`; `next_obs` is what is observed now."""
        agent = self.agent
        if isinstance(agent, PPO):
            if self.steps == len(self._values):
                self._grow()
            n = self.steps
            readout = agent.readout(
                np.asarray(obs)[None], None if mask is None else np.asarray(mask)[None]
            )
            self._values[n] = readout.values[0]
            if readout.means is not None and readout.stds is not None:
                self._means[n] = readout.means[0]
                self._stds[n] = readout.stds[0]
            scaled = float(agent.critic_rewards(np.array([reward]))[0])
            self._weights[:n] *= self.gamma
            self._weights[n] = 1.0
            self._received[n] = 0.0
            self._received[: n + 1] += scaled * self._weights[: n + 1]
            self.steps = n + 1
        self.bars = self._bars(next_obs, next_mask, chosen)

    def _bars(self, obs: Any, mask: Any, chosen: int | None) -> ActionBars | None:
        agent = self.agent
        if self.continuous or obs is None:
            return None
        batch_mask = None if mask is None else np.asarray(mask, dtype=bool)[None]
        if isinstance(agent, DQN):
            values = agent.q_values(np.asarray(obs)[None])[0]
            title, fmt = "DQN: Q(s, a) for the current state", "{:+.3f}"
        else:
            probabilities = agent.readout(np.asarray(obs)[None], batch_mask).probabilities
            assert probabilities is not None
            values = probabilities[0]
            title, fmt = "policy: P(a | s) for the current state", "{:.2f}"
        legal = np.ones(len(values), dtype=bool) if mask is None else np.asarray(mask, bool)
        names = self.names or [str(a) for a in range(len(values))]
        return ActionBars(title, names, values, legal, chosen, fmt)

    def panels(self) -> Panels:
        """The network panels as of the last step (`walker.draw.mind`)."""
        return Panels(actions=self.actions(), value=self.value(), bars=self.bars)

    def actions(self) -> ActionTrace | None:
        """PPO's action means and spread over the episode so far (Box actions only)."""
        if not self.continuous:
            return None
        n = self.steps
        return ActionTrace(self._means[:n].copy(), self._stds[:n].copy(), self.servos, self.colors)

    def value(self) -> ValueTrace | None:
        """PPO's critic against the returns received, over the episode so far."""
        if not isinstance(self.agent, PPO):
            return None
        n = self.steps
        return ValueTrace(
            self._values[:n].copy(), self._received[:n].copy(), max(0, n - self.horizon)
        )
