"""Tabular Q-learning's hyperparameters and epsilon schedule (no torch needed), from which
`walker train qlearning` generates its options."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class EpsilonSchedule:
    """How epsilon changes with the number of training steps taken."""

    kind: Literal["constant", "linear", "exponential"] = "exponential"
    """`constant` keeps `start`; `linear` goes from `start` to `end` over `decay_steps`;
    `exponential` multiplies by a constant factor so it reaches `end` after `decay_steps`
    and stays there (the floor)."""

    start: float = 1.0
    """Epsilon at step 0."""

    end: float = 0.05
    """The floor epsilon decays to."""

    decay_steps: int = 5_000
    """Training steps over which epsilon goes from `start` to `end`."""

    def __post_init__(self) -> None:
        if self.kind not in ("constant", "linear", "exponential"):
            raise ValueError(
                f"epsilon schedule kind must be constant, linear or exponential, got {self.kind!r}"
            )
        for name in ("start", "end"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0.0 <= value <= 1.0):
                raise ValueError(f"epsilon {name} must be in [0, 1], got {value!r}")
        if self.kind != "constant" and self.end > self.start:
            raise ValueError(f"epsilon end ({self.end}) must not exceed start ({self.start})")
        if not isinstance(self.decay_steps, int) or self.decay_steps < 1:
            raise ValueError(
                f"epsilon decay_steps must be a whole number >= 1, got {self.decay_steps!r}"
            )

    def value(self, step: int) -> float:
        """Epsilon after `step` training steps."""
        if self.kind == "constant":
            return self.start
        fraction = min(step / self.decay_steps, 1.0)
        if self.kind == "linear":
            return self.start + (self.end - self.start) * fraction
        if self.start == 0.0 or self.end == 0.0:
            # A geometric decay cannot reach zero; fall back to linear for the last stretch.
            return self.start + (self.end - self.start) * fraction
        return float(self.start * (self.end / self.start) ** fraction)


@dataclass(frozen=True)
class QLearningConfig:
    """Hyperparameters of tabular Q-learning."""

    alpha: float = 0.5
    """Learning rate: how far each update moves Q(s, a) toward its target. Henry's
    transitions are nearly deterministic, so a large step learns fastest there."""

    gamma: float = 0.9
    """Discount factor for future rewards. On Henry, planning finds the same best gait for
    every discount from 0.9 to 0.999, and 0.9 propagates values ten times faster than 0.99."""

    epsilon: EpsilonSchedule = field(default_factory=EpsilonSchedule)
    """Exploration schedule."""

    initial_q: float = 0.3
    """Starting value of every Q-value. Above the true values it is optimistic: every
    untried action looks good until tried, which explores systematically. On Henry the true
    values are below 0.25 (metres of discounted progress), so 0.3 is optimistic without
    being so far above them that loops of useless moves stay attractive for long; use 0 to
    let epsilon alone drive exploration."""

    def __post_init__(self) -> None:
        if not (isinstance(self.alpha, (int, float)) and 0.0 < self.alpha <= 1.0):
            raise ValueError(f"alpha must be in (0, 1], got {self.alpha!r}")
        if not (isinstance(self.gamma, (int, float)) and 0.0 <= self.gamma <= 1.0):
            raise ValueError(f"gamma must be in [0, 1], got {self.gamma!r}")
        if not (isinstance(self.initial_q, (int, float)) and math.isfinite(self.initial_q)):
            raise ValueError(f"initial_q must be a finite number, got {self.initial_q!r}")
        if isinstance(self.epsilon, dict):
            object.__setattr__(self, "epsilon", EpsilonSchedule(**self.epsilon))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> QLearningConfig:
        values = dict(values)
        epsilon = values.pop("epsilon", {})
        return cls(epsilon=EpsilonSchedule(**epsilon), **values)
