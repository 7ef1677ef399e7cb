"""Everything a user types has a limit, and any value either works or ends in one sentence.

The limits (seeds, episodes, seconds, workers, lanes) are named in the error with the limit
and why. The property tests (Hypothesis) try the command line's numeric options with any
text a user might type: the command either accepts it (the work itself is replaced by a
stub, so an accepted value costs nothing) or exits 2 with one line on stderr, never a
traceback or a hang.
"""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import walker.app.bench.benchmark as benchmark
import walker.app.core.compare as compare
import walker.app.experiments.article as article
import walker.app.training.runs as runs
import walker.app.viewing.playback as playback
from walker.app.cli import main
from walker.app.core import checks


class Accepted(Exception):
    """The stubbed work was reached: every check before it passed."""


def _accept(*args, **kwargs):
    raise Accepted


@pytest.fixture
def stubbed(monkeypatch):
    """The work behind each verb, replaced: reaching it means the value was accepted."""
    for module, name in (
        (compare, "compare_policies"),
        (benchmark, "run_bench"),
        (article, "run"),
        (runs, "train_run"),
        (runs, "demo"),
        (playback, "record_policy"),
        (playback, "race"),
        (playback, "watch_policy"),
    ):
        monkeypatch.setattr(module, name, _accept)


def run(capsys, argv):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as stop:
        code = stop.code
    except Accepted:
        code = None
    captured = capsys.readouterr()
    return code, captured.err


def _one_sentence(code, err):
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["bench", "--seeds", "100000000000"], "seeds must be from 1 to 10000"),
        (["bench", "--episodes", "20000"], "episodes must be from 1 to 10000"),
        (["bench", "--workers", "5000"], "workers must be from 1 to 1024"),
        (["eval", "hardcoded", "--seconds", "1e9"], "at most 86400 (a day of simulated time"),
        (["eval", "hardcoded", "--episodes", "1e3"], "expected a whole number of episodes"),
        (["experiment", "deep", "--seeds", "0"], "seeds must be from 1 to 10000"),
        (["record", "--race", *["random"] * 17, "--out", "r.mp4"], "from 1 to 16 lanes"),
        (["race", *["random"] * 9, "--learn", *["qlearning"] * 8], "from 1 to 16 lanes"),
    ],
)
def test_each_limit_is_named_with_its_reason(argv, words, capsys, stubbed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, err = run(capsys, argv)
    _one_sentence(code, err)
    assert words in err


def test_workers_above_the_cores_are_capped_with_a_note(capsys, monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert checks.cap_workers(2) == 2
    assert capsys.readouterr().err == ""
    assert checks.cap_workers(99) == 2
    assert (
        capsys.readouterr().err == "walker: --workers 99 is more than the 2 cores here; using 2\n"
    )


NUMBERS = st.one_of(
    st.integers(min_value=-(10**15), max_value=10**15).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", " ", "1e9", "-0", "0x10", "1_000", "nan", "inf", "None", "3.5", "½"]),
    st.text(max_size=6),
)
"""What a user might type where a number is expected."""

NUMERIC_OPTIONS = [
    (["eval", "hardcoded"], "--episodes"),
    (["eval", "hardcoded"], "--seconds"),
    (["eval", "hardcoded"], "--seed"),
    (["bench", "hardcoded"], "--seeds"),
    (["bench", "hardcoded"], "--episodes"),
    (["bench", "hardcoded"], "--workers"),
    (["bench", "hardcoded"], "--train-steps"),
    (["record", "hardcoded", "--out", "x.mp4"], "--seconds"),
    (["record", "hardcoded", "--out", "x.mp4"], "--fps"),
    (["record", "hardcoded", "--out", "x.mp4"], "--size"),
    (["race", "hardcoded", "--out", "x.mp4"], "--seconds"),
    (["race", "hardcoded", "--out", "x.mp4"], "--finish"),
    (["train", "qlearning"], "--steps"),
    (["train", "qlearning"], "--seed"),
    (["train", "qlearning"], "--num-envs"),
    (["train", "qlearning"], "--eval-every"),
    (["train", "qlearning"], "--watch-speed"),
    (["train", "ppo"], "--learning-rate"),
    (["experiment", "deep"], "--seeds"),
    (["experiment", "deep"], "--workers"),
    (["demo"], "--steps"),
]

SENSIBLE = {
    "--episodes": "2",
    "--seconds": "1.5",
    "--seed": "7",
    "--seeds": "3",
    "--workers": "1",
    "--train-steps": "100",
    "--fps": "24",
    "--size": "640x360",
    "--finish": "2",
    "--steps": "100",
    "--num-envs": "2",
    "--eval-every": "50",
    "--watch-speed": "4",
    "--learning-rate": "0.001",
}


@pytest.mark.parametrize(("argv", "option"), NUMERIC_OPTIONS)
def test_a_sensible_value_of_each_option_is_accepted(
    argv, option, capsys, stubbed, tmp_path, monkeypatch
):
    # So the property below tries options that exist, and whose values can be accepted.
    monkeypatch.chdir(tmp_path)
    code, err = run(capsys, [*argv, f"{option}={SENSIBLE[option]}"])
    assert code is None, err


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(value=NUMBERS)
@pytest.mark.parametrize(("argv", "option"), NUMERIC_OPTIONS)
def test_any_numeric_value_works_or_ends_in_one_sentence(
    argv, option, value, capsys, stubbed, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    code, err = run(capsys, [*argv, f"{option}={value}"])
    if code is not None:  # not accepted: refused, in one line
        _one_sentence(code, err)


@pytest.mark.parametrize(("seconds", "frames"), [("0.001", 1), ("0.5", 15)])
def test_record_says_how_many_frames_it_wrote(seconds, frames, capsys, tmp_path):
    from walker.draw.video import read_frames

    out = tmp_path / "gait.mp4"
    code = main(["record", "hardcoded", "--seconds", seconds, "--out", str(out)])
    assert code == 0
    assert len(read_frames(out)) == frames
    said = capsys.readouterr().out
    assert said == f"video: {out} ({frames} frame{'s' if frames > 1 else ''} at 30 fps)\n"
