"""Atomic writes keep the previous file when a write fails, and say why in one sentence."""

import errno
import os
import stat
from pathlib import Path

import pytest

from tests.special_files import make_device, special_paths, still_special
from walker import files
from walker.files import (
    OutputPathError,
    append_text,
    atomic_write_bytes,
    atomic_write_text,
    check_output_path,
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


# -- outputs only replace regular files ---------------------------------------------------


def _writers(target):
    """Every way layer 0 writes a file, each given `target`."""
    return {
        "atomic_write_text": lambda: atomic_write_text(target, "x\n"),
        "atomic_write_bytes": lambda: atomic_write_bytes(target, b"x"),
        "append_text": lambda: append_text(target, "x\n"),
        "check_output_path": lambda: check_output_path(target, "--out"),
        "check_writable_file": lambda: check_writable_file(target, "--out"),
    }


@pytest.mark.timeout(30)  # a FIFO opened for writing would block: the timeout catches a hang
def test_no_writer_replaces_or_writes_into_a_device_a_fifo_or_a_link_to_one(tmp_path):
    made = special_paths(tmp_path, "out.json")
    assert set(made) >= {"fifo", "link to fifo"}
    for label, path in made.items():
        for writer, write in _writers(path).items():
            with pytest.raises(OutputPathError) as error:
                write()
            message = str(error.value)
            assert "\n" not in message, (label, writer)
            assert message.startswith(f"cannot write {'--out ' if 'check' in writer else ''}")
            kind = "named pipe (FIFO)" if label.endswith("fifo") else "character device"
            assert f"it is {'a symbolic link to ' if 'link' in label else ''}" in message
            assert kind in message, (label, writer, message)
            assert still_special(path, label), (label, writer)
    leftovers = {p.name for p in tmp_path.iterdir()} - {p.name for p in made.values()}
    assert leftovers == set()  # no temporary file left behind


def test_a_device_node_survives_when_root_may_make_one(tmp_path):
    device = tmp_path / "null-copy.png"
    if not make_device(device):
        pytest.skip("this process may not create device nodes (not root)")
    for write in _writers(device).values():
        with pytest.raises(OutputPathError, match="it is a character device"):
            write()
    assert stat.S_ISCHR(os.lstat(device).st_mode)


def test_a_link_to_a_regular_file_is_followed_and_the_file_replaced_in_place(tmp_path):
    real = tmp_path / "data" / "metrics.json"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "metrics.json"
    link.symlink_to(real)
    atomic_write_text(link, "new\n")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new\n"
    append_text(link, "more\n")
    assert real.read_text() == "new\nmore\n"
    assert sorted(p.name for p in real.parent.iterdir()) == ["metrics.json"]


def test_a_dangling_link_is_a_new_path_written_where_it_points(tmp_path):
    link = tmp_path / "out.txt"
    link.symlink_to(tmp_path / "elsewhere.txt")
    assert check_output_path(link, "--out") == link
    atomic_write_text(link, "x\n")
    assert (tmp_path / "elsewhere.txt").read_text() == "x\n"
    assert link.is_symlink()


def test_a_link_loop_is_one_sentence(tmp_path):
    loop = tmp_path / "loop.txt"
    loop.symlink_to(loop)
    with pytest.raises(OutputPathError, match=r"loop.txt: its symbolic links form a loop$"):
        atomic_write_text(loop, "x")
    assert loop.is_symlink()


def test_check_output_path_refuses_a_suffix_that_is_not_what_is_written(tmp_path):
    with pytest.raises(
        OutputPathError, match=r"^cannot write --out .*q\.xyz: it must be a \.png file, not \.xyz$"
    ):
        check_output_path(tmp_path / "q.xyz", "--out", (".png",))
    with pytest.raises(OutputPathError, match=r"\.mp4 or \.gif file, not a name without one$"):
        check_output_path(tmp_path / "clip", "--record", (".mp4", ".gif"))
    assert check_output_path(tmp_path / "clip.GIF", "--record", (".mp4", ".gif")).name == "clip.GIF"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.timeout(30)
def test_check_writable_dir_refuses_a_special_file_among_the_files_a_folder_will_hold(tmp_path):
    os.mkfifo(tmp_path / "metrics.jsonl")
    with pytest.raises(
        OutputPathError, match=r"metrics\.jsonl \(in --out\): it is a named pipe \(FIFO\)"
    ):
        check_writable_dir(tmp_path, "--out", files=("config.json", "metrics.jsonl"))
    assert check_writable_dir(tmp_path, "--out", files=("config.json",)) == tmp_path
    assert stat.S_ISFIFO(os.lstat(tmp_path / "metrics.jsonl").st_mode)
