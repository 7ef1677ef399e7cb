"""`walker speed`: every contender runs and every ratio the README quotes is computed."""

import math

from walker.app.speed import benchmarks as speed


def test_physics_times_every_contender_and_gives_the_ratios():
    text, figures = speed.physics(steps=200, decisions=5, rounds=1)
    for name in ("raw pymunk (10 substeps)", "HenryContinuous-v0", "Henry-v0"):
        assert name in text and figures[name] > 0
    ratio = figures["continuous_cost_over_raw_pymunk"]
    assert math.isfinite(ratio) and ratio > 0
    if speed.has_box2d():  # the peer comes with the bench extra
        assert figures["continuous_over_bipedal"] > 0
    else:
        assert "scripts/setup.sh bench" in text


def test_render_times_one_frame_and_a_race_frame():
    text, figures = speed.render(frames=3, rounds=1)
    assert figures["Henry-v0 rgb_array 600x400"] > 0
    assert figures[speed.RACE_FRAME] > 0
    assert "ms per frame" in text
