"""Ctrl-C and signals stop commands that train in worker processes at once: the workers
end with walker instead of finishing the seeds or tasks they were training."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from walker.app.core.machine import usable_cores

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc"),
    pytest.mark.skipif(
        usable_cores() < 2, reason="--workers 2 is capped to one core here: no workers to end"
    ),
]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _workers(pid: int) -> set[int]:
    """Live multiprocessing workers (spawned children) of `pid`, from /proc."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            spawned = b"spawn_main" in (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z" and spawned:
            found.add(int(stat.parent.name))
    return found


LONG_TRAINING = {
    # Seeds training for minutes: the experiment writes its report only at the end.
    "experiment": ["experiment", "deep", "--seeds", "2", "--steps", "500000", "--workers", "2"],
    # Tasks training for minutes: the bench saves each result as it arrives.
    "bench": [
        "bench",
        "qlearning",
        "--env",
        "Henry-v0",
        "--train-steps",
        "300000",
        "--seeds",
        "2",
        "--conditions",
        "standard",
        "--workers",
        "2",
        "--no-progress",
    ],
}


@pytest.mark.parametrize("verb", sorted(LONG_TRAINING))
def test_a_signal_ends_the_workers_with_walker(tmp_path, verb):
    # SIGTERM to walker must end the workers now (it waited for the seeds or tasks in
    # training to finish, minutes), write nothing half-done and exit 143.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "walker", *LONG_TRAINING[verb], "--out", str(tmp_path / "out")],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        workers: set[int] = set()
        while len(workers) < 2 and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()
            workers = _workers(process.pid)
            time.sleep(0.5)
        time.sleep(3.0)  # the seeds are training now
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 143
    finally:
        grace = time.monotonic() + 5
        while any(_alive(pid) for pid in workers) and time.monotonic() < grace:
            time.sleep(0.1)
        left = {pid for pid in workers if _alive(pid)}
        if process.poll() is None:
            process.kill()
        for pid in left | _workers(process.pid):  # so a failure cannot hang on their pipes
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        _, err = process.communicate()
    assert not left, f"worker processes {sorted(left)} outlived walker"
    assert "stopped by SIGTERM" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "report.txt").exists()  # the experiment's, at its end
    results = tmp_path / "out" / "results.jsonl"  # the bench's, a line as each task ends
    for line in results.read_text().splitlines() if results.exists() else []:
        json.loads(line)
