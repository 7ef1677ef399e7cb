"""Per-seed tolerance along a robustness curve, compared seed by seed with the hard-coded gait.

A curve's "largest size survived in 90% of seeds" (`walker.app.bench.curves`) reads one
tail of the fall rates, and near its bar a few falls move it a whole level. Every seed of
a curve meets the same draw at every size, so each seed also has a **tolerance** per arm:
the harshest size it survived with every milder size survived too (none when it fell at
the mildest). Two agents' tolerances on the same seed are paired, like a race on the same
course: the share of seeds on which an agent tolerates a harsher size than the hard-coded
gait, ties counting half, with its 95% bootstrap interval over seeds, says whether it
survives larger pushes (0.5: no difference) with every seed counted, not only the tail.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from walker.app.bench.records import ConditionRecord
from walker.app.core import stats
from walker.app.core.conditions import REFERENCES
from walker.app.core.stats import Estimate

REFERENCE = REFERENCES[0]
"""The agent every tolerance is compared with on the same seeds: the hard-coded gait."""


def agent_rank(agent: str) -> int:
    """Where an agent's rows go: the bench's references in their order (the hard-coded
    gait, the random policy), then the rest, as `report.agent_order` lists them."""
    return REFERENCES.index(agent) if agent in REFERENCES else len(REFERENCES)


@dataclass(frozen=True)
class Tolerance:
    """One agent on one arm of a curve: its seeds' tolerances against the hard-coded's."""

    env_id: str
    agent: str
    arm: str
    seeds: int
    median: float | None
    """The median seed's harshest size survived, the lower of the middle two for an even
    count (None: that seed fell at the mildest size)."""
    harsher: Estimate
    """Share of paired seeds on which it tolerates a harsher size than the hard-coded
    gait, ties counting half, with its 95% bootstrap interval (NaN with no pairs)."""
    more: int
    """Paired seeds on which it tolerates a harsher size than the hard-coded gait."""
    less: int
    """Paired seeds on which the hard-coded gait tolerates a harsher size."""

    def describe_median(self, unit: str) -> str:
        if self.median is None:
            return "none"
        return f"{abs(self.median):g} {unit}" if unit != "x" else f"x{self.median:g}"


def seed_ranks(
    records: Sequence[ConditionRecord],
    level_of: Mapping[str, float],
    levels: Sequence[float],
) -> dict[tuple[str, str, int], int]:
    """Per (env, agent, seed) the index in `levels` (mildest first) of the harshest size
    survived with every milder one survived too: -1 when it fell at the mildest, and a
    missing size counts as a fall (a seed is credited only with what it was seen to do)."""
    fell: dict[tuple[str, str, int], dict[float, bool]] = {}
    for record in records:
        level = level_of[record.condition]
        if level in levels:
            key = (record.env_id, record.agent, record.seed)
            fell.setdefault(key, {})[level] = any(e.fell for e in record.episodes)
    ranks = {}
    for key, by_level in fell.items():
        rank = -1
        for index, level in enumerate(levels):
            if by_level.get(level, True):
                break
            rank = index
        ranks[key] = rank
    return ranks


def tolerances(
    records: Sequence[ConditionRecord],
    level_of: Mapping[str, float],
    arms: Sequence[tuple[str, Sequence[float]]],
) -> tuple[Tolerance, ...]:
    """Every (env, agent, arm)'s tolerance summary, the hard-coded gait's included (its
    comparison with itself is 0.5 by construction)."""
    out = []
    for arm, levels in arms:
        ranks = seed_ranks(records, level_of, levels)
        for env_id, agent in dict.fromkeys((key[0], key[1]) for key in ranks):
            mine = {seed: rank for (e, a, seed), rank in ranks.items() if (e, a) == (env_id, agent)}
            theirs = {s: r for (e, a, s), r in ranks.items() if (e, a) == (env_id, REFERENCE)}
            paired = [(mine[s], theirs[s]) for s in sorted(mine) if s in theirs]
            wins = [1.0 if m > t else 0.5 if m == t else 0.0 for m, t in paired]
            median_rank = sorted(mine.values())[(len(mine) - 1) // 2]  # the lower median
            out.append(
                Tolerance(
                    env_id=env_id,
                    agent=agent,
                    arm=arm,
                    seeds=len(mine),
                    median=None if median_rank < 0 else float(levels[median_rank]),
                    harsher=stats.mean_estimate(wins),
                    more=sum(m > t for m, t in paired),
                    less=sum(m < t for m, t in paired),
                )
            )
    agents = list(dict.fromkeys(t.agent for t in out))
    arm_names = [arm for arm, _ in arms]
    out.sort(
        key=lambda t: (t.env_id, agent_rank(t.agent), agents.index(t.agent), arm_names.index(t.arm))
    )
    return tuple(out)


def tolerance_markdown(found: Sequence[Tolerance], unit: str) -> str:
    """One row per env, agent and arm (the hard-coded gait's rows give its median only)."""
    lines = [
        "| env | agent | arm | median seed survives | tolerates a harsher size than "
        "hard-coded, same seed [95% CI] | seeds harsher / milder |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for t in found:
        if t.agent == REFERENCE:
            lines.append(
                f"| {t.env_id} | {t.agent} | {t.arm} | {t.describe_median(unit)} | "
                "(the reference) | - |"
            )
            continue
        share = t.harsher
        cell = (
            "-"
            if math.isnan(share.value)
            else f"{share.value:.2f} [{share.low:.2f}, {share.high:.2f}]"
        )
        lines.append(
            f"| {t.env_id} | {t.agent} | {t.arm} | {t.describe_median(unit)} | {cell} | "
            f"{t.more} / {t.less} |"
        )
    return "\n".join(lines) + "\n"


def tolerance_csv(found: Sequence[Tolerance], quantity: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "env_id",
            "agent",
            "arm",
            "seeds",
            f"median_{quantity}_survived",
            "harsher_than_hardcoded",
            "harsher_low",
            "harsher_high",
            "seeds_harsher",
            "seeds_milder",
        ]
    )
    for t in found:
        share = t.harsher
        writer.writerow(
            [
                t.env_id,
                t.agent,
                t.arm,
                t.seeds,
                "" if t.median is None else f"{t.median:g}",
                *(
                    f"{v:.4f}" if math.isfinite(v) else ""
                    for v in (share.value, share.low, share.high)
                ),
                t.more,
                t.less,
            ]
        )
    return buffer.getvalue()


def tolerance_json(found: Sequence[Tolerance]) -> list[dict[str, object]]:
    return [
        {
            "env_id": t.env_id,
            "agent": t.agent,
            "arm": t.arm,
            "seeds": t.seeds,
            "median": t.median,
            "harsher_than_hardcoded": t.harsher.to_dict(),
            "seeds_harsher": t.more,
            "seeds_milder": t.less,
        }
        for t in found
    ]
