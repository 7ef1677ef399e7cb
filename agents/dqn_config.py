"""DQN's hyperparameters: one frozen dataclass, validated on construction (no torch needed).

The fields are Stable-Baselines3's; `walker train dqn` generates its options from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agents.configs import (
    check_hidden_sizes,
    config_from_dict,
    is_number,
    is_whole,
    network_config_to_dict,
    require,
)

BUDGET_WITHOUT_STEPS = 100_000
"""The budget epsilon's decay assumes when the run is bounded by episodes, not steps."""


@dataclass(frozen=True)
class DQNConfig:
    """Hyperparameters of DQN. Defaults are Stable-Baselines3's, except a smaller replay
    buffer and a target update interval suited to budgets of about 10^5 steps."""

    learning_rate: float = 1e-4
    """Adam's step size."""

    buffer_size: int = 100_000
    """Transitions the replay buffer holds; the oldest are overwritten."""

    learning_starts: int = 100
    """Env steps (all envs together) collected before the first gradient step."""

    batch_size: int = 32
    """Transitions sampled for one gradient step."""

    gamma: float = 0.99
    """Discount factor."""

    train_freq: int = 4
    """Train every this many env steps (all envs together)."""

    gradient_steps: int = 1
    """Gradient steps each time training is due."""

    target_update_interval: int = 1_000
    """Update the target network every this many env steps (all envs together)."""

    tau: float = 1.0
    """Target update rate: 1 copies the online network (hard update), a smaller value moves
    the target this fraction of the way (Polyak averaging, soft update)."""

    exploration_initial_eps: float = 1.0
    """Epsilon at the start of training."""

    exploration_final_eps: float = 0.05
    """The floor epsilon decays to."""

    exploration_fraction: float = 0.1
    """Fraction of the run's total steps (`BUDGET_WITHOUT_STEPS` when the run is bounded by
    episodes) over which epsilon decays linearly to its floor."""

    double_dqn: bool = False
    """Choose the target's next action with the online network (double DQN)."""

    max_grad_norm: float | None = 10.0
    """Clip the global gradient norm to this; None does not clip."""

    hidden_sizes: tuple[int, ...] = (64, 64)
    """Hidden layer widths of the Q-network (ReLU)."""

    num_threads: int | None = 1
    """`torch.set_num_threads` on construction (process-wide); None leaves it alone."""

    def __post_init__(self) -> None:
        for name in (
            "buffer_size",
            "batch_size",
            "train_freq",
            "gradient_steps",
            "target_update_interval",
        ):
            require(
                is_whole(getattr(self, name)),
                f"{name} must be a whole number >= 1, got {getattr(self, name)!r}",
            )
        require(
            is_whole(self.learning_starts, 0),
            f"learning_starts must be a whole number >= 0, got {self.learning_starts!r}",
        )
        require(
            self.batch_size <= self.buffer_size,
            f"batch_size ({self.batch_size}) must not exceed buffer_size ({self.buffer_size})",
        )
        require(
            is_number(self.learning_rate) and self.learning_rate > 0,
            f"learning_rate must be a positive number, got {self.learning_rate!r}",
        )
        require(is_number(self.gamma, 0.0, 1.0), f"gamma must be in [0, 1], got {self.gamma!r}")
        require(
            is_number(self.tau, 0.0, 1.0) and self.tau > 0,
            f"tau must be in (0, 1], got {self.tau!r}",
        )
        for name in ("exploration_initial_eps", "exploration_final_eps", "exploration_fraction"):
            require(
                is_number(getattr(self, name), 0.0, 1.0),
                f"{name} must be in [0, 1], got {getattr(self, name)!r}",
            )
        require(
            self.exploration_final_eps <= self.exploration_initial_eps,
            f"exploration_final_eps ({self.exploration_final_eps}) must not exceed "
            f"exploration_initial_eps ({self.exploration_initial_eps})",
        )
        require(
            self.max_grad_norm is None
            or (is_number(self.max_grad_norm) and self.max_grad_norm > 0),
            f"max_grad_norm must be a positive number or None, got {self.max_grad_norm!r}",
        )
        require(
            self.num_threads is None or is_whole(self.num_threads),
            f"num_threads must be a whole number >= 1 or None, got {self.num_threads!r}",
        )
        check_hidden_sizes(self)

    def to_dict(self) -> dict[str, Any]:
        return network_config_to_dict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> DQNConfig:
        return config_from_dict(cls, values, "DQN")
