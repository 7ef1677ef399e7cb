"""`walker bench`: every agent against the hard-coded policy, under every condition, per seed.

`run_bench` checks everything it was given (agents, conditions, seeds, the output folder,
Ray) and fails in one sentence before any work. Then it sweeps: first it trains each
learning agent once per seed when `--train-steps` asks for it (checkpoints kept in
`OUT/checkpoints/`), then it plays every (env, agent, seed, condition) as one task
(`bench.tasks.play_condition`). Each finished task is appended to `OUT/results.jsonl` at
once, so an interrupted bench run again with the same `--out` computes only what is
missing. The hard-coded and random policies always run on the standard condition too: they
are the ends of the normalised score, and the hard-coded one is what P(improvement) compares
with. The report (tables, CSV, JSON, plots) is made from the saved records by
`bench.report` and `bench.plots`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import envs
from agents.checkpoint import CheckpointError, load_checkpoint
from walker.app.bench.conditions import select_conditions
from walker.app.bench.report import write_report
from walker.app.bench.tasks import EpisodeTask, TrainTask, play_condition, train_policy
from walker.app.core.learners import PolicyError, learner_kinds
from walker.app.core.policies import ASSETS, make_env, resolve_checkpoint
from walker.app.core.sweep import Backend, Failure, check_backend, run_sweep
from walker.errors import InputError
from walker.files import atomic_path, atomic_write_text, ensure_writable_dir

HENRY_ENVS = (envs.DISCRETE_ID, envs.CONTINUOUS_ID)
REFERENCES = ("hardcoded", "random")
RESULTS_FILE = "results.jsonl"
SETTINGS_FILE = "settings.json"
FORMAT_VERSION = 1


class BenchError(InputError):
    """`walker bench` was asked for something it cannot do."""


@dataclass(frozen=True)
class BenchAgent:
    """One agent on one env, and where its policy comes from."""

    env_id: str
    name: str
    source: str
    """`hardcoded`, `random`, `checkpoint` (a file) or `train` (a learner trained per seed)."""
    path: Path | None = None
    learner: str | None = None


@dataclass
class BenchRun:
    """What a finished (or partly failed) bench produced."""

    out: Path
    records: list[dict[str, Any]]
    failures: list[Failure] = field(default_factory=list)
    report: str = ""
    files: list[Path] = field(default_factory=list)


# -- choosing agents -----------------------------------------------------------------------


PREFERRED_PRETRAINED = ("ppo-henry-walk",)
"""Assets that stand for their learner on their env when several could: the PPO that walks,
not the earlier one that hops and falls (`ppo-henry-continuous`)."""


def pretrained_policies() -> dict[tuple[str, str], Path]:
    """The checkpoints in assets/ by (env id, learner kind), preferred ones first."""
    found: dict[tuple[str, str], Path] = {}
    paths = sorted(ASSETS.glob("*.pt"), key=lambda p: (p.stem not in PREFERRED_PRETRAINED, p))
    for path in paths:
        payload = load_checkpoint(path)
        env_id = payload["metadata"].get("env_id")
        if env_id is not None:
            found.setdefault((env_id, payload["agent"]), path)
    return found


def _can_train(kind_name: str, env_id: str) -> str | None:
    """None if the learner can train on the env, else why not."""
    kind = learner_kinds()[kind_name]
    env = make_env(env_id)
    try:
        kind.build(env.observation_space, env.action_space, kind.config_cls(), 0)
    except (TypeError, ValueError) as error:
        return str(error)
    finally:
        env.close()
    return None


def _resolve(
    name: str, env_id: str, train_steps: int | None, pretrained: dict[tuple[str, str], Path]
) -> BenchAgent | str:
    """The agent `name` on `env_id`, or a sentence saying why it cannot run there."""
    if name in REFERENCES:
        return BenchAgent(env_id, name, name)
    kinds = learner_kinds()
    if name in kinds:
        if train_steps is not None:
            reason = _can_train(name, env_id)
            if reason is not None:
                return f"{name} cannot train on {env_id} ({reason})"
            return BenchAgent(env_id, name, "train", learner=name)
        path = pretrained.get((env_id, name))
        if path is None:
            return (
                f"there is no pretrained {name} policy for {env_id}; give --train-steps "
                "to train one per seed"
            )
        return BenchAgent(env_id, name, "checkpoint", path=path)
    path = resolve_checkpoint(name)
    if path is None:
        assets = sorted(p.stem for p in ASSETS.glob("*.pt"))
        raise BenchError(
            f"unknown agent {name!r}: use {', '.join(REFERENCES + tuple(kinds))}, "
            f"a checkpoint path or a pretrained name ({', '.join(assets)})"
        )
    trained_on = load_checkpoint(path)["metadata"].get("env_id")
    if trained_on not in HENRY_ENVS:
        raise BenchError(f"checkpoint {path} was trained on {trained_on}, not on a Henry env")
    if trained_on != env_id:
        return f"checkpoint {path} was trained on {trained_on}, not on {env_id}"
    return BenchAgent(env_id, name, "checkpoint", path=path)


def plan_agents(
    names: Sequence[str], env_ids: Sequence[str], train_steps: int | None
) -> list[BenchAgent]:
    """Every (env, agent) to bench; by default all the agents each env supports.

    An agent named on the command line runs on each of `env_ids` it supports and must
    support at least one; with one env given, it must support that one.
    """
    pretrained = pretrained_policies()
    wanted = list(dict.fromkeys(names)) or [*REFERENCES, *learner_kinds()]
    plan: list[BenchAgent] = []
    for name in wanted:
        reasons = []
        for env_id in env_ids:
            resolved = _resolve(name, env_id, train_steps, pretrained)
            if isinstance(resolved, str):
                reasons.append(resolved)
            else:
                plan.append(resolved)
        if names and len(reasons) == len(env_ids):
            raise BenchError(
                reasons[0]
                if len(reasons) == 1
                else f"agent {name!r} runs on neither Henry variant: " + "; ".join(reasons)
            )
    for env_id in env_ids:
        present = {a.name for a in plan if a.env_id == env_id}
        plan += [BenchAgent(env_id, r, r) for r in REFERENCES if r not in present]
    return plan


# -- the sweep -----------------------------------------------------------------------------


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _check_settings(folder: Path, episodes: int, train_steps: int | None) -> None:
    settings = {"format": FORMAT_VERSION, "episodes": episodes, "train_steps": train_steps}
    path = folder / SETTINGS_FILE
    if path.exists():
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise BenchError(f"{path} is damaged ({error}); choose another --out") from error
        if saved != settings:
            raise BenchError(
                f"--out {folder} holds a bench with --episodes {saved.get('episodes')} and "
                f"--train-steps {saved.get('train_steps')}; resume it with those or choose "
                "another --out"
            )
        return
    atomic_write_text(path, json.dumps(settings, indent=2) + "\n")


def read_records(path: Path) -> dict[str, dict[str, Any]]:
    """The records saved so far, by key; a line cut short by a crash is ignored."""
    records: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return records
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and "key" in record:
            records[record["key"]] = record
    return records


def _cut_torn_line(path: Path) -> None:
    """Drop a last line an interruption left without its newline, so appends start clean."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with path.open("r+b") as log:
            log.truncate(data.rfind(b"\n") + 1)


