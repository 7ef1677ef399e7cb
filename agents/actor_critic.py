"""PPO's policy and value networks, and the distributions its actions come from.

Box actions come from a diagonal Gaussian with a learned, state-independent log-std;
Discrete actions from a categorical whose illegal logits are replaced by `ILLEGAL_LOGIT`.
Acting runs these in numpy (`log_softmax`, `sample_categorical`); updates evaluate them in
torch (`ActorCritic.evaluate`), and the tests hold the two to the same numbers.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from agents.nets import MLP

ILLEGAL_LOGIT = -1e8
"""The logit an illegal action gets: its probability underflows to exactly 0, and unlike
-inf it keeps `p * log p` at 0 (not NaN) in the entropy."""

LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


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


def gaussian_log_prob(
    actions: torch.Tensor, mean: torch.Tensor, log_std: torch.Tensor
) -> torch.Tensor:
    """Log-density of `actions` (n, d) under a diagonal Gaussian, summed over dimensions."""
    z = (actions - mean) * torch.exp(-log_std)
    return (-0.5 * z.square() - log_std - LOG_SQRT_2PI).sum(dim=-1)


def gaussian_entropy(log_std: torch.Tensor) -> torch.Tensor:
    """Entropy of a diagonal Gaussian with these log-stds (the same for every state)."""
    return (0.5 + LOG_SQRT_2PI + log_std).sum()


class ActorCritic(nn.Module):
    """A policy network and a value network, separate, on the same observation features."""

    def __init__(
        self,
        features: int,
        action_space: spaces.Discrete | spaces.Box,
        hidden_sizes: tuple[int, ...],
        log_std_init: float,
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        self.discrete = isinstance(action_space, spaces.Discrete)
        if isinstance(action_space, spaces.Discrete):
            outputs = int(action_space.n)
        else:
            outputs = int(np.prod(action_space.shape))
        self.actor = MLP(features, hidden_sizes, outputs, "tanh", 0.01, generator)
        self.critic = MLP(features, hidden_sizes, 1, "tanh", 1.0, generator)
        self.log_std = nn.Parameter(
            torch.full((0 if self.discrete else outputs,), float(log_std_init))
        )
        """Log standard deviations of the Gaussian policy (empty for Discrete actions)."""

    def value(self, features: torch.Tensor) -> torch.Tensor:
        """V(s) for each row, shape (n,)."""
        values: torch.Tensor = self.critic(features)
        return values.squeeze(-1)

    def evaluate(
        self,
        features: torch.Tensor,
        actions: torch.Tensor,
        masks: torch.Tensor | None,
        entropy_grad: bool = True,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
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
