"""Atomic writes keep the previous file when a write fails, and say why in one sentence."""

import errno
import os
from pathlib import Path

import pytest

from walker import files
from walker.files import (
    OutputPathError,
    append_text,
    atomic_write_text,
    check_writable_dir,
    check_writable_file,
)


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_keeps_the_previous_file_and_names_it(tmp_path, monkeypatch):
    target = tmp_path / "metrics.json"
    atomic_write_text(target, "old content\n")
    monkeypatch.setattr(Path, "write_text", _disk_full)
    with pytest.raises(OutputPathError) as error:
        atomic_write_text(target, "new content\n")
    message = str(error.value)
    assert message == (
        f"cannot write {target}: the disk is full; the previous metrics.json is unchanged"
    )
    assert "\n" not in message
    assert target.read_text() == "old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json"]  # no temp file


def test_a_refused_rename_is_a_permission_sentence(tmp_path, monkeypatch):
    target = tmp_path / "plot.png"
    monkeypatch.setattr(
        files.os, "replace", lambda *a: (_ for _ in ()).throw(PermissionError(errno.EACCES, "no"))
    )
    with pytest.raises(OutputPathError, match=r"cannot write .*plot.png: permission denied$"):
        atomic_write_text(target, "x")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_append_is_cut_back_to_the_previous_length(tmp_path, monkeypatch):
    log = tmp_path / "metrics.jsonl"
    append_text(log, '{"step": 1}\n')
    real_write = os.write

    def write_half_then_fail(fd, data):
        if len(data) > 4:
            real_write(fd, bytes(data[:4]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(files.os, "write", write_half_then_fail)
    with pytest.raises(OutputPathError, match=r"the disk is full; the previous metrics\.jsonl"):
        append_text(log, '{"step": 2}\n')
    assert log.read_text() == '{"step": 1}\n'


def test_check_writable_dir_creates_nothing(tmp_path):
    missing = tmp_path / "a" / "b"
    assert check_writable_dir(missing, "--out") == missing
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux sysfs")
def test_check_writable_dir_refuses_places_that_take_no_files():
    with pytest.raises(
        OutputPathError,
        match=r"^cannot write into --out /sys/kernel/run: "
        "permission denied$",
    ):
        check_writable_dir("/sys/kernel/run", "--out")


def test_check_writable_file_refuses_a_folder_or_a_file_as_folder(tmp_path):
    with pytest.raises(OutputPathError, match="it is a folder"):
        check_writable_file(tmp_path, "--out")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputPathError, match="is a file"):
        check_writable_file(blocker / "out.json", "--out")
