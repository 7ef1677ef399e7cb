"""Robustness curves: levels, pairing along sizes, Wilson intervals and the survival limit,
on records built to behave a known way."""

import math

import pytest

from walker.app.bench.curves import largest_survived, summarise_curve, wilson
from walker.app.bench.grades import CURVES, select_curve
from walker.app.bench.records import ConditionRecord
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
