"""Special files an output must never replace: a device node, a FIFO, and links to each.

`special_paths(folder, name)` makes them under `folder` (the device node only when this
process may create one: root, as in containers) and returns {label: path}; `still_special`
tells whether a path is still what it was made as.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

NULL_DEVICE = os.makedev(1, 3)
"""The major/minor numbers of /dev/null: a copy of it is harmless if something writes to it."""


def make_device(path: Path) -> bool:
    """Create a character device node like /dev/null at `path`; False if not allowed here."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, NULL_DEVICE)
    except OSError as error:
        if error.errno in (errno.EPERM, errno.EACCES, errno.EOPNOTSUPP):
            return False
        raise
    return True


def special_paths(folder: Path, name: str) -> dict[str, Path]:
    """A FIFO, a link to it and, when allowed, a device node and a link to it, all named
    like `name` (its suffix kept) under `folder`."""
    stem, suffix = Path(name).stem, Path(name).suffix
    made: dict[str, Path] = {}
    fifo = folder / f"{stem}-fifo{suffix}"
    os.mkfifo(fifo)
    made["fifo"] = fifo
    link = folder / f"{stem}-fifo-link{suffix}"
    link.symlink_to(fifo)
    made["link to fifo"] = link
    device = folder / f"{stem}-device{suffix}"
    if make_device(device):
        made["device"] = device
        device_link = folder / f"{stem}-device-link{suffix}"
        device_link.symlink_to(device)
        made["link to device"] = device_link
    return made


def still_special(path: Path, label: str) -> bool:
    """Whether `path` is still the FIFO, device or link `special_paths` made."""
    mode = os.lstat(path).st_mode
    if label.startswith("link"):
        if not stat.S_ISLNK(mode):
            return False
        mode = os.stat(path).st_mode
    return stat.S_ISFIFO(mode) if label.endswith("fifo") else stat.S_ISCHR(mode)
