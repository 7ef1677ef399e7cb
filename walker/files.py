"""Writing files atomically, with errors a user can act on.

Every file the project writes (checkpoints, metrics, plots, videos) goes through
`atomic_path`: the caller writes to a temporary name in the destination's folder, and only a
complete file is renamed into place. A crash or an error leaves the old file (or nothing),
never a half-written one. This module depends on nothing but the standard library, so every
layer may use it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # what open() would give a new file; mkstemp gives 0600


class OutputPathError(OSError):
    """A file cannot be written where it was asked for."""


def ensure_writable_dir(folder: str | Path) -> Path:
    """Create `folder` if needed and check it can be written; raise `OutputPathError` if not."""
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError as error:
        raise OutputPathError(f"cannot use {path} as a folder: a file of that name exists") \
            from error
    except OSError as error:
        raise OutputPathError(f"cannot create folder {path}: {error.strerror or error}") \
            from error
    if not os.access(path, os.W_OK | os.X_OK):
        raise OutputPathError(f"cannot write into folder {path}: permission denied")
    return path


@contextlib.contextmanager
def atomic_path(destination: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `destination`; rename it into place on success.

    The temporary name keeps `destination`'s suffix (or `suffix`), so libraries that pick a
    format from the file name still do. On any exception the temporary file is removed and
    `destination` is left untouched.
    """
    target = Path(destination)
    if target.is_dir():
        raise OutputPathError(f"cannot write {target}: it is a folder")
    folder = ensure_writable_dir(target.parent if str(target.parent) else Path("."))
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or target.suffix,
                                     dir=folder)
    os.close(fd)
    temp = Path(temp_name)
    try:
        yield temp
        if not temp.exists() or temp.stat().st_size == 0:
            raise OutputPathError(f"writing {target} produced no data")
        os.chmod(temp, _FILE_MODE)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def atomic_write_text(destination: str | Path, text: str) -> Path:
    """Write `text` to `destination` atomically."""
    with atomic_path(destination) as temp:
        temp.write_text(text, encoding="utf-8")
    return Path(destination)
