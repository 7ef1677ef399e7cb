"""The files of `walker bench --curve NAME`: a curve's tables, plot, episodes and summary.

`report_curve` summarises a curve's records (`walker.app.bench.curves`) and writes
`curve_NAME.csv` (one row per env, agent and size), `curve_NAME_survival.csv` (the largest
size survived in 90% of seeds), `curve_NAME_tolerance.csv` (per-seed tolerance against the
hard-coded gait, `walker.app.bench.tolerance`), `curve_NAME.md`, `curve_NAME.png`,
`episodes.csv` and `bench.json`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from walker.app.bench.curves import (
    SURVIVAL_SHARE,
    CurveResult,
    curve_csv,
    curve_markdown,
    summarise_curve,
    survival_csv,
)
from walker.app.bench.grades import Curve
from walker.app.bench.plots import plot_curve
from walker.app.bench.records import ConditionRecord, json_safe
from walker.app.bench.report import episodes_csv
from walker.app.bench.tolerance import tolerance_csv, tolerance_json, tolerance_markdown
from walker.app.core.conditions import Condition
from walker.app.core.machine import this_machine
from walker.files import atomic_write_text


def write_curve(result: CurveResult, folder: Path) -> tuple[str, list[Path]]:
    """`curve_NAME.csv`, `curve_NAME_survival.csv`, `curve_NAME_tolerance.csv`,
    `curve_NAME.md` (both tables) and `curve_NAME.png`."""
    name = f"curve_{result.curve}"
    table = curve_markdown(result)
    if result.tolerance:
        table += (
            "\nPer seed, the harshest size survived with every milder one survived too, "
            "compared with the hard-coded gait's on the same seed:\n\n"
            + tolerance_markdown(result.tolerance, result.unit)
        )
    files = [
        atomic_write_text(folder / f"{name}.csv", curve_csv(result)),
        atomic_write_text(folder / f"{name}_survival.csv", survival_csv(result)),
        atomic_write_text(
            folder / f"{name}_tolerance.csv", tolerance_csv(result.tolerance, result.quantity)
        ),
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
        "tolerance": tolerance_json(result.tolerance),
    }
