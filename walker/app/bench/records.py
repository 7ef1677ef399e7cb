"""The bench's results log, `results.jsonl`: one strict-JSON record per finished task.

A record is written as one line of strict JSON (`encode_record`): a metric that has no value
(NaN: no speed before a fall that never came) is written as `null`, which every JSON parser
reads, and read back as NaN (`decode_record`); an infinity, which no episode produces, is
written as `null` too. Appends go through `walker.files.append_text`, so a full disk or a
read-only file ends in one sentence and never leaves half a line.

Reading (`read_log`) trusts nothing: a line that is not UTF-8 or not JSON, and a record that
does not validate against the task it claims to answer (`record_problem`: its key and
names, one entry per episode asked for, every metric a number or null, `fell` a bool,
`steps` a whole number), is not used; the bench computes that task again and says so. A
last line cut short by a crash is dropped before the next append (`cut_torn_line`). A
folder, a device or a FIFO where the log should be is refused in one sentence.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from walker.app.bench.tasks import GAIT_MEASURES, EpisodeTask
from walker.files import OutputPathError, append_text, failure_cause, refuse_unreplaceable

FLOAT_FIELDS = (
    "distance_m",
    "speed_m_s",
    "speed_until_fall_m_s",
    "time_to_fall_s",
    "positive_work_j",
    "cost_of_transport",
    "illegal_share",
    *(name for name in GAIT_MEASURES if name != "footfalls"),
)
"""Episode metrics that are numbers, NaN (null in the file) when they have no value."""

COUNT_FIELDS = ("steps", "footfalls")
"""Episode metrics that are whole numbers >= 0."""

IDENTITY_FIELDS = ("key", "env_id", "agent", "condition", "seed")


class BenchLogError(OutputPathError):
    """The results log cannot be read or written (a folder in its place, a full disk)."""


def json_safe(value: Any) -> Any:
    """NaN and infinities become null: the bench's JSON files are for any reader, not only
    Python (whose json module writes bare NaN, which strict parsers refuse)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def encode_record(record: Mapping[str, Any]) -> str:
    """`record` as one line of strict JSON (no NaN or Infinity), newline included."""
    return json.dumps(json_safe(dict(record)), allow_nan=False) + "\n"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def decode_record(line: str) -> Any:
    """A line of the log as written by `encode_record`: episode metrics that are null come
    back as NaN. Raises ValueError for a line that is not strict JSON."""
    record = json.loads(line, parse_constant=_reject_constant)
    if isinstance(record, dict) and isinstance(record.get("episodes"), list):
        for episode in record["episodes"]:
            if isinstance(episode, dict):
                for name in FLOAT_FIELDS:
                    if name in episode and episode[name] is None:
                        episode[name] = math.nan
    return record


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def record_problem(record: Any, task: EpisodeTask) -> str | None:
    """Why `record` cannot stand for `task`'s result (a few words), or None when it can."""
    if not isinstance(record, dict):
        return f"it is {type(record).__name__}, not a record"
    expected = {
        "key": task.key,
        "env_id": task.env_id,
        "agent": task.agent,
        "condition": task.condition,
        "seed": task.seed,
    }
    for name, value in expected.items():
        if record.get(name) != value or isinstance(record.get(name), bool):
            return f'its "{name}" is {record.get(name)!r}, not {value!r}'
    if record.get("checkpoint") != task.checkpoint:
        return "it was played with another checkpoint"
    episodes = record.get("episodes")
    if not isinstance(episodes, list):
        return 'it has no "episodes" list'
    if len(episodes) != task.episodes:
        return f"it has {len(episodes)} episodes, not {task.episodes}"
    for index, episode in enumerate(episodes, start=1):
        if not isinstance(episode, dict):
            return f"its episode {index} is not a record"
        for name in FLOAT_FIELDS:
            if name not in episode:
                return f'its episode {index} has no "{name}"'
            if not _is_number(episode[name]):
                return f'its episode {index} has "{name}": {episode[name]!r}, not a number'
        for name in COUNT_FIELDS:
            value = episode.get(name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                return f'its episode {index} has "{name}": {value!r}, not a whole number'
        if not isinstance(episode.get("fell"), bool):
            return f'its episode {index} has "fell": {episode.get("fell")!r}, not true or false'
    return None


@dataclass
class Log:
    """What `read_log` found: the last well-formed record of each key, and the lines that
    could not be read at all (by line number)."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    unreadable: dict[int, str] = field(default_factory=dict)


def _refuse_special(path: Path) -> None:
    """A log that is not a regular file is refused before it is read (a FIFO would block)."""
    try:
        refuse_unreplaceable(path)
    except OutputPathError as error:
        raise BenchLogError(str(error)) from error


def read_log(path: Path) -> Log:
    """Read the log at `path` (missing: empty). Lines that are not UTF-8 or not strict JSON
    objects with a key are listed in `unreadable`, never used; a last line without its
    newline (cut by a crash) is skipped silently."""
    log = Log()
    if not os.path.lexists(path):
        return log
    _refuse_special(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BenchLogError(f"cannot read {path}: {failure_cause(error)}") from error
    lines = data.split(b"\n")
    complete = lines[:-1]  # the part after the last newline is a torn line, or empty
    for number, raw in enumerate(complete, start=1):
        if not raw.strip():
            continue
        try:
            record = decode_record(raw.decode("utf-8"))
        except UnicodeDecodeError:
            log.unreadable[number] = "it is not UTF-8 text"
            continue
        except ValueError as error:
            log.unreadable[number] = f"it is not JSON ({error})"
            continue
        if not isinstance(record, dict) or not isinstance(record.get("key"), str):
            log.unreadable[number] = "it is not a record with a key"
            continue
        log.records[record["key"]] = record
    return log


def cut_torn_line(path: Path) -> None:
    """Drop a last line an interruption left without its newline, so appends start clean."""
    if not os.path.lexists(path):
        return
    _refuse_special(path)
    try:
        with path.open("r+b") as handle:
            data = handle.read()
            if data and not data.endswith(b"\n"):
                handle.truncate(data.rfind(b"\n") + 1)
    except OSError as error:
        raise BenchLogError(f"cannot write {path}: {failure_cause(error)}") from error


def append_record(path: Path, record: Mapping[str, Any]) -> None:
    """Append `record` as one strict-JSON line, all of it or nothing (one sentence if not)."""
    try:
        append_text(path, encode_record(record))
    except OutputPathError as error:
        raise BenchLogError(
            f"{error}; the records saved so far are kept, run the same command again "
            "to compute the rest"
        ) from error
