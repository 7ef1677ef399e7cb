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
import errno
import fcntl
import json
import os
import shutil
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from walker.errors import InputError
from walker.files import (
    OutputPathError,
    append_text,
    atomic_write_text,
    ensure_writable_dir,
    failure_cause,
)

LOCK_NAME = "walker.lock"
HISTORY_NAME = "history.jsonl"
CHECKPOINT_NAME = "checkpoint.pt"
CONFIG_NAME = "config.json"
METRICS_NAME = "metrics.jsonl"
EVAL_NAME = "eval.jsonl"
RUN_FILES = (
    CONFIG_NAME,
    CHECKPOINT_NAME,
    METRICS_NAME,
    EVAL_NAME,
    HISTORY_NAME,
    "learning_curves.png",
    "window_events.log",
    "montage.mp4",
    "gait.mp4",
    "checkpoint_qtable.png",
)
"""What a run writes into its folder; `--overwrite` removes these (and `clips/`) only."""
RUN_FOLDERS = ("clips",)


class RunFolderError(InputError):
    """A run folder cannot be used as asked (busy, already holding a run, unreadable)."""


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())


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


# -- the lock ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or last held) a run folder's lock, as its lock file records."""

    pid: int | None
    host: str
    command: str
    started: str

    def describe(self) -> str:
        who = f"pid {self.pid}" if self.pid is not None else "an unknown process"
        text = f"{who} on {self.host or 'an unknown host'}"
        if self.started:
            text += f", started {self.started}"
        if self.command:
            text += f" ({self.command})"
        return text


def _read_holder(path: Path) -> LockHolder:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict):
        info = {}
    pid = info.get("pid")
    return LockHolder(
        pid if isinstance(pid, int) else None,
        str(info.get("host", "")),
        str(info.get("command", "")),
        str(info.get("started", "")),
    )


class RunLock:
    """An exclusive lock on a run folder, released by `release()` or by the process dying."""

    def __init__(self, folder: Path, command: Sequence[str]) -> None:
        self.path = folder / LOCK_NAME
        self.stale: LockHolder | None = None
        """The holder recorded by a lock file whose process had died, if one was taken over."""
        self._fd: int | None = None
        self._acquire(folder, " ".join(command))

    def _acquire(self, folder: Path, command: str) -> None:
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as error:
                raise OutputPathError(
                    f"cannot lock run folder {folder}: {failure_cause(error)}"
                ) from error
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                os.close(fd)
                if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    holder = _read_holder(self.path)
                    raise RunFolderError(
                        f"run folder {folder} is in use by another run, {holder.describe()}; "
                        "wait for it to end or give another --out"
                    ) from error
                raise OutputPathError(
                    f"cannot lock run folder {folder}: {failure_cause(error)}"
                ) from error
            # A run that was releasing may have removed the file we opened: lock the live one.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            previous = _read_holder(self.path)
            if previous.pid is not None:
                self.stale = previous
            record = {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "command": command,
                "started": _now(),
            }
            try:
                os.ftruncate(fd, 0)
                os.write(fd, (json.dumps(record) + "\n").encode("utf-8"))
            except OSError as error:
                os.close(fd)
                raise OutputPathError(
                    f"cannot lock run folder {folder}: {failure_cause(error)}"
                ) from error
            self._fd = fd
            return

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Remove the lock file and drop the lock (safe to call twice)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self._fd)
        self._fd = None


def lock_holder(folder: Path) -> LockHolder | None:
    """Who holds `folder`'s lock right now, or None if nobody does."""
    path = folder / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return _read_holder(path)
    finally:
        os.close(fd)
    return None


# -- what a folder holds ---------------------------------------------------------------------


@dataclass(frozen=True)
class RunState:
    """What an existing run folder holds, read from its history and files."""

    status: str
    """`finished`, `interrupted`, `failed`, `stopped` (ended without a word: killed or
    crashed), `running`, or `unrecorded` (files of a run from before run histories)."""
    steps: int | None
    ended: str | None

    def describe(self) -> str:
        article = "an" if self.status[0] in "aeiou" else "a"
        text = {
            "unrecorded": "an earlier run",
            "stopped": "a run that stopped without ending (killed or crashed)",
        }.get(self.status, f"{article} {self.status} run")
        if self.steps is not None:
            text += f" ({self.steps} steps)"
        return text


def run_state(folder: Path) -> RunState | None:
    """What `folder` holds, or None if it holds no run (missing, empty, or unrelated files)."""
    if not folder.is_dir():
        return None
    history = read_jsonl(folder / HISTORY_NAME)
    if history:
        last = history[-1]
        steps = last.get("steps")
        steps = steps if isinstance(steps, int) else None
        event = last.get("event")
        status = {"end": "finished", "interrupted": "interrupted", "failed": "failed"}.get(
            str(event), "running" if lock_holder(folder) else "stopped"
        )
        return RunState(status, steps, last.get("time"))
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
            previous = run_state(folder)
            if previous is not None and not resume:
                if not overwrite:
                    raise RunFolderError(
                        f"run folder {folder} already holds {previous.describe()}; give "
                        f"--overwrite to replace it, --resume {folder / CHECKPOINT_NAME} to "
                        "continue it, or another --out"
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
        row = {"event": event, "time": _now(), **fields}
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
