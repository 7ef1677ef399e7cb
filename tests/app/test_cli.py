"""End-to-end checks of the `walker` command, run in-process through `main(argv)`."""

import itertools
import json
import re

import numpy as np
import pytest

from walker.app.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert "walker 0.1.0" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "qlearning" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["train", "qlearning", "--help"])
    out = capsys.readouterr().out
    assert "--alpha" in out and "--epsilon-decay-steps" in out and "Learning rate" in out
    assert "--num-envs" in out and "--env-arg" in out  # the run's options, from TrainConfig


def test_train_writes_a_complete_run_folder(tmp_path, capsys):
    out = tmp_path / "run"
    code, text, _ = run(
        capsys,
        "train",
        "--agent",
        "qlearning",
        "--steps",
        "400",
        "--seed",
        "1",
        "--out",
        str(out),
        "--alpha",
        "0.3",
        "--eval-every",
        "200",
        "--no-progress",
    )
    assert code == 0
    assert "greedy policy" in text and "hard-coded gait" in text
    for name in (
        "config.json",
        "metrics.jsonl",
        "eval.jsonl",
        "checkpoint.pt",
        "learning_curves.png",
    ):
        assert (out / name).stat().st_size > 0, name
    config = json.loads((out / "config.json").read_text())
    assert config["agent_config"]["alpha"] == 0.3 and config["random_starts"] is True
    episodes = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert len(episodes) == 2 and episodes[0]["length"] == 200
    evaluations = (out / "eval.jsonl").read_text().splitlines()
    assert len(evaluations) == 2


def test_train_spellings_name_the_agent_first_or_default_to_qlearning():
    from walker.app.cli.train import respell as _train_spelling

    assert _train_spelling(["train"]) == ["train", "qlearning"]
    assert _train_spelling(["train", "--steps", "5"]) == ["train", "qlearning", "--steps", "5"]
    assert _train_spelling(["train", "--agent", "ppo", "--steps", "5"]) == [
        "train",
        "ppo",
        "--steps",
        "5",
    ]
    assert _train_spelling(["train", "--agent=dqn"]) == ["train", "dqn"]
    assert _train_spelling(["train", "ppo", "--agent", "x"]) == ["train", "ppo", "--agent", "x"]
    assert _train_spelling(["train", "--help"]) == ["train", "--help"]
    # --agent was an ordinary option: after other options it still names the agent
    assert _train_spelling(["train", "--steps", "5", "--agent", "dqn", "--seed", "1"]) == [
        "train",
        "dqn",
        "--steps",
        "5",
        "--seed",
        "1",
    ]
    assert _train_spelling(["train", "--steps", "5", "--agent=ppo"]) == [
        "train",
        "ppo",
        "--steps",
        "5",
    ]
    assert _train_spelling(["eval", "--agent", "x"]) == ["eval", "--agent", "x"]


def test_resume_continues_from_the_checkpoint(tmp_path, capsys):
    first = tmp_path / "first"
    assert run(capsys, "train", "--steps", "200", "--out", str(first), "--no-progress")[0] == 0
    second = tmp_path / "second"
    code, _text, _ = run(
        capsys,
        "train",
        "--steps",
        "200",
        "--out",
        str(second),
        "--resume",
        str(first / "checkpoint.pt"),
        "--no-progress",
    )
    assert code == 0
    import gymnasium as gym

    from agents.qlearning import QLearning

    env = gym.make("Henry-v0")
    agent = QLearning.load(second / "checkpoint.pt", env.observation_space, env.action_space)
    assert agent.steps == 400


@pytest.mark.slow
def test_eval_table_and_qtable(tmp_path, capsys):
    out = tmp_path / "run"
    run(capsys, "train", "--steps", "300", "--out", str(out), "--no-progress")
    code, text, _ = run(
        capsys, "eval", "hardcoded", "random", str(out / "checkpoint.pt"), "--episodes", "1"
    )
    assert code == 0
    assert "hardcoded" in text and "1.00x" in text and "speed m/s" in text
    code, text, _ = run(
        capsys, "qtable", str(out / "checkpoint.pt"), "--out", str(tmp_path / "heat.png")
    )
    assert code == 0
    assert "[2, 1, 2, 1]: LIFT_RIGHT" in text and " *" in text
    assert (tmp_path / "heat.png").stat().st_size > 1000


