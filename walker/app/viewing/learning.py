"""A race's learning lanes: the agent a `--learn 'AGENT [OPTIONS]'` spec names."""

from __future__ import annotations

from typing import Any

from agents.base import Learner, RunPlan
from walker.app.core.learners import PolicyError, learner_kind
from walker.app.core.options import OptionsError, config_from_words


def learner_from_spec(spec: str, env: Any, seed: int) -> Learner:
    """A learning lane's agent from `AGENT [OPTIONS]`, the options named as for
    `walker train AGENT`, e.g. `qlearning --alpha 0.3 --epsilon-end 0.01`."""
    name, _, options = spec.strip().partition(" ")
    if ":" in name:
        raise PolicyError(
            f"learning lane {spec!r}: give options as for walker train, e.g. "
            "--learn 'qlearning --epsilon-end 0.01'"
        )
    kind = learner_kind(name)
    try:
        config = config_from_words(kind.config_cls, options, f"learning lane {name!r}")
    except OptionsError as error:
        raise PolicyError(str(error)) from error
    return kind.build(env.observation_space, env.action_space, config, seed, RunPlan())
