"""Robustness curves: levels, pairing along sizes, Wilson intervals and the survival limit,
on records built to behave a known way."""

import math

import pytest

from walker.app.bench.curves import largest_survived, summarise_curve, wilson
from walker.app.bench.grades import CURVES, select_curve
from walker.app.bench.records import ConditionRecord
from walker.app.bench.tolerance import tolerance_markdown
from walker.app.core.conditions import ConditionError


def test_the_push_curve_spans_zero_to_ten_both_ways_and_is_paired_along_sizes():
    curve = CURVES["push"]
    assert curve.levels[0] == 0.0
    assert max(curve.levels) >= 10.0 and min(curve.levels) <= -10.0
    # One seed meets the same push time and start nudge at every size.
    small, large = curve.condition(2.0).draw(5), curve.condition(-8.0).draw(5)
    assert small.values["push_time_s"] == large.values["push_time_s"]
    assert small.options() == large.options()
    assert (small.values["push_n_s"], large.values["push_n_s"]) == (2.0, -8.0)
    assert curve.condition(0.0).draw(5).pushes == ()
    with pytest.raises(ConditionError, match="unknown curve 'ice'"):
        select_curve("ice")


def test_wilson_intervals_are_honest_at_the_ends():
    none = wilson(0, 10)
    assert none.value == 0.0 and none.low == 0.0 and 0.25 < none.high < 0.35
    every = wilson(10, 10)
    assert every.value == 1.0 and every.high == pytest.approx(1.0) and every.low < 0.75
    half = wilson(5, 10)
    assert half.low < 0.5 < half.high


def _records(agent, fall_from, speed, levels, seeds=10, env_id="HenryContinuous-v0"):
    """An agent that falls (every seed) at sizes of `fall_from` or more, else walks."""
    curve = CURVES["push"]
    out = []
    for level in levels:
        for seed in range(seeds):
            fell = abs(level) >= fall_from
            out.append(
                ConditionRecord.from_dict(
                    {
                        "key": f"{env_id}/{agent}/{seed}/{level}",
                        "env_id": env_id,
                        "agent": agent,
                        "condition": curve.condition_name(level),
                        "seed": seed,
                        "episodes": [{"speed_m_s": 0.0 if fell else speed, "fell": fell}],
                    }
                )
            )
    return out


def test_curve_points_and_the_largest_size_survived():
    curve = CURVES["push"]
    levels = curve.levels
    records = (
        _records("hardcoded", 5.0, 0.5, levels)
        + _records("random", 0.0, 0.0, levels)
        + _records("sturdy", 99.0, 1.0, levels)
    )
    level_of = {curve.condition_name(level): level for level in levels}
    result = summarise_curve(curve, records, level_of)
    by = {(p.agent, p.level): p for p in result.points}
    assert by[("hardcoded", 4.0)].falls == 0 and by[("hardcoded", 5.0)].falls == 10
    assert by[("hardcoded", 0.0)].score_iqm.value == pytest.approx(1.0)
    assert by[("sturdy", 3.0)].score_iqm.value == pytest.approx(2.0)
    limits = {(s.agent, s.arm): s for s in result.survival}
    assert limits[("hardcoded", "forward push")].largest == 4.0
    assert limits[("hardcoded", "backward push")].largest == -4.0
    assert limits[("random", "forward push")].largest is None
    sturdy = limits[("sturdy", "forward push")]
    assert sturdy.largest == 10.0 and sturdy.beyond_range
    assert sturdy.describe("N*s") == ">= 10 N*s (every level)"


def test_survival_needs_ninety_percent_at_every_milder_size():
    from walker.app.bench.curves import CurvePoint
    from walker.app.core.stats import Estimate

    nan = Estimate(math.nan, math.nan, math.nan)

    def point(level, falls):
        return CurvePoint("e", "a", level, 10, falls, wilson(falls, 10), nan, nan)

    # 1 fall in 10 is survived; 2 are not, even if a harsher size is survived again.
    points = {0.0: point(0.0, 0), 1.0: point(1.0, 1), 2.0: point(2.0, 2), 3.0: point(3.0, 0)}
    limit = largest_survived("e", "a", "forward", (0.0, 1.0, 2.0, 3.0), points)
    assert limit.largest == 1.0 and not limit.beyond_range


