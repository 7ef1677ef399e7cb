"""The run folder's owner: one run at a time, no silent overwrite, a history that resumes.

A training run claims its folder with `RunFolder.claim`. The claim takes an exclusive lock
(`walker.lock`, held with `flock` and recording pid, host, command and start time), so a
second run into the same folder is refused with one sentence naming the holder; the kernel
drops the lock when its process dies, so a lock file left by a killed run is simply taken
over. Under the lock the claim looks at what the folder holds: a new run into a folder with
an earlier run is refused unless the user asked for `--overwrite` (which clears the earlier
run's files) or `--resume`. Every start, resume and end is appended to `history.jsonl`, and
`metrics.jsonl`/`eval.jsonl` are `JsonlLog`s that continue on resume: rows past the
checkpoint being resumed are dropped, new rows are appended.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from walker.app.core.runfiles import (
    CHECKPOINT_NAME,
    HISTORY_NAME,
    RUN_FILES,
    RUN_FOLDERS,
)
from walker.app.training.runlock import RunFolderError as RunFolderError
from walker.app.training.runlock import RunLock, lock_holder, now
from walker.files import (
    append_text,
    atomic_write_text,
    ensure_writable_dir,
    failure_cause,
)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The rows of a JSON-lines file; a damaged last line (a run killed mid-write) is skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as error:
        raise RunFolderError(f"cannot read {path}: {failure_cause(error)}") from error
    rows: list[dict[str, Any]] = []
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            if number == len(lines):
                break
            raise RunFolderError(f"{path} is damaged at line {number}: not JSON") from error
        if isinstance(row, dict):
            rows.append(row)
    return rows


# -- what a folder holds ---------------------------------------------------------------------


@dataclass(frozen=True)
class RunState:
    """What an existing run folder holds, read from its history and files."""

    status: str
    """`finished`, `interrupted`, `failed`, `stopped` (ended without a word: killed or
    crashed), `running`, or `unrecorded` (files of a run from before run histories)."""
    steps: int | None
    """The steps its history last recorded."""
    ended: str | None
    checkpoint_steps: int | None = None
    """The steps its checkpoint holds (None: no readable checkpoint). A killed run's history
    stops at its start, while the checkpoints it saved hold what was trained."""

    def describe(self) -> str:
        article = "an" if self.status[0] in "aeiou" else "a"
        if self.status == "stopped":
            saved = (
                f", its checkpoint holding {self.checkpoint_steps} steps"
                if self.checkpoint_steps is not None
                else ", with no checkpoint"
            )
            return f"a run that was killed or crashed (nothing runs in it now){saved}"
        text = {"unrecorded": "an earlier run"}.get(self.status, f"{article} {self.status} run")
        steps = self.checkpoint_steps if self.steps is None else self.steps
        if steps is not None:
            text += f" ({steps} steps)"
        return text


def checkpoint_steps(payload: dict[str, Any]) -> int:
    """The environment steps a loaded checkpoint's agent was trained for, over all segments.

    Checkpoints from before run histories counted only their last segment in the metadata;
    the agent's own step counter (Q-learning keeps one) knows better when it is larger."""
    metadata = payload.get("metadata")
    value = metadata.get("trained_steps", 0) if isinstance(metadata, dict) else 0
    steps = value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
    state = payload.get("state")
    agent_steps = state.get("steps") if isinstance(state, dict) else None
    if isinstance(agent_steps, int) and not isinstance(agent_steps, bool):
        steps = max(steps, agent_steps)
    return steps


def _saved_steps(folder: Path) -> int | None:
    path = folder / CHECKPOINT_NAME
    if not path.is_file():
        return None
    from agents.checkpoint import CheckpointError, load_checkpoint

    try:
        return checkpoint_steps(load_checkpoint(path))
    except CheckpointError:
        return None


def run_state(folder: Path, locked_here: bool = False) -> RunState | None:
    """What `folder` holds, or None if it holds no run (missing, empty, or unrelated files).

    `locked_here`: this process holds the folder's lock, so a run whose history did not end
    is not running: it was killed or crashed."""
    if not folder.is_dir():
        return None
    history = read_jsonl(folder / HISTORY_NAME)
    if history:
        last = history[-1]
        steps = last.get("steps")
        steps = steps if isinstance(steps, int) else None
        event = last.get("event")
        running = not locked_here and lock_holder(folder) is not None
        status = {"end": "finished", "interrupted": "interrupted", "failed": "failed"}.get(
            str(event), "running" if running else "stopped"
        )
        saved = _saved_steps(folder) if status == "stopped" else None
        return RunState(status, steps, last.get("time"), saved)
    if any((folder / name).exists() for name in RUN_FILES) or any(
        (folder / name).is_dir() for name in RUN_FOLDERS
    ):
        return RunState("unrecorded", None, None)
    return None


