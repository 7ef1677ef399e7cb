"""Naming agents and policies on the command line, and making the envs they run on.

Everywhere a command takes a POLICY it accepts `hardcoded` (the article's gait on
`Henry-v0`, the closed-loop walking controller on `HenryContinuous-v0`), `random`, on the
continuous env `walking` and `open-loop` (the article's gait replayed open loop), a
checkpoint path, or the name of a pretrained policy kept in `assets/` (`assets/NAME.pt`).
Learners are made by name (`qlearning`, `dqn`, `ppo`) with their config dataclass.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

import gymnasium as gym

import envs
from agents.base import Agent
from agents.baselines import ContinuousGait, HardcodedGait, RandomPolicy
from agents.checkpoint import CheckpointError, check_env_matches, load_checkpoint
from agents.residual import check_agent_env
from agents.walking import WalkingController
from walker.app.core.learners import PolicyError, learner_kind

ASSETS = Path(__file__).resolve().parents[3] / "assets"

CONTINUOUS_ONLY = {
    "walking": "the closed-loop walking controller, `hardcoded` on the continuous env",
    "open-loop": "the article's gait replayed open loop as servo targets",
}
"""Built-in policies that exist only for `HenryContinuous-v0`."""


class ResetOptions(gym.Wrapper[Any, Any, Any, Any]):
    """Pass fixed `options` to every `reset` (vector envs reset without options)."""

    def __init__(self, env: gym.Env[Any, Any], options: dict[str, Any]) -> None:
        super().__init__(env)
        self.options = dict(options)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        merged = {**self.options, **(options or {})}
        return self.env.reset(seed=seed, options=merged or None)


def make_env(
    env_id: str,
    env_kwargs: dict[str, Any] | None = None,
    render_mode: str | None = None,
    max_episode_steps: int | None = None,
) -> gym.Env[Any, Any]:
    """`gymnasium.make` with a one-sentence error for unknown ids or bad arguments."""
    kwargs = dict(env_kwargs or {})
    if render_mode is not None:
        kwargs["render_mode"] = render_mode
    if max_episode_steps is not None:
        kwargs["max_episode_steps"] = max_episode_steps
    try:
        return gym.make(env_id, **kwargs)
    except gym.error.Error as error:
        raise PolicyError(f"cannot make env {env_id!r}: {error}") from error
    except TypeError as error:
        known = env_defaults(env_id)
        unknown = sorted(name for name in kwargs if name not in known and name != "render_mode")
        if known and unknown:
            raise PolicyError(
                f"env {env_id} takes no argument {', '.join(map(repr, unknown))}; its "
                f"arguments are {', '.join(sorted(known))}"
            ) from error
        raise PolicyError(f"bad arguments for env {env_id!r}: {error}") from error


def env_defaults(env_id: str) -> dict[str, Any]:
    """The value each argument of env `env_id` takes when it is not given: the constructor's
    defaults, overridden by the registration's kwargs, and the registered time limit."""
    try:
        spec = gym.spec(env_id)
    except gym.error.Error:
        return {}
    entry = spec.entry_point
    try:
        if isinstance(entry, str):
            module, _, name = entry.partition(":")
            entry = getattr(importlib.import_module(module), name)
        parameters = inspect.signature(entry).parameters.values() if callable(entry) else []
    except (ImportError, AttributeError, ValueError, TypeError):
        parameters = []
    defaults = {
        p.name: p.default
        for p in parameters
        if p.default is not inspect.Parameter.empty and p.name != "render_mode"
    }
    defaults.update(spec.kwargs)
    defaults["max_episode_steps"] = spec.max_episode_steps
    return defaults


