"""`walker eval` on Henry's envs reports the gait, and names the continuous-only gaits."""

from dataclasses import replace

import pytest

from walker.app.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def table_rows(text):
    lines = text.strip().splitlines()
    header = lines[1].split("  ")
    header = [cell.strip() for cell in header if cell.strip()]
    rows = {}
    for line in lines[3:]:
        cells = [cell.strip() for cell in line.split("  ") if cell.strip()]
        rows[cells[0]] = dict(zip(header, cells, strict=True))
    return rows


def test_eval_reports_the_gait_of_the_continuous_gaits(capsys):
    code, text, _ = run(
        capsys,
        "eval",
        "hardcoded",
        "open-loop",
        "--env",
        "HenryContinuous-v0",
        "--episodes",
        "1",
        "--seconds",
        "10",
    )
    assert code == 0
    assert "up to 10 s" in text
    rows = table_rows(text)
    walking, replay = rows["hardcoded"], rows["open-loop"]
    assert walking["steps"] == "600" and walking["falls"] == "0%"
    assert float(walking["speed m/s"]) > 0.4
    assert float(walking["flight"].rstrip("%")) < 5.0
    assert int(walking["footfalls"]) >= 15
    assert float(walking["CoT"]) > 0
    assert float(replay["speed m/s"]) < 0.05


def test_eval_reports_the_gait_on_the_discrete_env(capsys):
    code, text, _ = run(capsys, "eval", "hardcoded", "--episodes", "1")
    assert code == 0
    row = table_rows(text)["hardcoded"]
    assert row["flight"] == "0.0%" and row["alternating"] == "100%"
    assert float(row["stride m"]) > 0


def test_continuous_only_gaits_refuse_the_discrete_env(capsys):
    code, _, err = run(capsys, "eval", "walking", "--episodes", "1")
    assert code != 0
    assert "needs the continuous Henry" in err


def test_bad_seconds_are_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run(capsys, "eval", "hardcoded", "--seconds", "-1")
    assert exit_info.value.code == 2
    assert "--seconds: seconds must be a number > 0" in capsys.readouterr().err


TOPPLING_ACTION = (1.0, -1.0, 1.0, -1.0)
"""Both legs swung fully forward: Henry tips over backwards within about 35 steps from every
start, a fall by construction rather than the chance outcome of a learned gait."""


@pytest.fixture(scope="module")
def toppling_checkpoint(tmp_path_factory):
    """A PPO checkpoint for the continuous Henry whose greedy action is `TOPPLING_ACTION`
    whatever it sees: its actor's last layer has no weights, only that bias."""
    import gymnasium as gym
    import torch

    import envs
    from agents.ppo import PPO
    from walker.app.core.policies import env_metadata

    env = gym.make(envs.CONTINUOUS_ID)
    agent = PPO(env.observation_space, env.action_space, seed=0)
    with torch.no_grad():
        agent.net.actor.weights[-1].zero_()
        agent.net.actor.biases[-1].copy_(torch.tensor(TOPPLING_ACTION))
    path = tmp_path_factory.mktemp("toppling") / "toppling.pt"
    agent.save(path, env_metadata(envs.CONTINUOUS_ID, {}, env))
    env.close()
    return path


def test_a_policy_that_falls_gets_no_ratio_to_the_hard_coded_gait(capsys, toppling_checkpoint):
    code, text, _ = run(
        capsys,
        "eval",
        "hardcoded",
        str(toppling_checkpoint),
        "--env",
        "HenryContinuous-v0",
        "--episodes",
        "2",
    )
    assert code == 0
    rows = table_rows(text)
    assert rows["hardcoded"]["vs hard-coded"] == "1.00x"
    row = rows[str(toppling_checkpoint)]
    assert row["falls"] == "100%"
    assert int(row["steps"]) < 100  # it fell, long before the 1,000-step limit
    assert row["vs hard-coded"] == "-"


