"""From `walker bench` records to its report: statistics per agent and condition, a Markdown
table, the raw episodes as CSV and JSON, and the plots.

One record is one (env, agent, seed, condition) with its episodes. A seed's value is the
mean over its episodes; statistics are over seeds (`walker.app.core.stats`). The normalised score
is `(speed - random) / (hard-coded - random)` where both references are the mean speeds of
the random and hard-coded policies on the same env under the `standard` condition, so 1.0
means "as fast as the hand-written gait on flat ground" and a perturbation that slows an
agent shows as a lower score. P(improvement) compares an agent's seeds with the hard-coded
policy's seeds under the same condition.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from walker.app.bench.plots import plot_iqm, plot_robustness
from walker.app.bench.records import GAIT_MEASURES, ConditionRecord, json_safe
from walker.app.bench.summary import Summary
from walker.app.core import stats
from walker.app.core.conditions import REFERENCES, STANDARD
from walker.app.core.gaits import gait_verdict
from walker.app.core.machine import Machine, this_machine
from walker.files import atomic_write_text


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    return math.nan


def seed_value(record: ConditionRecord, metric: str) -> float:
    """A seed's value of `metric`: the mean over its episodes that have one."""
    values = np.array([_number(getattr(e, metric)) for e in record.episodes], dtype=float)
    values = values[np.isfinite(values)]
    return float(values.mean()) if len(values) else math.nan


def _nanmean(values: Sequence[float]) -> float:
    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    return float(data.mean()) if len(data) else math.nan


def references(records: Sequence[ConditionRecord]) -> dict[str, tuple[float, float]]:
    """(random, hard-coded) mean speed on the standard condition, per env."""
    found: dict[str, tuple[float, float]] = {}
    for env_id in dict.fromkeys(r.env_id for r in records):
        means = []
        for agent in reversed(REFERENCES):  # random, hard-coded
            speeds = [
                seed_value(r, "speed_m_s")
                for r in records
                if r.env_id == env_id and r.agent == agent and r.condition == STANDARD
            ]
            means.append(_nanmean(speeds))
        found[env_id] = (means[0], means[1])
    return found


def agent_order(records: Sequence[ConditionRecord]) -> list[str]:
    """Hard-coded, random, then the others as they first appear."""
    names = list(dict.fromkeys(r.agent for r in records))
    return [n for n in REFERENCES if n in names] + [n for n in names if n not in REFERENCES]


def summarise(
    records: Sequence[ConditionRecord], conditions: Sequence[str]
) -> tuple[list[Summary], dict[str, tuple[float, float]]]:
    """A `Summary` per (env, condition, agent) present in `records`, in table order."""
    refs = references(records)
    groups: dict[tuple[str, str, str], list[ConditionRecord]] = {}
    for record in sorted(records, key=lambda r: r.seed):
        groups.setdefault((record.env_id, record.condition, record.agent), []).append(record)
    order = agent_order(records)
    summaries = []
    for env_id in refs:
        random_ref, hard_ref = refs[env_id]
        span = hard_ref - random_ref
        for condition in conditions:
            hard = groups.get((env_id, condition, "hardcoded"), [])
            hard_speeds = [seed_value(r, "speed_m_s") for r in hard]
            for agent in order:
                group = groups.get((env_id, condition, agent))
                if not group:
                    continue
                speeds = [seed_value(r, "speed_m_s") for r in group]
                scores = [(s - random_ref) / span if span > 0 else math.nan for s in speeds]
                episodes = [e for r in group for e in r.episodes]
                falls = [_number(e.time_to_fall_s) for e in episodes if e.fell]
                summaries.append(
                    Summary(
                        env_id=env_id,
                        condition=condition,
                        agent=agent,
                        seeds=len(group),
                        speed=stats.mean_estimate(speeds),
                        score_iqm=stats.iqm_estimate(scores),
                        score_mean=stats.mean_estimate(scores),
                        improvement=(
                            None
                            if agent == "hardcoded" or not hard_speeds
                            else stats.probability_of_improvement(speeds, hard_speeds)
                        ),
                        fall_rate=stats.fall_rate([bool(e.fell) for e in episodes]),
                        time_to_fall_s=_nanmean(falls),
                        cost_of_transport=_nanmean(
                            [seed_value(r, "cost_of_transport") for r in group]
                        ),
                        illegal_share=_nanmean([seed_value(r, "illegal_share") for r in group]),
                        gait=gait_verdict([e.gait for e in episodes]),
                        extra={
                            k: _nanmean([seed_value(r, k) for r in group]) for k in GAIT_MEASURES
                        },
                    )
                )
    return summaries, refs


def _plain(value: float, digits: int = 2, percent: bool = False) -> str:
    if not math.isfinite(value):
        return "-"
    return f"{value:.0%}" if percent else f"{value:.{digits}f}"


def _speed_cell(summary: Summary) -> str:
    """The speed estimate; a zero-width interval says why when every seed fell."""
    cell = summary.speed.format(4)
    if summary.fall_rate == 1.0:
        cell += f" (falls {summary.seeds}/{summary.seeds})"
    return cell


def _gait_cell(summary: Summary) -> str:
    if not summary.gait:
        return "-"
    froude = summary.extra.get("froude_number", math.nan)
    ratio = summary.extra.get("stride_ratio", math.nan)
    if not (math.isfinite(froude) and math.isfinite(ratio)):
        return summary.gait
    return f"{summary.gait} (Fr {froude:.2g}, {ratio:.2f})"


