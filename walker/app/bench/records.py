"""What one bench task found: a `ConditionRecord` (one agent, seed and condition) holding an
`EpisodeRecord` per greedy episode.

The bench's tasks return them, `results.jsonl` stores them one per line (`to_dict` and
`from_dict` are the only conversions, at that file), and the report reads them by field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from walker.app.bench.conditions import DRAW_COLUMNS


@dataclass(frozen=True)
class EpisodeRecord:
    """One greedy episode's metrics (NaN where an episode cannot define one)."""

    distance_m: float
    speed_m_s: float
    """Mean forward speed; 0 for an episode that ends in a fall (no speed until a fall can
    score as a win)."""
    speed_until_fall_m_s: float
    """The speed it had until the fall (or the end)."""
    fell: bool
    time_to_fall_s: float
    """NaN when it did not fall."""
    steps: int
    positive_work_j: float
    cost_of_transport: float
    """NaN below `MIN_COT_DISTANCE_M` of distance (work per metre says nothing there)."""
    illegal_share: float
    """Share of illegal actions tried (the discrete Henry; NaN on the continuous one)."""
    flight_share: float
    duty_factor_right: float
    duty_factor_left: float
    footfalls: int
    alternation: float
    stride_length_m: float
    cadence_per_min: float
    froude_number: float
    relative_stride: float
    stride_ratio: float
    gait: str
    """The episode's gait label (`envs.gait.gait_label`): it describes, it is not averaged."""
    reset_seed: int = -1
    """The seed the env was reset with: with the drawn values it reproduces the episode."""
    drawn: Mapping[str, float] = field(default_factory=dict)
    """What the condition drew for this seed, by `conditions.DRAW_COLUMNS` name (NaN for
    what the condition leaves at its default)."""

    def to_dict(self) -> dict[str, Any]:
        """Flat, as a line of `results.jsonl` and a row of `episodes.csv`: the metrics, the
        label, the reset seed and the drawn values side by side."""
        row = {name: getattr(self, name) for name in METRICS}
        row["gait"] = self.gait
        row["reset_seed"] = self.reset_seed
        row.update({name: self.drawn.get(name, math.nan) for name in DRAW_COLUMNS})
        return row

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> EpisodeRecord:
        """Read back what `to_dict` wrote (a metric an older file lacks is NaN)."""
        return cls(
            **{name: row.get(name, math.nan) for name in METRICS},
            gait=str(row.get("gait", "")),
            reset_seed=int(row.get("reset_seed", -1)),
            drawn={name: float(row.get(name, math.nan)) for name in DRAW_COLUMNS},
        )


METRICS = tuple(
    f.name for f in fields(EpisodeRecord) if f.name not in ("gait", "reset_seed", "drawn")
)
"""Every numeric per-episode metric, in the order of the records and the CSV columns."""

GAIT_MEASURES = METRICS[METRICS.index("flight_share") :]
"""The env's numeric gait measures (`envs.gait.GaitMetrics`) each episode record carries;
the gait label is `EpisodeRecord.gait`."""

MIN_COT_DISTANCE_M = 0.1
"""Below this distance the cost of transport (work per metre) is not reported: dividing by
a distance near zero says nothing about walking."""


@dataclass(frozen=True)
class ConditionRecord:
    """One (env, agent, seed, condition) and its episodes: one task of the bench."""

    key: str
    env_id: str
    agent: str
    condition: str
    seed: int
    episodes: tuple[EpisodeRecord, ...]
    checkpoint: str | None = None
    """The digest of the checkpoint it played (None for the reference policies): a saved
    record of another checkpoint is played again."""

    def to_dict(self) -> dict[str, Any]:
        """As a line of `results.jsonl`."""
        return {
            "key": self.key,
            "env_id": self.env_id,
            "agent": self.agent,
            "condition": self.condition,
            "seed": self.seed,
            "episodes": [e.to_dict() for e in self.episodes],
            "checkpoint": self.checkpoint,
        }

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> ConditionRecord:
        """Read back a line of `results.jsonl`."""
        return cls(
            str(row["key"]),
            str(row["env_id"]),
            str(row["agent"]),
            str(row["condition"]),
            int(row["seed"]),
            tuple(EpisodeRecord.from_dict(e) for e in row["episodes"]),
            row.get("checkpoint"),
        )
