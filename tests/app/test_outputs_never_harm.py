"""No writing verb ever replaces or writes into a device node, a FIFO, or a link to one.

Each verb is pointed at special files this test makes (`tests/special_files.py`: a FIFO
and a link to it always; a copy of /dev/null's device node and a link to it when the test
runs as root), either as its output file or as a file its output folder will hold. Each
must refuse in one sentence with exit status 2 before any work, and each special file must
still be what it was. A verb that wrote to a FIFO would block: the timeout catches it.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.special_files import make_device, special_paths, still_special
from walker.app.cli import main

REPO = Path(__file__).resolve().parents[2]

FILE_OUTPUTS = {
    "qtable": (["qtable", "qlearning-henry", "--out"], "q.png"),
    "record": (["record", "hardcoded", "--seconds", "1", "--out"], "gait.mp4"),
    "record --race": (["record", "--race", "hardcoded", "random", "--out"], "race.gif"),
    "race": (["race", "hardcoded", "random", "--seconds", "1", "--out"], "race.mp4"),
    "watch --record": (["watch", "hardcoded", "--seconds", "1", "--record"], "watch.mp4"),
    "train --record": (["train", "qlearning", "--steps", "10", "--record"], "train.mp4"),
    "speed": (["speed", "physics", "--out"], "speed.json"),
}
"""Verb -> (its command line up to the output path, the output's name)."""

FOLDER_OUTPUTS = {
    "train": (["train", "qlearning", "--steps", "10", "--no-progress", "--out"], "checkpoint.pt"),
    "train (its lock)": (["train", "qlearning", "--steps", "10", "--out"], "walker.lock"),
    "train (its log)": (["train", "qlearning", "--steps", "10", "--out"], "metrics.jsonl"),
    "demo": (["demo", "--steps", "10", "--no-window", "--out"], "gait.mp4"),
    "bench": (["bench", "hardcoded", "--seeds", "1", "--no-progress", "--out"], "results.jsonl"),
    "experiment": (["experiment", "dungeon", "--steps", "10", "--out"], "report.txt"),
}
"""Verb -> (its command line up to the output folder, a file it writes in that folder)."""


def run(capsys, argv):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as stop:
        code = stop.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _refused_in_one_sentence(code, err, path, kind):
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("walker: error: cannot write "), lines[0]
    assert str(path.name) in lines[0] and kind in lines[0], lines[0]
    assert "Traceback" not in err


def _kind(label):
    return "named pipe (FIFO)" if label.endswith("fifo") else "character device"


@pytest.mark.timeout(300)
@pytest.mark.parametrize("verb", sorted(FILE_OUTPUTS))
def test_an_output_file_that_is_a_device_or_fifo_survives(verb, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv, name = FILE_OUTPUTS[verb]
    for label, path in special_paths(tmp_path, name).items():
        code, _out, err = run(capsys, [*argv, path])
        _refused_in_one_sentence(code, err, path, _kind(label))
        assert still_special(path, label), (verb, label)
    assert not (tmp_path / "runs").exists()  # refused before a run folder was made


@pytest.mark.timeout(300)
@pytest.mark.parametrize("verb", sorted(FOLDER_OUTPUTS))
def test_a_device_or_fifo_among_an_output_folders_files_survives(
    verb, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    argv, name = FOLDER_OUTPUTS[verb]
    folder = tmp_path / "out"
    folder.mkdir()
    made = special_paths(folder, name)
    for label, path in made.items():
        # The verb's own name for the file: the special file (or link) is moved into place.
        target = folder / name
        os.replace(path, target)
        code, _out, err = run(capsys, [*argv, folder])
        _refused_in_one_sentence(code, err, target, _kind(label))
        assert still_special(target, label), (verb, label)
        os.replace(target, path)
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in made.values())


def test_qtable_refuses_a_name_that_is_not_a_png(tmp_path, capsys):
    code, _out, err = run(capsys, ["qtable", "qlearning-henry", "--out", tmp_path / "q.xyz"])
    assert code == 2
    assert err == (
        f"walker: error: cannot write --out {tmp_path / 'q.xyz'}: it must be a .png file, "
        "not .xyz\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_link_to_a_regular_file_is_followed_and_the_file_replaced(tmp_path, capsys):
    real = tmp_path / "kept" / "q.png"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "q.png"
    link.symlink_to(real)
    code, _out, err = run(capsys, ["qtable", "qlearning-henry", "--out", link])
    assert code == 0, err
    assert link.is_symlink()
    assert real.read_bytes().startswith(b"\x89PNG")


@pytest.mark.timeout(300)
def test_the_command_itself_leaves_a_copy_of_dev_null_a_device(tmp_path):
    device = tmp_path / "null.png"
    if not make_device(device):
        pytest.skip("this process may not create device nodes (not root)")
    finished = subprocess.run(
        [sys.executable, "-m", "walker", "qtable", "qlearning-henry", "--out", str(device)],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert finished.returncode == 2
    assert finished.stderr == (
        f"walker: error: cannot write --out {device}: it is a character device, and outputs "
        "only replace regular files (give a new file name)\n"
    )
    assert still_special(device, "device")
