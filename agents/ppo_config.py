"""PPO's hyperparameters: one frozen dataclass, validated on construction.

The fields are Stable-Baselines3's, with their defaults (observation normalisation switched
on); `walker train ppo` generates its options from them. The number of envs and the budget
are the run's (`agents.base.RunPlan`), not fields here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from agents.configs import (
    check_hidden_sizes,
    config_from_dict,
    is_number,
    is_whole,
    network_config_to_dict,
    require,
)

RESIDUAL_CONTROLLERS = ("walking",)
"""The controllers a residual policy can correct, by `PPOConfig.residual` name."""


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

    residual: str | None = None
    """A hand-written controller the policy corrects instead of acting alone (residual RL,
    `agents.residual`): "walking", the closed-loop walking controller of HenryContinuous-v0;
    None, a plain policy."""

    residual_scale: float = 0.3
    """In a residual policy, what a correction of +-1 adds to the controller's action, in
    (0, 2]."""

    residual_controller: str = ""
    """In a residual policy, walking controller parameters (`WalkingConfig`) other than the
    defaults, as NAME=VALUE pairs separated by commas, for example
    "catch_speed_m_s=0,hurry_speed_m_s=0". A new policy learns beside that controller; a
    checkpoint records the controller it plays beside, and a resumed run keeps it."""

    num_threads: int | None = 1
    """`torch.set_num_threads` on construction (process-wide); None leaves it alone. One
    thread is fastest for these small networks on a 2-core machine."""

    def __post_init__(self) -> None:
        for name in ("n_steps", "batch_size", "n_epochs"):
            require(
                is_whole(getattr(self, name)),
                f"{name} must be a whole number >= 1, got {getattr(self, name)!r}",
            )
        require(
            is_number(self.learning_rate) and self.learning_rate > 0,
            f"learning_rate must be a positive number, got {self.learning_rate!r}",
        )
        for name in ("gamma", "gae_lambda"):
            require(
                is_number(getattr(self, name), 0.0, 1.0),
                f"{name} must be in [0, 1], got {getattr(self, name)!r}",
            )
        for name in ("clip_range", "max_grad_norm", "clip_obs", "clip_reward"):
            value = getattr(self, name)
            require(
                is_number(value) and value > 0, f"{name} must be a positive number, got {value!r}"
            )
        for name in ("clip_range_vf", "target_kl"):
            value = getattr(self, name)
            require(
                value is None or (is_number(value) and value > 0),
                f"{name} must be a positive number or None, got {value!r}",
            )
        for name in ("ent_coef", "vf_coef"):
            require(
                is_number(getattr(self, name), 0.0),
                f"{name} must be a number >= 0, got {getattr(self, name)!r}",
            )
        require(
            is_number(self.log_std_init),
            f"log_std_init must be a finite number, got {self.log_std_init!r}",
        )
        require(
            self.num_threads is None or is_whole(self.num_threads),
            f"num_threads must be a whole number >= 1 or None, got {self.num_threads!r}",
        )
        require(
            self.residual is None or self.residual in RESIDUAL_CONTROLLERS,
            f"residual must be one of {RESIDUAL_CONTROLLERS} or None, got {self.residual!r}",
        )
        require(
            is_number(self.residual_scale, 0.0, 2.0) and self.residual_scale > 0,
            f"residual_scale must be a number in (0, 2], got {self.residual_scale!r}",
        )
        require(
            isinstance(self.residual_controller, str),
            f"residual_controller must be a string, got {self.residual_controller!r}",
        )
        require(
            self.residual is not None or not self.residual_controller,
            "residual_controller sets the controller of a residual policy; give residual too",
        )
        self.controller_overrides()
        check_hidden_sizes(self)

    def controller_overrides(self) -> dict[str, Any]:
        """`residual_controller` as `WalkingConfig` keyword arguments
        (`controller_overrides`)."""
        return controller_overrides(self.residual_controller)

    def check_rollout(self, n_envs: int) -> None:
        """A ValueError unless a minibatch fits in the rollout of `n_envs` envs."""
        rollout = self.n_steps * n_envs
        require(
            self.batch_size <= rollout,
            f"batch_size ({self.batch_size}) must not exceed the rollout of n_steps * "
            f"n_envs = {rollout} transitions",
        )

    def to_dict(self) -> dict[str, Any]:
        return network_config_to_dict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> PPOConfig:
        return config_from_dict(cls, values, "PPO")


def controller_overrides(text: str) -> dict[str, Any]:
    """NAME=VALUE pairs separated by commas (`PPOConfig.residual_controller`) as
    `WalkingConfig` keyword arguments: a ValueError naming the bad pair unless every name
    is a parameter and every value in its range."""
    # Imported here: the walking controller brings the env (gymnasium, pymunk), which
    # `walker ... --help` must not load.
    from agents.walking import WalkingConfig, WalkingConfigError

    defaults = {field.name: field.default for field in fields(WalkingConfig)}
    overrides: dict[str, Any] = {}
    for pair in filter(None, (part.strip() for part in text.split(","))):
        name, equals, value = (part.strip() for part in pair.partition("="))
        require(
            bool(equals) and name in defaults,
            f"residual_controller: {pair!r} is not NAME=VALUE with NAME one of "
            f"{', '.join(defaults)}",
        )
        whole = isinstance(defaults[name], int)
        try:
            overrides[name] = int(value) if whole else float(value)
        except ValueError:
            kind = "a whole number" if whole else "a number"
            raise ValueError(f"residual_controller: {name} must be {kind}, got {value!r}") from None
    try:
        WalkingConfig(**overrides)
    except WalkingConfigError as error:
        raise ValueError(f"residual_controller: {error}") from None
    return overrides
