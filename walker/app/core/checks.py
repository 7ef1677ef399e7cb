"""Checking what a user typed before any work starts: values, env arguments, output paths.

Each `*_arg` function is an argparse `type=`: it turns the text into a value or raises
`argparse.ArgumentTypeError` with what is allowed, so `walker` prints one line and exits 2.
`env_kwargs` parses and checks `--env-arg KEY=VALUE` items; `check_output_dir` and
`check_output_file` try the destination (a probe file, removed at once) so an unwritable
`--out` is refused before a long run or benchmark, not after it (each verb checks its
outputs first). `OneLineParser` keeps
argparse's own errors to one line on stderr, as every other `walker` error is.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn

from walker.app.core.machine import usable_cores
from walker.errors import InputError
from walker.files import check_output_path, check_writable_dir

MAX_SEED = 2**32 - 1
MAX_SECONDS = 86_400.0
"""Simulated time a playback, race or video may last (a day); longer looks like a typo."""
MAX_FRAME_SIDE = 4096
MAX_SEEDS = 10_000
"""Seeds a bench or experiment may ask for: each is a task per agent and condition, and
10,000 of them already take days here; more looks like a typo."""
MAX_EPISODES = 10_000
"""Episodes per policy (eval) or per seed and condition (bench)."""
MAX_WORKERS = 1024
"""Worker processes: no machine this runs on has more cores; above the cores here, the
count is capped (`cap_workers`)."""
LANE_PX = 180
"""Height of one lane in a race's frame (`walker.draw.scene.race_size`)."""
MAX_LANES = 16
"""Lanes in a race: 16 lanes of 180 pixels fill a frame of 2880, within `MAX_FRAME_SIDE`."""


class ArgumentValueError(InputError):
    """A value given on the command line (or to a command's function) that cannot work."""


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line: `walker train: error: ... (see --help)`."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
        sys.exit(2)


