"""`Summary`: one agent under one condition on one env, over its seeds, as the bench's report
and plots both read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from walker.app.core.stats import Estimate


@dataclass(frozen=True)
class Summary:
    """One agent under one condition on one env, over its seeds."""

    env_id: str
    condition: str
    agent: str
    seeds: int
    speed: Estimate
    """Mean forward speed (m/s), mean over seeds with its 95% CI."""
    score_iqm: Estimate
    """IQM of the normalised score over seeds with its 95% CI."""
    score_mean: Estimate
    improvement: Estimate | None
    """P(a seed of this agent is faster than one of the hard-coded policy); None for it."""
    fall_rate: float
    time_to_fall_s: float
    """Mean time of the falls (NaN when none)."""
    cost_of_transport: float
    illegal_share: float
    extra: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "env_id": self.env_id,
            "condition": self.condition,
            "agent": self.agent,
            "seeds": self.seeds,
            "speed_m_s": self.speed.to_dict(),
            "score_iqm": self.score_iqm.to_dict(),
            "score_mean": self.score_mean.to_dict(),
            "p_improvement": self.improvement.to_dict() if self.improvement else None,
            "fall_rate": self.fall_rate,
            "time_to_fall_s": self.time_to_fall_s,
            "cost_of_transport": self.cost_of_transport,
            "illegal_share": self.illegal_share,
            **self.extra,
        }
