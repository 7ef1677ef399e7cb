"""After a run is killed (SIGKILL: nothing is saved on the way out), the next run into its
folder is told the truth: nothing runs there, the checkpoint holds the steps it holds, and
how to resume it."""

import signal
import time

import pytest

from agents.checkpoint import load_checkpoint
from tests.app.test_run_folder import ENDLESS, run, wait_until_training, walker_process
from walker.app.training.rundir import checkpoint_steps


@pytest.mark.slow
def test_a_new_run_into_a_killed_runs_folder_is_told_what_it_holds(tmp_path, capsys):
    folder = tmp_path / "run"
    process = walker_process(
        tmp_path, "train", "--out", "run", "--checkpoint-every", "200", *ENDLESS
    )
    try:
        wait_until_training(process)
        checkpoint = folder / "checkpoint.pt"
        deadline = time.monotonic() + 300
        while not checkpoint.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert checkpoint.exists()
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert (folder / "walker.lock").exists()  # left behind by the killed run
    steps = checkpoint_steps(load_checkpoint(checkpoint))
    assert steps >= 200
    code, _, err = run(capsys, "train", "--steps", "10", "--no-progress", "--out", folder)
    assert code == 2
    assert err == (
        f"walker: error: run folder {folder} already holds a run that was killed or crashed "
        f"(nothing runs in it now), its checkpoint holding {steps} steps; give --overwrite to "
        f"replace it, --resume {checkpoint} to continue it, or another --out\n"
    )
    code, out, err = run(capsys, "train", "--resume", checkpoint, "--steps", "10", "--no-progress")
    assert code == 0, err
    assert f"from step {steps}" in out
