"""PPO's experience: the rollout buffer, GAE(lambda), running statistics, and the update.

The agent fills a `RolloutBuffer` with `n_steps` vector steps, turns them into advantages
with `compute_gae` (bootstrapping on truncation, not on termination), and improves the
policy with `clipped_surrogate_update`. `RunningMeanStd` keeps the observation and return
statistics that normalisation divides by.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import torch

from agents.actor_critic import ActorCritic
from agents.nets import clip_grad_norm
from agents.ppo_config import PPOConfig


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
        return {
            "mean": torch.from_numpy(np.array(self.mean, dtype=np.float64)),
            "var": torch.from_numpy(np.array(self.var, dtype=np.float64)),
            "count": self.count,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        mean, var = state["mean"].numpy(), state["var"].numpy()
        if mean.shape != self.mean.shape or var.shape != self.var.shape:
            raise ValueError(
                f"running statistics have shape {mean.shape}, expected {self.mean.shape}"
            )
        self.mean, self.var, self.count = (
            mean.astype(np.float64),
            var.astype(np.float64),
            int(state["count"]),
        )


def compute_gae(
    rewards: np.ndarray,
    values: np.ndarray,
    next_values: np.ndarray,
    terminated: np.ndarray,
    truncated: np.ndarray,
    gamma: float,
    gae_lambda: float,
) -> tuple[np.ndarray, np.ndarray]:
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

    def __init__(
        self,
        n_steps: int,
        n_envs: int,
        features: int,
        action_shape: tuple[int, ...],
        action_dtype: type,
        n_actions: int,
    ) -> None:
        self.n_steps = n_steps
        self.features = np.zeros((n_steps, n_envs, features), dtype=np.float32)
        self.actions: np.ndarray = np.zeros((n_steps, n_envs, *action_shape), dtype=action_dtype)
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

    def add(
        self, step: RolloutStep, rewards: np.ndarray, terminated: np.ndarray, truncated: np.ndarray
    ) -> None:
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


def clipped_surrogate_update(
    net: ActorCritic,
    optimizer: torch.optim.Optimizer,
    buffer: RolloutBuffer,
    last_values: np.ndarray,
    cfg: PPOConfig,
    learning_rate: float,
    generator: torch.Generator,
) -> dict[str, float]:
    """Several epochs of clipped-surrogate minibatch steps on the full rollout in `buffer`
    (`last_values` is V of the observations after its last step); returns the mean losses
    and diagnostics of the update."""
    for group in optimizer.param_groups:
        group["lr"] = learning_rate
    advantages_np, returns_np = compute_gae(
        buffer.rewards,
        buffer.values,
        buffer.next_values(last_values),
        buffer.terminated,
        buffer.truncated,
        cfg.gamma,
        cfg.gae_lambda,
    )
    total = buffer.values.size
    features = torch.from_numpy(buffer.features.reshape(total, -1))
    actions = torch.from_numpy(buffer.actions.reshape(total, *buffer.actions.shape[2:]))
    masks = torch.from_numpy(buffer.masks.reshape(total, -1)) if net.discrete else None
    # One (total, 4) table of the per-transition numbers, so a minibatch is one gather.
    columns = torch.from_numpy(
        np.stack([buffer.log_probs, buffer.values, advantages_np, returns_np], axis=-1).reshape(
            total, 4
        )
    )
    parameters = list(net.parameters())
    sums = torch.zeros(5)  # policy loss, value loss, entropy, approx KL, clip fraction
    minibatches = 0
    stopped_early = False
    for _ in range(cfg.n_epochs):
        order = torch.randperm(total, generator=generator)
        for start in range(0, total, cfg.batch_size):
            index = order[start : start + cfg.batch_size]
            old_log_prob, old_value, advantage, target = columns[index].unbind(dim=1)
            log_prob, entropy, values = net.evaluate(
                features[index],
                actions[index],
                None if masks is None else masks[index],
                entropy_grad=cfg.ent_coef > 0,
            )
            if cfg.normalize_advantage and len(index) > 1:
                advantage = (advantage - advantage.mean()) / (advantage.std() + 1e-8)
            log_ratio = log_prob - old_log_prob
            ratio = log_ratio.exp()
            policy_loss = torch.max(
                -advantage * ratio,
                -advantage * ratio.clamp(1.0 - cfg.clip_range, 1.0 + cfg.clip_range),
            ).mean()
            if cfg.clip_range_vf is not None:
                values = old_value + (values - old_value).clamp(
                    -cfg.clip_range_vf, cfg.clip_range_vf
                )
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
            optimizer.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            clip_grad_norm(parameters, cfg.max_grad_norm)
            optimizer.step()
            sums += torch.stack(
                [
                    policy_loss.detach(),
                    value_loss.detach(),
                    entropy_mean.detach(),
                    approx_kl,
                    clip_fraction,
                ]
            )
            minibatches += 1
        if stopped_early:
            break
    means = (sums / max(minibatches, 1)).tolist()
    returns_variance = float(returns_np.var())
    explained = (
        float("nan")
        if returns_variance == 0.0
        else 1.0 - float((returns_np - buffer.values).var()) / returns_variance
    )
    return {
        "policy_loss": means[0],
        "value_loss": means[1],
        "entropy": means[2],
        "approx_kl": means[3],
        "clip_fraction": means[4],
        "explained_variance": explained,
        "learning_rate": learning_rate,
        "minibatches": float(minibatches),
        "stopped_early": float(stopped_early),
    }
