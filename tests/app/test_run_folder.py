"""A run folder never loses or mixes data: one run at a time, resume appends, signals and
full disks save.

The runs are tiny Q-learning runs on Henry-v0. Runs that must be stopped while they work
are real `walker` subprocesses: the test waits for the line they print once training has
started (no fixed sleeps), then signals them.
"""

import errno
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agents.checkpoint import load_checkpoint
from walker.app.cli import main

REPO = Path(__file__).resolve().parents[2]
ENDLESS = ["--steps", "100000000", "--no-progress"]


def walker_process(cwd, *argv):
    env = {**os.environ, "PYTHONPATH": str(REPO), "SDL_VIDEODRIVER": "dummy"}
    return subprocess.Popen(
        [sys.executable, "-m", "walker", *argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until_training(process, timeout_s=300):
    """Wait for the line a run prints once training has started; fail, never hang, if it
    does not come (a run that exits, or a walker that prints no such line)."""
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if selector.select(timeout=1.0):
            line = process.stdout.readline()
            assert line.startswith("training "), (line, process.stderr.read())
            return
        assert process.poll() is None, process.stderr.read()
    process.kill()
    pytest.fail(f"no 'training' line within {timeout_s} s")


def run(capsys, *argv):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as stop:
        code = stop.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def files_of(folder):
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


@pytest.mark.parametrize(("stop", "status"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_stop_signal_saves_a_checkpoint_like_ctrl_c(tmp_path, stop, status):
    process = walker_process(tmp_path, "train", "--out", "run", *ENDLESS)
    wait_until_training(process)
    process.send_signal(stop)
    _out, err = process.communicate(timeout=300)
    assert process.returncode == status, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == f"walker: stopped by {stop.name}"
    run_folder = tmp_path / "run"
    saved = load_checkpoint(run_folder / "checkpoint.pt")["metadata"]["trained_steps"]
    last = jsonl(run_folder / "history.jsonl")[-1]
    assert last["event"] == "interrupted" and last["signal"] == stop.name
    assert last["steps"] == saved
    assert all(row["step"] <= saved for row in jsonl(run_folder / "metrics.jsonl"))
    assert not (run_folder / "walker.lock").exists()


def test_a_second_run_into_a_busy_folder_is_refused_naming_the_first(tmp_path, capsys):
    first = walker_process(tmp_path, "train", "--out", "run", *ENDLESS)
    try:
        wait_until_training(first)
        before = files_of(tmp_path / "run")
        code, _, err = run(
            capsys, "train", "--steps", "50", "--out", tmp_path / "run", "--no-progress"
        )
        assert code == 2
        assert err.count("\n") == 1 and f"in use by another run, pid {first.pid} on " in err
        assert files_of(tmp_path / "run") == before
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=300)
    assert first.returncode == 143
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["steps"] == 100000000  # the first run's, untouched by the second


@pytest.mark.slow
def test_resume_appends_and_continues_the_counts(tmp_path, capsys):
    folder = tmp_path / "run"
    assert (
        run(capsys, "train", "--steps", 400, "--eval-every", 200, "--out", folder, "--no-progress")[
            0
        ]
        == 0
    )
    first_metrics = jsonl(folder / "metrics.jsonl")
    first_evals = jsonl(folder / "eval.jsonl")
    checkpoint = folder / "checkpoint.pt"
    code, text, err = run(
        capsys,
        "train",
        "--resume",
        checkpoint,
        "--steps",
        600,
        "--eval-every",
        300,
        "--no-progress",
    )
    assert code == 0, err
    assert f"run folder: {folder}" in text  # the checkpoint's folder, not a new default one
    metadata = load_checkpoint(checkpoint)["metadata"]
    assert metadata["trained_steps"] == 1000
    import gymnasium as gym

    from agents.qlearning import QLearning

    env = gym.make("Henry-v0")
    assert QLearning.load(checkpoint, env.observation_space, env.action_space).steps == 1000
    metrics = jsonl(folder / "metrics.jsonl")
    assert metrics[: len(first_metrics)] == first_metrics
    later = metrics[len(first_metrics) :]
    assert later and all(row["step"] > 400 for row in later)
    assert [row["episode"] for row in metrics] == list(range(1, len(metrics) + 1))
    assert metadata["trained_episodes"] == len(metrics)
    evals = jsonl(folder / "eval.jsonl")
    assert evals[: len(first_evals)] == first_evals
    assert [row["step"] for row in evals[len(first_evals) :]] == [600, 900, 1000]
    history = jsonl(folder / "history.jsonl")
    assert [event["event"] for event in history] == ["start", "end", "resume", "end"]
    assert history[1]["steps"] == 400 and history[3]["steps"] == 1000
    assert history[2]["from_steps"] == 400
    assert history[2]["changed"] == {"eval_every": [200, 300], "steps": [400, 600]}
    config = json.loads((folder / "config.json").read_text())
    assert config["eval_every"] == 300 and config["trained_steps"] == 1000


@pytest.mark.slow
def test_resume_accepts_env_arguments_given_at_their_defaults(tmp_path, capsys):
    folder = tmp_path / "run"
    assert run(capsys, "train", "--steps", 200, "--out", folder, "--no-progress")[0] == 0
    code, _, err = run(
        capsys,
        "train",
        "--resume",
        folder / "checkpoint.pt",
        "--steps",
        200,
        "--env-arg",
        "extension_levels=5",
        "--no-progress",
    )
    assert code == 0, err
    code, _, err = run(
        capsys, "eval", folder / "checkpoint.pt", "--env-arg", "extension_levels=5", "--episodes", 1
    )
    assert code == 0, err


@pytest.mark.slow
def test_resume_may_change_the_reward_and_nothing_else_of_the_env(tmp_path, capsys):
    folder = tmp_path / "run"
    ppo = ("train", "ppo", "--n-steps", 128, "--no-progress")
    reward = ("--env-arg", "walking_reward=true", "--env-arg", "fall_penalty=100")
    assert run(capsys, *ppo, "--steps", 128, *reward, "--out", folder)[0] == 0
    checkpoint = folder / "checkpoint.pt"
    before = files_of(folder)
    code, _, err = run(
        capsys, *ppo, "--steps", 128, "--resume", checkpoint, "--env-arg", "max_episode_steps=500"
    )
    assert code == 2 and "trained with max_episode_steps=1000" in err
    assert files_of(folder) == before
    code, _, err = run(
        capsys, *ppo, "--steps", 128, "--resume", checkpoint, "--env-arg", "fall_penalty=250"
    )
    assert code == 0, err
    # the arguments not given carry over from the checkpoint; the one given replaces its own
    wanted = {"walking_reward": True, "fall_penalty": 250.0}
    assert load_checkpoint(checkpoint)["metadata"]["env_kwargs"] == wanted
    assert json.loads((folder / "config.json").read_text())["env_kwargs"] == wanted
    changed = jsonl(folder / "history.jsonl")[-2]["changed"]
    assert changed["env_kwargs"] == [{"walking_reward": True, "fall_penalty": 100.0}, wanted]


@pytest.mark.slow
def test_a_finished_run_is_replaced_only_with_overwrite(tmp_path, capsys):
    folder = tmp_path / "run"
    assert run(capsys, "train", "--steps", 200, "--out", folder, "--no-progress")[0] == 0
    before = files_of(folder)
    code, _, err = run(capsys, "train", "--steps", 300, "--out", folder, "--no-progress")
    assert code == 2 and "already holds a finished run (200 steps); give --overwrite" in err
    assert files_of(folder) == before
    assert (
        run(capsys, "train", "--steps", 300, "--out", folder, "--overwrite", "--no-progress")[0]
        == 0
    )
    history = jsonl(folder / "history.jsonl")
    assert [event["event"] for event in history] == ["start", "end"]
    assert load_checkpoint(folder / "checkpoint.pt")["metadata"]["trained_steps"] == 300


def test_a_full_disk_keeps_the_previous_checkpoint(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "run"
    assert run(capsys, "train", "--steps", 200, "--out", folder, "--no-progress")[0] == 0
    checkpoint = folder / "checkpoint.pt"
    saved = checkpoint.read_bytes()
    real_write_bytes = Path.write_bytes

    def disk_full_for_checkpoints(path, data):
        if path.name.startswith(".checkpoint.pt."):
            real_write_bytes(path, bytes(data)[:100])  # a partial write, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write_bytes(path, data)

    monkeypatch.setattr(Path, "write_bytes", disk_full_for_checkpoints)
    code, _, err = run(capsys, "train", "--resume", checkpoint, "--steps", 200, "--no-progress")
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert (
        f"cannot write {checkpoint}: the disk is full; the previous checkpoint.pt is "
        "unchanged" in err
    )
    assert checkpoint.read_bytes() == saved
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]
    failed = jsonl(folder / "history.jsonl")[-1]
    assert failed["event"] == "failed" and failed["steps"] == 400  # how far it got
    assert "the disk is full" in failed["error"]
    assert all(row["step"] <= 200 for row in jsonl(folder / "metrics.jsonl"))


def test_a_plot_that_cannot_be_written_keeps_the_training(tmp_path, capsys, monkeypatch):
    from walker.app.training import runs

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runs, "learning_curves", disk_full)
    folder = tmp_path / "run"
    code, _, err = run(capsys, "train", "--steps", 200, "--out", folder, "--no-progress")
    assert code == 1
    assert err.count("\n") == 1 and "learning_curves.png" in err and "disk is full" in err
    assert load_checkpoint(folder / "checkpoint.pt")["metadata"]["trained_steps"] == 200
    assert jsonl(folder / "history.jsonl")[-1]["event"] == "end"


def test_record_leaves_no_temporary_file_when_stopped(tmp_path):
    process = walker_process(
        tmp_path, "record", "hardcoded", "--out", "gait.mp4", "--seconds", "3000"
    )
    deadline = time.monotonic() + 120
    while not any(p.stat().st_size for p in tmp_path.glob(".gait.mp4.*")):
        assert process.poll() is None and time.monotonic() < deadline  # encoder started?
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 143, err
    assert list(tmp_path.iterdir()) == []
