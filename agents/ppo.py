"""Proximal Policy Optimisation (PPO, Schulman et al. 2017) in PyTorch, batched over envs.

The agent collects `n_steps` transitions from each of the run's environments with its current
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
  ended by termination is not (see `agents.rollout.compute_gae`).
* Acting evaluates the networks in numpy (`MLP.forward_numpy`, on arrays that share memory
  with the torch parameters), and updates in torch. On a few rows per call numpy's overhead
  is a fraction of torch's; the per-step path has no Python loop over envs.

Where the pieces live: this module is the agent (acting, recording, saving); its
hyperparameters are `agents.ppo_config`, the networks and distributions
`agents.actor_critic`, the rollout, GAE, running statistics and the update
`agents.rollout`; the observation encoding, the MLP and the space checks `agents.nets`,
shared with DQN.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from gymnasium import spaces

from agents.actor_critic import (
    ILLEGAL_LOGIT,
    LOG_SQRT_2PI,
    ActorCritic,
    log_softmax,
    sample_categorical,
)
from agents.base import Batch, RunPlan, checked_masks
from agents.checkpoint import save_checkpoint
from agents.configs import is_number
from agents.nets import (
    NetworkAgent,
    ObservationEncoder,
    describe_space,
    set_torch_threads,
)
from agents.ppo_config import PPOConfig
from agents.residual import Residual
from agents.rollout import (
    RolloutBuffer,
    RolloutStep,
    RunningMeanStd,
    clipped_surrogate_update,
)

AGENT_KIND = "ppo"

__all__ = ["PPO", "PPOConfig", "PolicyReadout"]


class PolicyReadout(NamedTuple):
    """What PPO's own networks say about a batch of observations (`PPO.readout`)."""

    values: np.ndarray
    """(n,) the critic's V(obs), in the rewards the critic learns from (scaled by
    `PPO.reward_scale` when rewards are normalised)."""
    means: np.ndarray | None
    """(n, action_dim) the Gaussian's means, before clipping (Box actions; else None)."""
    stds: np.ndarray | None
    """(n, action_dim) its standard deviations (Box actions; else None)."""
    probabilities: np.ndarray | None
    """(n, actions) the probability of each action, illegal ones 0 (Discrete; else None)."""


