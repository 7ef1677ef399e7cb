"""The article's findings at small budgets with fixed seeds."""

import dataclasses
import json

import gymnasium as gym
import numpy as np
import pytest

import envs
from agents.baselines import HardcodedGait
from walker.app.experiments import article as experiments
from walker.app.experiments import deep
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
    report = experiments.exploration(seeds=2, steps=3000)
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
    mean, lo, hi = experiments.mean_ci95([1.0, 2.0, 3.0])
    assert mean == 2.0
    assert lo == pytest.approx(2.0 - 4.30 * 1.0 / np.sqrt(3))
    assert hi == pytest.approx(2.0 + 4.30 * 1.0 / np.sqrt(3))


@pytest.mark.slow
def test_deep_experiment_trains_the_steps_it_is_given():
    setups = deep.DEEP_SETUPS[1:2]  # DQN: quick to build and step
    report = deep.deep_agents(seeds=1, setups=setups, steps_each=60)
    figures = report.figures[setups[0].label]
    assert figures["steps"] == 60 and len(figures["final_speeds_m_s"]) == 1
    assert figures["walk_checks"] == [None]  # the discrete Henry's gait is not checked


@pytest.mark.slow
def test_deep_experiment_seeds_in_two_workers_match_one_and_check_the_walk(capsys):
    # The continuous setup, scaled down: a few thousand steps train no walk, so the check
    # must say so; two worker processes must give exactly what one process gives.
    setup = dataclasses.replace(deep.DEEP_SETUPS[0], walk_check_s=2.0)
    alone = deep.deep_agents(seeds=2, setups=[setup], steps_each=2048)
    apart = deep.deep_agents(seeds=2, setups=[setup], steps_each=2048, workers=2)
    one, two = alone.figures[setup.label], apart.figures[setup.label]
    assert one["final_speeds_m_s"] == two["final_speeds_m_s"]
    assert json.dumps(one["walk_checks"]) == json.dumps(two["walk_checks"])  # NaN != NaN
    step_s = gym.make(envs.CONTINUOUS_ID).unwrapped.dt
    for check in one["walk_checks"]:
        assert 0 < check["length"] <= round(2.0 / step_s)  # the check lasted 2 s at most
        assert not deep._walks(check)  # a few thousand steps learn no walk
    assert "final policy walks" in alone.text
    assert capsys.readouterr().err.count("deep: PPO, walking reward") == 4  # a line a seed


@pytest.mark.parametrize(
    ("check", "walks"),
    [
        ({"falls": 0.0, "flight_share": 0.02, "alternation": 0.9, "speed_m_s": 1.4}, True),
        ({"falls": 1.0, "flight_share": 0.02, "alternation": 0.9, "speed_m_s": 1.4}, False),
        ({"falls": 0.0, "flight_share": 0.40, "alternation": 0.9, "speed_m_s": 1.6}, False),
        (
            {"falls": 0.0, "flight_share": 0.00, "alternation": float("nan"), "speed_m_s": 0.0},
            False,
        ),
        ({"falls": 0.0, "flight_share": 0.01, "alternation": 0.2, "speed_m_s": 0.3}, False),
        ({"falls": 0.0, "flight_share": 0.01, "alternation": 0.9, "speed_m_s": 0.01}, False),
    ],
)
def test_a_walk_moves_on_alternating_feet_without_flight_or_fall(check, walks):
    assert deep._walks(check) is walks


def test_deep_setups_train_on_the_walking_reward_against_the_controller():
    continuous = deep.DEEP_SETUPS[0]
    assert continuous.env_kwargs["walking_reward"] is True
    assert continuous.walk_check_s == 60.0 and continuous.steps == 1_000_000


def test_experiment_steps_and_workers_reach_the_deep_experiment(monkeypatch):
    given = {}

    def fake(seeds, steps_each=None, workers=1):
        given.update(seeds=seeds, steps_each=steps_each, workers=workers)
        return experiments.Report("deep", "", {})

    monkeypatch.setattr(deep, "deep_agents", fake)
    experiments.run("deep", seeds=2, steps=500, workers=2)
    assert given == {"seeds": 2, "steps_each": 500, "workers": 2}
