"""Pieces PPO and DQN share: observation encoding, the MLP (with a numpy forward pass for
acting), space descriptions for checkpoints and gradient clipping (their configs are checked
by `agents.configs`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any, ClassVar, Protocol, Self, TypeVar

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from agents.base import RunPlan, saved_run_plan
from agents.checkpoint import CheckpointError, load_checkpoint
from agents.configs import ConfigT


class _Loaded(Protocol):
    metadata: dict[str, Any]


AgentT = TypeVar("AgentT", bound=_Loaded)


def set_torch_threads(num_threads: int | None) -> None:
    """Apply a config's `num_threads` (process-wide in torch; None leaves it alone)."""
    if num_threads is not None and torch.get_num_threads() != num_threads:
        torch.set_num_threads(num_threads)


def describe_space(space: spaces.Space[Any]) -> dict[str, Any]:
    """A space as plain containers, so a checkpoint can record it and load it safely."""
    if isinstance(space, spaces.Box):
        return {
            "type": "Box",
            "shape": list(space.shape),
            "dtype": str(space.dtype),
            "low": space.low.flatten().tolist(),
            "high": space.high.flatten().tolist(),
        }
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.MultiDiscrete):
        return {"type": "MultiDiscrete", "nvec": space.nvec.tolist(), "start": space.start.tolist()}
    raise TypeError(f"cannot describe a {type(space).__name__} space")


def space_from_description(description: dict[str, Any]) -> spaces.Space[Any]:
    """The space `describe_space` described."""
    kind = description["type"]
    if kind == "Box":
        shape = tuple(description["shape"])
        dtype = np.dtype(description["dtype"])
        low = np.array(description["low"], dtype=dtype).reshape(shape)
        high = np.array(description["high"], dtype=dtype).reshape(shape)
        return spaces.Box(low, high, shape=shape, dtype=dtype)
    if kind == "Discrete":
        return spaces.Discrete(int(description["n"]), start=int(description["start"]))
    if kind == "MultiDiscrete":
        return spaces.MultiDiscrete(
            np.array(description["nvec"]), start=np.array(description["start"])
        )
    raise ValueError(f"unknown space type {kind!r}")


def space_from_checkpoint(
    saved: dict[str, Any], given: spaces.Space[Any] | None, what: str, source: str | Path
) -> spaces.Space[Any]:
    """The space a checkpoint was trained on; `CheckpointError` if `given` differs from it."""
    trained = space_from_description(saved)
    if given is None:
        return trained
    try:
        same = describe_space(given) == saved
    except TypeError:
        same = False
    if not same:
        raise CheckpointError(
            f"checkpoint {source} was trained on the {what} space {trained}, but the env's "
            f"{what} space is {given}"
        )
    return given


def spaces_from_checkpoint(
    state: dict[str, Any],
    observation_space: spaces.Space[Any] | None,
    action_space: spaces.Space[Any] | None,
    source: str | Path,
) -> tuple[spaces.Space[Any], spaces.Space[Any]]:
    """The observation and action spaces a checkpoint's `state` records, checked against the
    given ones (None: use the recorded one)."""
    return (
        space_from_checkpoint(state["observation_space"], observation_space, "observation", source),
        space_from_checkpoint(state["action_space"], action_space, "action", source),
    )


def load_network_agent(
    path: str | Path,
    kind: str,
    config_type: Callable[[dict[str, Any]], ConfigT],
    build: Callable[..., AgentT],
    restore: Callable[[AgentT, dict[str, Any], RunPlan], None],
    observation_space: spaces.Space[Any] | None,
    action_space: spaces.Space[Any] | None,
    plan: RunPlan | None,
) -> AgentT:
    """What loading a PPO or a DQN checkpoint has in common. Reads the `kind` checkpoint at
    `path`, rebuilds its config with `config_type` and its spaces (checked against the given
    ones), makes the agent with `build(obs_space, act_space, config, seed=, plan=)` for
    `plan` (left out: the run it was saved from), then `restore(agent, state, saved_plan)`
    puts back what it learned. A damaged or mismatched file raises `CheckpointError`."""
    payload = load_checkpoint(path, kind)
    try:
        state = payload["state"]
        values = dict(payload["config"])
        saved_plan = saved_run_plan(values, state)
        config = config_type(values)
        obs_space, act_space = spaces_from_checkpoint(state, observation_space, action_space, path)
        agent = build(
            obs_space, act_space, config, seed=int(state["seed"]), plan=plan or saved_plan
        )
        restore(agent, state, saved_plan)
    except CheckpointError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as error:
        raise CheckpointError(f"checkpoint {path} is damaged or incompatible: {error}") from error
    agent.metadata = payload["metadata"]
    return agent


class NetworkAgent:
    """What PPO and DQN share as classes: `load`, which restores an agent from its
    checkpoint through the subclass's `_restore`."""

    kind: ClassVar[str]
    """The agent name its checkpoints record."""
    config_type: ClassVar[Any]
    """Its config dataclass (with `from_dict`)."""
    metadata: dict[str, Any]

    @classmethod
    def load(
        cls,
        path: str | Path,
        observation_space: spaces.Space[Any] | None = None,
        action_space: spaces.Space[Any] | None = None,
        plan: RunPlan | None = None,
    ) -> Self:
        """Restore an agent saved by `save`. Given spaces must equal those trained on; left
        out, the recorded ones are used. `plan` is the run it goes on learning in (left out,
        the one it was saved from). Raises `CheckpointError` saying what is wrong."""
        return load_network_agent(
            path,
            cls.kind,
            cls.config_type.from_dict,
            cls,
            cls._restore,
            observation_space,
            action_space,
            plan,
        )

    def _restore(self, state: dict[str, Any], saved_plan: RunPlan) -> None:
        """Put back what a checkpoint's `state` holds, into an agent built for it."""
        raise NotImplementedError