def table_row(text, name):
    """The cells of the row of table `text` whose first cell is `name`."""
    rows = [line.split() for line in text.splitlines()]
    return next(row for row in rows if row and row[0] == name)


def table_cells(text, name):
    """The row of table `text` whose first cell is `name`, keyed by its header's names.

    Columns are where the dashed rule under the header puts them, so a header with a space
    ("distance m") stays one name."""
    lines = text.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("---"))
    starts = [m.start() for m in re.finditer(r"-+", lines[rule])]
    bounds = list(zip(starts, [*starts[1:], None], strict=True))
    row = next(line for line in lines[rule + 1 :] if line.split()[:1] == [name])
    return {lines[rule - 1][a:b].strip(): row[a:b].strip() for a, b in bounds}


def test_hardcoded_from_left_foot_up_shows_the_failure(capsys):
    # From the standard start the gait walks; with the left foot up its next action is
    # illegal, so Henry stands there for the whole episode, neither falling nor walking.
    code, text, _ = run(capsys, "eval", "hardcoded", "--episodes", "1")
    assert code == 0
    assert float(table_cells(text, "hardcoded")["distance m"]) > 1.0
    code, text, _ = run(capsys, "eval", "hardcoded", "--pose", "left_foot_up", "--episodes", "1")
    assert code == 0
    row = table_cells(text, "hardcoded")
    assert (row["steps"], row["falls"]) == ("200", "0%")
    assert abs(float(row["distance m"])) < 0.01 and abs(float(row["speed m/s"])) < 1e-4


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["eval", "nonsense"], "unknown policy 'nonsense'"),
        (["eval", "hardcoded", "--env", "NoSuchEnv-v9"], "cannot make env"),
        (["eval", "missing.pt"], "does not exist"),
        (["train", "--steps", "10", "--alpha", "-1", "--no-progress"], "alpha must be"),
        (
            ["train", "--steps", "10", "--env-arg", "extension_levels=4", "--no-progress"],
            "odd whole number",
        ),
        (
            ["train", "--steps", "10", "--env", "CartPole-v1", "--no-progress"],
            "Discrete or MultiDiscrete observation",
        ),
        (["qtable", "missing.pt"], "does not exist"),
        (["watch", "hardcoded"], "needs a display"),
        (["record", "hardcoded", "--out", "video.avi"], "must be a .mp4 or .gif file"),
        (["record", "--out", "v.mp4"], "either one POLICY"),
        (
            ["race", "--learn", "qlearning:epsilon_end=0.01", "--out", "r.mp4"],
            "give options as for walker train",
        ),
        (
            ["race", "--learn", "qlearning --no-such-option 1", "--out", "r.mp4"],
            "unrecognized arguments: --no-such-option",
        ),
        (["race", "--learn", "qlearning --alpha 2", "--out", "r.mp4"], "alpha must be"),
    ],
)
def test_user_errors_are_one_line(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DISPLAY", raising=False)
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err
    assert err.startswith("walker: error:") and err.count("\n") == 1


def test_damaged_and_mismatched_checkpoints(tmp_path, capsys):
    damaged = tmp_path / "bad.pt"
    damaged.write_bytes(b"not a checkpoint at all")
    code, _, err = run(capsys, "eval", str(damaged))
    assert code == 2 and "damaged or not a Henry checkpoint" in err
    out = tmp_path / "run"
    run(capsys, "train", "--steps", "100", "--out", str(out), "--no-progress")
    code, _, err = run(
        capsys,
        "eval",
        str(out / "checkpoint.pt"),
        "--env",
        "Henry-v0",
        "--env-arg",
        "extension_levels=3",
        "--env-arg",
        "step_length_m=0.1",
    )
    assert code == 2 and "extension_levels" in err


def test_unwritable_out_folder(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(
        capsys, "train", "--steps", "10", "--out", str(blocker / "run"), "--no-progress"
    )
    assert code == 2 and "is a file, not a folder" in err


def test_record_writes_the_requested_frames(tmp_path, capsys):
    from walker.draw.video import read_frames

    path = tmp_path / "gait.mp4"
    code, _text, _ = run(
        capsys, "record", "hardcoded", "--out", str(path), "--seconds", "2", "--fps", "15"
    )
    assert code == 0
    frames = read_frames(path)
    assert len(frames) == 30
    assert frames[0].shape == (400, 600, 3)
    differences = [
        np.abs(a.astype(int) - b.astype(int)).sum() for a, b in itertools.pairwise(frames)
    ]
    assert sum(d > 0 for d in differences) > len(differences) // 2


@pytest.mark.slow
def test_demo_runs_headless_and_prints_the_comparison(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    out = tmp_path / "demo"
    code, text, _ = run(capsys, "demo", "--steps", "400", "--out", str(out))
    assert code == 0
    assert "hard-coded gait" in text and "random" in text and "Q-learning" in text
    assert (out / "gait.mp4").stat().st_size > 0
    assert (out / "checkpoint.pt").exists() and (out / "learning_curves.png").exists()


@pytest.mark.slow
def test_record_every_saves_clips_and_a_montage(tmp_path, capsys):
    from walker.draw.video import read_frames

    out = tmp_path / "run"
    code, _, _ = run(
        capsys, "train", "--steps", "400", "--record-every", "1", "--out", str(out), "--no-progress"
    )
    assert code == 0
    clips = sorted((out / "clips").glob("*.mp4"))
    assert [c.name for c in clips] == ["episode_00001.mp4", "episode_00002.mp4"]
    assert len(read_frames(out / "montage.mp4")) == 2 * len(read_frames(clips[0]))


def test_race_without_display_needs_out(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    code, _, err = run(capsys, "race", "hardcoded", "random")
    assert code == 2 and "--out" in err
    code, text, _ = run(
        capsys, "race", "hardcoded", "random", "--out", str(tmp_path / "race.mp4"), "--seconds", "2"
    )
    assert code == 0 and "1.  hardcoded" in text


def test_ctrl_c_saves_a_checkpoint_and_exits_cleanly(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from agents.checkpoint import load_checkpoint

    out = tmp_path / "run"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "walker",
            "train",
            "--steps",
            "1000000",
            "--checkpoint-every",
            "100",
            "--out",
            str(out),
            "--no-progress",
        ],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        # Ready: the loop runs once its first scheduled checkpoint (written atomically) is there.
        deadline = time.monotonic() + 120
        while not (out / "checkpoint.pt").exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "training never wrote its first checkpoint"
            time.sleep(0.05)
        first = load_checkpoint(out / "checkpoint.pt")["metadata"]["trained_steps"]
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:  # a failed test leaves no training running behind it
            process.kill()
            process.communicate()
    assert process.returncode == 130
    assert "Traceback" not in stderr
    assert "interrupted: checkpoint saved" in stdout
    # The checkpoint saved on Ctrl-C holds every step taken, as the summary reports.
    last = load_checkpoint(out / "checkpoint.pt")["metadata"]["trained_steps"]
    assert last >= first >= 100
    assert f"trained {last} steps" in stdout
    assert (out / "metrics.jsonl").exists()


@pytest.mark.parametrize(
    ("name", "env", "at_least"),
    [("qlearning-henry", "Henry-v0", 1.9), ("dqn-henry", "Henry-v0", 1.9)],
)
def test_pretrained_policies_in_assets_walk_by_name(capsys, name, env, at_least):
    code, text, _ = run(capsys, "eval", "hardcoded", name, "--env", env, "--episodes", "1")
    assert code == 0
    lines = text.strip().splitlines()
    column = lines[1].index("vs hard-coded")  # the table's cells start under their headers
    ratio = float(lines[-1][column:].split()[0].rstrip("x"))
    assert ratio > at_least


def test_written_files_get_normal_permissions(tmp_path):
    from walker.files import atomic_write_text

    path = atomic_write_text(tmp_path / "note.txt", "hello")
    assert path.stat().st_mode & 0o044  # readable by others, like any new file under umask 022


@pytest.mark.parametrize(
    ("argv", "plan"),
    [
        (
            [
                "ppo",
                "--env",
                "CartPole-v1",
                "--steps",
                "2048",
                "--n-steps",
                "512",
                "--num-envs",
                "2",
            ],
            (2, 2048),
        ),
        (
            [
                "--agent",
                "ppo",
                "--env",
                "HenryContinuous-v0",
                "--steps",
                "1024",
                "--n-steps",
                "256",
            ],
            (1, 1024),
        ),
        (["ppo", "--steps", "1024", "--n-steps", "256", "--episode-steps", "20"], (1, 1024)),
        (["dqn", "--steps", "600", "--learning-starts", "100", "--episode-steps", "20"], (1, 600)),
    ],
)
@pytest.mark.slow
def test_deep_agents_train_and_evaluate_through_the_cli(tmp_path, capsys, argv, plan):
    import torch

    out = tmp_path / "run"
    code, text, _ = run(capsys, "train", *argv, "--out", str(out), "--no-progress")
    assert code == 0, text
    config = json.loads((out / "config.json").read_text())
    assert "n_envs" not in config["agent_config"] and "total_steps" not in config["agent_config"]
    # The agent took the number of envs and the budget from the run.
    state = torch.load(out / "checkpoint.pt", weights_only=True)["state"]
    assert (state["n_envs"], state["total_steps"]) == plan == (config["num_envs"], config["steps"])
    code, text, _ = run(capsys, "eval", str(out / "checkpoint.pt"), "--episodes", "1")
    assert code == 0 and "checkpoint.pt" in text


def test_checkpoint_of_one_agent_kind_cannot_resume_another(tmp_path, capsys):
    out = tmp_path / "q"
    run(capsys, "train", "--steps", "100", "--out", str(out), "--no-progress")
    code, _, err = run(
        capsys,
        "train",
        "--agent",
        "dqn",
        "--steps",
        "100",
        "--resume",
        str(out / "checkpoint.pt"),
        "--out",
        str(tmp_path / "d"),
        "--no-progress",
    )
    assert code == 2 and "'qlearning' agent, not a 'dqn' agent" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--agent", "ppo", "--learning-rate", "-1"], "learning_rate"),
        (["--agent", "ppo", "--batch-size", "4096", "--n-steps", "256"], "batch_size"),
        (["--agent", "dqn", "--gamma", "2"], "gamma"),
        (
            ["ppo", "--num-envs", "2", "--n-steps", "16", "--batch-size", "64"],
            "must not exceed the rollout of n_steps * n_envs = 32",
        ),
        (["qlearning", "--num-envs", "0"], "num_envs must be a whole number >= 1"),
    ],
)
def test_deep_hyperparameters_out_of_range(capsys, argv, message):
    code, _, err = run(capsys, "train", *argv, "--steps", "10", "--no-progress")
    assert code == 2 and message in err


def test_tensorboard_logging_when_installed(tmp_path, capsys):
    import importlib.util

    argv = [
        "train",
        "--steps",
        "200",
        "--out",
        str(tmp_path / "run"),
        "--tensorboard",
        str(tmp_path / "tb"),
        "--no-progress",
    ]
    if importlib.util.find_spec("tensorboard") is None:
        code, _, err = run(capsys, *argv)
        assert code == 2 and "needs the tensorboard package" in err
    else:
        assert run(capsys, *argv)[0] == 0
        assert list((tmp_path / "tb").glob("events.out.tfevents.*"))


@pytest.mark.parametrize("agent", ["dqn", "ppo"])
@pytest.mark.slow
def test_deep_agents_resume_from_their_checkpoints(tmp_path, capsys, agent):
    import torch

    extra = ["--n-steps", "128"] if agent == "ppo" else ["--learning-starts", "50"]
    first, second = tmp_path / "first", tmp_path / "second"
    assert (
        run(
            capsys,
            "train",
            "--agent",
            agent,
            "--steps",
            "256",
            *extra,
            "--out",
            str(first),
            "--no-progress",
        )[0]
        == 0
    )
    code, text, _ = run(
        capsys,
        "train",
        "--agent",
        agent,
        "--steps",
        "256",
        "--resume",
        str(first / "checkpoint.pt"),
        "--out",
        str(second),
        "--no-progress",
    )
    assert code == 0, text
    state = torch.load(second / "checkpoint.pt", weights_only=True)["state"]
    assert state["steps"] == 512


def test_resume_onto_another_env_is_refused_naming_both(tmp_path, capsys):
    out = tmp_path / "q"
    run(capsys, "train", "--steps", "100", "--out", str(out), "--no-progress")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    code, _, err = run(
        capsys,
        "train",
        "--steps",
        "100",
        "--resume",
        str(out / "checkpoint.pt"),
        "--env",
        "HenryContinuous-v0",
        "--no-progress",
    )
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "--env HenryContinuous-v0 cannot apply with --resume" in err and "Henry-v0" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