def _append(path: Path, record: dict[str, Any]) -> None:
    # An append-only log, not a rewrite: each record is one line written with one call, so
    # an interruption can cut at most the last line, which `read_records` skips and
    # `_cut_torn_line` removes before the next run appends.
    with path.open("a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")
        log.flush()


def _train_all(
    plan: Sequence[BenchAgent],
    seeds: int,
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
        for seed in range(seeds):
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
    out: Path = Path("runs/bench"),
    backend: Backend | None = None,
    progress: bool = True,
) -> BenchRun:
    """Check the request, sweep what is not saved yet, and report on all of it."""
    backend = backend or Backend()
    for flag, value in (("--seeds", seeds), ("--episodes", episodes)):
        if value < 1:
            raise BenchError(f"{flag} must be at least 1, got {value}")
    if train_steps is not None and train_steps < 1:
        raise BenchError(f"--train-steps must be at least 1, got {train_steps}")
    if env_id is not None and env_id not in HENRY_ENVS:
        raise BenchError(
            f"--env must be one of Henry's envs ({', '.join(HENRY_ENVS)}), got {env_id!r}"
        )
    selected = select_conditions(conditions)
    try:
        plan = plan_agents(agents, [env_id] if env_id else list(HENRY_ENVS), train_steps)
    except (PolicyError, CheckpointError) as error:
        raise BenchError(str(error)) from error
    check_backend(backend)
    folder = ensure_writable_dir(out)
    _check_settings(folder, episodes, train_steps)

    failures: list[Failure] = []
    trained: dict[tuple[str, str, int], Path] = {}
    if train_steps is not None:
        trained, failures = _train_all(plan, seeds, train_steps, folder, backend, progress)

    shared: dict[str, bytes] = {}
    tasks: list[EpisodeTask] = []
    skipped: list[Failure] = []
    for agent in plan:
        names = [c.name for c in selected]
        if agent.name in REFERENCES and "standard" not in names:
            names.insert(0, "standard")
        for seed in range(seeds):
            digest = None
            if agent.source in ("checkpoint", "train"):
                path = (
                    agent.path
                    if agent.source == "checkpoint"
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
            policy = agent.source if agent.source in REFERENCES else "checkpoint"
            tasks += [
                EpisodeTask(agent.env_id, agent.name, policy, seed, c, episodes, digest)
                for c in names
            ]

    results_path = folder / RESULTS_FILE
    saved = read_records(results_path)
    _cut_torn_line(results_path)
    todo = [
        t for t in tasks if t.key not in saved or saved[t.key].get("checkpoint") != t.checkpoint
    ]
    # The discrete Henry's episodes last longest: start them first so that no worker is
    # left with a long task while the others idle at the end.
    todo.sort(key=lambda t: t.env_id != envs.DISCRETE_ID)

    def keep(task: EpisodeTask, record: dict[str, Any]) -> None:
        record["checkpoint"] = task.checkpoint
        _append(results_path, record)
        saved[task.key] = record

    failures += run_sweep(
        play_condition,
        todo,
        backend=backend,
        on_result=keep,
        shared=shared,
        label="episodes",
        progress=progress,
    )
    failures += skipped
    records = [saved[t.key] for t in tasks if t.key in saved]
    report, files = write_report(
        records, [c.name for c in selected], folder, episodes=episodes, train_steps=train_steps
    )
    return BenchRun(folder, records, failures, report, files)
