"""Robustness curves of `walker bench --curve NAME`: fall rate and score against a graded size.

Each agent plays every level of a curve (`walker.app.bench.grades.CURVES`: pushes from 0 to
10 N*s forward and backward, friction, torso mass or actuator strength factors) on every
seed, with everything else drawn per seed as in the bench's conditions (for a push: when it
lands and the start nudge; one seed meets the same draw at every level, so a curve is paired
along its sizes). Per (agent, level) it reports the fall rate with its 95% Wilson interval
(`scipy.stats.binomtest`) and the IQM of the normalised score with its 95% bootstrap interval
(`walker.app.core.stats`), and per arm of the curve the largest size the agent survives in at
least 90% of seeds at that size and every milder one (`largest_survived`), and per seed
the harshest size survived, compared with the hard-coded gait's on the same seed
(`walker.app.bench.tolerance`). `walker.app.bench.curve_files` writes the files.

The score's references are the random and hard-coded policies' mean speeds at the curve's
mildest level (no push, or the default body): 1.0 is the hard-coded gait unperturbed.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scipy import stats as scipy_stats

from walker.app.bench.grades import Curve
from walker.app.bench.records import ConditionRecord
from walker.app.bench.tolerance import (
    Tolerance,
    agent_rank,
    tolerances,
)
from walker.app.core import stats
from walker.app.core.stats import Estimate

SURVIVAL_SHARE = 0.9
"""An agent survives a size when at least this share of its seeds do not fall there."""


@dataclass(frozen=True)
class CurvePoint:
    """One agent at one level of a curve, over its seeds."""

    env_id: str
    agent: str
    level: float
    seeds: int
    falls: int
    fall_rate: Estimate
    """Share of seeds that fell, with its 95% Wilson interval."""
    score_iqm: Estimate
    """IQM of the normalised score over seeds, with its 95% bootstrap interval."""
    speed: Estimate
    """Mean speed over seeds (m/s, a fall counting 0), with its 95% bootstrap interval."""


@dataclass(frozen=True)
class Survival:
    """The largest size of one arm an agent survives in at least 90% of seeds."""

    env_id: str
    agent: str
    arm: str
    largest: float | None
    """None when the agent fails the 90% already at the arm's mildest level."""
    beyond_range: bool
    """True when it survived every level: the true limit lies beyond the curve."""

    def describe(self, unit: str) -> str:
        if self.largest is None:
            return "none"
        size = f"{abs(self.largest):g} {unit}" if unit != "x" else f"x{self.largest:g}"
        return f">= {size} (every level)" if self.beyond_range else size


@dataclass(frozen=True)
class CurveResult:
    """What a curve found: its points and the survival limits, per env and agent."""

    curve: str
    quantity: str
    unit: str
    axis: str
    """The quantity in words, with its unit (the plot's x axis)."""
    points: tuple[CurvePoint, ...]
    survival: tuple[Survival, ...]
    tolerance: tuple[Tolerance, ...] = ()
    """Per seed the harshest size survived, against the hard-coded gait's on that seed."""


def wilson(falls: int, seeds: int) -> Estimate:
    """The fall share with its 95% Wilson score interval (exact at 0 and n, unlike Wald)."""
    if seeds == 0:
        return Estimate(math.nan, math.nan, math.nan)
    interval = scipy_stats.binomtest(falls, seeds).proportion_ci(
        confidence_level=stats.CONFIDENCE, method="wilson"
    )
    return Estimate(falls / seeds, float(interval.low), float(interval.high))


def _seed_speed(record: ConditionRecord) -> float:
    speeds = [float(e.speed_m_s) for e in record.episodes]
    return sum(speeds) / len(speeds) if speeds else math.nan


def _seed_fell(record: ConditionRecord) -> bool:
    return any(e.fell for e in record.episodes)


