"""Every bad value a user can type gets one line on stderr, exit status 2, and no file changed.

Each case runs `walker` in-process from an empty working folder (with one finished run in
`done/`), then checks: the status, exactly one line on stderr naming the problem, no
traceback, and that no file in the folder was created, removed or modified.
"""

import pytest

from walker.app.cli import main

CASES = [
    # (arguments, words the one error line must contain)
    (["train", "--seed", "-1"], "seed must be a whole number from 0 to 4294967295, got -1"),
    (["train", "--seed", "x"], "argument --seed: invalid int value"),
    (["train", "--steps", "0"], "steps must be a whole number >= 1, got 0"),
    (["train", "--episodes", "-3"], "episodes must be a whole number >= 1"),
    (["train", "--num-envs", "0"], "num_envs must be a whole number >= 1"),
    (["train", "--eval-every", "-1"], "eval_every must be a whole number >= 0"),
    (["train", "--checkpoint-every", "-5"], "checkpoint_every must be a whole number >= 0"),
    (["train", "--env-arg", "max_episode_steps=0"], "max_episode_steps must be a whole number"),
    (
        ["train", "--steps", "20", "--env-arg", "max_episode_steps=-1"],
        "max_episode_steps must be a whole number >= 1",
    ),
    (["train", "--env-arg", "extension_levels=4"], "extension_levels must be an odd"),
    (["train", "--env-arg", "nonsense"], "expected KEY=VALUE"),
    (["train", "--env-arg", "bogus=3"], "env Henry-v0 takes no argument 'bogus'; its arguments"),
    (
        ["train", "--resume", "done/checkpoint.pt", "--env", "HenryContinuous-v0"],
        "--env HenryContinuous-v0 cannot apply with --resume",
    ),
    (["train", "--out", "/sys/kernel"], "cannot write into --out /sys/kernel"),
    (
        ["train", "--steps", "999", "--alpha", "0.2", "--record", "x.txt", "--out", "q3"],
        "--record x.txt",
    ),
    (["train", "--alpha", "7"], "alpha"),
    (["train", "--steps", "50", "--out", "done"], "already holds a finished run"),
    (["train", "--resume", "missing.pt"], "missing.pt does not exist"),
    (["train", "--resume", "done/checkpoint.pt", "--alpha", "0.2"], "cannot apply with --resume"),
    (
        ["train", "--resume", "done/checkpoint.pt", "--env-arg", "extension_levels=3"],
        "trained with extension_levels=5, but the env has extension_levels=3",
    ),
    (["record", "hardcoded", "--out", "v.mp4", "--seconds", "nan"], "seconds must be"),
    (["record", "hardcoded", "--out", "v.mp4", "--seconds", "inf"], "seconds must be"),
    (["record", "hardcoded", "--out", "v.mp4", "--seconds", "0"], "seconds must be"),
    (["record", "hardcoded", "--out", "v.mp4", "--seconds", "-2"], "seconds must be"),
    (["record", "hardcoded", "--out", "v.mp4", "--fps", "0"], "fps must be between"),
    (["record", "hardcoded", "--out", "v.mp4", "--size", "100000x100000"], "size must be"),
    (["record", "hardcoded", "--out", "v.avi"], ".mp4 or .gif"),
    (["record", "hardcoded", "--out", "/sys/kernel/v.mp4"], "cannot write --out /sys/kernel/v.mp4"),
    (["record", "hardcoded", "--out", "v.mp4", "--seed", "-1"], "a seed must be"),
    (
        ["record", "hardcoded", "--out", "v.mp4", "--env-arg", "max_episode_steps=0"],
        "max_episode_steps must be",
    ),
    (["race", "hardcoded", "--out", "r.mp4", "--finish", "-5"], "metres > 0, got -5"),
    (["race", "hardcoded", "--out", "r.mp4", "--finish", "nan"], "metres > 0, got nan"),
    (["race", "hardcoded", "--out", "r.mp4", "--seconds", "nan"], "seconds must be"),
    (["watch", "hardcoded", "--seconds", "nan"], "seconds must be"),
    (["eval", "hardcoded", "--episodes", "0"], "episodes must be from 1 to 10000"),
    (["eval", "hardcoded", "--seed", "-1"], "a seed must be"),
    (["eval", "nosuchpolicy"], "unknown policy 'nosuchpolicy'"),
    (["qtable", "nosuchpolicy"], "unknown policy 'nosuchpolicy'"),
    (["demo", "--seed", "-1"], "a seed must be"),
    (["demo", "--out", "/sys/kernel"], "cannot write into --out /sys/kernel"),
    (["experiment", "learned", "--seeds", "0"], "seeds must be from 1 to 10000"),
    (["experiment", "learned", "--out", "/sys/kernel"], "cannot write into --out"),
    (["experiment", "learned", "--workers", "2"], "--workers goes with the deep experiment"),
    (["experiment", "learned", "--ray"], "--ray goes with the deep experiment"),
    (["experiment", "deep", "--workers", "0"], "workers must be from 1 to 1024"),
    (["bench", "hardcoded", "--out", "/sys/kernel"], "cannot write into --out /sys/kernel"),
    (["speed", "physics", "--out", "/sys/kernel/speed.json"], "cannot write --out /sys/kernel"),
]


def _snapshot(folder):
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in folder.rglob("*")
        if path.is_file()
    }


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("finished") / "done"
    assert main(["train", "--steps", "200", "--out", str(folder), "--no-progress"]) == 0
    return folder


@pytest.mark.parametrize(("argv", "words"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_a_bad_value_is_one_line_exit_2_and_changes_nothing(
    argv, words, finished_run, tmp_path, monkeypatch, capsys
):
    import shutil

    shutil.copytree(finished_run, tmp_path / "done")
    monkeypatch.chdir(tmp_path)
    before = _snapshot(tmp_path)
    capsys.readouterr()
    try:
        status = main(argv)
    except SystemExit as stop:
        status = stop.code
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert status == 2, captured.err
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err and "error:" in lines[0]
    assert words in lines[0]
    assert _snapshot(tmp_path) == before
