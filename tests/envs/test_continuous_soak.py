"""A million random continuous steps, hostile actions included, give nothing non-finite.

Random actions in the box, plus now and then a finite but absurd one (`1e200`, `-1e30`,
out of the box by far): the env clips what it carries out, so observation, reward and every
reward term stay finite, and episodes keep ending (falls and the time limit), never hanging.
"""

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401

SOAK_STEPS = 1_000_000
HOSTILE_VALUES = np.array([1e200, -1e200, 1e30, -1e30, 7.0, -7.0])


@pytest.mark.slow
def test_a_million_random_continuous_steps_stay_finite():
    env = gym.make("HenryContinuous-v0")
    rng = np.random.default_rng(2026)
    obs, _info = env.reset(seed=0)
    episodes = 0
    for step in range(SOAK_STEPS):
        action = rng.uniform(-1.0, 1.0, size=4).astype(np.float32)
        if step % 97 == 0:
            action = rng.choice(HOSTILE_VALUES, size=4)
        obs, reward, terminated, truncated, info = env.step(action)
        terms = np.array(list(info["reward_terms"].values()), dtype=np.float64)
        if not (np.isfinite(obs).all() and np.isfinite(reward) and np.isfinite(terms).all()):
            pytest.fail(
                f"step {step} (episode {episodes}) with action {action!r} gave "
                f"obs {obs!r}, reward {reward!r}, terms {info['reward_terms']!r}"
            )
        if terminated or truncated:
            episodes += 1
            obs, _info = env.reset()
    assert episodes >= SOAK_STEPS // 1000  # the time limit (1000 steps) at least
