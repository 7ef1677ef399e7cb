"""Training in the bench's worlds (`walker train --conditions`, `walker.app.training.worlds`)."""

import json

import numpy as np
import pytest

import envs
from walker.app.cli import main
from walker.app.core.conditions import CONDITIONS
from walker.app.training.config import TrainConfig, TrainError
from walker.app.training.worlds import training_env_maker


def _worlds(seed, names=("push", "bumps", "random_start"), episodes=9):
    env = training_env_maker(envs.CONTINUOUS_ID, {"walking_reward": True}, 30, names)()
    seen = []
    for episode in range(episodes):
        obs, _ = env.reset(seed=seed if episode == 0 else None)
        henry = env.unwrapped
        spec = henry.henry_spec
        seen.append((env.current, henry.pushes, spec.bump_height_m, obs.tobytes()))
        assert henry.walking_reward  # the run's own env arguments stay
    return seen


def test_each_episode_meets_a_new_draw_of_the_next_condition_in_turn():
    seen = _worlds(seed=5)
    names = [s[0] for s in seen]
    assert names == ["push_forward", "push_backward", "bumps", "random_start"] * 2 + [
        "push_forward"
    ]  # in the order given, groups expanded, round and round
    pushes = [s[1] for s in seen if s[0] == "push_forward"]
    bumps = [s[2] for s in seen if s[0] == "bumps"]
    assert len(pushes) == 3 and len(set(pushes)) == 3 and all(p[0][1] > 0 for p in pushes)
    assert len(bumps) == 2 and len(set(bumps)) == 2 and all(0 < h < 0.05 for h in bumps)
    assert all(s[1] == () and s[2] == 0.0 for s in seen if s[0] == "random_start")


def test_the_same_seed_meets_the_same_worlds_and_another_seed_others():
    assert _worlds(seed=5) == _worlds(seed=5)
    assert [s[1:3] for s in _worlds(seed=6)] != [s[1:3] for s in _worlds(seed=5)]


def test_training_never_meets_a_world_the_bench_grades_on():
    bench = {
        (CONDITIONS[name].draw(seed).pushes, CONDITIONS[name].draw(seed).spec.get("bump_height_m"))
        for name in ("push_forward", "push_backward", "bumps")
        for seed in range(200)
    }
    for seed in range(3):
        for name, pushes, bump, _ in _worlds(seed, names=("push", "bumps"), episodes=12):
            assert (pushes, bump or None) not in bench, name


def test_a_condition_named_twice_comes_round_twice_as_often():
    config = TrainConfig(conditions=("bumps", "standard", "bumps", "push"))
    assert config.conditions == ("bumps", "standard", "bumps", "push_forward", "push_backward")
    env = training_env_maker(envs.CONTINUOUS_ID, {}, 10, config.conditions)()
    met = []
    for episode in range(10):
        env.reset(seed=1 if episode == 0 else None)
        met.append(env.current)
    assert met.count("bumps") == 4 and met.count("standard") == 2


def test_unknown_conditions_are_refused_in_one_sentence(capsys):
    with pytest.raises(TrainError, match="unknown condition 'ice'"):
        TrainConfig(conditions=("ice",))
    code = main(["train", "ppo", "--conditions", "ice", "--steps", "10", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "unknown condition 'ice'" in err and err.count("\n") == 1


def test_walker_train_records_its_conditions_and_trains_in_them(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "ppo", "--residual", "walking", "--conditions", "bumps", "push"]
    argv += ["--steps", "256", "--n-steps", "64", "--batch-size", "64", "--num-envs", "2"]
    argv += ["--episode-steps", "40", "--out", str(out), "--no-progress", "--seed", "3"]
    assert main(argv) == 0, capsys.readouterr().err
    config = json.loads((out / "config.json").read_text())
    assert config["conditions"] == ["bumps", "push_forward", "push_backward"]
    history = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert history and all(np.isfinite(row.get("return", 0.0)) for row in history)
