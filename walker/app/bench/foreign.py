"""Anyone's agent on the bench: a Stable-Baselines3 model, a Python function or object.

`walker bench` takes, besides its own names and checkpoints,

* `sb3:PATH.zip` or `sb3:PATH.zip:ALGO`: a Stable-Baselines3 model, acting with
  `predict(obs, deterministic=True)`. Without ALGO the algorithm is read from the policy
  class saved in the zip (DQN, SAC, TD3, else PPO, whose loader also plays A2C models);
* `py:MODULE:NAME`: an importable callable `obs -> action`, or an object with `predict`
  (SB3's convention: called with `deterministic=True` when it takes it; a returned
  `(action, state)` pair is unpacked) or `act`, called on one observation at a time.

Each becomes an `agents.base.Agent` (`ForeignAgent`) that acts on one observation at a
time and sees no action mask. `check_fits` refuses, in one sentence and before any work,
an agent whose declared spaces or first action do not fit the env.
"""

from __future__ import annotations

import importlib
import inspect
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from walker.errors import InputError

SB3_ALGOS = ("PPO", "A2C", "DQN", "SAC", "TD3", "DDPG")
"""What `sb3:PATH.zip:ALGO` may name."""


class ForeignAgentError(InputError):
    """An `sb3:` or `py:` agent that cannot be loaded or does not fit the env."""


@dataclass(frozen=True)
class ForeignSpec:
    """What the user typed, parsed: `sb3` (path, algo) or `py` (module, name)."""

    kind: str
    target: str
    """The zip path (`sb3`) or the module (`py`)."""
    name: str | None = None
    """The SB3 algorithm (`sb3`, None: read from the zip) or the attribute (`py`)."""

    @property
    def label(self) -> str:
        if self.kind == "sb3":
            return f"sb3:{self.target}" + (f":{self.name}" if self.name else "")
        return f"py:{self.target}:{self.name}"


def is_foreign(name: str) -> bool:
    return name.startswith(("sb3:", "py:"))


def parse_foreign(text: str) -> ForeignSpec:
    """`sb3:PATH.zip[:ALGO]` or `py:MODULE:NAME`, checked for form (not loaded)."""
    kind, _, rest = text.partition(":")
    if kind == "sb3":
        path, algo = rest, None
        head, _, tail = rest.rpartition(":")
        if head and tail.upper() in SB3_ALGOS:
            path, algo = head, tail.upper()
        if not path.endswith(".zip"):
            raise ForeignAgentError(
                f"{text!r}: give a Stable-Baselines3 model as sb3:PATH.zip or "
                f"sb3:PATH.zip:ALGO (ALGO one of {', '.join(SB3_ALGOS)})"
            )
        if not Path(path).is_file():
            raise ForeignAgentError(f"{text!r}: there is no file {path}")
        return ForeignSpec("sb3", path, algo)
    if kind == "py":
        module, _, attribute = rest.rpartition(":")
        if not module or not attribute:
            raise ForeignAgentError(f"{text!r}: give a Python policy as py:MODULE:NAME")
        return ForeignSpec("py", module, attribute)
    raise ForeignAgentError(f"{text!r} is neither sb3:PATH.zip nor py:MODULE:NAME")


