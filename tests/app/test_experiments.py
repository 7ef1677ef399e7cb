"""The article's findings at small budgets with fixed seeds."""

import dataclasses
import json
import os

import gymnasium as gym
import numpy as np
import pytest

import envs
from agents.baselines import HardcodedGait
from walker.app.core.stats import mean_ci95
from walker.app.core.sweep import Backend
from walker.app.experiments import article as experiments
from walker.app.experiments import deep
from walker.app.experiments.deep_seed import WalkCheck
from walker.app.experiments.planning import TablePolicy, best_cycle, plan, sample_model


@pytest.fixture(scope="module")
def model():
    return sample_model(experiments.henry)


def test_planning_finds_the_full_extension_gait(model):
    policy, _ = plan(model, gamma=0.999)
    cycle = best_cycle(model, policy, (2, 1, 2, 1))
    names = cycle.describe()
    # Each foot is carried from the back level to the front level: four moves per step.
    assert names.count("LEFT_FORWARD") == 4 and names.count("RIGHT_FORWARD") == 4
    hardcoded = experiments.speed_of(HardcodedGait())
    best = experiments.speed_of(TablePolicy(policy))
    assert best / hardcoded > 1.8


@pytest.mark.slow
def test_learned_gait_beats_the_hardcoded_one_and_nearly_matches_the_best(model):
    report = experiments.learned_vs_hardcoded(seeds=2, steps=6000, track_every=1000)
    figures = report.figures
    assert figures["ratio_mean"] >= 1.3
    assert figures["fraction_of_best"] >= 0.95
    assert all(step is not None for step in figures["first_match_steps"])
    assert "best possible (planned)" in report.text


@pytest.mark.slow
def test_learned_gait_recovers_where_the_hardcoded_one_fails():
    agent = experiments.train_qlearning(seed=0, steps=12000, random_starts=True)
    learned_share, _ = experiments.recovery_share(lambda: agent)
    hardcoded_share, failed = experiments.recovery_share(HardcodedGait)
    assert (2, 1, 2, 0) in failed  # left foot up
    assert learned_share >= 0.95
    assert hardcoded_share < 0.5


@pytest.mark.slow
def test_exploration_experiment_reports_speed_and_extension_range():
    # What is checked is the report's shape, not what the schedules learn: a short budget does.
    report = experiments.exploration(seeds=2, steps=600)
    for name, values in report.figures.items():
        if name == "hardcoded_speed_m_s":
            continue
        assert len(values["speeds_m_s"]) == 2
        assert all(0.0 <= r <= 1.0 for r in values["extension_range"])
    assert "extension range used" in report.text


def test_dungeon_gambler_goes_forward_and_accountant_gets_stuck():
    report = experiments.dungeon(steps=5000, seed=0)
    assert report.figures["gambler"]["policy"] == ["FORWARD"] * 5
    accountant_q = np.array(report.figures["accountant"]["q"])
    assert accountant_q[0, 1] > accountant_q[0, 0]  # BACKWARD at the entrance
    assert report.figures["accountant"]["policy"][0] == "BACKWARD"


def test_confidence_interval():
    # Student's t with 2 degrees of freedom: 4.303 (the 97.5% quantile, from the tables).
    mean, lo, hi = mean_ci95([1.0, 2.0, 3.0])
    assert mean == 2.0
    assert lo == pytest.approx(2.0 - 4.3027 * 1.0 / np.sqrt(3), abs=1e-4)
    assert hi == pytest.approx(2.0 + 4.3027 * 1.0 / np.sqrt(3), abs=1e-4)
    # Many values: close to the normal's 1.96.
    values = np.random.default_rng(0).normal(size=1000)
    _, lo, hi = mean_ci95(values)
    assert (hi - lo) / 2 == pytest.approx(1.962 * values.std(ddof=1) / np.sqrt(1000), rel=1e-3)
    assert mean_ci95([5.0]) == (5.0, 5.0, 5.0)


@pytest.mark.slow
def test_deep_experiment_trains_the_steps_it_is_given():
    setups = deep.DEEP_SETUPS[1:2]  # DQN: quick to build and step
    report = deep.deep_agents(seeds=1, setups=setups, steps_each=60)
    figures = report.figures[setups[0].label]
    assert figures["steps"] == 60 and len(figures["final_speeds_m_s"]) == 1
    assert figures["walk_checks"] == [None]  # the discrete Henry's gait is not checked


@pytest.mark.slow
def test_deep_experiment_seeds_in_two_workers_match_one_and_check_the_walk(capsys):
    # The continuous setup, scaled down: a two-second check never reaches the controller's
    # pace, so it must say no walk; two worker processes must give what one process gives.
    setup = dataclasses.replace(deep.DEEP_SETUPS[0], walk_check_s=2.0)
    alone = deep.deep_agents(seeds=2, setups=[setup], steps_each=2048)
    apart = deep.deep_agents(seeds=2, setups=[setup], steps_each=2048, backend=Backend(2))
    one, two = alone.figures[setup.label], apart.figures[setup.label]
    assert one["final_speeds_m_s"] == two["final_speeds_m_s"]
    assert json.dumps(one["walk_checks"]) == json.dumps(two["walk_checks"])  # NaN != NaN
    step_s = gym.make(envs.CONTINUOUS_ID).unwrapped.dt
    for check in one["walk_checks"]:
        assert 0 < check["length"] <= round(2.0 / step_s)  # the check lasted 2 s at most
        # Two seconds from a standstill never reach the controller's pace over a minute.
        assert not WalkCheck(**check).walks
    assert "final policy walks" in alone.text
    assert (
        capsys.readouterr().err.count("deep: Residual PPO on the walking controller") == 4
    )  # a line a seed


