"""The contract every env this project registers keeps, checked for each registered id:
Gymnasium's env checker, determinism, pickling, vector envs and refusal of bad actions."""

import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import envs  # noqa: F401  (registers the ids)

IDS = sorted(
    env_id
    for env_id, spec in gym.registry.items()
    if isinstance(spec.entry_point, str) and spec.entry_point.startswith("envs.")
)
RESET_OPTIONS = {"Henry-v0": {"pose": "random"}, "HenryContinuous-v0": {"pose": "random"}}
"""Reset options that exercise the seeded start, for the envs that have them."""


def test_every_env_of_the_project_is_checked():
    assert {"Henry-v0", "HenryContinuous-v0", "Dungeon-v0"} <= set(IDS)


def actions(env_id, count, seed=0):
    space = gym.make(env_id).action_space
    space.seed(seed)
    return [space.sample() for _ in range(count)]


def rollout(env, seed, steps):
    """Observations and rewards of `steps` seeded random actions from a seeded reset."""
    obs, _ = env.reset(seed=seed, options=RESET_OPTIONS.get(env.spec.id))
    trace = [np.array(obs, copy=True)]
    rewards = []
    for action in actions(env.spec.id, steps, seed):
        obs, reward, terminated, truncated, _ = env.step(action)
        trace.append(np.array(obs, copy=True))
        rewards.append(float(reward))
        if terminated or truncated:
            break
    return np.array(trace), np.array(rewards)


@pytest.mark.parametrize("env_id", IDS)
def test_check_env_passes_without_warnings(env_id):
    env = gym.make(env_id)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped)
    assert [str(w.message) for w in caught] == []


@pytest.mark.parametrize("env_id", IDS)
def test_same_seed_and_actions_give_the_same_observations_every_step(env_id):
    first_obs, first_rewards = rollout(gym.make(env_id), seed=3, steps=30)
    again_obs, again_rewards = rollout(gym.make(env_id), seed=3, steps=30)
    np.testing.assert_array_equal(first_obs, again_obs)
    np.testing.assert_array_equal(first_rewards, again_rewards)
    other_obs, _ = rollout(gym.make(env_id), seed=4, steps=30)
    assert not np.array_equal(first_obs, other_obs)  # the seed matters


@pytest.mark.parametrize("env_id", IDS)
def test_a_pickled_env_continues_exactly_like_the_original(env_id):
    env = gym.make(env_id)
    env.reset(seed=5, options=RESET_OPTIONS.get(env_id))
    planned = actions(env_id, 20, seed=5)
    for action in planned[:10]:
        env.step(action)
    copy = pickle.loads(pickle.dumps(env))
    for action in planned[10:]:
        original = env.step(action)
        copied = copy.step(action)
        np.testing.assert_array_equal(original[0], copied[0])
        assert original[1:4] == copied[1:4]


@pytest.mark.parametrize("vector", ["sync", "async"])
@pytest.mark.parametrize("env_id", IDS)
def test_vector_envs_step_each_copy_as_a_single_env_would(env_id, vector):
    cls = gym.vector.SyncVectorEnv if vector == "sync" else gym.vector.AsyncVectorEnv
    vec = cls([lambda: gym.make(env_id) for _ in range(2)])
    singles = [gym.make(env_id) for _ in range(2)]
    planned = [actions(env_id, 5, seed) for seed in (1, 2)]
    try:
        obs, _ = vec.reset(seed=[1, 2])
        for single, seed, first in zip(singles, (1, 2), obs, strict=True):
            np.testing.assert_array_equal(single.reset(seed=seed)[0], first)
        for step in range(5):
            batch = np.array([planned[0][step], planned[1][step]])
            obs, rewards, *_ = vec.step(batch)
            assert obs.shape == (2, *vec.single_observation_space.shape)
            for index, single in enumerate(singles):
                single_obs, reward, *_ = single.step(planned[index][step])
                np.testing.assert_array_equal(single_obs, obs[index])
                assert reward == rewards[index]
    finally:
        vec.close()


def bad_actions(space):
    if isinstance(space, gym.spaces.Discrete):
        return [int(space.n), -1, 1.5, 1.0, "1", np.nan, "lift", None, True, np.array([0, 1])]
    size = space.shape[0]
    return [
        [0.0] * (size - 1),
        [[0.0] * size],
        "fast",
        None,
        [np.nan] + [0.0] * (size - 1),
        [np.inf] + [0.0] * (size - 1),
    ]


@pytest.mark.parametrize("env_id", IDS)
def test_bad_actions_are_refused_and_change_nothing(env_id):
    env, twin = gym.make(env_id).unwrapped, gym.make(env_id).unwrapped
    env.reset(seed=0)
    twin.reset(seed=0)
    for action in bad_actions(env.action_space):
        with pytest.raises(ValueError, match="action"):
            env.step(action)
    good = actions(env_id, 1)[0]
    np.testing.assert_array_equal(env.step(good)[0], twin.step(good)[0])