def sb3_algorithm(data: bytes) -> str:
    """The algorithm of a saved SB3 model, from the policy class recorded in its zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            saved = json.loads(archive.read("data"))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as error:
        raise ForeignAgentError(
            f"not a Stable-Baselines3 model zip ({error}); save one with model.save(PATH)"
        ) from error
    module = str(saved.get("policy_class", {}).get("__module__", ""))
    for algo in ("dqn", "sac", "td3"):
        if f".{algo}." in module:
            return algo.upper()
    return "PPO"


def load_sb3(data: bytes, algo: str | None, folder: Path) -> Any:
    """The model saved in `data` (the zip's bytes), on the CPU."""
    try:
        import stable_baselines3
    except ImportError as error:
        raise ForeignAgentError(
            "sb3: agents need Stable-Baselines3: run scripts/setup.sh sb3"
        ) from error
    algorithm = algo or sb3_algorithm(data)
    path = folder / "model.zip"
    path.write_bytes(data)
    return getattr(stable_baselines3, algorithm).load(str(path), device="cpu")


def import_policy(module: str, name: str) -> Any:
    """The object `name` of the importable `module`."""
    try:
        loaded = importlib.import_module(module)
    except ImportError as error:
        raise ForeignAgentError(
            f"py:{module}:{name}: cannot import {module} ({error}); is it on PYTHONPATH?"
        ) from error
    if not hasattr(loaded, name):
        raise ForeignAgentError(f"py:{module}:{name}: {module} has no {name}")
    return getattr(loaded, name)


def _acting(policy: Any) -> Callable[[np.ndarray], Any]:
    """One observation -> one action, from a model, an object or a function."""
    for method in ("predict", "act"):
        bound = getattr(policy, method, None)
        if callable(bound):
            deterministic = method == "predict" and _takes(bound, "deterministic")

            def call(
                obs: np.ndarray, bound: Any = bound, deterministic: bool = deterministic
            ) -> Any:
                result = bound(obs, deterministic=True) if deterministic else bound(obs)
                return result[0] if isinstance(result, tuple) else result

            return call
    if callable(policy):
        return policy  # type: ignore[no-any-return]
    raise ForeignAgentError(
        f"{type(policy).__name__} is neither callable nor has a predict or act method"
    )


def _takes(function: Any, keyword: str) -> bool:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return keyword in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


def as_action(value: Any, space: spaces.Space[Any]) -> Any:
    """`value` as an action of `space`, or a ForeignAgentError saying why it is not one."""
    array = np.asarray(value)
    if isinstance(space, spaces.Discrete):
        if array.size != 1 or not np.issubdtype(array.dtype, np.number):
            raise ForeignAgentError(
                f"returned {value!r} where the env wants one whole number in "
                f"[0, {int(space.n) - 1}]"
            )
        action = int(array.reshape(-1)[0])
        if not space.contains(action) or float(array.reshape(-1)[0]) != action:
            raise ForeignAgentError(
                f"returned {value!r} where the env wants one whole number in "
                f"[0, {int(space.n) - 1}]"
            )
        return action
    if isinstance(space, spaces.Box):
        if array.size != int(np.prod(space.shape)) or not np.issubdtype(array.dtype, np.number):
            raise ForeignAgentError(
                f"returned an action of shape {array.shape} where the env wants {space.shape}"
            )
        return array.astype(space.dtype).reshape(space.shape)
    raise ForeignAgentError(f"the env's action space {space} is not one benches support")


class ForeignAgent:
    """Any policy as an `agents.base.Agent`: one observation at a time, greedy, no masks."""

    def __init__(self, policy: Any, action_space: spaces.Space[Any]) -> None:
        self.policy = policy
        self.action_space = action_space
        self._act = _acting(policy)

    def reset(self, env_index: int | None = None) -> None:
        reset = getattr(self.policy, "reset", None)
        if callable(reset):  # a policy with memory forgets the last episode
            reset()

    def act(
        self, obs: np.ndarray, masks: np.ndarray | None = None, explore: bool = False
    ) -> np.ndarray:
        return np.array([as_action(self._act(row), self.action_space) for row in obs])


def _same_space(declared: Any, wanted: spaces.Space[Any]) -> bool:
    if isinstance(wanted, spaces.Discrete):
        return isinstance(declared, spaces.Discrete) and int(declared.n) == int(wanted.n)
    if isinstance(wanted, spaces.MultiDiscrete):
        return isinstance(declared, spaces.MultiDiscrete) and np.array_equal(
            declared.nvec, wanted.nvec
        )
    if isinstance(wanted, spaces.Box):
        return isinstance(declared, spaces.Box) and declared.shape == wanted.shape
    return bool(declared == wanted)


def check_fits(policy: Any, env: gym.Env[Any, Any], label: str) -> None:
    """Refuse `policy` in one sentence unless it fits `env`: its declared spaces (when it
    has them) match, and it answers the first observation with a valid action."""
    for which in ("observation_space", "action_space"):
        declared = getattr(policy, which, None)
        wanted = getattr(env, which)
        if isinstance(declared, spaces.Space) and not _same_space(declared, wanted):
            raise ForeignAgentError(
                f"{label} was made for the {which.replace('_', ' ')} {declared}, but "
                f"{env.spec.id if env.spec else 'the env'} has {wanted}"
            )
    obs, _ = env.reset(seed=0)
    agent = ForeignAgent(policy, env.action_space)
    try:
        agent.act(np.asarray(obs)[None, ...])
    except ForeignAgentError as error:
        raise ForeignAgentError(f"{label} does not fit the env: it {error}") from error
    except Exception as error:
        raise ForeignAgentError(
            f"{label} failed on the env's first observation: {type(error).__name__}: {error}"
        ) from error