@pytest.mark.slow
def test_the_pretrained_walk_walks_faster_than_the_controller(capsys):
    # Three seeds of 20 s each (the table gives their means), with margins: one episode of
    # a learned gait can stumble or not depending on the CPU's floating-point details, but
    # over three it walks with a walking stride, a foot always down, about 1.3x the
    # controller's speed.
    code, text, _ = run(
        capsys, "eval", "ppo-henry-walk", "hardcoded", "--seconds", "20", "--episodes", "3"
    )
    assert code == 0
    rows = table_rows(text)
    walk, controller = rows["ppo-henry-walk"], rows["hardcoded"]
    assert walk["falls"] in ("0%", "33%")  # at most one seed of three
    assert float(walk["flight"].rstrip("%")) < 5.0
    assert float(walk["alternating"].rstrip("%")) >= 60.0
    assert all(float(duty) > 0.5 for duty in walk["duty R/L"].split("/"))
    assert float(walk["stride ratio"]) >= 0.6
    assert float(walk["speed m/s"]) > 1.1 * float(controller["speed m/s"])


def test_a_run_that_falls_reports_no_ratio_against_the_hard_coded_gait(tmp_path):
    # A speed until a fall is no win: the run summary gives the fall share, not a ratio.
    from walker.app.core.evaluation import Evaluation
    from walker.app.training.loop import TrainResult
    from walker.app.training.runs import RunResult

    trained = TrainResult(
        steps=10,
        episodes=1,
        seconds=1.0,
        interrupted=False,
        checkpoint=None,
        evaluations=[],
        episode_log=[],
    )
    hardcoded = Evaluation(1.0, 300.0, 0.0, distance_m=2.5, speed_m_s=0.5)
    fell = Evaluation(1.0, 300.0, 1.0, distance_m=9.0, speed_m_s=1.8)
    fell_text = RunResult(tmp_path, trained, fell, hardcoded).summary()
    assert "hard-coded gait" not in fell_text
    assert "fell in 100% of the evaluation episodes" in fell_text
    walked = RunResult(tmp_path, trained, replace(fell, falls=0.0), hardcoded).summary()
    assert "(3.60x the hard-coded gait)" in walked


def test_a_policy_trained_with_another_reward_plays_in_the_default_env(capsys):
    # ppo-henry-walk was trained with the walking reward option; playing it in the default
    # continuous env (as a race or a benchmark does) is allowed, since reward arguments do
    # not change what it sees or how Henry moves. Dynamics arguments still must match.
    from walker.app.cli import main

    walk = ["eval", "ppo-henry-walk", "--env", "HenryContinuous-v0", "--episodes", "1"]
    code = main([*walk, "--seconds", "2"])
    assert code == 0, capsys.readouterr().err
    code = main([*walk, "--env-arg", "frame_skip=2"])
    assert code != 0
    assert "frame_skip" in capsys.readouterr().err


@pytest.mark.slow
def test_the_pretrained_walk_keeps_walking_on_a_wet_floor():
    # The bench's friction_low draws of seeds 0-9: before the controller reached down for a
    # foot that found no ground, the walk stood still in a split stance in 2 of them (the
    # residual's correction held the front foot just above the ground) at under 0.03 m/s;
    # walking, every one of them is over 0.6 m/s here. Whether one learned episode falls
    # depends on the CPU's floating-point details, so a fall is allowed (twice in 10); a
    # stall, upright and still, is not.
    from pathlib import Path

    from walker.app.bench.tasks import EpisodeTask, play_condition
    from walker.app.core.conditions import CONDITIONS
    from walker.app.core.policies import resolve_checkpoint

    checkpoint = resolve_checkpoint("ppo-henry-walk")
    assert checkpoint is not None
    shared = {"walk": Path(checkpoint).read_bytes()}
    episodes = []
    for seed in range(10):
        draw = CONDITIONS["friction_low"].draw(seed)
        task = EpisodeTask(
            "HenryContinuous-v0",
            "ppo-henry-walk",
            "checkpoint",
            seed,
            "friction_low",
            1,
            checkpoint="walk",
            draw=draw,
        )
        episodes.append(play_condition(task, shared).episodes[0])
    standing = [e.speed_m_s for e in episodes if not e.fell and e.speed_m_s < 0.3]
    assert not standing, standing
    assert sum(e.fell for e in episodes) <= 2