def _seed_records(agent, falls_from, levels):
    """Seed i falls at every size of `falls_from[i]` or more (None: never)."""
    curve = CURVES["push"]
    return [
        ConditionRecord.from_dict(
            {
                "key": f"HenryContinuous-v0/{agent}/{seed}/{level}",
                "env_id": "HenryContinuous-v0",
                "agent": agent,
                "condition": curve.condition_name(level),
                "seed": seed,
                "episodes": [{"speed_m_s": 0.5, "fell": start is not None and abs(level) >= start}],
            }
        )
        for level in levels
        for seed, start in enumerate(falls_from)
    ]


def test_each_seed_tolerates_the_harshest_size_up_to_its_first_fall():
    from walker.app.bench.tolerance import seed_ranks

    curve = CURVES["push"]
    levels = (0.0, 1.0, 2.0, 3.0)
    records = _seed_records("a", [None, 0.0, 2.0], levels)
    # Seed 3 survives 3 N*s but fell at 1 N*s: only what it survived in order counts.
    records += [r for r in _seed_records("a", [None] * 4, levels) if r.seed == 3]
    records = [r for r in records if not (r.seed == 3 and r.condition == "push+1")]
    records += _seed_records("a", [None, None, None, 1.0], (1.0,))[3:]
    level_of = {curve.condition_name(level): level for level in levels}
    ranks = seed_ranks(records, level_of, levels)
    assert [ranks[("HenryContinuous-v0", "a", seed)] for seed in range(4)] == [3, -1, 1, 0]
    # A size nobody played counts as a fall: no seed is credited beyond what it was seen to do.
    assert (
        seed_ranks(records, level_of, (0.0, 1.0, 2.0, 3.0, 4.0))[("HenryContinuous-v0", "a", 0)]
        == 3
    )


def test_tolerance_is_compared_with_the_hardcoded_gait_seed_by_seed():
    curve = CURVES["push"]
    levels = curve.levels
    # Ten seeds: the agent outlasts the hard-coded gait on 6, ties on 2, gives way on 2.
    hard = [5.0] * 10
    mine = [6.0, 8.0, 6.0, 10.0, None, 6.0, 5.0, 5.0, 4.0, 3.0]
    records = _seed_records("hardcoded", hard, levels) + _seed_records("sturdy", mine, levels)
    level_of = {curve.condition_name(level): level for level in levels}
    result = summarise_curve(curve, records, level_of)
    found = {(t.agent, t.arm): t for t in result.tolerance}
    forward = found[("sturdy", "forward push")]
    assert (forward.more, forward.less, forward.seeds) == (6, 2, 10)
    assert forward.harsher.value == pytest.approx(0.7)
    assert forward.harsher.low < 0.7 < forward.harsher.high
    assert forward.median == 5.0  # survived: 5 6 5 10 10 5 4 4 3 2
    assert found[("hardcoded", "forward push")].harsher.value == 0.5
    assert found[("hardcoded", "forward push")].median == 4.0
    # Backward the same seeds fall from the same sizes: the same comparison.
    assert found[("sturdy", "backward push")].more == 6
    table = tolerance_markdown(result.tolerance, "N*s")
    assert "| HenryContinuous-v0 | sturdy | forward push | 5 N*s | 0.70 [" in table
    assert "| hardcoded | forward push | 4 N*s | (the reference) | - |" in table
    fallen = summarise_curve(curve, _seed_records("hardcoded", [0.0] * 4, levels), level_of)
    assert (
        fallen.tolerance[0].median is None and fallen.tolerance[0].describe_median("N*s") == "none"
    )
