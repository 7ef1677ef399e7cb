"""`SingleVectorEnv` gives what gymnasium's `SyncVectorEnv` of one env gives, step for step."""

import gymnasium as gym
import numpy as np
import pytest

import envs
from envs.vector import SingleVectorEnv, batched_info


def assert_same(ours, theirs, where="infos"):
    """Equal values, dtypes and shapes, nested dicts and object arrays included."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and ours.keys() == theirs.keys(), where
        for key in theirs:
            assert_same(ours[key], theirs[key], f"{where}[{key!r}]")
        return
    assert isinstance(ours, np.ndarray) and isinstance(theirs, np.ndarray), where
    assert (ours.dtype, ours.shape) == (theirs.dtype, theirs.shape), where
    if theirs.dtype == object:
        for mine, gyms in zip(ours, theirs, strict=True):
            if isinstance(gyms, dict):
                assert mine == gyms, where
            else:
                np.testing.assert_array_equal(np.asarray(mine), np.asarray(gyms), err_msg=where)
    else:
        np.testing.assert_array_equal(ours, theirs, err_msg=where)


@pytest.mark.parametrize(
    ("env_id", "kwargs", "steps"),
    [
        (envs.DISCRETE_ID, {"max_episode_steps": 6}, 14),  # masks, illegal actions, truncation
        (envs.CONTINUOUS_ID, {"max_episode_steps": 30}, 70),  # nested reward_terms, falls
        ("Taxi-v4", {}, 250),  # masks, a drop-off or the 200-step limit
        ("CartPole-v1", {}, 60),  # no masks; terminates
    ],
)
def test_a_vector_of_one_steps_as_gymnasiums_does(env_id, kwargs, steps):
    def make():
        return gym.make(env_id, **kwargs)

    ours = SingleVectorEnv(make)
    theirs = gym.vector.SyncVectorEnv([make], autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
    assert ours.metadata["autoreset_mode"] == theirs.metadata["autoreset_mode"]
    assert ours.observation_space == theirs.observation_space
    assert ours.action_space == theirs.action_space
    obs_a, info_a = ours.reset(seed=[3])
    obs_b, info_b = theirs.reset(seed=[3])
    assert_same(obs_a, obs_b, "reset obs")
    assert_same(info_a, info_b, "reset infos")
    theirs.action_space.seed(0)
    ended = 0
    for _ in range(steps):
        actions = theirs.action_space.sample()
        if "action_mask" in info_b:  # a legal action, so the episodes go somewhere
            actions = np.array([np.flatnonzero(info_b["action_mask"][0])[0]])
        result_a = ours.step(actions)
        result_b = theirs.step(actions)
        names = ("obs", "rewards", "term", "trunc")
        for mine, gyms, name in zip(result_a[:4], result_b[:4], names, strict=True):
            assert_same(mine, gyms, name)
        assert_same(result_a[4], result_b[4])
        info_b = result_b[4]
        ended += int(result_b[2][0] or result_b[3][0])
    assert ended >= 1  # the final observation and info were compared too
    ours.close()
    theirs.close()


def test_infos_are_batched_by_type_as_gymnasium_batches_them():
    info = {
        "n": 3,
        "x": 0.5,
        "flag": True,
        "f32": np.float32(2.0),
        "mask": np.array([1, 0], dtype=np.int8),
        "name": "left",
        "nested": {"a": 1.0},
        "final_obs": np.zeros(2),
    }
    batched = batched_info(info)
    assert batched["n"].dtype == np.int64 and batched["x"].dtype == np.float64
    assert batched["flag"].dtype == np.bool_ and batched["f32"].dtype == np.float32
    assert batched["mask"].shape == (1, 2) and batched["mask"].dtype == np.int8
    assert batched["name"].dtype == object and batched["name"][0] == "left"
    assert batched["nested"]["a"].tolist() == [1.0] and batched["_nested"].tolist() == [True]
    assert batched["final_obs"].dtype == object and batched["final_obs"][0].shape == (2,)
    info["mask"][0] = 0  # the batch holds a copy
    assert batched["mask"][0, 0] == 1
    with pytest.raises(ValueError, match="read-only"):
        batched["_n"][0] = False


def test_seeds_and_reset_masks_are_checked():
    vector = SingleVectorEnv(lambda: gym.make("CartPole-v1"))
    with pytest.raises(ValueError, match="one seed"):
        vector.reset(seed=[1, 2])
    with pytest.raises(ValueError, match="reset_mask"):
        vector.reset(options={"reset_mask": np.array([False])})
    obs, _ = vector.reset(seed=0, options={"reset_mask": np.array([True])})
    assert obs.shape == (1, 4)
    vector.close()


def test_every_step_gives_arrays_of_its_own():
    vector = SingleVectorEnv(lambda: gym.make("Taxi-v4"))
    vector.reset(seed=0)
    first = vector.step(np.array([0]))
    second = vector.step(np.array([0]))
    for mine, next_one in zip(first[:4], second[:4], strict=True):
        assert mine.flags.writeable and mine.flags.owndata
        assert not np.shares_memory(mine, next_one)
    first[0][0] += 1
    first[1][0] = 99.0
    first[2][0] = True
    assert second[1][0] != 99.0 and not second[2][0]
    assert vector.step(np.array([0]))[1].tolist() == [-1.0]
    vector.close()
