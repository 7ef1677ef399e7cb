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

## Rendering
`render_mode="ansi"`: `render()` returns the corridor as one line of text, the tile the
player is on marked, e.g. `[ . @ . . $ ]`. There is no picture (`rgb_array`) to record.

## Arguments
`length` (5), `slip` (0.1), `small_reward` (2.0), `large_reward` (10.0), `render_mode`
(None or "ansi"). `reset` takes no options.
"""

from __future__ import annotations

import math
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from envs.base import HenryEnvError

FORWARD = 0
BACKWARD = 1


class DungeonEnv(gym.Env[Any, Any]):
    """A corridor where the small reward is near and the large one is far."""

    metadata: dict[str, Any] = {"render_modes": ["ansi"], "render_fps": 4}  # noqa: RUF012

    def __init__(
        self,
        length: int = 5,
        slip: float = 0.1,
        small_reward: float = 2.0,
        large_reward: float = 10.0,
        render_mode: str | None = None,
    ) -> None:
        if isinstance(length, bool) or not isinstance(length, int) or not 2 <= length <= 10_000:
            raise HenryEnvError(f"length must be a whole number from 2 to 10000, got {length!r}")
        if not _is_number(slip) or not 0.0 <= slip <= 1.0:
            raise HenryEnvError(f"slip must be a number in [0, 1], got {slip!r}")
        for name, value in (("small_reward", small_reward), ("large_reward", large_reward)):
            if not _is_number(value) or not math.isfinite(value):
                raise HenryEnvError(f"{name} must be a finite number, got {value!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise HenryEnvError(
                f"Dungeon-v0 draws only text: render_mode must be 'ansi' or None, "
                f"got {render_mode!r}"
            )
        self.render_mode = render_mode
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
        if options:
            raise HenryEnvError(
                f"Dungeon-v0 takes no reset options (it always starts at the entrance), "
                f"got {dict(options) if isinstance(options, dict) else options!r}"
            )
        self.tile = 0
        return self.tile, {}

    def step(self, action: int) -> tuple[int, SupportsFloat, bool, bool, dict[str, Any]]:
        # A bool is an int to Python and to the space, but not an action anyone means.
        if isinstance(action, (bool, np.bool_)) or not self.action_space.contains(action):
            raise HenryEnvError(f"action must be 0 (FORWARD) or 1 (BACKWARD), got {action!r}")
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

    def render(self) -> str | None:
        """The corridor as text (`render_mode="ansi"`): `@` the player, `$` the far end."""
        if self.render_mode is None:
            gym.logger.warn(
                "render() was called without a render_mode; Dungeon-v0 renders text: "
                "pass render_mode='ansi' to gymnasium.make"
            )
            return None
        tiles = ["." for _ in range(self.length)]
        tiles[-1] = "$"
        tiles[self.tile] = "@"
        return f"[ {' '.join(tiles)} ]"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))
