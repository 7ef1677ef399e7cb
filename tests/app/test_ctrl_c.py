"""Ctrl-C means stop, in every verb: the run is saved, nothing more is done, and no process
of the command prints a traceback. Ctrl-C in a terminal reaches the whole process group,
so the tests send SIGINT to the group, as the terminal does."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import gymnasium as gym
import pytest

from tests.app.test_run_folder import wait_until_training

ROOT = Path(__file__).resolve().parents[2]


def _start(tmp_path, *argv):
    return subprocess.Popen(
        [sys.executable, "-m", "walker", *argv],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), "SDL_VIDEODRIVER": "dummy"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group, signalled like a terminal's
    )


def _stop_group(process, stop, after_s, group=True):
    time.sleep(after_s)
    if group:
        os.killpg(process.pid, stop)
    else:
        process.send_signal(stop)
    try:
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    return process.returncode, out, err


@pytest.mark.slow
def test_ctrl_c_stops_the_demo_after_saving(tmp_path):
    process = _start(tmp_path, "demo", "--steps", "100000000", "--no-window", "--out", "demo")
    line = process.stdout.readline()
    assert line.startswith("Training Q-learning"), line
    wait_until_training(process)
    code, out, err = _stop_group(process, signal.SIGINT, 2.0)
    assert code == 130, err
    assert err.endswith("\nwalker: stopped by SIGINT\n")  # after the progress bar
    assert "Traceback" not in err
    assert "interrupted: checkpoint saved at step" in out
    assert "walker train --resume demo/checkpoint.pt" in out
    assert "hard-coded gait" not in out  # no comparison after Ctrl-C
    assert (tmp_path / "demo" / "checkpoint.pt").is_file()
    assert not (tmp_path / "demo" / "gait.mp4").exists()  # no video either


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_async_vector_env_workers_end_quietly(tmp_path, stop):
    process = _start(
        tmp_path,
        "train",
        "ppo",
        "--env",
        "HenryContinuous-v0",
        "--num-envs",
        "2",
        "--vector",
        "async",
        "--steps",
        "100000000",
        "--no-progress",
        "--out",
        "run",
    )
    wait_until_training(process)  # printed once the workers are up and reset: they step
    code, out, err = _stop_group(process, stop, 1.5)
    assert code == 128 + stop, err
    assert err == f"walker: stopped by {signal.Signals(stop).name}\n"
    assert "interrupted: checkpoint saved" in out
    assert (tmp_path / "run" / "checkpoint.pt").is_file()


class _SlowStep(gym.Wrapper):
    def step(self, action):
        time.sleep(60.0)
        return self.env.step(action)


def test_vector_env_workers_killed_mid_step_close_without_a_word(recwarn):
    """The race behind a stop: the signal ends the workers while the parent waits for their
    step. Closing then finds their pipes at end of file; it must end what is left and mark
    the env closed, so that its finalizer does not try again and print a traceback."""
    import gc

    from envs import CONTINUOUS_ID
    from walker.app.core.policies import make_env
    from walker.app.training.config import TrainConfig
    from walker.app.training.loop import _close_vector_env, _end_workers, make_vector_env

    config = TrainConfig(num_envs=2, vector="async")

    def killed_mid_step():
        # Each worker's step takes a minute, so the kill lands mid-step on any machine: a
        # quick step could finish and answer before the kill, leaving no end of file to find.
        vector_env = make_vector_env(lambda: _SlowStep(make_env(CONTINUOUS_ID)), config)
        vector_env.reset(seed=0)
        vector_env.step_async(vector_env.action_space.sample())
        for process in vector_env.processes:
            process.kill()
            process.join()
        return vector_env

    vector_env = killed_mid_step()
    _close_vector_env(vector_env, config, interrupted=True)
    assert vector_env.closed
    assert not any(process.is_alive() for process in vector_env.processes)
    unraisable = []
    hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        del vector_env
        gc.collect()
    finally:
        sys.unraisablehook = hook
    assert unraisable == []
    # Without that care, gymnasium's own close fails on such workers, as it did:
    again = killed_mid_step()
    with pytest.raises((EOFError, ConnectionResetError)):
        again.close(terminate=True)
    assert not again.closed
    _end_workers(again)


# A line of Ray's core log at level ERROR, FATAL or a failed check: "[2026-12-02 11:32:18,144
# C 7772 7945] task_manager.cc:1329: ...".
_RAY_CORE_ALARM = re.compile(r"^\[[\d-]+ [\d:,]+ [EFC] \d+ \d+\]", re.MULTILINE)


@pytest.mark.slow
@pytest.mark.xdist_group("ray")  # one local Ray at a time, on one test worker
# Ctrl-C reaches the whole group, as a terminal sends it; SIGTERM (`kill`, `timeout`) walker
# alone. Ray installs its own SIGTERM handler (a stack dump, then abort): walker puts its own
# back. Ray 2.60's core aborted with "Tried to complete task that was not pending" when a
# stop cancelled a task as its result came back: a stop no longer cancels.
@pytest.mark.parametrize(("stop", "group"), [(signal.SIGINT, True), (signal.SIGTERM, False)])
def test_a_bench_on_ray_stops_quietly_and_keeps_what_finished(tmp_path, stop, group):
    pytest.importorskip("ray")
    process = _start(
        tmp_path,
        "bench",
        "hardcoded",
        "random",
        "--env",
        "HenryContinuous-v0",
        "--seeds",
        "50",
        "--ray",
        "--workers",
        "2",
        "--no-progress",
        "--out",
        "bench",
    )
    results = tmp_path / "bench" / "results.jsonl"
    deadline = time.monotonic() + 300
    while not results.exists() and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        time.sleep(0.5)
    code, _out, err = _stop_group(process, stop, 2.0, group)
    assert code == 128 + stop, err
    assert err.endswith(
        "walker: the results finished so far are kept in bench; run the same command again "
        f"to compute only the rest\nwalker: stopped by {signal.Signals(stop).name}\n"
    ), err
    for alarm in ("Traceback", "Exception", "Check failed", "StackTrace", "received at time"):
        assert alarm not in err, err
    assert not _RAY_CORE_ALARM.search(err), err
    kept = results.read_text().splitlines()
    assert kept and all(json.loads(line)["episodes"] for line in kept)
