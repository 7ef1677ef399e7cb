"""The article's findings at small budgets with fixed seeds."""

import numpy as np
import pytest

from agents.baselines import HardcodedGait
from walker.app import experiments
from walker.app.planning import TablePolicy, best_cycle, plan, sample_model


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
    setups = experiments.DEEP_SETUPS[1:2]  # DQN: quick to build and step
    report = experiments.deep_agents(seeds=1, setups=setups, steps_each=60)
    figures = report.figures[setups[0].label]
    assert figures["steps"] == 60 and len(figures["final_speeds_m_s"]) == 1


def test_experiment_steps_reach_the_deep_experiment(monkeypatch):
    given = {}

    def deep(seeds, steps_each=None):
        given.update(seeds=seeds, steps_each=steps_each)
        return experiments.Report("deep", "", {})

    monkeypatch.setattr(experiments, "deep_agents", deep)
    experiments.run("deep", seeds=2, steps=500)
    assert given == {"seeds": 2, "steps_each": 500}