def _row(s: Summary, discrete: bool) -> list[str]:
    """The cells of one summary's row."""
    falls = _plain(s.fall_rate, percent=True)
    if math.isfinite(s.time_to_fall_s):
        falls += f" (at {s.time_to_fall_s:.1f} s)"
    cells = [
        s.condition,
        s.agent,
        _speed_cell(s),
        s.score_iqm.format(2),
        s.improvement.format(2) if s.improvement else "-",
        falls,
        _gait_cell(s),
        _plain(s.cost_of_transport, 2),
    ]
    if discrete:
        cells.append(_plain(s.illegal_share, percent=True))
    return cells


def markdown(
    summaries: Sequence[Summary],
    refs: dict[str, tuple[float, float]],
    episodes: int,
    train_steps: int | None,
    machine: Machine | None = None,
    fixed: bool = False,
    first_seed: int = 0,
) -> str:
    """One Markdown table per env (with the seeds' range when they do not start at 0)."""
    parts = []
    if machine is not None:
        parts.append(f"Measured on {machine.describe()}.\n")
    for env_id, (random_ref, hard_ref) in refs.items():
        rows = [s for s in summaries if s.env_id == env_id]
        if not rows:
            continue
        seeds = max(s.seeds for s in rows)
        counted = f"{seeds} seeds" + (
            f" ({first_seed:,} to {first_seed + seeds - 1:,})" if first_seed else ""
        )
        learners = (
            f"learners trained for {train_steps:,} steps per seed"
            if train_steps
            else "learners loaded from their pretrained checkpoints"
        )
        draws = (
            "fixed point conditions (--fixed)"
            if fixed
            else "each seed a new draw of every condition"
        )
        parts.append(
            f"**{env_id}**: {counted} x {episodes} episode(s), {draws}; {learners}. Score: "
            f"(speed - random) / (hard-coded - random) with the standard condition's "
            f"{random_ref:.4f} and {hard_ref:.4f} m/s.\n"
        )
        discrete = any(math.isfinite(s.illegal_share) for s in rows)
        header = [
            "condition",
            "agent",
            "speed m/s (a fall: 0), mean [95% CI]",
            "score, IQM [95% CI]",
            "P(faster than hard-coded) [95% CI]",
            "falls",
            "gait (Froude number, stride ratio)",
            "cost of transport",
        ]
        if discrete:
            header.append("illegal actions")
        lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        lines += ["| " + " | ".join(_row(s, discrete)) + " |" for s in rows]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def episodes_csv(records: Sequence[ConditionRecord]) -> str:
    """One row per episode: who, where, which seed and episode, then every metric, the gait
    label, the reset seed and the condition's drawn values (`EpisodeRecord.to_dict`)."""
    columns = [list(e.to_dict()) for r in records for e in r.episodes]
    metrics = columns[0] if columns else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["env_id", "agent", "condition", "seed", "episode", *metrics])
    for record in records:
        for index, episode in enumerate(record.episodes):
            writer.writerow(
                [
                    record.env_id,
                    record.agent,
                    record.condition,
                    record.seed,
                    index,
                    *(_csv_cell(v) for v in episode.to_dict().values()),
                ]
            )
    return buffer.getvalue()


def _csv_cell(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    return value


def write_report(
    records: Sequence[ConditionRecord],
    conditions: Mapping[str, str],
    folder: Path,
    episodes: int,
    train_steps: int | None,
    fixed: bool = False,
) -> tuple[str, list[Summary], list[Path]]:
    """Write bench.md, episodes.csv, bench.json and the plots; return the table, the
    summaries and the files. `conditions` maps each condition's name to its description."""
    ordered = sorted(records, key=lambda r: (r.env_id, r.agent, r.condition, r.seed))
    summaries, refs = summarise(records, list(conditions))
    machine = this_machine()
    first_seed = min((r.seed for r in records), default=0)
    table = markdown(summaries, refs, episodes, train_steps, machine, fixed, first_seed)
    legend = "\n".join(f"- `{name}`: {text}" for name, text in conditions.items())
    files = [
        atomic_write_text(folder / "bench.md", f"{table}\nConditions:\n{legend}\n"),
        atomic_write_text(folder / "episodes.csv", episodes_csv(ordered)),
        atomic_write_text(
            folder / "bench.json",
            json.dumps(
                json_safe(
                    {
                        "machine": machine.as_dict(),
                        "episodes_per_seed": episodes,
                        "first_seed": first_seed,
                        "train_steps": train_steps,
                        "fixed": fixed,
                        "conditions": dict(conditions),
                        "references_m_s": {
                            env: {"random": r, "hardcoded": h} for env, (r, h) in refs.items()
                        },
                        "summary": [s.to_dict() for s in summaries],
                        "records": [
                            {k: v for k, v in r.to_dict().items() if k != "key"} for r in ordered
                        ],
                    }
                ),
                indent=1,
            )
            + "\n",
        ),
    ]
    names = list(conditions)
    files.append(plot_iqm(summaries, names, folder / "bench_iqm.png"))
    for env_id in refs:
        files.append(
            plot_robustness(summaries, names, env_id, folder / f"bench_robustness_{env_id}.png")
        )
    return table, summaries, files
