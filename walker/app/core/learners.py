"""The learning agents by name: each one's config dataclass, default env and class.

Importing this loads no torch: the configs are plain dataclasses (`agents.*_config`), and an
agent's own module is imported only when one is built or loaded, so `walker train AGENT
--help`, which is generated from these configs, answers at once.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.dqn_config import DQNConfig
from agents.ppo_config import PPOConfig
from agents.qlearning_config import QLearningConfig
from walker.envids import CONTINUOUS_ID, DISCRETE_ID
from walker.errors import InputError

if TYPE_CHECKING:
    from agents.base import Learner, RunPlan


class PolicyError(InputError):
    """A policy or agent name that cannot be resolved."""


@dataclass(frozen=True)
class LearnerKind:
    """How to build and load one kind of learning agent."""

    name: str
    config_cls: type
    default_env: str
    agent: str
    """The agent's class as `module:Class`, imported when one is built or loaded."""
    plans: bool = True
    """Whether the agent takes the run's plan (tabular Q-learning learns from one transition
    at a time with its own epsilon schedule, so it needs nothing from the plan)."""

    def agent_class(self) -> Any:
        module, _, name = self.agent.partition(":")
        return getattr(importlib.import_module(module), name)

    def build(
        self,
        observation_space: Any,
        action_space: Any,
        config: Any,
        seed: int | None,
        plan: RunPlan | None = None,
    ) -> Learner:
        """A new learner; `plan` is the run it learns in (None: one env, no budget)."""
        cls = self.agent_class()
        if not self.plans:
            return cls(observation_space, action_space, config, seed)  # type: ignore[no-any-return]
        return cls(observation_space, action_space, config, seed, plan)  # type: ignore[no-any-return]

    def load(
        self, path: Path, observation_space: Any, action_space: Any, plan: RunPlan | None = None
    ) -> Learner:
        """The learner saved at `path`, to go on learning under `plan` (None: the plan it
        was saved under)."""
        cls = self.agent_class()
        if not self.plans:
            return cls.load(path, observation_space, action_space)  # type: ignore[no-any-return]
        return cls.load(path, observation_space, action_space, plan)  # type: ignore[no-any-return]


LEARNER_KINDS = (
    LearnerKind(
        "qlearning", QLearningConfig, DISCRETE_ID, "agents.qlearning:QLearning", plans=False
    ),
    LearnerKind("ppo", PPOConfig, CONTINUOUS_ID, "agents.ppo:PPO"),
    LearnerKind("dqn", DQNConfig, DISCRETE_ID, "agents.dqn:DQN"),
)


def learner_kinds() -> dict[str, LearnerKind]:
    """Every learning agent, by name."""
    return {kind.name: kind for kind in LEARNER_KINDS}


def learner_kind(name: str) -> LearnerKind:
    kinds = learner_kinds()
    if name not in kinds:
        raise PolicyError(f"unknown agent {name!r}; choose one of {', '.join(sorted(kinds))}")
    return kinds[name]
