"""The run folder's lock: one run at a time, and who holds it.

`RunLock` takes an exclusive `flock` on `walker.lock` in the folder and records there the
pid, host, command and start time of the run holding it, so a second run is refused with
one sentence naming the holder. The kernel drops the lock when its process dies, so a lock
file left by a killed run is simply taken over (and remembered as `stale`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from walker.app.core.runfiles import LOCK_NAME
from walker.errors import InputError
from walker.files import OutputPathError, failure_cause


class RunFolderError(InputError):
    """A run folder cannot be used as asked (busy, already holding a run, unreadable)."""


def now() -> str:
    """The time now, as run folders record it."""
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())


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
                "started": now(),
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
