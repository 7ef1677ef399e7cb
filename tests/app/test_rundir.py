"""The run folder: one run at a time, no silent overwrite, logs and history that continue."""

import json
import os
import subprocess
import sys

import pytest

from walker.app.training.rundir import (
    LOCK_NAME,
    JsonlLog,
    RunFolder,
    RunFolderError,
    lock_holder,
    read_jsonl,
    run_state,
)

HOLD_LOCK = """
import sys
from pathlib import Path
from walker.app.training.rundir import RunFolder
folder = RunFolder.claim(Path(sys.argv[1]), ["walker", "train", "--holder"])
print("locked", flush=True)
sys.stdin.readline()
"""


def test_a_second_claim_is_refused_naming_the_holder(tmp_path):
    first = RunFolder.claim(tmp_path / "run", ["walker", "train", "--steps", "5"])
    try:
        with pytest.raises(RunFolderError) as error:
            RunFolder.claim(tmp_path / "run", ["walker", "train"])
        message = str(error.value)
        assert message.startswith(
            f"run folder {tmp_path / 'run'} is in use by another run, pid {os.getpid()} on "
        )
        assert "(walker train --steps 5)" in message and "give another --out" in message
        assert "\n" not in message
    finally:
        first.release()
    assert not (tmp_path / "run" / LOCK_NAME).exists()
    RunFolder.claim(tmp_path / "run", ["walker", "train"]).release()


def test_a_lock_held_by_another_process_is_refused_and_freed_when_it_dies(tmp_path):
    folder = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"  # readiness, not a sleep
        with pytest.raises(RunFolderError, match=f"pid {holder.pid} on .*--holder"):
            RunFolder.claim(folder, ["walker", "train"])
        assert lock_holder(folder).pid == holder.pid
    finally:
        holder.kill()  # no release: the lock file stays behind, stale
        holder.wait()
    assert (folder / LOCK_NAME).exists()
    assert lock_holder(folder) is None
    claimed = RunFolder.claim(folder, ["walker", "train"])
    assert claimed.lock.stale is not None and claimed.lock.stale.pid == holder.pid
    claimed.release()


def test_a_folder_with_a_run_is_refused_unless_overwrite(tmp_path):
    folder = tmp_path / "run"
    with RunFolder.claim(folder, ["walker", "train"]) as run:
        run.record("start", steps=0)
        (folder / "checkpoint.pt").write_bytes(b"weights")
        (folder / "notes.txt").write_text("mine")
        run.record("end", steps=300, episodes=2)
    assert run_state(folder).status == "finished"
    with pytest.raises(RunFolderError) as error:
        RunFolder.claim(folder, ["walker", "train"])
    assert str(error.value) == (
        f"run folder {folder} already holds a finished run (300 steps); give --overwrite to "
        f"replace it, --resume {folder / 'checkpoint.pt'} to continue it, or another --out"
    )
    assert (folder / "checkpoint.pt").read_bytes() == b"weights"
    assert not (folder / LOCK_NAME).exists()
    with RunFolder.claim(folder, ["walker", "train"], overwrite=True) as run:
        assert run.previous.status == "finished"
        assert not (folder / "checkpoint.pt").exists() and run.history() == []
    assert (folder / "notes.txt").read_text() == "mine"  # only the run's own files go


def test_run_states(tmp_path):
    assert run_state(tmp_path / "missing") is None
    assert run_state(tmp_path) is None
    (tmp_path / "config.json").write_text("{}")
    assert run_state(tmp_path).status == "unrecorded"
    with RunFolder.claim(tmp_path, ["walker"], resume=True) as run:
        run.record("start", steps=0)
        assert run_state(tmp_path).status == "running"
    assert (
        run_state(tmp_path).describe() == "a run that stopped without ending "
        "(killed or crashed) (0 steps)"
    )
    with RunFolder.claim(tmp_path, ["walker"], resume=True) as run:
        run.record("interrupted", signal="SIGTERM", steps=120)
    assert run_state(tmp_path).describe() == "an interrupted run (120 steps)"


def test_logs_continue_from_the_checkpoint_step(tmp_path):
    path = tmp_path / "metrics.jsonl"
    log = JsonlLog(path)
    for step in (100, 200, 300):
        log.add({"step": step})
    log.flush()
    with path.open("a") as handle:
        handle.write('{"step": 40')  # a run killed mid-line
    resumed = JsonlLog(path, keep_until_step=200)
    assert [row["step"] for row in resumed.rows] == [100, 200]
    resumed.add({"step": 250})
    assert [row["step"] for row in read_jsonl(path)] == [100, 200]  # pending until flushed
    resumed.flush()
    assert [json.loads(line)["step"] for line in path.read_text().splitlines()] == [100, 200, 250]
