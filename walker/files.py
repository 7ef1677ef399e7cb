"""Writing files atomically, with errors a user can act on.

Every file the project writes (checkpoints, metrics, plots, videos) goes through
`atomic_path`: the caller writes to a temporary name in the destination's folder, and only a
complete file is flushed to disk and renamed into place. A crash, a full disk or a refused
permission leaves the old file (or nothing), never a half-written one, and the failure
becomes one `OutputPathError` sentence naming the file and the cause. Logs that grow during
a run use `append_text`, which undoes a partial append. `check_writable_dir` tells before any
work starts whether a folder could be written, without creating it. This module depends on
nothing but the standard library, so every layer may use it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from walker.errors import OutputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # what open() would give a new file; mkstemp gives 0600

_CAUSES = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EFBIG: "the file is larger than this system allows",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOENT: "the folder does not exist",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder",
    errno.EIO: "an input/output error on the device",
    errno.ENAMETOOLONG: "the name is too long",
}


class OutputPathError(OutputError):
    """A file cannot be written where it was asked for."""


def failure_cause(error: BaseException) -> str:
    """What went wrong with a write, in a few words a user understands."""
    if isinstance(error, OSError) and error.errno in _CAUSES:
        return _CAUSES[error.errno]
    if isinstance(error, OSError) and error.strerror:
        return error.strerror[:1].lower() + error.strerror[1:]
    return str(error) or type(error).__name__


def write_failure(
    target: str | Path, error: BaseException, kept_previous: bool | None = None
) -> OutputPathError:
    """One sentence for a failed write of `target`, saying whether its old content survives."""
    if isinstance(error, OutputPathError):
        return error
    path = Path(target)
    if kept_previous is None:
        kept_previous = path.is_file()
    note = f"; the previous {path.name} is unchanged" if kept_previous else ""
    failure = OutputPathError(f"cannot write {path}: {failure_cause(error)}{note}")
    if isinstance(error, OSError):
        failure.errno = error.errno
    return failure


def ensure_writable_dir(folder: str | Path) -> Path:
    """Create `folder` if needed and check it can be written; raise `OutputPathError` if not."""
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError as error:
        raise OutputPathError(
            f"cannot use {path} as a folder: a file of that name exists"
        ) from error
    except OSError as error:
        raise OutputPathError(f"cannot create folder {path}: {failure_cause(error)}") from error
    if not os.access(path, os.W_OK | os.X_OK):
        raise OutputPathError(f"cannot write into folder {path}: permission denied")
    return path


def check_writable_dir(folder: str | Path, option: str | None = None) -> Path:
    """Check that files could be written in `folder` (created later if missing), writing nothing.

    The nearest existing folder on the path gets a probe file that is removed at once:
    permission bits alone do not tell (root passes `os.access` everywhere, yet /sys and
    read-only mounts refuse files). `option` names the command-line option in the message.
    """
    path = Path(folder)
    _probe(path, f"into {option} {path}" if option else f"into {path}")
    return path


def check_writable_file(destination: str | Path, option: str | None = None) -> Path:
    """Check that `destination` could be written later (its folder can take files)."""
    path = Path(destination)
    label = f"{option} {path}" if option else str(path)
    if path.is_dir():
        raise OutputPathError(f"cannot write {label}: it is a folder, give a file name")
    _probe(path.parent if str(path.parent) else Path("."), label)
    return path


def _probe(folder: Path, label: str) -> None:
    existing = folder
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise OutputPathError(f"cannot create folder {folder}: {existing} is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".walker-probe.", dir=existing)
    except OSError as error:
        raise OutputPathError(f"cannot write {label}: {failure_cause(error)}") from error
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(destination: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `destination`; rename it into place on success.

    The temporary name keeps `destination`'s suffix (or `suffix`), so libraries that pick a
    format from the file name still do. On any exception the temporary file is removed and
    `destination` is left untouched; an `OSError` from the writer (a full disk, a refused
    permission) comes out as `OutputPathError` naming `destination` and the cause.
    """
    target = Path(destination)
    if target.is_dir():
        raise OutputPathError(f"cannot write {target}: it is a folder")
    folder = ensure_writable_dir(target.parent if str(target.parent) else Path("."))
    try:
        fd, temp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=suffix or target.suffix, dir=folder
        )
    except OSError as error:
        raise write_failure(target, error) from error
    os.close(fd)
    temp = Path(temp_name)
    try:
        yield temp
        if not temp.exists() or temp.stat().st_size == 0:
            raise OutputPathError(f"writing {target} produced no data")
        os.chmod(temp, _FILE_MODE)
        _fsync(temp)  # the rename must not publish a file whose data is still in the cache
        os.replace(temp, target)
    except OSError as error:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise write_failure(target, error) from error
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def atomic_write_text(destination: str | Path, text: str) -> Path:
    """Write `text` to `destination` atomically."""
    with atomic_path(destination) as temp:
        temp.write_text(text, encoding="utf-8")
    return Path(destination)


def atomic_write_bytes(destination: str | Path, data: bytes | memoryview) -> Path:
    """Write `data` to `destination` atomically."""
    with atomic_path(destination) as temp:
        temp.write_bytes(data)
    return Path(destination)


def append_text(destination: str | Path, text: str) -> Path:
    """Append `text` to `destination` (created if missing), all of it or nothing.

    A failed append (a full disk) is cut back to the file's previous length, so a log never
    ends in half a line written by this call.
    """
    target = Path(destination)
    data = text.encode("utf-8")
    try:
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, _FILE_MODE)
    except OSError as error:
        raise write_failure(target, error) from error
    try:
        before = os.fstat(fd).st_size
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        except OSError as error:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, before)
            raise write_failure(target, error, kept_previous=before > 0) from error
    finally:
        os.close(fd)
    return target
