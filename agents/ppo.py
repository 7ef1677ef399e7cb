"""Proximal Policy Optimisation (PPO, Schulman et al. 2017) in PyTorch, batched over envs.

The agent collects `n_steps` transitions from each of `n_envs` environments with its current
policy, turns them into advantages with GAE(lambda), and then improves the policy with a few
epochs of minibatch steps on the clipped surrogate objective, a value loss and an entropy
bonus. It talks to the training loop through the batched `Learner` protocol of `agents.base`:
`act(obs, masks, explore=True)` samples the actions of one vector step and `learn(batch)`
records that step, running an update every `n_steps` calls. It supports Box and Discrete
actions (Discrete with action masks) and Box, Discrete and MultiDiscrete observations.

Choices a reader of CleanRL's or Stable-Baselines3's PPO should know about:

* Actor and critic are separate tanh MLPs (no shared trunk), orthogonally initialised, as in
  SB3's default `MlpPolicy`: a shared trunk lets the value loss pull the policy's features
  around, and on these small problems the second network costs next to nothing.
* Box actions come from a Gaussian with a learned, state-independent log-std. The sampled
  action is clipped to the space's bounds only on its way to the env; the rollout keeps the
  unclipped sample, so its log-probability is that of an action the Gaussian really drew.
* Discrete actions come from a categorical whose illegal logits are replaced by
  `ILLEGAL_LOGIT` when sampling, in log-probabilities and in the entropy. The masks are kept
  in the rollout and used again in every update.
* Observations are normalised by running statistics and clipped (as SB3's `VecNormalize`);
  rewards may be divided by a running standard deviation of the discounted return. Both
  statistics travel in the checkpoint, so a loaded policy sees what the trained one saw.
* A step that ended by truncation is bootstrapped from V(final observation); a step that
  ended by termination is not (see `compute_gae`).
* Acting evaluates the networks in numpy (`MLP.forward_numpy`, on arrays that share memory
  with the torch parameters), and updates in torch. On a few rows per call numpy's overhead
  is a fraction of torch's; the per-step path has no Python loop over envs.

The observation encoding, the MLP and the space checks live in `agents.nets`, shared with DQN.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from agents.base import Batch, RunPlan, checked_masks, saved_run_plan
from agents.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from agents.nets import (
    MLP,
    ObservationEncoder,
    check_hidden_sizes,
    clip_grad_norm,
    describe_space,
    is_number,
    is_whole,
    require,
    set_torch_threads,
    spaces_from_checkpoint,
)

AGENT_KIND = "ppo"

ILLEGAL_LOGIT = -1e8
"""The logit an illegal action gets: its probability underflows to exactly 0, and unlike
-inf it keeps `p * log p` at 0 (not NaN) in the entropy."""

LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


# -- PPO's building blocks ------------------------------------------------------------------


@dataclass(frozen=True)
class PPOConfig:
    """Hyperparameters of PPO. Defaults are Stable-Baselines3's, with observation
    normalisation switched on."""

    n_steps: int = 2048
    """Steps per environment in one rollout; the rollout holds `n_steps` times the run's
    number of envs transitions."""

    batch_size: int = 64
    """Minibatch size of one gradient step (SB3's name). The last minibatch of an epoch is
    smaller when the rollout is not a multiple of it."""

    n_epochs: int = 10
    """Passes over the rollout per update."""

    learning_rate: float = 3e-4
    """Adam's step size (at the start, when `anneal_lr` is on)."""

    anneal_lr: bool = False
    """Decay the learning rate linearly to 0 over training. Progress is `set_progress`'s
    fraction when the training loop calls it, else steps taken / the run's total steps."""

    gamma: float = 0.99
    """Discount factor."""

    gae_lambda: float = 0.95
    """GAE's lambda: 0 is one-step TD, 1 is Monte Carlo."""

    clip_range: float = 0.2
    """How far the probability ratio may move from 1 before the surrogate stops rewarding
    it."""

    clip_range_vf: float | None = None
    """Clip the new value prediction to within this of the old one (SB3's rule); None
    leaves the value loss unclipped."""

    normalize_advantage: bool = True
    """Standardise the advantages of each minibatch."""

    ent_coef: float = 0.0
    """Weight of the entropy bonus."""

    vf_coef: float = 0.5
    """Weight of the value loss."""

    max_grad_norm: float = 0.5
    """Clip the global gradient norm to this."""

    target_kl: float | None = None
    """Stop the update's epochs early once a minibatch's approximate KL divergence from the
    rollout policy exceeds 1.5 times this (SB3's rule); None never stops early."""

    hidden_sizes: tuple[int, ...] = (64, 64)
    """Hidden layer widths of the actor and of the critic (each has its own)."""

    log_std_init: float = 0.0
    """Initial log standard deviation of the Gaussian policy (Box actions)."""

    normalize_obs: bool = True
    """Normalise observation features by their running mean and standard deviation."""

    clip_obs: float = 10.0
    """Clip normalised observation features to [-clip_obs, clip_obs]."""

    normalize_reward: bool = False
    """Divide rewards by the running standard deviation of the discounted return."""

    clip_reward: float = 10.0
    """Clip scaled rewards to [-clip_reward, clip_reward]."""

    num_threads: int | None = 1
    """`torch.set_num_threads` on construction (process-wide); None leaves it alone. One
    thread is fastest for these small networks on a 2-core machine."""

    def __post_init__(self) -> None:
        for name in ("n_steps", "batch_size", "n_epochs"):
            require(is_whole(getattr(self, name)),
                    f"{name} must be a whole number >= 1, got {getattr(self, name)!r}")
        require(is_number(self.learning_rate) and self.learning_rate > 0,
                f"learning_rate must be a positive number, got {self.learning_rate!r}")
        for name in ("gamma", "gae_lambda"):
            require(is_number(getattr(self, name), 0.0, 1.0),
                    f"{name} must be in [0, 1], got {getattr(self, name)!r}")
        for name in ("clip_range", "max_grad_norm", "clip_obs", "clip_reward"):
            value = getattr(self, name)
            require(is_number(value) and value > 0,
                    f"{name} must be a positive number, got {value!r}")
        for name in ("clip_range_vf", "target_kl"):
            value = getattr(self, name)
            require(value is None or (is_number(value) and value > 0),
                    f"{name} must be a positive number or None, got {value!r}")
        for name in ("ent_coef", "vf_coef"):
            require(is_number(getattr(self, name), 0.0),
                    f"{name} must be a number >= 0, got {getattr(self, name)!r}")
        require(is_number(self.log_std_init),
                f"log_std_init must be a finite number, got {self.log_std_init!r}")
        require(self.num_threads is None or is_whole(self.num_threads),
                f"num_threads must be a whole number >= 1 or None, got {self.num_threads!r}")
        check_hidden_sizes(self)

    def check_rollout(self, n_envs: int) -> None:
        """A ValueError unless a minibatch fits in the rollout of `n_envs` envs."""
        rollout = self.n_steps * n_envs
        require(self.batch_size <= rollout,
                f"batch_size ({self.batch_size}) must not exceed the rollout of n_steps * "
                f"n_envs = {rollout} transitions")

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["hidden_sizes"] = list(self.hidden_sizes)
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> PPOConfig:
        unknown = set(values) - {f.name for f in fields(cls)}
        require(not unknown, f"unknown PPO config field(s) {sorted(unknown)}")
        return cls(**values)


class RunningMeanStd:
    """Running mean and variance of a stream of batches: Welford's update, in the batched
    form of Chan et al., kept in float64."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.mean = np.zeros(shape, dtype=np.float64)
        self.var = np.ones(shape, dtype=np.float64)
        self.count = 0

    def update(self, batch: np.ndarray) -> None:
        """Take in `batch` of shape (n, *shape)."""
        n = batch.shape[0]
        # np.add.reduce rather than batch.mean / batch.var: this runs on every env step, and
        # those wrappers cost three times as much on a batch of a few rows.
        batch_mean = np.add.reduce(batch, axis=0, dtype=np.float64) / n
        deviations = batch - batch_mean
        batch_var = np.add.reduce(deviations * deviations, axis=0) / n
        if self.count == 0:
            self.mean, self.var, self.count = batch_mean, batch_var, n
            return
        total = self.count + n
        delta = batch_mean - self.mean
        self.mean = self.mean + delta * (n / total)
        squares = self.var * self.count + batch_var * n + delta**2 * (self.count * n / total)
        self.var = squares / total
        self.count = total

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(self.var + 1e-8)

    def state_dict(self) -> dict[str, Any]:
        return {"mean": torch.from_numpy(np.array(self.mean, dtype=np.float64)),
                "var": torch.from_numpy(np.array(self.var, dtype=np.float64)),
                "count": self.count}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        mean, var = state["mean"].numpy(), state["var"].numpy()
        if mean.shape != self.mean.shape or var.shape != self.var.shape:
            raise ValueError(f"running statistics have shape {mean.shape}, expected "
                             f"{self.mean.shape}")
        self.mean, self.var, self.count = mean.astype(np.float64), var.astype(np.float64), \
            int(state["count"])


def compute_gae(rewards: np.ndarray, values: np.ndarray, next_values: np.ndarray,
                terminated: np.ndarray, truncated: np.ndarray, gamma: float,
                gae_lambda: float) -> tuple[np.ndarray, np.ndarray]:
    """GAE(lambda) advantages and value targets of a rollout; all arrays are (n_steps, n_envs).

    `values[t]` is V(s_t) and `next_values[t]` is V of the observation step t led to: the
    next step's value within an episode, V(final observation) where step t was truncated,
    and anything (it is ignored) where step t terminated. Then

        delta_t = r_t + gamma * (1 - terminated_t) * next_values[t] - values[t]
        A_t = delta_t + gamma * lambda * (1 - done_t) * A_{t+1},  done = terminated or truncated

    so a truncated episode is bootstrapped from its final observation, a terminated one is
    not, and no advantage leaks across an episode boundary. Returns (advantages, returns)
    with returns = advantages + values, the critic's regression targets.
    """
    not_terminated = 1.0 - terminated.astype(values.dtype)
    not_done = 1.0 - (terminated | truncated).astype(values.dtype)
    deltas = rewards + gamma * not_terminated * next_values - values
    advantages = np.zeros_like(values)
    running = np.zeros_like(values[0])
    for t in reversed(range(len(values))):
        running = deltas[t] + gamma * gae_lambda * not_done[t] * running
        advantages[t] = running
    return advantages, advantages + values


def masked_logits(logits: torch.Tensor, masks: torch.Tensor | None) -> torch.Tensor:
    """`logits` with every illegal action's logit replaced by `ILLEGAL_LOGIT`."""
    return logits if masks is None else logits.masked_fill(~masks, ILLEGAL_LOGIT)


def categorical_entropy(log_p: torch.Tensor) -> torch.Tensor:
    """Entropies of categoricals given as log-probabilities (n, A), from `log_softmax` of
    masked logits. An illegal action has probability exactly 0 and a finite log-probability,
    so it adds exactly 0 to the sum: the entropy is over the legal actions only."""
    return -(log_p.exp() * log_p).sum(dim=-1)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax of (n, A) numpy logits (acting's twin of `torch.log_softmax`)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    out: np.ndarray = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return out


def sample_categorical(logits: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """One action per row of (masked) `logits` (n, A), given uniforms in [0, 1) of the same
    shape, by the Gumbel-max trick: the argmax of logits + Gumbel noise is distributed as
    softmax(logits). An illegal action's logit is so low that no noise lifts it to the top
    (the noise lies between about -4.5 and 17)."""
    # Clamped away from 0, where log(0) would give a legal action -inf.
    uniform = np.maximum(uniform, np.finfo(np.float32).tiny)
    actions: np.ndarray = (logits - np.log(-np.log(uniform))).argmax(axis=-1)
    return actions


def gaussian_log_prob(actions: torch.Tensor, mean: torch.Tensor, log_std: torch.Tensor
                      ) -> torch.Tensor:
    """Log-density of `actions` (n, d) under a diagonal Gaussian, summed over dimensions."""
    z = (actions - mean) * torch.exp(-log_std)
    return (-0.5 * z.square() - log_std - LOG_SQRT_2PI).sum(dim=-1)


def gaussian_entropy(log_std: torch.Tensor) -> torch.Tensor:
    """Entropy of a diagonal Gaussian with these log-stds (the same for every state)."""
    return (0.5 + LOG_SQRT_2PI + log_std).sum()


class ActorCritic(nn.Module):
    """A policy network and a value network, separate, on the same observation features."""

    def __init__(self, features: int, action_space: spaces.Discrete | spaces.Box,
                 hidden_sizes: tuple[int, ...], log_std_init: float,
                 generator: torch.Generator) -> None:
        super().__init__()
        self.discrete = isinstance(action_space, spaces.Discrete)
        if isinstance(action_space, spaces.Discrete):
            outputs = int(action_space.n)
        else:
            outputs = int(np.prod(action_space.shape))
        self.actor = MLP(features, hidden_sizes, outputs, "tanh", 0.01, generator)
        self.critic = MLP(features, hidden_sizes, 1, "tanh", 1.0, generator)
        self.log_std = nn.Parameter(torch.full((0 if self.discrete else outputs,),
                                               float(log_std_init)))
        """Log standard deviations of the Gaussian policy (empty for Discrete actions)."""

    def value(self, features: torch.Tensor) -> torch.Tensor:
        """V(s) for each row, shape (n,)."""
        values: torch.Tensor = self.critic(features)
        return values.squeeze(-1)

    def evaluate(self, features: torch.Tensor, actions: torch.Tensor, masks: torch.Tensor | None,
                 entropy_grad: bool = True) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(log-probabilities of `actions`, entropies, values) under the current networks.
        With `entropy_grad=False` the entropy is left out of the autograd graph (for a
        categorical that saves a quarter of the backward pass) when it is only reported."""
        out = self.actor(features)
        if self.discrete:
            log_p = torch.log_softmax(masked_logits(out, masks), dim=-1)
            log_prob = log_p.gather(-1, actions.unsqueeze(-1)).squeeze(-1)
            entropy = categorical_entropy(log_p if entropy_grad else log_p.detach())
        else:
            log_prob = gaussian_log_prob(actions, out, self.log_std)
            entropy = gaussian_entropy(self.log_std if entropy_grad else self.log_std.detach())
        return log_prob, entropy, self.value(features)


class RolloutStep(NamedTuple):
    """What the policy did on one vector step, as the rollout keeps it."""

    raw_features: np.ndarray
    """Encoded observations before normalisation, (n, features)."""
    features: np.ndarray
    """The network's input, (n, features)."""
    actions: np.ndarray
    """The actions as the policy drew them: unclipped for Box, 0-based for Discrete."""
    log_probs: np.ndarray
    """(n,) log-probabilities of `actions`."""
    values: np.ndarray
    """(n,) V(obs)."""
    masks: np.ndarray | None
    """(n, A) legal actions, or None."""


class RolloutBuffer:
    """`n_steps` vector steps of experience, in arrays allocated once."""

    def __init__(self, n_steps: int, n_envs: int, features: int,
                 action_shape: tuple[int, ...], action_dtype: type, n_actions: int) -> None:
        self.n_steps = n_steps
        self.features = np.zeros((n_steps, n_envs, features), dtype=np.float32)
        self.actions: np.ndarray = np.zeros((n_steps, n_envs, *action_shape),
                                            dtype=action_dtype)
        self.masks = np.ones((n_steps, n_envs, n_actions), dtype=bool)
        self.log_probs = np.zeros((n_steps, n_envs), dtype=np.float32)
        self.values = np.zeros((n_steps, n_envs), dtype=np.float32)
        self.rewards = np.zeros((n_steps, n_envs), dtype=np.float32)
        self.terminated = np.zeros((n_steps, n_envs), dtype=bool)
        self.truncated = np.zeros((n_steps, n_envs), dtype=bool)
        self.final_values = np.zeros((n_steps, n_envs), dtype=np.float32)
        """V(final observation) where a step was truncated."""
        self.pos = 0

    @property
    def full(self) -> bool:
        return self.pos == self.n_steps

    def add(self, step: RolloutStep, rewards: np.ndarray, terminated: np.ndarray,
            truncated: np.ndarray) -> None:
        t = self.pos
        self.features[t] = step.features
        self.actions[t] = step.actions
        self.masks[t] = True if step.masks is None else step.masks
        self.log_probs[t] = step.log_probs
        self.values[t] = step.values
        self.rewards[t] = rewards
        self.terminated[t] = terminated
        self.truncated[t] = truncated
        self.pos = t + 1

    def next_values(self, last_values: np.ndarray) -> np.ndarray:
        """V of the observation each step led to (see `compute_gae`)."""
        following = np.empty_like(self.values)
        following[:-1] = self.values[1:]
        following[-1] = last_values
        return np.where(self.truncated, self.final_values, following)


# -- the agent -------------------------------------------------------------------------------


class PPO:
    """PPO agent for Box or Discrete actions (see the module docstring).

    `act(obs, masks, explore=True)` remembers what it drew (the unclipped actions, their
    log-probabilities and V(obs)); the `learn(batch)` that follows stores that record when
    `batch.acted` says the batch holds those actions, so nothing is computed twice.
    """

    kind = AGENT_KIND

    def __init__(self, observation_space: spaces.Space[Any], action_space: spaces.Space[Any],
                 config: PPOConfig | None = None, seed: int | None = None,
                 plan: RunPlan | None = None) -> None:
        if not isinstance(action_space, (spaces.Discrete, spaces.Box)):
            raise TypeError(f"PPO needs a Discrete or Box action space, got {action_space}")
        if isinstance(action_space, spaces.Box) and not (
                np.isfinite(action_space.low).all() and np.isfinite(action_space.high).all()):
            raise ValueError(f"PPO needs a bounded Box action space, got {action_space}")
        self.config = config if config is not None else PPOConfig()
        self.plan = (plan or RunPlan()).check()
        """The number of envs and the budget of the run this agent learns in."""
        self.config.check_rollout(self.plan.n_envs)
        set_torch_threads(self.config.num_threads)
        self.observation_space = observation_space
        self.action_space = action_space
        self.encoder = ObservationEncoder(observation_space)
        self.seed = int(np.random.default_rng().integers(2**62)) if seed is None else seed
        self.generator = torch.Generator().manual_seed(self.seed)
        self.discrete = isinstance(action_space, spaces.Discrete)
        if isinstance(action_space, spaces.Discrete):
            self.n_actions = int(action_space.n)
            self._action_start = int(action_space.start)
            action_shape: tuple[int, ...] = ()
        else:
            self.n_actions = 0
            self._action_start = 0
            action_shape = action_space.shape
            self._low, self._high = action_space.low, action_space.high
        self.action_shape = action_shape
        cfg = self.config
        self.net = ActorCritic(self.encoder.features, action_space, cfg.hidden_sizes,
                               cfg.log_std_init, self.generator)
        self._log_std = self.net.log_std.detach().numpy()  # shares memory with the parameter
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=cfg.learning_rate,
                                          eps=1e-5, fused=True)
        self.obs_rms = RunningMeanStd((self.encoder.features,))
        self.return_rms = RunningMeanStd(())
        self._discounted_returns = np.zeros(self.plan.n_envs)
        self.buffer = RolloutBuffer(cfg.n_steps, self.plan.n_envs, self.encoder.features,
                                    action_shape,
                                    np.int64 if self.discrete else np.float32, self.n_actions)
        self.steps = 0
        """Env steps learned from (all envs together)."""
        self.updates = 0
        self._progress: float | None = None
        self._pending: RolloutStep | None = None
        self.last_metrics: dict[str, float] = {}
        self.metadata: dict[str, Any] = {}
        """The metadata of the checkpoint this agent was loaded from (empty otherwise)."""

    # -- acting -----------------------------------------------------------------------------

    def reset(self, env_index: int | None = None) -> None:
        """The policy keeps no per-episode state; this only restarts the discounted return
        that reward scaling tracks."""
        if env_index is None:
            self._discounted_returns[:] = 0.0
        else:
            self._discounted_returns[env_index] = 0.0

    def _features(self, raw_features: np.ndarray) -> np.ndarray:
        if not self.config.normalize_obs:
            return raw_features
        clip = self.config.clip_obs
        normalized = (raw_features - self.obs_rms.mean) / self.obs_rms.std
        clipped: np.ndarray = np.clip(normalized, -clip, clip)
        return clipped.astype(np.float32)

    def _masks(self, masks: Any, n: int) -> np.ndarray | None:
        if not self.discrete:
            if masks is not None:
                raise ValueError("action masks apply only to Discrete action spaces")
            return None
        return checked_masks(masks, n, self.n_actions)

    def act(self, obs: np.ndarray, masks: np.ndarray | None = None,
            explore: bool = False) -> np.ndarray:
        """Sample actions (`explore=True`), or take the mean action (Box, clipped to the
        space) or the most probable legal action (Discrete)."""
        raw_features = self.encoder.encode(obs)
        features = self._features(raw_features)
        legal = self._masks(masks, len(features))
        # The networks run in numpy here (`MLP.forward_numpy`, on the very weights the
        # updates train in torch); the random numbers still come from the torch generator.
        out = self.net.actor.forward_numpy(features)
        actions: np.ndarray
        env_actions: np.ndarray
        if self.discrete:
            logits = out if legal is None else np.where(legal, out, ILLEGAL_LOGIT)
            if not explore:
                greedy: np.ndarray = logits.argmax(axis=-1) + self._action_start
                return greedy
            log_p = log_softmax(logits)
            actions = sample_categorical(
                log_p, torch.rand(log_p.shape, generator=self.generator).numpy())
            log_probs = log_p[np.arange(len(actions)), actions]
            env_actions = actions + self._action_start
        else:
            if not explore:
                mean_actions: np.ndarray = np.clip(out, self._low, self._high)
                return mean_actions
            noise = torch.randn(out.shape, generator=self.generator).numpy()
            log_std = self._log_std
            actions = out + noise * np.exp(log_std)
            log_probs = (-0.5 * noise * noise - log_std - LOG_SQRT_2PI).sum(axis=-1)
            env_actions = np.clip(actions, self._low, self._high)
        values = self.net.critic.forward_numpy(features)[:, 0]
        self._pending = RolloutStep(raw_features, features, actions, log_probs, values, legal)
        return env_actions

    def _recorded_step(self, batch: Batch) -> RolloutStep:
        """The step `act(explore=True)` recorded, when `batch.acted` says the batch holds
        the actions that call returned; otherwise (say, another policy's actions) the
        batch's actions evaluated under the current policy as if it had drawn them."""
        if batch.acted:
            if self._pending is None:
                raise ValueError("batch.acted says these actions came from act(explore=True), "
                                 "but no such call is pending")
            return self._pending
        raw_features = self.encoder.encode(batch.obs)
        features = self._features(raw_features)
        n = len(features)
        legal = self._masks(batch.masks, n)
        actions: np.ndarray
        if self.discrete:
            actions = np.asarray(batch.actions, dtype=np.int64).reshape(n) - self._action_start
        else:
            actions = np.asarray(batch.actions, dtype=np.float32).reshape(n, *self.action_shape)
        with torch.inference_mode():
            log_probs, _, values = self.net.evaluate(
                torch.from_numpy(features), torch.from_numpy(actions),
                None if legal is None else torch.from_numpy(legal))
        return RolloutStep(raw_features, features, actions, log_probs.numpy(), values.numpy(),
                           legal)

    def _values(self, obs: np.ndarray) -> np.ndarray:
        values: np.ndarray = self.net.critic.forward_numpy(
            self._features(self.encoder.encode(obs)))[:, 0]
        return values

    # -- learning ---------------------------------------------------------------------------

    def set_progress(self, fraction: float) -> None:
        """Tell the agent how much of the training budget is spent (for `anneal_lr`)."""
        if not is_number(fraction, 0.0, 1.0):
            raise ValueError(f"progress must be a fraction in [0, 1], got {fraction!r}")
        self._progress = float(fraction)

    @property
    def learning_rate(self) -> float:
        """The learning rate the next update uses."""
        cfg = self.config
        if not cfg.anneal_lr:
            return cfg.learning_rate
        if self._progress is not None:
            progress = self._progress
        elif self.plan.total_steps is not None:
            progress = min(self.steps / self.plan.total_steps, 1.0)
        else:
            progress = 0.0
        return cfg.learning_rate * (1.0 - progress)

    def _scaled_rewards(self, rewards: np.ndarray, done: np.ndarray) -> np.ndarray:
        """Rewards divided by the running std of the discounted return (SB3's VecNormalize)."""
        self._discounted_returns = self._discounted_returns * self.config.gamma + rewards
        self.return_rms.update(self._discounted_returns)
        self._discounted_returns[done] = 0.0
        clip = self.config.clip_reward
        scaled: np.ndarray = np.clip(rewards / self.return_rms.std, -clip, clip)
        return scaled

    def learn(self, batch: Batch) -> dict[str, float]:
        """Record one vector step; every `n_steps` calls, update and return the losses."""
        n = self.plan.n_envs
        if len(batch.obs) != n:
            raise ValueError(f"this PPO was planned for n_envs={n}, but the batch has "
                             f"{len(batch.obs)} rows")
        step = self._recorded_step(batch)
        self._pending = None
        rewards = np.asarray(batch.rewards, dtype=np.float64).reshape(n)
        terminated = np.asarray(batch.terminated, dtype=bool).reshape(n)
        truncated = np.asarray(batch.truncated, dtype=bool).reshape(n)
        if self.config.normalize_reward:
            rewards = self._scaled_rewards(rewards, terminated | truncated)
        t = self.buffer.pos
        self.buffer.add(step, rewards, terminated, truncated)
        if self.config.normalize_obs:
            self.obs_rms.update(step.raw_features)
        bootstrap = truncated & ~terminated
        if bootstrap.any():
            self.buffer.final_values[t, bootstrap] = self._values(
                np.asarray(batch.next_obs)[bootstrap])
        self.steps += n
        if not self.buffer.full:
            return {}
        metrics = self._update(self._values(np.asarray(batch.next_obs)))
        self.buffer.pos = 0
        return metrics

    def _update(self, last_values: np.ndarray) -> dict[str, float]:
        """Several epochs of clipped-surrogate minibatch steps on the full rollout."""
        cfg, buffer, net = self.config, self.buffer, self.net
        learning_rate = self.learning_rate
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate
        advantages_np, returns_np = compute_gae(
            buffer.rewards, buffer.values, buffer.next_values(last_values), buffer.terminated,
            buffer.truncated, cfg.gamma, cfg.gae_lambda)
        total = buffer.values.size
        features = torch.from_numpy(buffer.features.reshape(total, -1))
        actions = torch.from_numpy(buffer.actions.reshape(total, *buffer.actions.shape[2:]))
        masks = torch.from_numpy(buffer.masks.reshape(total, -1)) if self.discrete else None
        # One (total, 4) table of the per-transition numbers, so a minibatch is one gather.
        columns = torch.from_numpy(np.stack(
            [buffer.log_probs, buffer.values, advantages_np, returns_np], axis=-1
        ).reshape(total, 4))
        parameters = list(net.parameters())
        sums = torch.zeros(5)  # policy loss, value loss, entropy, approx KL, clip fraction
        minibatches = 0
        stopped_early = False
        for _ in range(cfg.n_epochs):
            order = torch.randperm(total, generator=self.generator)
            for start in range(0, total, cfg.batch_size):
                index = order[start:start + cfg.batch_size]
                old_log_prob, old_value, advantage, target = columns[index].unbind(dim=1)
                log_prob, entropy, values = net.evaluate(
                    features[index], actions[index], None if masks is None else masks[index],
                    entropy_grad=cfg.ent_coef > 0)
                if cfg.normalize_advantage and len(index) > 1:
                    advantage = (advantage - advantage.mean()) / (advantage.std() + 1e-8)
                log_ratio = log_prob - old_log_prob
                ratio = log_ratio.exp()
                policy_loss = torch.max(
                    -advantage * ratio,
                    -advantage * ratio.clamp(1.0 - cfg.clip_range, 1.0 + cfg.clip_range),
                ).mean()
                if cfg.clip_range_vf is not None:
                    values = old_value + (values - old_value).clamp(-cfg.clip_range_vf,
                                                                    cfg.clip_range_vf)
                value_loss = (values - target).square().mean()
                entropy_mean = entropy.mean()
                with torch.no_grad():
                    approx_kl = ((ratio - 1.0) - log_ratio).mean()
                    clip_fraction = ((ratio - 1.0).abs() > cfg.clip_range).float().mean()
                if cfg.target_kl is not None and approx_kl.item() > 1.5 * cfg.target_kl:
                    stopped_early = True
                    break
                loss = policy_loss + cfg.vf_coef * value_loss
                if cfg.ent_coef > 0:
                    loss = loss - cfg.ent_coef * entropy_mean
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()  # type: ignore[no-untyped-call]
                clip_grad_norm(parameters, cfg.max_grad_norm)
                self.optimizer.step()
                sums += torch.stack([policy_loss.detach(), value_loss.detach(),
                                     entropy_mean.detach(), approx_kl, clip_fraction])
                minibatches += 1
            if stopped_early:
                break
        self.updates += 1
        means = (sums / max(minibatches, 1)).tolist()
        returns_variance = float(returns_np.var())
        explained = (float("nan") if returns_variance == 0.0
                     else 1.0 - float((returns_np - buffer.values).var()) / returns_variance)
        self.last_metrics = {
            "policy_loss": means[0], "value_loss": means[1], "entropy": means[2],
            "approx_kl": means[3], "clip_fraction": means[4],
            "explained_variance": explained, "learning_rate": learning_rate,
            "minibatches": float(minibatches), "stopped_early": float(stopped_early),
        }
        return dict(self.last_metrics)

    def hud(self) -> dict[str, Any]:
        values: dict[str, Any] = {"learning rate": self.learning_rate, "steps": self.steps,
                                  "updates": self.updates}
        if not self.discrete:
            values["action std"] = float(self.net.log_std.detach().exp().mean())
        for key in ("policy_loss", "value_loss", "entropy", "approx_kl"):
            if key in self.last_metrics:
                values[key.replace("_", " ")] = self.last_metrics[key]
        return values

    # -- saving -----------------------------------------------------------------------------

    def save(self, path: str | Path, metadata: dict[str, Any]) -> Path:
        """Write a checkpoint atomically: weights, optimiser, normalisation statistics,
        random state and the spaces trained on. A rollout in progress is not saved."""
        state = {
            "network": self.net.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "obs_rms": self.obs_rms.state_dict(),
            "return_rms": self.return_rms.state_dict(),
            "discounted_returns": torch.from_numpy(self._discounted_returns.copy()),
            "observation_space": describe_space(self.observation_space),
            "action_space": describe_space(self.action_space),
            "n_envs": self.plan.n_envs,
            "total_steps": self.plan.total_steps,
            "steps": self.steps,
            "updates": self.updates,
            "progress": self._progress,
            "seed": self.seed,
            "generator": self.generator.get_state(),
        }
        return save_checkpoint(path, AGENT_KIND, self.config.to_dict(), state, metadata)

    @classmethod
    def load(cls, path: str | Path, observation_space: spaces.Space[Any] | None = None,
             action_space: spaces.Space[Any] | None = None, plan: RunPlan | None = None
             ) -> PPO:
        """Restore an agent saved by `save`. Given spaces must equal those trained on; left
        out, the recorded ones are used. `plan` is the run it goes on learning in (left out,
        the one it was saved from). Raises `CheckpointError` saying what is wrong."""
        payload = load_checkpoint(path, AGENT_KIND)
        try:
            state = payload["state"]
            values = dict(payload["config"])
            saved_plan = saved_run_plan(values, state)
            config = PPOConfig.from_dict(values)
            obs_space, act_space = spaces_from_checkpoint(state, observation_space,
                                                          action_space, path)
            plan = plan or saved_plan
            agent = cls(obs_space, act_space, config, seed=int(state["seed"]), plan=plan)
            agent.net.load_state_dict(state["network"])
            agent.optimizer.load_state_dict(state["optimizer"])
            agent.obs_rms.load_state_dict(state["obs_rms"])
            agent.return_rms.load_state_dict(state["return_rms"])
            if plan.n_envs == saved_plan.n_envs:
                agent._discounted_returns = \
                    state["discounted_returns"].numpy().astype(np.float64)
            agent.steps = int(state["steps"])
            agent.updates = int(state["updates"])
            agent._progress = state["progress"]
            agent.generator.set_state(state["generator"])
        except CheckpointError:
            raise
        except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as error:
            raise CheckpointError(f"checkpoint {path} is damaged or incompatible: {error}") \
                from error
        agent.metadata = payload["metadata"]
        return agent