_WALK = {
    "falls": 0.0,
    "flight_share": 0.02,
    "alternation": 0.9,
    "speed_m_s": 0.7,
    "duty_factor": 0.55,
    "stride_ratio": 1.0,
    "reference_m_s": 0.6,
}


@pytest.mark.parametrize(
    ("change", "walks"),
    [
        ({}, True),
        ({"falls": 1.0}, False),
        ({"falls": 1 / 3}, False),  # one of the three starts fell
        ({"flight_share": 0.40}, False),  # a hop
        ({"flight_share": 0.05}, False),  # the bound is strict
        ({"alternation": float("nan"), "speed_m_s": 0.0}, False),  # stands still
        ({"alternation": 0.2}, False),  # one foot taps
        ({"speed_m_s": 0.01, "reference_m_s": 0.0}, False),  # barely moves
        ({"speed_m_s": 0.59}, False),  # slower than the controller
        ({"duty_factor": 0.45}, False),  # a run: each foot down less than half the time
        ({"stride_ratio": 0.27}, False),  # a shuffle of short quick steps
        ({"stride_ratio": float("nan")}, False),
        ({"stride_ratio": 0.6}, True),
    ],
)
def test_a_walk_has_long_strides_feet_down_no_flight_and_beats_the_controller(change, walks):
    assert WalkCheck(**{**_WALK, **change}, length=100.0).walks is walks


def test_deep_setups_train_on_the_walking_reward_against_the_controller():
    continuous = deep.DEEP_SETUPS[0]
    assert continuous.env_kwargs["walking_reward"] is True
    assert continuous.config["residual"] == "walking"
    assert continuous.walk_check_s == 60.0 and continuous.steps <= 3_000_000


@pytest.mark.parametrize(
    ("argv", "backend"),
    [
        (["--workers", "2"], Backend(workers=2, workers_given=True)),
        (["--ray"], Backend(ray=True)),
        (["--ray", "--workers", "2"], Backend(workers=2, ray=True, workers_given=True)),
        ([], Backend()),
    ],
)
def test_experiment_steps_workers_and_ray_reach_the_deep_experiment(
    monkeypatch, tmp_path, capsys, argv, backend
):
    from walker.app.cli import main

    given = {}

    def fake(seeds, steps_each=None, backend=None):
        given.update(seeds=seeds, steps_each=steps_each, backend=backend)
        return experiments.Report("deep", "", {})

    monkeypatch.setattr(deep, "deep_agents", fake)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)  # 2 cores
    if backend.ray:
        pytest.importorskip("ray")
    out = str(tmp_path / "deep")
    assert main(["experiment", "deep", "--seeds", "2", "--steps", "500", *argv, "--out", out]) == 0
    assert given == {"seeds": 2, "steps_each": 500, "backend": backend}


def test_failed_seeds_are_named_and_no_table_is_made(monkeypatch):
    def diverging(task, shared, report=None):
        raise FloatingPointError(f"the physics diverged on seed {task.seed}")

    monkeypatch.setattr(deep, "train_seed", diverging)
    setup = deep.DEEP_SETUPS[1]
    with pytest.raises(deep.DeepError) as failed:
        deep.deep_agents(seeds=2, setups=[setup], steps_each=10)
    for seed in (0, 1):
        assert (
            f"{setup.label}, seed {seed}: FloatingPointError: the physics diverged on seed {seed}"
            in str(failed.value)
        )


@pytest.mark.slow
@pytest.mark.xdist_group("ray")  # one local Ray at a time, on one test worker
def test_deep_experiment_on_ray_gives_the_figures_of_one_process(local_ray, capsys):
    # Two seeds of the residual walk (its controller's config travels with each task) on a
    # tiny budget, evaluated once at its end, the walk check cut to 1 s: on Ray they must give
    # exactly what they give in this process. Every setup goes through the same runner, which
    # the bench's Ray test and the two-worker test above hold to the same figures.
    walk = next(setup for setup in deep.DEEP_SETUPS if setup.walk_check_s)
    setups = [dataclasses.replace(walk, eval_every=walk.steps, walk_check_s=1.0)]
    here = deep.deep_agents(seeds=2, setups=setups, steps_each=64)
    on_ray = deep.deep_agents(seeds=2, setups=setups, steps_each=64, backend=Backend(ray=True))
    for setup in setups:
        mine, theirs = here.figures[setup.label], on_ray.figures[setup.label]
        for key in ("final_speeds_m_s", "first_beat_steps", "walk_checks", "steps"):
            assert json.dumps(mine[key]) == json.dumps(theirs[key])  # NaN != NaN
    assert capsys.readouterr().err.count("deep: ") == 2 * 2 * len(setups)  # a line a seed
