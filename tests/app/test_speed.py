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


def test_speed_output_names_the_machine(tmp_path, capsys, monkeypatch):
    import json

    from walker.app.cli import main
    from walker.app.speed import benchmarks

    monkeypatch.setitem(benchmarks.BENCHMARKS, "quick", lambda: ("quick: 1 thing/s", {"n": 1}))
    out = tmp_path / "speed.json"
    assert main(["speed", "quick", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("Measured on ") and "pymunk" in printed and "cores" in printed
    saved = json.loads(out.read_text())
    assert saved["quick"] == {"n": 1}
    machine = saved["machine"]
    assert machine["cores"] >= 1 and machine["cpu_model"]
    assert {"python", "numpy", "torch", "pymunk"} <= set(machine)


def test_train_times_the_loop_on_henry_and_on_taxi_against_an_inline_loop():
    text, figures = speed.training_loop(steps=20, rounds=1, taxi_steps=300)
    assert figures["decisions_per_s"] > 0 and figures["bare_decisions_per_s"] > 0
    assert figures["taxi_steps_per_s"] > 0 and figures["taxi_inline_steps_per_s"] > 0
    ratio = figures["taxi_loop_over_inline"]
    assert math.isfinite(ratio) and ratio > 0
    assert f"inline loop steps/s on Taxi-v4: {ratio:.2f}" in text
    assert "walker train qlearning, Taxi-v4" in text and "inline gymnasium loop, Taxi-v4" in text
