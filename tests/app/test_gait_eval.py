"""`walker eval` on Henry's envs reports the gait, and names the continuous-only gaits."""

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
    code, _, err = run(capsys, "eval", "hardcoded", "--seconds", "-1")
    assert code != 0
    assert "--seconds must be a positive number" in err


def test_a_policy_that_falls_gets_no_ratio_to_the_hard_coded_gait(capsys):
    code, text, _ = run(
        capsys,
        "eval",
        "hardcoded",
        "ppo-henry-continuous",
        "--env",
        "HenryContinuous-v0",
        "--episodes",
        "1",
    )
    assert code == 0
    row = table_rows(text)["ppo-henry-continuous"]
    assert row["falls"] == "100%"
    assert row["vs hard-coded"] == "-"
    assert float(row["flight"].rstrip("%")) > 20.0


@pytest.mark.slow
def test_the_pretrained_walk_walks_faster_than_the_controller(capsys):
    code, text, _ = run(
        capsys, "eval", "ppo-henry-walk", "hardcoded", "--seconds", "60", "--episodes", "1"
    )
    assert code == 0
    rows = table_rows(text)
    walk, controller = rows["ppo-henry-walk"], rows["hardcoded"]
    assert walk["falls"] == "0%"
    assert float(walk["flight"].rstrip("%")) < 5.0
    assert float(walk["alternating"].rstrip("%")) >= 75.0
    assert float(walk["speed m/s"]) > float(controller["speed m/s"])


def test_a_run_that_falls_reports_no_ratio_against_the_hard_coded_gait(tmp_path):
    # A speed until a fall is no win: the run summary gives the fall share, not a ratio.
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
    hardcoded = {"speed_m_s": 0.5}
    evaluation = {"return": 1.0, "length": 300.0, "distance_m": 9.0, "speed_m_s": 1.8}
    fell = RunResult(tmp_path, trained, {**evaluation, "falls": 1.0}, hardcoded).summary()
    assert "hard-coded gait" not in fell and "fell in 100% of the evaluation episodes" in fell
    walked = RunResult(tmp_path, trained, {**evaluation, "falls": 0.0}, hardcoded).summary()
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
