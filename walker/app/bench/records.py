"""The bench's records and its results log, `results.jsonl`.

What one bench task found is a `ConditionRecord` (one agent, seed and condition) holding an
`EpisodeRecord` per greedy episode. The bench's tasks return them, `results.jsonl` stores
them one per line (`to_dict` and `from_dict` are the only conversions, at that file), and
the report reads them by field.

A record is written as one line of strict JSON (`encode_record`): a metric that has no value
(NaN: no speed before a fall that never came, a drawn value the condition leaves at its
default) is written as `null`, which every JSON parser reads, and read back as NaN
(`decode_record`); an infinity, which no episode produces, is written as `null` too. Appends
go through `walker.files.append_text`, so a full disk or a read-only file ends in one
sentence and never leaves half a line.

Reading (`read_log`) trusts nothing: a line that is not UTF-8 or not JSON, and a record that
does not validate against the task it claims to answer (`record_problem`: its key and
names, one entry per episode asked for, every metric a number or null, `fell` a bool,
`steps` a whole number, the gait a label), is not used (`usable_records`); the bench
computes that task again and says so. A record of another checkpoint, or one that other
code played (`walker.app.core.machine.code_digest`, a digest of the source of `agents`,
`envs` and `walker` but for what only draws, parses or times, which every record
carries), is played again too. A last line cut short by a crash is dropped before the
next append (`cut_torn_line`). A folder, a device or a FIFO where the log should be is
refused in one sentence.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol, TypeVar

from walker.app.core.conditions import DRAW_COLUMNS
from walker.files import OutputPathError, append_text, failure_cause, refuse_unreplaceable


@dataclass(frozen=True)
class EpisodeRecord:
    """One greedy episode's metrics (NaN where an episode cannot define one)."""

    distance_m: float
    speed_m_s: float
    """Mean forward speed; 0 for an episode that ends in a fall (no speed until a fall can
    score as a win)."""
    speed_until_fall_m_s: float
    """The speed it had until the fall (or the end)."""
    fell: bool
    time_to_fall_s: float
    """NaN when it did not fall."""
    steps: int
    positive_work_j: float
    cost_of_transport: float
    """NaN below `MIN_COT_DISTANCE_M` of distance (work per metre says nothing there)."""
    illegal_share: float
    """Share of illegal actions tried (the discrete Henry; NaN on the continuous one)."""
    flight_share: float
    duty_factor_right: float
    duty_factor_left: float
    footfalls: int
    alternation: float
    stride_length_m: float
    cadence_per_min: float
    froude_number: float
    relative_stride: float
    stride_ratio: float
    gait: str
    """The episode's gait label (`envs.gait.gait_label`): it describes, it is not averaged."""
    reset_seed: int = -1
    """The seed the env was reset with: with the drawn values it reproduces the episode."""
    drawn: Mapping[str, float] = field(default_factory=dict)
    """What the condition drew for this seed, by `conditions.DRAW_COLUMNS` name (NaN for
    what the condition leaves at its default)."""

    def to_dict(self) -> dict[str, Any]:
        """Flat, as a line of `results.jsonl` and a row of `episodes.csv`: the metrics, the
        label, the reset seed and the drawn values side by side."""
        row = {name: getattr(self, name) for name in METRICS}
        row["gait"] = self.gait
        row["reset_seed"] = self.reset_seed
        row.update({name: self.drawn.get(name, math.nan) for name in DRAW_COLUMNS})
        return row

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> EpisodeRecord:
        """Read back what `to_dict` wrote (a metric an older file lacks is NaN)."""
        return cls(
            **{name: row.get(name, math.nan) for name in METRICS},
            gait=str(row.get("gait", "")),
            reset_seed=int(row.get("reset_seed", -1)),
            drawn={name: float(row.get(name, math.nan)) for name in DRAW_COLUMNS},
        )


METRICS = tuple(
    f.name for f in fields(EpisodeRecord) if f.name not in ("gait", "reset_seed", "drawn")
)
"""Every numeric per-episode metric, in the order of the records and the CSV columns."""

GAIT_MEASURES = METRICS[METRICS.index("flight_share") :]
"""The env's numeric gait measures (`envs.gait.GaitMetrics`) each episode record carries;
the gait label is `EpisodeRecord.gait`."""

MIN_COT_DISTANCE_M = 0.1
"""Below this distance the cost of transport (work per metre) is not reported: dividing by
a distance near zero says nothing about walking."""