def summarise_curve(
    curve: Curve, records: Sequence[ConditionRecord], level_of: Mapping[str, float]
) -> CurveResult:
    """Points and survival limits from the records of a curve's tasks (`level_of` maps a
    record's condition name to its level)."""
    groups: dict[tuple[str, str, float], list[ConditionRecord]] = {}
    for record in records:
        level = level_of[record.condition]
        groups.setdefault((record.env_id, record.agent, level), []).append(record)
    mildest = curve.levels[0]
    refs: dict[str, tuple[float, float]] = {}
    for env_id in dict.fromkeys(r.env_id for r in records):
        means = []
        for agent in ("random", "hardcoded"):
            speeds = [_seed_speed(r) for r in groups.get((env_id, agent, mildest), [])]
            means.append(sum(speeds) / len(speeds) if speeds else math.nan)
        refs[env_id] = (means[0], means[1])
    points = []
    for (env_id, agent, level), group in groups.items():
        random_ref, hard_ref = refs[env_id]
        span = hard_ref - random_ref
        speeds = [_seed_speed(r) for r in group]
        falls = sum(_seed_fell(r) for r in group)
        points.append(
            CurvePoint(
                env_id=env_id,
                agent=agent,
                level=level,
                seeds=len(group),
                falls=falls,
                fall_rate=wilson(falls, len(group)),
                score_iqm=stats.iqm_estimate(
                    [(s - random_ref) / span if span > 0 else math.nan for s in speeds]
                ),
                speed=stats.mean_estimate(speeds),
            )
        )
    order = {level: i for i, level in enumerate(curve.levels)}
    points.sort(key=lambda p: (p.env_id, agent_rank(p.agent), p.agent, order[p.level]))
    survival = []
    for env_id, agent in dict.fromkeys((p.env_id, p.agent) for p in points):
        mine = {p.level: p for p in points if p.env_id == env_id and p.agent == agent}
        for arm, levels in curve.arms:
            survival.append(largest_survived(env_id, agent, arm, levels, mine))
    return CurveResult(
        curve.name,
        curve.quantity,
        curve.unit,
        curve.axis,
        tuple(points),
        tuple(survival),
        tolerances(records, level_of, curve.arms),
    )


def largest_survived(
    env_id: str,
    agent: str,
    arm: str,
    levels: Sequence[float],
    points: Mapping[float, CurvePoint],
) -> Survival:
    """The harshest level of `levels` (mildest first) such that it and every milder one
    were survived by at least `SURVIVAL_SHARE` of the seeds."""
    largest: float | None = None
    measured = [level for level in levels if level in points]
    for level in measured:
        point = points[level]
        if (point.seeds - point.falls) < SURVIVAL_SHARE * point.seeds:
            return Survival(env_id, agent, arm, largest, beyond_range=False)
        largest = level
    return Survival(env_id, agent, arm, largest, beyond_range=largest is not None)


def curve_csv(result: CurveResult) -> str:
    """One row per (env, agent, level), then the survival limits as comment-free rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "env_id",
            "agent",
            result.quantity,
            "seeds",
            "falls",
            "fall_rate",
            "fall_rate_low",
            "fall_rate_high",
            "score_iqm",
            "score_iqm_low",
            "score_iqm_high",
            "speed_m_s",
            "speed_low",
            "speed_high",
        ]
    )
    for p in result.points:
        writer.writerow(
            [
                p.env_id,
                p.agent,
                f"{p.level:g}",
                p.seeds,
                p.falls,
                *(_cell(v) for e in (p.fall_rate, p.score_iqm, p.speed) for v in _triple(e)),
            ]
        )
    return buffer.getvalue()


def survival_csv(result: CurveResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["env_id", "agent", "arm", f"largest_{result.quantity}_survived", "every_level"]
    )
    for s in result.survival:
        writer.writerow(
            [
                s.env_id,
                s.agent,
                s.arm,
                "" if s.largest is None else f"{s.largest:g}",
                s.beyond_range,
            ]
        )
    return buffer.getvalue()


def _triple(estimate: Estimate) -> tuple[float, float, float]:
    return estimate.value, estimate.low, estimate.high


def _cell(value: float) -> str:
    return f"{value:.4f}" if math.isfinite(value) else ""


def curve_markdown(result: CurveResult) -> str:
    """The survival limits as a table, one row per env and agent, one column per arm."""
    arms = list(dict.fromkeys(s.arm for s in result.survival))
    header = ["env", "agent", *(f"harshest {arm} survived (90% of seeds)" for arm in arms)]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for env_id, agent in dict.fromkeys((s.env_id, s.agent) for s in result.survival):
        cells = [env_id, agent]
        for arm in arms:
            found = [
                s for s in result.survival if (s.env_id, s.agent, s.arm) == (env_id, agent, arm)
            ]
            cells.append(found[0].describe(result.unit) if found else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
