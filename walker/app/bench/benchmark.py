"""`walker bench`: every agent against the hard-coded policy, under every condition, per seed.

`run_bench` checks everything it was given (agents, conditions, seeds, the output folder,
Ray: `bench.request`) and fails in one sentence before any work. Then it sweeps: first it
trains each learning agent once per seed when `--train-steps` asks for it (checkpoints kept in
`OUT/checkpoints/`), then it plays every (env, agent, seed, condition) as one task
(`bench.tasks.play_condition`). Each finished task is appended to `OUT/results.jsonl` at
once, so an interrupted bench run again with the same `--out` computes only what is
missing. The hard-coded and random policies always run on the standard condition too: they
are the ends of the normalised score, and the hard-coded one is what P(improvement) compares
with. The report (tables, CSV, JSON, plots) is made from the saved records by
`bench.report` and `bench.plots`. When `standard` is played (not for a curve), each env
also gets `footfalls_<env>.png`: every agent's footfall diagram on the standard condition's
seed-0 draw, stacked (`walker.app.core.footfall_plot`; the episode replayed in this process,
so it is redrawn on every run).
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import envs
from walker.app.bench.curve_files import report_curve
from walker.app.bench.curves import CurveResult
from walker.app.bench.grades import select_curve
from walker.app.bench.records import (
    ConditionRecord,
    append_record,
    cut_torn_line,
    read_log,
    usable_records,
)
from walker.app.bench.report import write_report
from walker.app.bench.request import SETTINGS_FILE, check_request, check_settings
from walker.app.bench.roster import HENRY_ENVS, BenchAgent
from walker.app.bench.roster import BenchError as BenchError  # callers catch it from here
from walker.app.bench.summary import Summary
from walker.app.bench.tasks import (
    EpisodeTask,
    TrainTask,
    footfalls_of,
    play_condition,
    train_policy,
)
from walker.app.core.conditions import REFERENCES, STANDARD, Condition, select_conditions
from walker.app.core.footfall_plot import plot_footfalls
from walker.app.core.machine import code_digest
from walker.app.core.runfiles import BENCH_OUT
from walker.app.core.sweep import Backend, Failure, run_sweep
from walker.files import atomic_path, check_writable_dir, ensure_writable_dir

RESULTS_FILE = "results.jsonl"
FOOTFALLS_FILE = "footfalls_{env}.png"
"""Per env: every agent's footfall diagram on the standard condition's seed-0 draw."""
REPORT_FILES = (
    RESULTS_FILE,
    SETTINGS_FILE,
    "bench.md",
    "episodes.csv",
    "bench.json",
    "bench_iqm.png",
    *(f"bench_robustness_{env_id}.png" for env_id in HENRY_ENVS),
)
"""What a bench writes into its --out folder (besides checkpoints/ and a curve's files)."""


def bench_files(curve: str | None) -> tuple[str, ...]:
    """The files a bench (of `curve`, if given) writes into its --out folder."""
    if curve is None:
        return REPORT_FILES
    name = f"curve_{curve}"
    return (*REPORT_FILES, f"{name}.csv", f"{name}_survival.csv", f"{name}.md", f"{name}.png")


@dataclass(frozen=True)
class BenchRun:
    """What a finished (or partly failed) bench produced."""

    out: Path
    records: list[ConditionRecord]
    failures: list[Failure] = field(default_factory=list)
    report: str = ""
    files: list[Path] = field(default_factory=list)
    summaries: list[Summary] = field(default_factory=list)
    """One per (env, condition, agent), as in `bench.md` (empty for a curve)."""
    curve: CurveResult | None = None
    """The robustness curve, when `--curve` asked for one."""


# -- the sweep -----------------------------------------------------------------------------


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def read_records(path: Path) -> dict[str, ConditionRecord]:
    """The records saved so far, by key (the last readable one of each); a line cut short
    by a crash, or that cannot be read or converted, is not among them."""
    records: dict[str, ConditionRecord] = {}
    for key, row in read_log(path).records.items():
        try:
            records[key] = ConditionRecord.from_dict(row)
        except (AttributeError, KeyError, TypeError, ValueError):
            continue
    return records


def _usable(
    tasks: Sequence[EpisodeTask], path: Path
) -> tuple[dict[str, ConditionRecord], list[EpisodeTask]]:
    """(records that stand for their task, tasks to play). Saved records that cannot be
    used are played again, and said so on stderr in one line: a damaged record is never
    used, and never silently dropped from the count of seeds."""
    saved, todo, reasons, stale = usable_records(read_log(path), tasks, code_digest())
    if stale:
        print(
            f"walker: {path}: {stale} saved result(s) were played by another version of "
            "Henry's code (its agents, envs or bench changed since); they are played again",
            file=sys.stderr,
            flush=True,
        )
    if reasons:
        shown = "; ".join(reasons[:6]) + ("; ..." if len(reasons) > 6 else "")
        print(
            f"walker: {path}: {len(reasons)} saved record(s) cannot be used and their tasks "
            f"are played again ({shown})",
            file=sys.stderr,
            flush=True,
        )
    return saved, todo


def _train_all(
    plan: Sequence[BenchAgent],
    seeds: range,
    train_steps: int,
    folder: Path,
    backend: Backend,
    progress: bool,
) -> tuple[dict[tuple[str, str, int], Path], list[Failure]]:
    checkpoints: dict[tuple[str, str, int], Path] = {}
    tasks = []
    for agent in plan:
        if agent.source != "train":
            continue
        assert agent.learner is not None
        for seed in seeds:
            path = folder / "checkpoints" / f"{agent.env_id}-{agent.name}-seed{seed}.pt"
            checkpoints[(agent.env_id, agent.name, seed)] = path
            if not path.exists():
                tasks.append(TrainTask(agent.env_id, agent.learner, seed, train_steps))

    def save(task: TrainTask, data: bytes) -> None:
        target = checkpoints[(task.env_id, task.agent, task.seed)]
        ensure_writable_dir(target.parent)
        with atomic_path(target) as temp:
            temp.write_bytes(data)

    failures = run_sweep(
        train_policy, tasks, backend=backend, on_result=save, label="training", progress=progress
    )
    return checkpoints, failures


def run_bench(
    agents: Sequence[str] = (),
    env_id: str | None = None,
    conditions: Sequence[str] = (),
    seeds: int = 10,
    episodes: int = 1,
    train_steps: int | None = None,
    out: Path = BENCH_OUT,
    backend: Backend | None = None,
    progress: bool = True,
    fixed: bool = False,
    curve: str | None = None,
    objects: Mapping[str, Any] | None = None,
    first_seed: int = 0,
) -> BenchRun:
    """Check the request, sweep what is not saved yet, and report on all of it.

    `fixed` plays the point conditions instead of a draw per seed; `curve` plays the graded
    levels of one curve (`conditions.CURVES`) instead of the conditions; `objects` adds
    Python policies by name (`walker.bench.run`); `first_seed` moves the seeds (held out)."""
    backend = backend or Backend()
    objects = dict(objects or {})
    selected, plan = check_request(
        agents,
        env_id,
        conditions,
        seeds,
        episodes,
        train_steps,
        fixed,
        curve,
        objects,
        backend,
        first_seed,
    )
    seed_range = range(first_seed, first_seed + seeds)
    check_writable_dir(out, "--out", files=bench_files(curve))
    folder = ensure_writable_dir(out)
    check_settings(folder, episodes, train_steps, fixed, curve)

    failures: list[Failure] = []
    trained: dict[tuple[str, str, int], Path] = {}
    if train_steps is not None:
        trained, failures = _train_all(plan, seed_range, train_steps, folder, backend, progress)
    tasks, shared, skipped, by_name = _episode_tasks(
        plan, selected, seed_range, episodes, fixed, curve is None, trained, objects
    )
    saved, played = _play(tasks, folder / RESULTS_FILE, shared, backend, progress)
    failures += played
    failures += skipped
    records = [saved[t.key] for t in tasks if t.key in saved]
    descriptions = {name: by_name[name].description for name in _table_order(selected, by_name)}
    if curve is not None:
        result, report, files = report_curve(select_curve(curve), records, selected, folder)
        return BenchRun(folder, records, failures, report, files, curve=result)
    report, summaries, files = write_report(
        records, descriptions, folder, episodes=episodes, train_steps=train_steps, fixed=fixed
    )
    files += _footfall_diagrams(tasks, saved, shared, folder)
    return BenchRun(folder, records, failures, report, files, summaries)


def _episode_tasks(
    plan: Sequence[BenchAgent],
    selected: Sequence[Condition],
    seeds: range,
    episodes: int,
    fixed: bool,
    with_standard: bool,
    trained: Mapping[tuple[str, str, int], Path],
    objects: Mapping[str, Any],
) -> tuple[list[EpisodeTask], dict[str, Any], list[Failure], dict[str, Condition]]:
    """Every (agent, seed, condition) to play, the policies the tasks share (by digest), the
    tasks given up because their training failed, and the conditions by name. With
    `with_standard`, the references also play the standard condition."""
    shared: dict[str, Any] = {}
    tasks: list[EpisodeTask] = []
    skipped: list[Failure] = []
    by_name = {c.name: c for c in selected}
    for agent in plan:
        names = [c.name for c in selected]
        if with_standard and agent.name in REFERENCES and STANDARD not in names:
            names.insert(0, STANDARD)
            by_name.setdefault(STANDARD, select_conditions([STANDARD])[0])
        for seed in seeds:
            digest = None
            if agent.source in ("checkpoint", "train", "sb3"):
                path = (
                    agent.path
                    if agent.source in ("checkpoint", "sb3")
                    else trained[(agent.env_id, agent.name, seed)]
                )
                assert path is not None
                if not path.exists():  # its training failed, reported above
                    skipped += [
                        Failure(
                            EpisodeTask(agent.env_id, agent.name, "checkpoint", seed, c, episodes),
                            "its training failed",
                        )
                        for c in names
                    ]
                    continue
                data = path.read_bytes()
                digest = _digest(data)
                shared[digest] = data
            elif agent.source == "object":
                digest = f"object:{agent.name}"
                shared[digest] = objects[agent.name]
            tasks += _agent_tasks(agent, seed, names, by_name, fixed, episodes, digest)
    return tasks, shared, skipped, by_name


def _agent_tasks(
    agent: BenchAgent,
    seed: int,
    names: Sequence[str],
    by_name: Mapping[str, Condition],
    fixed: bool,
    episodes: int,
    digest: str | None,
) -> list[EpisodeTask]:
    """One agent's tasks for one seed: one per condition named, with its draw for the seed."""
    policy = agent.source if agent.source in (*REFERENCES, "sb3", "py", "object") else "checkpoint"
    return [
        EpisodeTask(
            agent.env_id,
            agent.name,
            policy,
            seed,
            c,
            episodes,
            digest,
            draw=by_name[c].draw(seed, fixed),
            source=agent.detail,
        )
        for c in names
    ]


def _play(
    tasks: Sequence[EpisodeTask],
    results_path: Path,
    shared: Mapping[str, Any],
    backend: Backend,
    progress: bool,
) -> tuple[dict[str, ConditionRecord], list[Failure]]:
    """Play the tasks without a usable saved record, appending each record to
    `results_path` as it comes; (every record by task key, the tasks that failed)."""
    saved, todo = _usable(tasks, results_path)
    cut_torn_line(results_path)
    # The discrete Henry's episodes last longest: start them first so that no worker is
    # left with a long task while the others idle at the end.
    todo.sort(key=lambda t: t.env_id != envs.DISCRETE_ID)

    def keep(task: EpisodeTask, record: ConditionRecord) -> None:
        record = replace(record, checkpoint=task.checkpoint, code=code_digest())
        append_record(results_path, record)
        saved[task.key] = record

    failures = run_sweep(
        play_condition,
        todo,
        backend=backend,
        on_result=keep,
        shared=shared,
        label="episodes",
        progress=progress,
    )
    return saved, failures


def _footfall_diagrams(
    tasks: Sequence[EpisodeTask],
    saved: Mapping[str, ConditionRecord],
    shared: Mapping[str, Any],
    folder: Path,
) -> list[Path]:
    """One PNG per env: each agent's first episode on the standard condition's draw of the
    first seed (0 unless `--first-seed`) as a footfall diagram, in the bench's agent order.
    Agents whose task failed (reported with the sweep's failures) are left out."""
    chosen: dict[str, list[EpisodeTask]] = {}
    first = min((task.seed for task in tasks), default=0)
    for task in tasks:
        if task.condition == STANDARD and task.seed == first and task.key in saved:
            chosen.setdefault(task.env_id, []).append(task)
    paths = []
    for env_id, played in chosen.items():
        records = [footfalls_of(task, shared) for task in played]
        paths.append(plot_footfalls(folder / FOOTFALLS_FILE.format(env=env_id), records))
    return paths


def _table_order(selected: Sequence[Condition], by_name: Mapping[str, Condition]) -> list[str]:
    """The selected conditions' names, `standard` first when only the references added it."""
    names = [c.name for c in selected]
    return names if STANDARD in names or STANDARD not in by_name else [STANDARD, *names]
