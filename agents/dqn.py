"""Deep Q-Networks (DQN, Mnih et al. 2015) in PyTorch, batched over envs, with action masks.

An MLP estimates Q(s, a) for every action at once. The agent acts epsilon-greedily (epsilon
decays linearly to a floor over a fraction of the training budget), stores every transition
in a replay buffer of arrays allocated once, and every `train_freq` env steps takes
`gradient_steps` Adam steps on the Huber loss between Q(s, a) and the target

    r + gamma * (1 - terminated) * Q_target(s', a'),  a' = the best legal action in s'

computed by a target network that follows the online one by hard copies (`tau = 1`) or
Polyak averaging (`tau < 1`) every `target_update_interval` env steps. With `double_dqn`,
a' is chosen by the online network and valued by the target network (van Hasselt et al.).

Action masks are honoured everywhere: acting takes the argmax (or a random action) among
legal actions only, and the target's maximum runs over the legal actions of s' (the replay
buffer keeps the next state's mask). A terminated transition is not bootstrapped; a
truncated one is, from its final observation.

It works on Box, Discrete and MultiDiscrete observations with Discrete actions. Discrete and
MultiDiscrete observations are one-hot encoded (`agents.ppo.ObservationEncoder`): Henry's
discrete state `MultiDiscrete([5, 2, 5, 2])` reaches the network as 14 zeros and ones.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces

from agents.base import Batch, RunPlan, checked_masks
from agents.checkpoint import save_checkpoint
from agents.dqn_config import BUDGET_WITHOUT_STEPS, DQNConfig
from agents.nets import (
    MLP,
    NetworkAgent,
    ObservationEncoder,
    clip_grad_norm,
    describe_space,
    set_torch_threads,
)

AGENT_KIND = "dqn"


def q_targets(
    rewards: torch.Tensor,
    terminated: torch.Tensor,
    next_q_target: torch.Tensor,
    gamma: float,
    next_masks: torch.Tensor | None = None,
    next_q_online: torch.Tensor | None = None,
) -> torch.Tensor:
    """Bellman targets r + gamma * (1 - terminated) * Q_target(s', a') for a batch.

    a' is the legal action (per `next_masks`, (n, A) bool, all legal when None) with the
    highest Q_target(s', .), or with the highest Q_online(s', .) when `next_q_online` is
    given (double DQN). A terminated transition's target is its reward alone; a truncated
    one is stored as not terminated, so it is bootstrapped from its final observation.
    """
    chooser = next_q_target if next_q_online is None else next_q_online
    if next_masks is not None:
        chooser = chooser.masked_fill(~next_masks, -math.inf)
    best = chooser.argmax(dim=1, keepdim=True)
    next_values = next_q_target.gather(1, best).squeeze(1)
    return rewards + gamma * (~terminated).to(rewards.dtype) * next_values


class ReplayBatch(NamedTuple):
    """Transitions sampled from the replay buffer, as tensors."""

    obs: torch.Tensor
    actions: torch.Tensor
    rewards: torch.Tensor
    next_obs: torch.Tensor
    terminated: torch.Tensor
    next_masks: torch.Tensor | None
    """Legal actions in `next_obs`, or None when no transition in the buffer had a mask."""


class ReplayBuffer:
    """A ring of transitions in numpy arrays allocated once. Observations are stored as
    encoded features; the next state's action mask is stored for the target's max."""

    def __init__(self, capacity: int, features: int, n_actions: int) -> None:
        self.capacity = capacity
        self.obs = np.zeros((capacity, features), dtype=np.float32)
        self.next_obs = np.zeros((capacity, features), dtype=np.float32)
        self.actions = np.zeros(capacity, dtype=np.int64)
        self.rewards = np.zeros(capacity, dtype=np.float32)
        self.terminated = np.zeros(capacity, dtype=bool)
        self.next_masks = np.ones((capacity, n_actions), dtype=bool)
        self.masked = False
        """Whether any transition came with a mask (if not, the target skips masking)."""
        self.pos = 0
        self.size = 0

    def add(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
        next_obs: np.ndarray,
        terminated: np.ndarray,
        next_masks: np.ndarray | None,
    ) -> None:
        rows = (self.pos + np.arange(len(obs))) % self.capacity
        self.obs[rows] = obs
        self.next_obs[rows] = next_obs
        self.actions[rows] = actions
        self.rewards[rows] = rewards
        self.terminated[rows] = terminated
        if next_masks is None:
            self.next_masks[rows] = True
        else:
            self.next_masks[rows] = next_masks
            self.masked = True
        self.pos = int(rows[-1] + 1) % self.capacity
        self.size = min(self.size + len(obs), self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator) -> ReplayBatch:
        rows = rng.integers(self.size, size=batch_size)
        return ReplayBatch(
            torch.from_numpy(self.obs[rows]),
            torch.from_numpy(self.actions[rows]),
            torch.from_numpy(self.rewards[rows]),
            torch.from_numpy(self.next_obs[rows]),
            torch.from_numpy(self.terminated[rows]),
            torch.from_numpy(self.next_masks[rows]) if self.masked else None,
        )


class DQN(NetworkAgent):
    """DQN agent for Discrete actions (see the module docstring)."""

    kind = AGENT_KIND
    config_type = DQNConfig

    def __init__(
        self,
        observation_space: spaces.Space[Any],
        action_space: spaces.Space[Any],
        config: DQNConfig | None = None,
        seed: int | None = None,
        plan: RunPlan | None = None,
    ) -> None:
        if not isinstance(action_space, spaces.Discrete):
            raise TypeError(f"DQN needs a Discrete action space, got {action_space}")
        self.config = config if config is not None else DQNConfig()
        self.plan = (plan or RunPlan()).check()
        """The number of envs and the budget of the run this agent learns in."""
        cfg = self.config
        set_torch_threads(cfg.num_threads)
        self.observation_space = observation_space
        self.action_space = action_space
        self.encoder = ObservationEncoder(observation_space)
        self.n_actions = int(action_space.n)
        self._action_start = int(action_space.start)
        self.seed = int(np.random.default_rng().integers(2**62)) if seed is None else seed
        self.rng = np.random.default_rng(self.seed)
        """Exploration and replay sampling draw from this."""
        generator = torch.Generator().manual_seed(self.seed)  # for the initial weights only
        self.q_net = MLP(
            self.encoder.features, cfg.hidden_sizes, self.n_actions, "relu", 1.0, generator
        )
        self.target_net = MLP(
            self.encoder.features, cfg.hidden_sizes, self.n_actions, "relu", 1.0, generator
        )
        self.target_net.load_state_dict(self.q_net.state_dict())
        self.target_net.requires_grad_(False)
        self.optimizer = torch.optim.Adam(self.q_net.parameters(), lr=cfg.learning_rate, fused=True)
        self.buffer = ReplayBuffer(cfg.buffer_size, self.encoder.features, self.n_actions)
        self.steps = 0
        """Env steps learned from (all envs together)."""
        self.gradient_steps = 0
        self._train_calls = 0
        self._target_updates = 0
        self.last_metrics: dict[str, float] = {}
        self.metadata: dict[str, Any] = {}
        """The metadata of the checkpoint this agent was loaded from (empty otherwise)."""

    # -- acting -----------------------------------------------------------------------------

    @property
    def epsilon(self) -> float:
        """The exploration rate now: linear from the initial to the final value over
        `exploration_fraction` of the run's total steps, then constant."""
        cfg = self.config
        decay_steps = cfg.exploration_fraction * (self.plan.total_steps or BUDGET_WITHOUT_STEPS)
        fraction = 1.0 if decay_steps == 0 else min(self.steps / decay_steps, 1.0)
        return cfg.exploration_initial_eps + fraction * (
            cfg.exploration_final_eps - cfg.exploration_initial_eps
        )

    def reset(self, env_index: int | None = None) -> None:
        """DQN keeps no per-episode state."""
        return None

    def q_values(self, obs: np.ndarray) -> np.ndarray:
        """Q(obs, a) for every action, shape (n, A) (in numpy: see `MLP.forward_numpy`)."""
        return self.q_net.forward_numpy(self.encoder.encode(obs))

    def act(
        self, obs: np.ndarray, masks: np.ndarray | None = None, explore: bool = False
    ) -> np.ndarray:
        """The best legal action per env; with `explore`, a uniformly random legal action
        with probability epsilon instead."""
        q = self.q_values(obs)
        n = len(q)
        legal = checked_masks(masks, n, self.n_actions)
        if legal is not None:
            q = np.where(legal, q, -np.inf)
        actions: np.ndarray = q.argmax(axis=1)
        if explore:
            exploring = self.rng.random(n) < self.epsilon
            if exploring.any():
                # The argmax of uniform scores over the legal actions is a uniform legal one.
                scores = self.rng.random((n, self.n_actions))
                if legal is not None:
                    scores[~legal] = -1.0
                actions = np.where(exploring, scores.argmax(axis=1), actions)
        return actions + self._action_start

    # -- learning ---------------------------------------------------------------------------

    def learn(self, batch: Batch) -> dict[str, float]:
        """Store one vector step; train and update the target network when they are due."""
        cfg = self.config
        obs = self.encoder.encode(batch.obs)
        n = len(obs)
        actions = np.asarray(batch.actions, dtype=np.int64).reshape(n) - self._action_start
        if ((actions < 0) | (actions >= self.n_actions)).any():
            raise ValueError(
                f"actions {np.asarray(batch.actions).tolist()} are outside the "
                f"action space {self.action_space}"
            )
        self.buffer.add(
            obs,
            actions,
            np.asarray(batch.rewards, dtype=np.float32).reshape(n),
            self.encoder.encode(batch.next_obs),
            np.asarray(batch.terminated, dtype=bool).reshape(n),
            checked_masks(batch.next_masks, n, self.n_actions),
        )
        self.steps += n
        metrics: dict[str, float] = {}
        calls_due = self.steps // cfg.train_freq - self._train_calls
        self._train_calls += calls_due
        if calls_due and self.steps >= cfg.learning_starts and self.buffer.size >= cfg.batch_size:
            results = [self._train_step() for _ in range(calls_due * cfg.gradient_steps)]
            losses, q_means = zip(*results, strict=True)
            metrics = {
                "loss": float(torch.stack(losses).mean()),
                "q_mean": float(torch.stack(q_means).mean()),
            }
            self.last_metrics = metrics
        updates_due = self.steps // cfg.target_update_interval - self._target_updates
        if updates_due:
            # k soft updates in a row move the target 1 - (1 - tau)^k of the way.
            self._update_target(1.0 - (1.0 - cfg.tau) ** updates_due)
            self._target_updates += updates_due
        return metrics

    def _train_step(self) -> tuple[torch.Tensor, torch.Tensor]:
        """One gradient step on a sampled minibatch; returns (loss, mean Q), detached."""
        cfg = self.config
        batch = self.buffer.sample(cfg.batch_size, self.rng)
        with torch.no_grad():
            next_q_target = self.target_net(batch.next_obs)
            next_q_online = self.q_net(batch.next_obs) if cfg.double_dqn else None
            targets = q_targets(
                batch.rewards,
                batch.terminated,
                next_q_target,
                cfg.gamma,
                batch.next_masks,
                next_q_online,
            )
        q = self.q_net(batch.obs).gather(1, batch.actions.unsqueeze(1)).squeeze(1)
        loss = F.smooth_l1_loss(q, targets)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        if cfg.max_grad_norm is not None:
            clip_grad_norm(list(self.q_net.parameters()), cfg.max_grad_norm)
        self.optimizer.step()
        self.gradient_steps += 1
        return loss.detach(), q.detach().mean()

    def _update_target(self, rate: float) -> None:
        with torch.no_grad():
            for target, online in zip(
                self.target_net.parameters(), self.q_net.parameters(), strict=True
            ):
                target.lerp_(online, rate)

    def hud(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "epsilon": self.epsilon,
            "learning rate": self.config.learning_rate,
            "steps": self.steps,
            "replay": self.buffer.size,
        }
        if self.last_metrics:
            values["loss"] = self.last_metrics["loss"]
            values["q mean"] = self.last_metrics["q_mean"]
        return values

    # -- saving -----------------------------------------------------------------------------

    def save(self, path: str | Path, metadata: dict[str, Any]) -> Path:
        """Write a checkpoint atomically: both networks, the optimiser, the counters that set
        epsilon and the schedules, the random state, and the spaces trained on. The replay
        buffer is not saved (it can be hundreds of megabytes)."""
        state = {
            "q_net": self.q_net.state_dict(),
            "target_net": self.target_net.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "observation_space": describe_space(self.observation_space),
            "action_space": describe_space(self.action_space),
            "n_envs": self.plan.n_envs,
            "total_steps": self.plan.total_steps,
            "steps": self.steps,
            "gradient_steps": self.gradient_steps,
            "train_calls": self._train_calls,
            "target_updates": self._target_updates,
            "seed": self.seed,
            "rng": self.rng.bit_generator.state,
        }
        return save_checkpoint(path, AGENT_KIND, self.config.to_dict(), state, metadata)

    def _restore(self, state: dict[str, Any], saved_plan: RunPlan) -> None:
        """Put back what a checkpoint's `state` holds (see `load`)."""
        self.q_net.load_state_dict(state["q_net"])
        self.target_net.load_state_dict(state["target_net"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.steps = int(state["steps"])
        self.gradient_steps = int(state["gradient_steps"])
        self._train_calls = int(state["train_calls"])
        self._target_updates = int(state["target_updates"])
        self.rng.bit_generator.state = state["rng"]