class ObservationEncoder:
    """Turns a batch of raw observations into rows of float32 features for a network.

    Box observations are flattened and cast. Discrete observations become one-hot vectors,
    and MultiDiscrete ones one one-hot vector per entry, concatenated: Henry's discrete
    state `MultiDiscrete([5, 2, 5, 2])` becomes 14 features. One-hot rather than a float
    cast because the entries are categories: a network should not have to learn that
    "extension level 4" is not twice "level 2".
    """

    def __init__(self, space: spaces.Space[Any]) -> None:
        self.shape = space.shape
        self._starts: np.ndarray | None = None
        if isinstance(space, spaces.Box):
            self.features = int(np.prod(space.shape))
            return
        if isinstance(space, spaces.Discrete):
            sizes = np.array([int(space.n)])
            starts = np.array([int(space.start)])
        elif isinstance(space, spaces.MultiDiscrete) and space.nvec.ndim == 1:
            sizes = space.nvec.astype(np.int64)
            starts = space.start.astype(np.int64)
        else:
            raise TypeError(f"observations must be Box, Discrete or 1-D MultiDiscrete, got {space}")
        self.features = int(sizes.sum())
        self._sizes = sizes
        self._starts = starts
        self._offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])

    def encode(self, obs: Any) -> np.ndarray:
        """Features of shape (n, features) for observations of shape (n, *space.shape)."""
        array = np.asarray(obs)
        if array.shape[1:] != self.shape:
            raise ValueError(
                f"observations have shape {array.shape[1:]} per env, expected "
                f"{self.shape} (is the leading env axis missing?)"
            )
        n = array.shape[0]
        if self._starts is None:
            # Always a fresh array: the agent may keep it, and the caller may reuse `obs`.
            return array.reshape(n, self.features).astype(np.float32)
        values = array.reshape(n, -1).astype(np.int64) - self._starts
        if ((values < 0) | (values >= self._sizes)).any():
            raise ValueError(f"observations {array.tolist()} are outside the observation space")
        features = np.zeros((n, self.features), dtype=np.float32)
        features[np.arange(n)[:, None], values + self._offsets] = 1.0
        return features


class MLP(nn.Module):
    """Fully connected layers with tanh or ReLU between them, orthogonally initialised.

    Hidden layers get gain sqrt(2) and the output layer `output_gain` (0.01 for a policy
    head, 1 for a value head, as in SB3 and CleanRL); biases start at 0. Initialisation
    draws only from `generator`, never from torch's global random state.

    Each weight is stored as (inputs, outputs), the transpose of `nn.Linear`'s, so a layer is
    a single `torch.addmm` and autograd records no transpose; and the forward pass calls
    torch functions on the tensors directly, without `nn.Linear` modules' per-call overhead.
    On networks this small such overhead, not arithmetic, is most of the cost. For the same
    reason `forward_numpy` computes the same function in numpy, for acting.
    """

    def __init__(
        self,
        inputs: int,
        hidden_sizes: tuple[int, ...],
        outputs: int,
        activation: str,
        output_gain: float,
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        sizes = [inputs, *hidden_sizes, outputs]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        layers: list[tuple[nn.Parameter, nn.Parameter]] = []
        for index, (fan_in, fan_out) in enumerate(pairwise(sizes)):
            gain = output_gain if index == len(sizes) - 2 else math.sqrt(2.0)
            weight = nn.init.orthogonal_(
                torch.empty(fan_out, fan_in), gain=gain, generator=generator
            )
            layer = (nn.Parameter(weight.t().contiguous()), nn.Parameter(torch.zeros(fan_out)))
            self.weights.append(layer[0])
            self.biases.append(layer[1])
            layers.append(layer)
        # Optimiser steps and load_state_dict change these tensors in place, so the list
        # stays current, and so do the numpy arrays, which share the tensors' memory.
        self._layers = layers
        self._numpy_layers = [
            (weight.detach().numpy(), bias.detach().numpy()) for weight, bias in layers
        ]
        self._activation = {"tanh": torch.tanh, "relu": torch.relu}[activation]
        self._numpy_activation = _numpy_tanh if activation == "tanh" else _numpy_relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        *hidden, (last_weight, last_bias) = self._layers
        for weight, bias in hidden:
            x = self._activation(torch.addmm(bias, x, weight))
        return torch.addmm(last_bias, x, last_weight)

    def forward_numpy(self, x: np.ndarray) -> np.ndarray:
        """`forward` on a float32 numpy batch, outside autograd. Acting evaluates a few rows
        per call, where numpy's per-call overhead is a fraction of torch's: a whole PPO step
        (both networks and the sampling) costs about a third of the torch version."""
        *hidden, (last_weight, last_bias) = self._numpy_layers
        for weight, bias in hidden:
            x = self._numpy_activation(x @ weight + bias)
        out: np.ndarray = x @ last_weight + last_bias
        return out


def _numpy_tanh(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.tanh(x)
    return out


def _numpy_relu(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.maximum(x, 0.0)
    return out


def clip_grad_norm(parameters: Sequence[torch.Tensor], max_norm: float) -> None:
    """Scale the gradients so their global L2 norm is at most `max_norm`: what
    `nn.utils.clip_grad_norm_` does, without its per-call bookkeeping (half its cost here)."""
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
    torch._foreach_mul_(grads, (max_norm / (total_norm + 1e-6)).clamp(max=1.0))