@dataclass(frozen=True)
class ConditionRecord:
    """One (env, agent, seed, condition) and its episodes: one task of the bench."""

    key: str
    env_id: str
    agent: str
    condition: str
    seed: int
    episodes: tuple[EpisodeRecord, ...]
    checkpoint: str | None = None
    """The digest of the checkpoint it played (None for the reference policies): a saved
    record of another checkpoint is played again."""
    code: str | None = None
    """`walker.app.core.machine.code_digest()` of the Henry that played it: a saved record
    of other code (a changed controller, env or bench) is played again."""

    def to_dict(self) -> dict[str, Any]:
        """As a line of `results.jsonl`."""
        return {
            "key": self.key,
            "env_id": self.env_id,
            "agent": self.agent,
            "condition": self.condition,
            "seed": self.seed,
            "episodes": [e.to_dict() for e in self.episodes],
            "checkpoint": self.checkpoint,
            "code": self.code,
        }

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> ConditionRecord:
        """Read back a line of `results.jsonl`."""
        return cls(
            str(row["key"]),
            str(row["env_id"]),
            str(row["agent"]),
            str(row["condition"]),
            int(row["seed"]),
            tuple(EpisodeRecord.from_dict(e) for e in row["episodes"]),
            row.get("checkpoint"),
            row.get("code"),
        )


COUNT_FIELDS = ("steps", "footfalls")
"""Episode metrics that are whole numbers >= 0."""

FLOAT_FIELDS = tuple(name for name in METRICS if name not in (*COUNT_FIELDS, "fell"))
"""Episode metrics that are numbers, NaN (null in the file) when they have no value."""

NULLABLE_FIELDS = (*FLOAT_FIELDS, *DRAW_COLUMNS)
"""What an episode's line may hold as null, read back as NaN."""


# -- the results log -----------------------------------------------------------------------


class RecordedTask(Protocol):
    """What a record is checked against: the task it claims to answer
    (`walker.app.bench.tasks.EpisodeTask`)."""

    @property
    def key(self) -> str: ...
    @property
    def env_id(self) -> str: ...
    @property
    def agent(self) -> str: ...
    @property
    def condition(self) -> str: ...
    @property
    def seed(self) -> int: ...
    @property
    def episodes(self) -> int: ...
    @property
    def checkpoint(self) -> str | None: ...


Task = TypeVar("Task", bound=RecordedTask)


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
                for name in NULLABLE_FIELDS:
                    if name in episode and episode[name] is None:
                        episode[name] = math.nan
    return record


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def record_problem(record: Any, task: RecordedTask) -> str | None:
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
        problem = _episode_problem(episode)
        if problem is not None:
            return f"its episode {index} {problem}"
    return None


def _episode_problem(episode: Any) -> str | None:
    """What is wrong with one episode's entry (after "its episode N"), or None."""
    if not isinstance(episode, dict):
        return "is not a record"
    for name in (*FLOAT_FIELDS, *DRAW_COLUMNS):
        if name not in episode:
            return f'has no "{name}"'
        if not _is_number(episode[name]):
            return f'has "{name}": {episode[name]!r}, not a number'
    for name in COUNT_FIELDS:
        if not _is_count(episode.get(name)):
            return f'has "{name}": {episode.get(name)!r}, not a whole number'
    if not isinstance(episode.get("fell"), bool):
        return f'has "fell": {episode.get("fell")!r}, not true or false'
    if not isinstance(episode.get("gait"), str):
        return f'has "gait": {episode.get("gait")!r}, not a label'
    seed = episode.get("reset_seed")
    if not isinstance(seed, int) or isinstance(seed, bool):
        return f'has "reset_seed": {seed!r}, not a whole number'
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


def append_record(path: Path, record: ConditionRecord) -> None:
    """Append `record` as one strict-JSON line, all of it or nothing (one sentence if not)."""
    try:
        append_text(path, encode_record(record.to_dict()))
    except OutputPathError as error:
        raise BenchLogError(
            f"{error}; the records saved so far are kept, run the same command again "
            "to compute the rest"
        ) from error


def usable_records(
    log: Log, tasks: Sequence[Task], code: str | None = None
) -> tuple[dict[str, ConditionRecord], list[Task], list[str], int]:
    """(records that stand for their task, tasks to play, why saved ones are not used, how
    many saved ones other code played).

    A saved record that does not validate is played again and named among the reasons (with
    the log's unreadable lines), so a damaged record is never used and never silently
    dropped from the count of seeds; one of another checkpoint is simply played again, and
    so is one that other code played (its `code` is not `code`), counted apart."""
    saved: dict[str, ConditionRecord] = {}
    todo: list[Task] = []
    damaged: list[str] = []
    stale = 0
    for task in tasks:
        record = log.records.get(task.key)
        problem = None if record is None else record_problem(record, task)
        if record is not None and problem is None:
            if record.get("code") == code:
                saved[task.key] = ConditionRecord.from_dict(record)
                continue
            stale += 1
        todo.append(task)
        if (
            problem is not None
            and record is not None
            and record.get("checkpoint") == task.checkpoint
        ):
            damaged.append(f"{task.key}: {problem}")
    unreadable = [f"line {n} {why}" for n, why in sorted(log.unreadable.items())]
    return saved, todo, unreadable + damaged, stale