class PPO(NetworkAgent):
    """PPO agent for Box or Discrete actions (see the module docstring).

    `act(obs, masks, explore=True)` remembers what it drew (the unclipped actions, their
    log-probabilities and V(obs)); the `learn(batch)` that follows stores that record when
    `batch.acted` says the batch holds those actions, so nothing is computed twice.
    """

    kind = AGENT_KIND
    config_type = PPOConfig

    def __init__(
        self,
        observation_space: spaces.Space[Any],
        action_space: spaces.Space[Any],
        config: PPOConfig | None = None,
        seed: int | None = None,
        plan: RunPlan | None = None,
    ) -> None:
        if not isinstance(action_space, (spaces.Discrete, spaces.Box)):
            raise TypeError(f"PPO needs a Discrete or Box action space, got {action_space}")
        if isinstance(action_space, spaces.Box) and not (
            np.isfinite(action_space.low).all() and np.isfinite(action_space.high).all()
        ):
            raise ValueError(f"PPO needs a bounded Box action space, got {action_space}")
        self.config = config if config is not None else PPOConfig()
        self.plan = (plan or RunPlan()).check()
        """The number of envs and the budget of the run this agent learns in."""
        set_torch_threads(self.config.num_threads)
        self.observation_space = observation_space
        self.action_space = action_space
        self.encoder = ObservationEncoder(observation_space)
        self.config.check_rollout(self.plan.n_envs)
        cfg = self.config
        self.residual = (
            None
            if cfg.residual is None
            else Residual(
                cfg.residual,
                cfg.residual_scale,
                observation_space,
                action_space,
                cfg.controller_overrides(),
            )
        )
        """The hand-written controller the policy corrects (`agents.residual`), or None."""
        self.features = self.encoder.features + (
            0 if self.residual is None else Residual.extra_features
        )
        """The policy's inputs: the observation's features and the controller's proposal."""
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
        self.net = ActorCritic(
            self.features, action_space, cfg.hidden_sizes, cfg.log_std_init, self.generator
        )
        self._log_std = self.net.log_std.detach().numpy()  # shares memory with the parameter
        self.optimizer = torch.optim.Adam(
            self.net.parameters(), lr=cfg.learning_rate, eps=1e-5, fused=True
        )
        self.obs_rms = RunningMeanStd((self.features,))
        self.return_rms = RunningMeanStd(())
        self._discounted_returns = np.zeros(self.plan.n_envs)
        self.buffer = RolloutBuffer(
            cfg.n_steps,
            self.plan.n_envs,
            self.features,
            action_shape,
            np.int64 if self.discrete else np.float32,
            self.n_actions,
        )
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
        """Restart the discounted return that reward scaling tracks and, in a residual
        policy, the controller's memory of that env (or of every env)."""
        if self.residual is not None:
            self.residual.reset(env_index)
        if env_index is None:
            self._discounted_returns[:] = 0.0
        else:
            self._discounted_returns[env_index] = 0.0

    def _raw_features(self, obs: np.ndarray, commit: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """The policy's raw inputs for `obs` and, in a residual policy, the controller's
        proposals (appended to the inputs); `commit=False` leaves its memory alone."""
        raw_features = self.encoder.encode(obs)
        if self.residual is None:
            return raw_features, None
        proposals = self.residual.propose(obs, commit)
        return np.concatenate([raw_features, proposals], axis=1), proposals

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

    def act(
        self, obs: np.ndarray, masks: np.ndarray | None = None, explore: bool = False
    ) -> np.ndarray:
        """Sample actions (`explore=True`), or take the mean action (Box, clipped to the
        space) or the most probable legal action (Discrete)."""
        raw_features, proposals = self._raw_features(obs, commit=True)
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
                log_p, torch.rand(log_p.shape, generator=self.generator).numpy()
            )
            log_probs = log_p[np.arange(len(actions)), actions]
            env_actions = actions + self._action_start
        else:
            if not explore:
                return self._env_actions(out, proposals)
            noise = torch.randn(out.shape, generator=self.generator).numpy()
            log_std = self._log_std
            actions = out + noise * np.exp(log_std)
            log_probs = (-0.5 * noise * noise - log_std - LOG_SQRT_2PI).sum(axis=-1)
            env_actions = self._env_actions(actions, proposals)
        values = self.net.critic.forward_numpy(features)[:, 0]
        self._pending = RolloutStep(raw_features, features, actions, log_probs, values, legal)
        return env_actions

    def _env_actions(self, actions: np.ndarray, proposals: np.ndarray | None) -> np.ndarray:
        """Box actions as the env gets them: clipped to its bounds, or in a residual policy
        added (as corrections) to the controller's proposals."""
        if proposals is not None and self.residual is not None:
            return self.residual.combine(proposals, actions)
        clipped: np.ndarray = np.clip(actions, self._low, self._high)
        return clipped

    def _recorded_step(self, batch: Batch) -> RolloutStep:
        """The step `act(explore=True)` recorded, when `batch.acted` says the batch holds
        the actions that call returned; otherwise (say, another policy's actions) the
        batch's actions evaluated under the current policy as if it had drawn them."""
        if batch.acted:
            if self._pending is None:
                raise ValueError(
                    "batch.acted says these actions came from act(explore=True), "
                    "but no such call is pending"
                )
            return self._pending
        if self.residual is not None:
            raise ValueError(
                "a residual policy learns only from its own act(explore=True): another "
                "policy's actions say nothing of the corrections it would have made"
            )
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
                torch.from_numpy(features),
                torch.from_numpy(actions),
                None if legal is None else torch.from_numpy(legal),
            )
        return RolloutStep(
            raw_features, features, actions, log_probs.numpy(), values.numpy(), legal
        )

    def readout(self, obs: np.ndarray, masks: np.ndarray | None = None) -> PolicyReadout:
        """The policy's distribution and the critic's value for `obs`, from the same
        forward passes `act` makes; nothing is drawn and nothing is recorded. A residual
        policy's means and standard deviations are those of the actions the env gets
        (proposal plus scaled correction, clipped), not of the corrections."""
        raw_features, proposals = self._raw_features(obs, commit=False)
        features = self._features(raw_features)
        out = self.net.actor.forward_numpy(features)
        values = self.net.critic.forward_numpy(features)[:, 0]
        if self.discrete:
            legal = self._masks(masks, len(features))
            logits = out if legal is None else np.where(legal, out, ILLEGAL_LOGIT)
            probabilities = np.exp(log_softmax(logits))
            return PolicyReadout(values, None, None, probabilities)
        stds = np.broadcast_to(np.exp(self._log_std), out.shape).copy()
        if proposals is not None and self.residual is not None:
            return PolicyReadout(
                values, self.residual.combine(proposals, out), stds * self.residual.scale, None
            )
        return PolicyReadout(values, out, stds, None)

    def critic_rewards(self, rewards: np.ndarray) -> np.ndarray:
        """`rewards` as the critic learns them: divided by the running std of the
        discounted return and clipped with `normalize_reward`, else unchanged (the
        statistics are read, not updated)."""
        rewards = np.asarray(rewards, dtype=np.float64)
        if not self.config.normalize_reward:
            return rewards
        clip = self.config.clip_reward
        scaled: np.ndarray = np.clip(rewards / self.return_rms.std, -clip, clip)
        return scaled

    def _values(self, obs: np.ndarray) -> np.ndarray:
        values: np.ndarray = self.net.critic.forward_numpy(
            self._features(self._raw_features(obs, commit=False)[0])
        )[:, 0]
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
            raise ValueError(
                f"this PPO was planned for n_envs={n}, but the batch has {len(batch.obs)} rows"
            )
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
            # Every row goes in: a residual policy's controller knows envs by row.
            self.buffer.final_values[t, bootstrap] = self._values(np.asarray(batch.next_obs))[
                bootstrap
            ]
        self.steps += n
        if not self.buffer.full:
            return {}
        metrics = self._update(self._values(np.asarray(batch.next_obs)))
        self.buffer.pos = 0
        return metrics

    def _update(self, last_values: np.ndarray) -> dict[str, float]:
        self.last_metrics = clipped_surrogate_update(
            self.net,
            self.optimizer,
            self.buffer,
            last_values,
            self.config,
            self.learning_rate,
            self.generator,
        )
        self.updates += 1
        return dict(self.last_metrics)

    def hud(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "learning rate": self.learning_rate,
            "steps": self.steps,
            "updates": self.updates,
        }
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
        if self.residual is not None:
            state["residual_controller"] = self.residual.controller_config()
        return save_checkpoint(path, AGENT_KIND, self.config.to_dict(), state, metadata)

    def _restore(self, state: dict[str, Any], saved_plan: RunPlan) -> None:
        """Put back what a checkpoint's `state` holds (see `load`)."""
        self.net.load_state_dict(state["network"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.obs_rms.load_state_dict(state["obs_rms"])
        self.return_rms.load_state_dict(state["return_rms"])
        if self.plan.n_envs == saved_plan.n_envs:
            self._discounted_returns = state["discounted_returns"].numpy().astype(np.float64)
        self.steps = int(state["steps"])
        self.updates = int(state["updates"])
        self._progress = state["progress"]
        self.generator.set_state(state["generator"])
        if self.config.residual is not None:
            self.residual = Residual(
                self.config.residual,
                self.config.residual_scale,
                self.observation_space,
                self.action_space,
                state["residual_controller"],
            )
