"""The five-tile dungeon of the accountant and the gambler (seeds/002).

## Action Space
`Discrete(2)`: 0 FORWARD, 1 BACKWARD.

## Observation Space
`Discrete(5)`: the tile, 0 (the entrance) to 4 (the far end).

## Dynamics and Rewards
FORWARD moves one tile on; on the last tile it bumps into the wall and stays. BACKWARD
always returns to the entrance. With probability `slip` (the wind) the action is flipped.
Entering the first tile (going BACKWARD) pays +2; entering the last tile pays +10, and so
does bumping into its wall again (the original simulator pays the large reward for every
FORWARD at the end). Every other move pays 0.

## Episode End
Never terminates; `gymnasium.make` truncates after 100 steps.

## Arguments
`length` (5), `slip` (0.1), `small_reward` (2.0), `large_reward` (10.0).
"""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces

FORWARD = 0
BACKWARD = 1


class DungeonEnv(gym.Env[Any, Any]):
    """A corridor where the small reward is near and the large one is far."""

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012

    def __init__(
        self,
        length: int = 5,
        slip: float = 0.1,
        small_reward: float = 2.0,
        large_reward: float = 10.0,
    ) -> None:
        if not isinstance(length, int) or length < 2:
            raise ValueError(f"length must be a whole number >= 2, got {length!r}")
        if not 0.0 <= slip <= 1.0:
            raise ValueError(f"slip must be in [0, 1], got {slip!r}")
        self.length = length
        self.slip = slip
        self.small_reward = float(small_reward)
        self.large_reward = float(large_reward)
        self.observation_space = spaces.Discrete(length)
        self.action_space = spaces.Discrete(2)
        self.tile = 0

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        super().reset(seed=seed)
        self.tile = 0
        return self.tile, {}

    def step(self, action: int) -> tuple[int, SupportsFloat, bool, bool, dict[str, Any]]:
        # A bool is an int to Python and to the space, but not an action anyone means.
        if isinstance(action, (bool, np.bool_)) or not self.action_space.contains(action):
            raise ValueError(f"action must be 0 (FORWARD) or 1 (BACKWARD), got {action!r}")
        slipped = bool(self.np_random.random() < self.slip)
        move = (1 - int(action)) if slipped else int(action)
        if move == BACKWARD:
            self.tile = 0
            reward = self.small_reward
        elif self.tile < self.length - 1:
            self.tile += 1
            reward = self.large_reward if self.tile == self.length - 1 else 0.0
        else:
            reward = self.large_reward
        return self.tile, reward, False, False, {"slipped": slipped}
