"""Robustness curves of `walker bench --curve NAME`: fall rate and score against a graded size.

Each agent plays every level of a curve (`walker.app.bench.grades.CURVES`: pushes from 0 to
10 N*s forward and backward, friction, torso mass or actuator strength factors) on every
seed, with everything else drawn per seed as in the bench's conditions (for a push: when it
lands and the start nudge; one seed meets the same draw at every level, so a curve is paired
along its sizes). Per (agent, level) it reports the fall rate with its 95% Wilson interval
(`scipy.stats.binomtest`) and the IQM of the normalised score with its 95% bootstrap interval
(`walker.app.core.stats`), and per arm of the curve the largest size the agent survives in at
least 90% of seeds at that size and every milder one (`largest_survived`).

The score's references are the random and hard-coded policies' mean speeds at the curve's
mildest level (no push, or the default body): 1.0 is the hard-coded gait unperturbed.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scipy import stats as scipy_stats

from walker.app.bench.grades import Curve
from walker.app.bench.records import ConditionRecord, json_safe
from walker.app.core import stats
from walker.app.core.conditions import Condition
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
    points.sort(key=lambda p: (p.env_id, _agent_rank(p.agent), p.agent, order[p.level]))
    survival = []
    for env_id, agent in dict.fromkeys((p.env_id, p.agent) for p in points):
        mine = {p.level: p for p in points if p.env_id == env_id and p.agent == agent}
        for arm, levels in curve.arms:
            survival.append(largest_survived(env_id, agent, arm, levels, mine))
    return CurveResult(
        curve.name, curve.quantity, curve.unit, curve.axis, tuple(points), tuple(survival)
    )


def _agent_rank(agent: str) -> int:
    return {"hardcoded": 0, "random": 1}.get(agent, 2)


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


def plot_curve(result: CurveResult, path: Path) -> Path:
    """Per env a column: fall rate (top) and score (bottom) against the size, per agent."""
    from walker.app.bench.plots import _colours
    from walker.app.core.plots import _pyplot, _save

    plt = _pyplot()
    env_ids = list(dict.fromkeys(p.env_id for p in result.points))
    figure, axes = plt.subplots(
        2, len(env_ids), figsize=(6.5 * len(env_ids), 7.5), squeeze=False, sharex="col"
    )
    colours = _colours(list(dict.fromkeys(p.agent for p in result.points)))
    label = result.axis or result.quantity
    for column, env_id in enumerate(env_ids):
        top, bottom = axes[0][column], axes[1][column]
        for agent in dict.fromkeys(p.agent for p in result.points if p.env_id == env_id):
            mine = sorted(
                (p for p in result.points if p.env_id == env_id and p.agent == agent),
                key=lambda p: p.level,
            )
            x = [p.level for p in mine]
            colour = colours[agent]
            top.plot(x, [p.fall_rate.value for p in mine], "o-", color=colour, label=agent)
            top.fill_between(
                x,
                [p.fall_rate.low for p in mine],
                [p.fall_rate.high for p in mine],
                color=colour,
                alpha=0.15,
            )
            bottom.plot(x, [p.score_iqm.value for p in mine], "o-", color=colour, label=agent)
            low = [
                p.score_iqm.low if math.isfinite(p.score_iqm.low) else p.score_iqm.value
                for p in mine
            ]
            high = [
                p.score_iqm.high if math.isfinite(p.score_iqm.high) else p.score_iqm.value
                for p in mine
            ]
            bottom.fill_between(x, low, high, color=colour, alpha=0.15)
        top.axhline(1 - SURVIVAL_SHARE, color="#999999", linestyle=":", linewidth=1)
        top.set_ylim(-0.03, 1.03)
        top.set_ylabel("fall rate (95% Wilson interval)")
        top.set_title(f"{env_id}: --curve {result.curve}")
        top.legend(fontsize=8, loc="best")
        bottom.axhline(1.0, color="#999999", linestyle="--", linewidth=1)
        bottom.set_ylabel("score, IQM (95% bootstrap interval)")
        bottom.set_xlabel(label)
        for axis in (top, bottom):
            axis.grid(alpha=0.3)
    return _save(plt, figure, path)


def write_curve(result: CurveResult, folder: Path) -> tuple[str, list[Path]]:
    """`curve_NAME.csv`, `curve_NAME_survival.csv`, `curve_NAME.md` and `curve_NAME.png`."""
    from walker.files import atomic_write_text

    name = f"curve_{result.curve}"
    table = curve_markdown(result)
    files = [
        atomic_write_text(folder / f"{name}.csv", curve_csv(result)),
        atomic_write_text(folder / f"{name}_survival.csv", survival_csv(result)),
        atomic_write_text(folder / f"{name}.md", table),
        plot_curve(result, folder / f"{name}.png"),
    ]
    return table, files


def report_curve(
    curve: Curve,
    records: Sequence[ConditionRecord],
    conditions: Sequence[Condition],
    folder: Path,
) -> tuple[CurveResult, str, list[Path]]:
    """Summarise a curve's records and write its files, `episodes.csv` and `bench.json`
    (with the machine); return the result, its report and the files."""
    import json

    from walker.app.bench.report import episodes_csv
    from walker.app.core.machine import this_machine
    from walker.files import atomic_write_text

    level_of = {curve.condition_name(level): level for level in curve.levels}
    result = summarise_curve(curve, records, level_of)
    table, files = write_curve(result, folder)
    machine = this_machine()
    ordered = sorted(records, key=lambda r: (r.env_id, r.agent, level_of[r.condition], r.seed))
    summary = {
        "machine": machine.as_dict(),
        **_curve_json(curve, result, conditions),
        "records": [{k: v for k, v in r.to_dict().items() if k != "key"} for r in ordered],
    }
    files += [
        atomic_write_text(folder / "episodes.csv", episodes_csv(ordered)),
        atomic_write_text(folder / "bench.json", json.dumps(json_safe(summary), indent=1) + "\n"),
    ]
    report = (
        f"Measured on {machine.describe()}.\n\n"
        f"--curve {curve.name}: fall rate and score against {curve.quantity} "
        f"({curve.unit}); the largest size each agent survives in at least "
        f"{SURVIVAL_SHARE:.0%} of seeds (at it and every milder size):\n\n{table}"
    )
    return result, report, files


def _curve_json(
    curve: Curve, result: CurveResult, conditions: Sequence[Condition]
) -> dict[str, Any]:
    """The curve's definition, points and survival limits, for `bench.json`."""
    return {
        "curve": curve.name,
        "quantity": curve.quantity,
        "unit": curve.unit,
        "arms": {arm: list(levels) for arm, levels in curve.arms},
        "conditions": {c.name: c.description for c in conditions},
        "points": [
            {
                "env_id": p.env_id,
                "agent": p.agent,
                "level": p.level,
                "seeds": p.seeds,
                "falls": p.falls,
                "fall_rate": p.fall_rate.to_dict(),
                "score_iqm": p.score_iqm.to_dict(),
                "speed_m_s": p.speed.to_dict(),
            }
            for p in result.points
        ],
        "largest_survived": [
            {
                "env_id": s.env_id,
                "agent": s.agent,
                "arm": s.arm,
                "largest": s.largest,
                "every_level": s.beyond_range,
            }
            for s in result.survival
        ],
    }
