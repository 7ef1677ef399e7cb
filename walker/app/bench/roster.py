"""Who plays on the bench: every (env, agent) asked for, and where each policy comes from.

An agent is a reference (`hardcoded`, `random`), a learner's pretrained checkpoint or one
trained per seed, a checkpoint file, anyone's agent (`sb3:`, `py:`, see `foreign`), or a
Python object given to `walker.bench.run`. `plan_agents` resolves the names on each env,
loading what it must to check that an agent fits, and refuses in one sentence an agent that
runs nowhere it was asked to.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import envs
from agents.checkpoint import load_checkpoint
from walker.app.bench import foreign
from walker.app.core.conditions import REFERENCES
from walker.app.core.learners import learner_kinds
from walker.app.core.policies import ASSETS, make_env, resolve_checkpoint
from walker.errors import InputError

HENRY_ENVS = (envs.DISCRETE_ID, envs.CONTINUOUS_ID)


class BenchError(InputError):
    """`walker bench` was asked for something it cannot do."""


@dataclass(frozen=True)
class BenchAgent:
    """One agent on one env, and where its policy comes from."""

    env_id: str
    name: str
    source: str
    """`hardcoded`, `random`, `checkpoint` (a file), `train` (a learner trained per seed),
    `sb3` (a Stable-Baselines3 zip), `py` (an importable policy) or `object` (a Python
    object given to `walker.bench.run`)."""
    path: Path | None = None
    learner: str | None = None
    detail: str | None = None
    """The SB3 algorithm (None: from the zip) or a `py` agent's `MODULE:NAME`."""


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
    if foreign.is_foreign(name):
        return _resolve_foreign(name, env_id)
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


def _resolve_foreign(name: str, env_id: str) -> BenchAgent | str:
    """An `sb3:` or `py:` agent, loaded once here to check that it fits `env_id`."""
    parsed = foreign.parse_foreign(name)
    env = make_env(env_id)
    try:
        if parsed.kind == "sb3":
            data = Path(parsed.target).read_bytes()
            with tempfile.TemporaryDirectory(prefix="henry-bench-") as folder:
                policy = foreign.load_sb3(data, parsed.name, Path(folder))
            detail = parsed.name
        else:
            assert parsed.name is not None
            policy = foreign.import_policy(parsed.target, parsed.name)
            detail = f"{parsed.target}:{parsed.name}"
        try:
            foreign.check_fits(policy, env, name)
        except foreign.ForeignAgentError as error:
            return str(error)
    finally:
        env.close()
    path = Path(parsed.target) if parsed.kind == "sb3" else None
    return BenchAgent(env_id, name, parsed.kind, path=path, detail=detail)


def _resolve_object(name: str, policy: Any, env_id: str) -> BenchAgent | str:
    """A Python object given to `walker.bench.run`, checked against `env_id`."""
    env = make_env(env_id)
    try:
        foreign.check_fits(policy, env, f"agent {name!r}")
    except foreign.ForeignAgentError as error:
        return str(error)
    finally:
        env.close()
    return BenchAgent(env_id, name, "object")


def plan_agents(
    names: Sequence[str],
    env_ids: Sequence[str],
    train_steps: int | None,
    objects: Mapping[str, Any] | None = None,
) -> list[BenchAgent]:
    """Every (env, agent) to bench; by default all the agents each env supports.

    An agent named on the command line runs on each of `env_ids` it supports and must
    support at least one; with one env given, it must support that one.
    """
    pretrained = pretrained_policies()
    objects = objects or {}
    wanted = list(dict.fromkeys([*names, *objects])) or [*REFERENCES, *learner_kinds()]
    plan: list[BenchAgent] = []
    for name in wanted:
        reasons = []
        for env_id in env_ids:
            resolved = (
                _resolve_object(name, objects[name], env_id)
                if name in objects
                else _resolve(name, env_id, train_steps, pretrained)
            )
            if isinstance(resolved, str):
                reasons.append(resolved)
            else:
                plan.append(resolved)
        if (names or objects) and len(reasons) == len(env_ids):
            raise BenchError(
                reasons[0]
                if len(reasons) == 1
                else f"agent {name!r} runs on neither Henry variant: " + "; ".join(reasons)
            )
    for env_id in env_ids:
        present = {a.name for a in plan if a.env_id == env_id}
        plan += [BenchAgent(env_id, r, r) for r in REFERENCES if r not in present]
    return plan
