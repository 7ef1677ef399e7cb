"""300,000 random continuous steps, hostile actions included, give nothing non-finite.

Random actions in the box, plus now and then a finite but absurd one (`1e200`, `-1e30`,
out of the box by far): the env clips what it carries out, so observation, reward and every
reward term stay finite, and episodes keep ending (falls and the time limit), never hanging.
The steps run as `CHUNKS` independent stretches (each its own env and seeds), so test
workers share them; an episode lasts at most 1,000 steps, so a stretch of 50,000 tests as
much as the same steps in one env. Every 97th action is absurd: some 3,000 of them in all,
each from a different state. (A million steps, the size before, took 56 s of CPU and
never failed.)
"""

import math

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401

SOAK_STEPS = 300_000
CHUNKS = 6
HOSTILE_VALUES = np.array([1e200, -1e200, 1e30, -1e30, 7.0, -7.0])


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_random_and_absurd_continuous_steps_stay_finite(chunk):
    steps = SOAK_STEPS // CHUNKS
    env = gym.make("HenryContinuous-v0")
    rng = np.random.default_rng([2026, chunk])
    actions = rng.uniform(-1.0, 1.0, size=(steps, 4)).astype(np.float32)
    hostile = np.arange(0, steps, 97)
    actions_hostile = rng.choice(HOSTILE_VALUES, size=(len(hostile), 4))
    obs, _info = env.reset(seed=chunk)
    episodes = 0
    for step in range(steps):
        action = actions[step] if step % 97 else actions_hostile[step // 97]
        obs, reward, terminated, truncated, info = env.step(action)
        terms = info["reward_terms"]
        if not (
            math.isfinite(reward)
            and np.isfinite(obs).all()
            and all(map(math.isfinite, terms.values()))
        ):
            pytest.fail(
                f"step {step} (episode {episodes}) with action {action!r} gave "
                f"obs {obs!r}, reward {reward!r}, terms {terms!r}"
            )
        if terminated or truncated:
            episodes += 1
            obs, _info = env.reset()
    assert episodes >= steps // 1000  # the time limit (1000 steps) at least
    assert len(hostile) * CHUNKS > 3_000  # absurd actions were among them
