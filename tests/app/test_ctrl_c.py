"""Ctrl-C means stop, in every verb: the run is saved, nothing more is done, and no process
of the command prints a traceback. Ctrl-C in a terminal reaches the whole process group,
so the tests send SIGINT to the group, as the terminal does."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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
    wait_until_training(process)
    code, out, err = _stop_group(process, stop, 5.0)
    assert code == 128 + stop, err
    assert err == f"walker: stopped by {signal.Signals(stop).name}\n"
    assert "interrupted: checkpoint saved" in out
    assert (tmp_path / "run" / "checkpoint.pt").is_file()
