"""Training on the bench's worlds: each episode a new draw of one of its conditions.

`walker train --conditions push_forward push_backward bumps ...` (`TrainConfig.conditions`)
makes every training env a `DrawnWorlds`: at each reset it takes the next condition in turn,
draws one world from it (`Condition.draw`: the spec overrides, the pushes and the reset
options of one seed), builds the env for that world and resets it there. This is domain
randomisation over the very distributions `walker bench` grades on, but never the same
samples: the bench draws with seeds below `TRAINING_DRAW_SEEDS` (10^9; its own figures use
seeds from 0, `--first-seed` moves them), training with seeds from there on, so a policy is
graded on worlds it never met.

Draws are reproducible: the first seeded reset of an env seeds its own stream of draw and
episode seeds, so a run with the same seed meets the same worlds in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import gymnasium as gym
import numpy as np

from walker.app.core.conditions import TRAINING_DRAW_SEEDS, Condition, conditions_in_turn
from walker.app.core.policies import make_env


class DrawnWorlds(gym.Wrapper[Any, Any, Any, Any]):
    """An env that is rebuilt in a newly drawn world of the next condition at every reset."""

    def __init__(
        self, make: Callable[[dict[str, Any]], gym.Env[Any, Any]], conditions: Sequence[Condition]
    ) -> None:
        if not conditions:
            raise ValueError("DrawnWorlds needs at least one condition")
        self._make = make
        self.conditions = tuple(conditions)
        super().__init__(make({}))
        self._rng = np.random.default_rng()
        self.episodes = 0
        """Resets so far; episode i meets condition i modulo their number."""
        self.current: str = self.conditions[0].name
        """The condition of the current episode's world."""

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        condition = self.conditions[self.episodes % len(self.conditions)]
        self.episodes += 1
        draw = condition.draw(TRAINING_DRAW_SEEDS + int(self._rng.integers(10**9)))
        self.env.close()
        self.env = self._make(draw.env_kwargs())
        self.current = condition.name
        merged = {**(options or {}), **(draw.options() or {})}
        return self.env.reset(seed=int(self._rng.integers(2**31)), options=merged or None)


def _world_env(
    env_id: str,
    env_kwargs: Mapping[str, Any],
    max_episode_steps: int | None,
    drawn: dict[str, Any],
) -> gym.Env[Any, Any]:
    """The env of one drawn world: the run's env arguments with the draw's on top (spec
    overrides merged field by field)."""
    kwargs = {**env_kwargs, **drawn}
    if "spec" in env_kwargs and "spec" in drawn:
        kwargs["spec"] = {**dict(env_kwargs["spec"]), **drawn["spec"]}
    return make_env(env_id, kwargs, max_episode_steps=max_episode_steps)


def training_env_maker(
    env_id: str,
    env_kwargs: Mapping[str, Any],
    max_episode_steps: int | None,
    conditions: Sequence[str] = (),
) -> Callable[[], gym.Env[Any, Any]]:
    """What builds one training env: the env as given, or with `conditions` a `DrawnWorlds`
    over them in the order given (names as `walker bench --conditions` takes them; a name
    given twice comes round twice as often)."""
    if not conditions:
        return partial(make_env, env_id, dict(env_kwargs), max_episode_steps=max_episode_steps)
    chosen = conditions_in_turn(conditions)
    world = partial(_world_env, env_id, dict(env_kwargs), max_episode_steps)
    return partial(DrawnWorlds, world, chosen)