def check_checkpoint_env(
    payload: dict[str, Any],
    env_id: str | None,
    env_kwargs: dict[str, Any] | None,
    source: str,
    reward_may_differ: bool = False,
) -> None:
    """`check_env_matches`, with arguments given at their defaults counting as not given.

    With `reward_may_differ` (a policy that is only played, or trained further on another
    reward: a fine-tune), the reward arguments may differ from the checkpoint's: they change
    what it would learn, not what it sees or how Henry moves."""
    trained = payload.get("metadata", {}).get("env_id")
    defaults = env_defaults(env_id or trained) if (env_id or trained) else {}
    ignore = envs.REWARD_ARGUMENTS if reward_may_differ else frozenset()
    check_env_matches(payload, env_id, env_kwargs, source=source, defaults=defaults, ignore=ignore)


def env_metadata(env_id: str, env_kwargs: dict[str, Any], env: gym.Env[Any, Any]) -> dict[str, Any]:
    """What a checkpoint records about the env it was trained on."""
    metadata: dict[str, Any] = {"env_id": env_id, "env_kwargs": dict(env_kwargs)}
    spec = getattr(env.unwrapped, "henry_spec", None)
    if spec is not None:
        metadata["henry_spec"] = spec.to_dict()
    return metadata


def is_henry(env: gym.Env[Any, Any]) -> bool:
    return isinstance(env.unwrapped, envs.HenryEnv)


def resolve_checkpoint(spec: str) -> Path | None:
    """A checkpoint path for `spec`, looking in assets/ for bare names; None if not a file."""
    path = Path(spec)
    if path.suffix == ".pt" or path.exists():
        return path
    asset = ASSETS / f"{spec}.pt"
    if asset.exists():
        return asset
    return None


def require_checkpoint(spec: str) -> Path:
    """The checkpoint a POLICY name or path stands for; `PolicyError` naming the choices."""
    path = resolve_checkpoint(spec)
    if path is None:
        names = sorted(p.stem for p in ASSETS.glob("*.pt"))
        hint = f"; pretrained policies: {', '.join(names)}" if names else ""
        raise PolicyError(
            f"unknown policy {spec!r}: use 'hardcoded', 'random', a checkpoint path{hint}"
        )
    return path


def checkpoint_env(spec: str) -> tuple[str, dict[str, Any]] | None:
    """The env id and kwargs a checkpoint was trained on (None for non-checkpoints)."""
    path = resolve_checkpoint(spec)
    if path is None:
        return None
    payload = load_checkpoint(path)
    metadata = payload["metadata"]
    if "env_id" not in metadata:
        raise CheckpointError(f"checkpoint {path} does not record the env it was trained on")
    return metadata["env_id"], dict(metadata.get("env_kwargs", {}))


def load_policy(
    spec: str,
    env: gym.Env[Any, Any],
    seed: int | None = None,
    env_id: str | None = None,
    env_kwargs: dict[str, Any] | None = None,
) -> Agent:
    """Resolve a POLICY argument for `env`."""
    if spec == "hardcoded":
        if isinstance(env.unwrapped, envs.HenryDiscreteEnv):
            return HardcodedGait()
        if isinstance(env.unwrapped, envs.HenryContinuousEnv):
            return WalkingController.for_env(env)
        raise PolicyError("the hard-coded gait exists only for Henry's envs")
    if spec in CONTINUOUS_ONLY:
        if not isinstance(env.unwrapped, envs.HenryContinuousEnv):
            raise PolicyError(
                f"{spec!r} ({CONTINUOUS_ONLY[spec]}) needs the continuous Henry: "
                f"add --env {envs.CONTINUOUS_ID}"
            )
        if spec == "walking":
            return WalkingController.for_env(env)
        return ContinuousGait.for_env(env)
    if spec == "random":
        return RandomPolicy(env.action_space, seed)
    path = require_checkpoint(spec)
    payload = load_checkpoint(path)
    check_checkpoint_env(
        payload, env_id, env_kwargs, source=f"checkpoint {path}", reward_may_differ=True
    )
    kind = learner_kind(payload["agent"])
    return check_agent_env(kind.load(path, env.observation_space, env.action_space), env)
