"""What `walker bench` checks before any work: the options, the agents, whether Python
policies can reach worker processes, and whether `--out` holds a bench of the same settings.

Each check fails in one sentence, as a `BenchError`."""

from __future__ import annotations

import json
import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agents.checkpoint import CheckpointError
from walker.app.bench import foreign
from walker.app.bench.grades import select_curve
from walker.app.bench.roster import HENRY_ENVS, BenchAgent, BenchError, plan_agents
from walker.app.core.conditions import (
    TRAINING_DRAW_SEEDS,
    Condition,
    ConditionError,
    select_conditions,
)
from walker.app.core.learners import PolicyError
from walker.app.core.sweep import Backend, check_backend
from walker.files import atomic_write_text

SETTINGS_FILE = "settings.json"
FORMAT_VERSION = 2
"""2: conditions are drawn per seed, records carry the draws and the gait label."""


def check_request(
    agents: Sequence[str],
    env_id: str | None,
    conditions: Sequence[str],
    seeds: int,
    episodes: int,
    train_steps: int | None,
    fixed: bool,
    curve: str | None,
    objects: Mapping[str, Any],
    backend: Backend,
    first_seed: int = 0,
) -> tuple[list[Condition], list[BenchAgent]]:
    """(the conditions to play, the agents to play them) as asked, or a `BenchError`."""
    _check_options(env_id, conditions, seeds, episodes, train_steps, fixed, curve)
    _check_first_seed(first_seed, seeds)
    selected = _conditions(conditions, curve)
    try:
        plan = plan_agents(agents, [env_id] if env_id else list(HENRY_ENVS), train_steps, objects)
    except (PolicyError, CheckpointError, foreign.ForeignAgentError) as error:
        raise BenchError(str(error)) from error
    check_backend(backend)
    if objects and (backend.ray or backend.workers > 1):
        _check_sendable(objects)
    return selected, plan


def _check_options(
    env_id: str | None,
    conditions: Sequence[str],
    seeds: int,
    episodes: int,
    train_steps: int | None,
    fixed: bool,
    curve: str | None,
) -> None:
    """Refuse counts below one, an env that is not Henry's, and options that exclude each
    other."""
    for flag, value in (("--seeds", seeds), ("--episodes", episodes)):
        if value < 1:
            raise BenchError(f"{flag} must be at least 1, got {value}")
    if train_steps is not None and train_steps < 1:
        raise BenchError(f"--train-steps must be at least 1, got {train_steps}")
    if env_id is not None and env_id not in HENRY_ENVS:
        raise BenchError(
            f"--env must be one of Henry's envs ({', '.join(HENRY_ENVS)}), got {env_id!r}"
        )
    if curve is not None and conditions:
        raise BenchError("give either --conditions or --curve, not both")
    if curve is not None and fixed:
        raise BenchError("--curve draws its seeds; it cannot be --fixed")


def _check_first_seed(first_seed: int, seeds: int) -> None:
    """Refuse seeds that would reach training's draws (a world a policy may have met)."""
    last = TRAINING_DRAW_SEEDS - seeds
    if isinstance(first_seed, bool) or not isinstance(first_seed, int) or first_seed < 0:
        raise BenchError(f"--first-seed must be a whole number from 0, got {first_seed!r}")
    if first_seed > last:
        raise BenchError(
            f"--first-seed must be at most {last:,} with --seeds {seeds}: training draws its "
            f"worlds from seed {TRAINING_DRAW_SEEDS:,} on, and the bench never grades a world "
            "a policy may have trained in"
        )


def _conditions(names: Sequence[str], curve: str | None) -> list[Condition]:
    """The conditions asked for, or the levels of the curve, as `BenchError`s when unknown."""
    try:
        if curve is not None:
            chosen = select_curve(curve)
            return [chosen.condition(level) for level in chosen.levels]
        return select_conditions(names)
    except ConditionError as error:
        raise BenchError(str(error)) from error


def _check_sendable(objects: Mapping[str, Any]) -> None:
    """Refuse Python policies that cannot be pickled for worker processes."""
    for name, policy in objects.items():
        try:
            pickle.dumps(policy)
        except Exception as error:
            raise BenchError(
                f"agent {name!r} cannot be sent to worker processes ({error}); run it "
                "with workers=1 or give it as py:MODULE:NAME"
            ) from error


def check_settings(
    folder: Path, episodes: int, train_steps: int | None, fixed: bool, curve: str | None
) -> None:
    """Save the bench's settings in `folder`, or refuse when it holds a bench of others."""
    settings = {
        "format": FORMAT_VERSION,
        "episodes": episodes,
        "train_steps": train_steps,
        "fixed": fixed,
        "curve": curve,
    }
    path = folder / SETTINGS_FILE
    if path.exists():
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise BenchError(f"{path} is damaged ({error}); choose another --out") from error
        if saved != settings:
            if not isinstance(saved, dict) or saved.get("format") != FORMAT_VERSION:
                raise BenchError(
                    f"--out {folder} holds a bench of an older format; choose another --out"
                )
            raise BenchError(
                f"--out {folder} holds a bench with {_described(saved)}; resume it with those "
                "or choose another --out"
            )
        return
    atomic_write_text(path, json.dumps(settings, indent=2) + "\n")


def _described(settings: Mapping[str, Any]) -> str:
    """A saved bench's settings in the options' words."""
    steps = settings.get("train_steps")
    parts = [
        f"--episodes {settings.get('episodes')}",
        f"--train-steps {steps}" if steps is not None else "pretrained policies (no --train-steps)",
    ]
    if settings.get("curve") is not None:
        parts.append(f"--curve {settings.get('curve')}")
    else:
        parts.append("--fixed" if settings.get("fixed") else "drawn conditions (no --fixed)")
    return ", ".join(parts[:-1]) + " and " + parts[-1]
