"""Values typed on the command line are checked before any work, each with one sentence."""

import argparse

import pytest

from walker.app.core import checks
from walker.app.core.checks import ArgumentValueError


@pytest.mark.parametrize(
    ("convert", "text", "message"),
    [
        (checks.seed_arg, "-1", "a seed must be a whole number from 0 to 4294967295, got -1"),
        (checks.seed_arg, "1.5", "expected a seed"),
        (checks.seconds_arg, "nan", "seconds must be a number > 0"),
        (checks.seconds_arg, "inf", "seconds must be a number > 0"),
        (checks.seconds_arg, "0", "seconds must be a number > 0"),
        (checks.seconds_arg, "-3", "seconds must be a number > 0"),
        (checks.metres_arg, "-5", "the distance must be a number of metres > 0, got -5"),
        (checks.metres_arg, "nan", "the distance must be a number of metres > 0, got nan"),
        (checks.fps_arg, "0", "fps must be between 1 and 240"),
        (checks.frame_size_arg, "100000x400", "size must be even and from 64 to 4096"),
        (checks.positive_int_arg, "0", "expected a whole number >= 1, got 0"),
        (checks.nonnegative_int_arg, "-1", "expected a whole number >= 0"),
    ],
)
def test_bad_values_are_refused_with_what_is_allowed(convert, text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message.replace("(", r"\(")):
        convert(text)


def test_good_values_pass():
    assert checks.seed_arg("0") == 0 and checks.seconds_arg("2.5") == 2.5
    assert checks.metres_arg("3") == 3.0 and checks.frame_size_arg("600x400") == (600, 400)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("max_episode_steps=0", "--env-arg max_episode_steps must be a whole number >= 1, got 0"),
        ("max_episode_steps=-1", "--env-arg max_episode_steps must be a whole number >= 1"),
        ("max_episode_steps=2.5", "--env-arg max_episode_steps must be a whole number >= 1"),
        ("max_episode_steps=true", "--env-arg max_episode_steps must be a whole number >= 1"),
        ("friction=NaN", "--env-arg friction must be finite"),
        ("noequals", "--env-arg needs KEY=VALUE"),
        ("=3", "--env-arg needs KEY=VALUE"),
    ],
)
def test_bad_env_arguments(item, message):
    with pytest.raises(ArgumentValueError, match=message):
        checks.env_kwargs([item])


def test_env_arguments_parse_as_json_when_they_can():
    assert checks.env_kwargs(["extension_levels=7", "terrain=flat", "max_episode_steps=50"]) == {
        "extension_levels": 7,
        "terrain": "flat",
        "max_episode_steps": 50,
    }


def test_output_file_suffix_and_place(tmp_path):
    with pytest.raises(
        ArgumentValueError, match=r"^cannot write --out .*v\.avi: use a \.mp4 or \.gif file name$"
    ):
        checks.check_output_file(tmp_path / "v.avi", "--out", (".mp4", ".gif"))
    assert checks.check_output_file(tmp_path / "new" / "v.mp4", "--out", (".mp4",)).name == "v.mp4"
    assert list(tmp_path.iterdir()) == []


def test_check_finite_names_the_parameter():
    with pytest.raises(
        ArgumentValueError,
        match=r"^finish_m must be a finite number > 0, "
        "got nan$",
    ):
        checks.check_finite("finish_m", float("nan"), low=0)