def _number(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None


def _whole(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None


def seed_arg(text: str) -> int:
    """A random seed: a whole number from 0 to 2**32 - 1."""
    value = _whole(text, f"a seed (a whole number from 0 to {MAX_SEED})")
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(
            f"a seed must be a whole number from 0 to {MAX_SEED}, got {value}"
        )
    return value


def _counted(what: str, limit: int, why: str) -> Any:
    """An argparse type for a count from 1 to `limit`, refused with the limit and `why`."""

    def parse(text: str) -> int:
        value = _whole(text, f"a whole number of {what} from 1 to {limit}")
        if not 1 <= value <= limit:
            raise argparse.ArgumentTypeError(
                f"{what} must be from 1 to {limit} ({why}), got {value}"
            )
        return value

    parse.__name__ = what  # argparse names the type in some messages
    return parse


seeds_arg = _counted("seeds", MAX_SEEDS, "each seed is a run per agent; more looks like a typo")
episodes_arg = _counted("episodes", MAX_EPISODES, "more looks like a typo")
workers_arg = _counted("workers", MAX_WORKERS, "one process per core; more than any machine has")


def cap_workers(requested: int, option: str = "--workers") -> int:
    """`requested` worker processes, or the cores this process may use if fewer, with a
    one-line note on stderr when capped: more processes than cores only share them."""
    cores = usable_cores()
    if requested <= cores:
        return requested
    sys.stderr.write(
        f"walker: {option} {requested} is more than the {cores} cores here; using {cores}\n"
    )
    return cores


def check_lanes(count: int) -> int:
    """Refuse a race of more lanes than a frame can show (`MAX_LANES`), or of none."""
    if not 1 <= count <= MAX_LANES:
        raise ArgumentValueError(
            f"a race takes from 1 to {MAX_LANES} lanes (each needs {LANE_PX} pixels of a frame "
            f"at most {MAX_FRAME_SIDE} high), got {count}"
        )
    return count


def positive_int_arg(text: str) -> int:
    """A count: a whole number >= 1."""
    value = _whole(text, "a whole number >= 1")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def nonnegative_int_arg(text: str) -> int:
    """A period where 0 means never: a whole number >= 0."""
    value = _whole(text, "a whole number >= 0")
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0 (0: never), got {value}")
    return value


def seconds_arg(text: str) -> float:
    """A duration in simulated seconds: finite, > 0 and at most a day."""
    value = _number(text, "a number of seconds")
    if not (math.isfinite(value) and 0 < value <= MAX_SECONDS):
        raise argparse.ArgumentTypeError(
            f"seconds must be a number > 0 and at most {MAX_SECONDS:g} (a day of simulated "
            f"time; longer looks like a typo), got {text}"
        )
    return value


def fps_arg(text: str) -> float:
    """A video frame rate: 1 to 240 frames per second."""
    value = _number(text, "a frame rate")
    if not (math.isfinite(value) and 1 <= value <= 240):
        raise argparse.ArgumentTypeError(f"fps must be between 1 and 240, got {text}")
    return value


def metres_arg(text: str) -> float:
    """A distance ahead of the start, in metres: finite and > 0."""
    value = _number(text, "a distance in metres")
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"the distance must be a number of metres > 0, got {text}")
    return value


def frame_size_arg(text: str) -> tuple[int, int]:
    """A frame size `WIDTHxHEIGHT`: even, from 64 to 4096 pixels a side."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, got {text!r}") from None
    if (
        not (64 <= width <= MAX_FRAME_SIDE and 64 <= height <= MAX_FRAME_SIDE)
        or width % 2
        or height % 2
    ):
        raise argparse.ArgumentTypeError(
            f"size must be even and from 64 to {MAX_FRAME_SIDE} pixels a side, got {width}x{height}"
        )
    return width, height


def check_finite(
    name: str,
    value: float,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = False,
) -> float:
    """`value` as a float, or `ArgumentValueError` naming `name` and the allowed range."""
    number = float(value)
    too_low = low is not None and (number < low if low_inclusive else number <= low)
    too_high = high is not None and number > high
    if not math.isfinite(number) or too_low or too_high:
        allowed = "a finite number"
        if low is not None:
            allowed += f" {'>=' if low_inclusive else '>'} {low:g}"
        if high is not None:
            allowed += f"{' and' if low is not None else ''} <= {high:g}"
        raise ArgumentValueError(f"{name} must be {allowed}, got {value!r}")
    return number


# -- env arguments -----------------------------------------------------------------------------


def _positive_whole(key: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArgumentValueError(f"--env-arg {key} must be a whole number >= 1, got {value!r}")


ENV_ARG_CHECKS = {"max_episode_steps": _positive_whole}
"""Checks of env arguments that `gymnasium.make` itself takes (the env's own arguments are
checked by the env's constructor)."""


def env_kwargs(items: Iterable[str]) -> dict[str, Any]:
    """Parse `--env-arg KEY=VALUE` items (JSON values when they parse) and check them."""
    kwargs: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ArgumentValueError(f"--env-arg needs KEY=VALUE, got {item!r}")
        try:
            kwargs[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            kwargs[key.strip()] = raw
    return check_env_kwargs(kwargs)


def check_env_kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Check env arguments: names, finite numbers, and the ones `gymnasium.make` takes."""
    checked: dict[str, Any] = {}
    for key, value in kwargs.items():
        if not isinstance(key, str) or not key.isidentifier():
            raise ArgumentValueError(f"--env-arg needs KEY=VALUE with a name for KEY, got {key!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ArgumentValueError(f"--env-arg {key} must be finite, got {value}")
        check = ENV_ARG_CHECKS.get(key)
        if check is not None:
            check(key, value)
        checked[key] = value
    return checked


# -- output paths ----------------------------------------------------------------------------


def check_output_dir(folder: str | Path, option: str = "--out", files: Iterable[str] = ()) -> Path:
    """Refuse (`OutputPathError`) a folder no file can be written into, or one where any of
    `files` (what the command will write there) is a device, a FIFO or a socket; creates
    nothing."""
    return check_writable_dir(folder, option, files)


def check_output_file(
    path: str | Path, option: str = "--out", suffixes: Iterable[str] | None = None
) -> Path:
    """Refuse a file that could not be written later: a folder, a device, a FIFO, a socket
    or a link to one, an unwritable place, or a suffix not in `suffixes` (what is written);
    writes nothing that stays."""
    return check_output_path(path, option, suffixes)


VIDEO_SUFFIXES = (".mp4", ".gif")
PICTURE_SUFFIXES = (".png",)
JSON_SUFFIXES = (".json",)