def _clear_run_files(folder: Path) -> None:
    for name in RUN_FILES:
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
    for name in RUN_FOLDERS:
        if (folder / name).is_dir():
            shutil.rmtree(folder / name)


# -- logs that continue ----------------------------------------------------------------------


def _step(row: dict[str, Any]) -> float:
    step = row.get("step", 0)
    return float(step) if isinstance(step, (int, float)) else 0.0


class JsonlLog:
    """A JSON-lines log of rows with a `step` count that continues across resumes.

    Rows are kept in memory until `flush()` appends them (the training loop flushes right
    after each checkpoint, so the log and the checkpoint tell the same story). Opening with
    `keep_until_step` drops rows later than that step (a run killed after its last
    checkpoint) and keeps the rest.
    """

    def __init__(self, path: Path, keep_until_step: int | None = None) -> None:
        self.path = path
        self.pending: list[dict[str, Any]] = []
        self.written: list[dict[str, Any]] = []
        if keep_until_step is None:
            append_text(path, "")  # the log exists from the start, empty until a flush
            return
        rows = read_jsonl(path)
        kept = [row for row in rows if _step(row) <= keep_until_step]
        text = "".join(json.dumps(row) + "\n" for row in kept)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            if text:
                atomic_write_text(path, text)
            else:
                path.write_text("", encoding="utf-8")  # one truncation: nothing to half-write
        self.written = kept

    def add(self, row: dict[str, Any]) -> None:
        self.pending.append(row)

    def flush(self) -> None:
        if not self.pending:
            return
        append_text(self.path, "".join(json.dumps(row) + "\n" for row in self.pending))
        self.written.extend(self.pending)
        self.pending = []

    @property
    def rows(self) -> list[dict[str, Any]]:
        """Every row of the run so far: earlier segments, then this one's."""
        return self.written + self.pending


# -- the claim ---------------------------------------------------------------------------------


class RunFolder:
    """A run folder claimed by this process: locked, checked, with its history open."""

    def __init__(self, path: Path, lock: RunLock, previous: RunState | None) -> None:
        self.path = path
        self.lock = lock
        self.previous = previous
        """What the folder held before this run claimed it (None if nothing)."""

    @classmethod
    def claim(
        cls, path: Path, command: Sequence[str], *, resume: bool = False, overwrite: bool = False
    ) -> RunFolder:
        """Create and lock `path` for a new run, or for resuming the run it holds.

        A new run into a folder that holds a run is refused unless `overwrite`, which
        removes the earlier run's files (and nothing else). Raises `RunFolderError` or
        `OutputPathError` with one sentence.
        """
        folder = ensure_writable_dir(path)
        lock = RunLock(folder, command)
        try:
            previous = run_state(folder, locked_here=True)
            if previous is not None and not resume:
                if not overwrite:
                    checkpoint = folder / CHECKPOINT_NAME
                    resuming = (
                        f"--resume {checkpoint} to continue it, " if checkpoint.is_file() else ""
                    )
                    raise RunFolderError(
                        f"run folder {folder} already holds {previous.describe()}; give "
                        f"--overwrite to replace it, {resuming}or another --out"
                    )
                _clear_run_files(folder)
            claimed = cls(folder, lock, previous)
            if lock.stale is not None and previous is not None:
                claimed.record("lock_taken_over", holder=lock.stale.describe())
        except BaseException:
            lock.release()
            raise
        return claimed

    def record(self, event: str, **fields: Any) -> None:
        """Append one event (`start`, `resume`, `end`, `interrupted`, `failed`) to the history."""
        row = {"event": event, "time": now(), **fields}
        append_text(self.path / HISTORY_NAME, json.dumps(row, default=str) + "\n")

    def history(self) -> list[dict[str, Any]]:
        return read_jsonl(self.path / HISTORY_NAME)

    def log(self, name: str, keep_until_step: int | None = None) -> JsonlLog:
        """A continuing log in this folder (`metrics.jsonl`, `eval.jsonl`)."""
        if keep_until_step is None:
            with contextlib.suppress(FileNotFoundError):
                (self.path / name).unlink()
        return JsonlLog(self.path / name, keep_until_step)

    def release(self) -> None:
        self.lock.release()

    def __enter__(self) -> RunFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
