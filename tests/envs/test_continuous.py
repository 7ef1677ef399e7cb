import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import envs  # noqa: F401
from agents.base import act_one
from agents.baselines import ContinuousGait, RandomPolicy
from envs import OBSERVATION_FIELDS, HenryContinuousEnv, HenryEnvError


def test_check_env_passes_without_warnings():
    env = gym.make("HenryContinuous-v0")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped)
    assert [str(w.message) for w in caught] == []


def test_spaces_are_named_and_bounded():
    env = gym.make("HenryContinuous-v0")
    assert env.observation_space.shape == (len(OBSERVATION_FIELDS),)
    assert np.isfinite(env.observation_space.low).all()
    assert np.isfinite(env.observation_space.high).all()
    assert env.action_space == gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
    assert env.spec.max_episode_steps == 1000
    assert env.metadata["render_fps"] == 60


def test_reward_terms_add_up_and_are_reported():
    env = gym.make("HenryContinuous-v0")
    env.reset(seed=0)
    obs, reward, _terminated, _truncated, info = env.step(np.array([0.2, -0.5, 0.0, 0.0]))
    terms = info["reward_terms"]
    assert set(terms) == {"forward", "control", "fall"}
    assert reward == pytest.approx(sum(terms.values()))
    assert terms["control"] == pytest.approx(-0.01 * (0.2**2 + 0.5**2))
    assert env.observation_space.contains(obs)


def test_a_fall_terminates_with_the_penalty():
    env = gym.make("HenryContinuous-v0")
    policy = RandomPolicy(env.action_space, seed=0)
    obs, info = env.reset(seed=0)
    for _ in range(3000):
        obs, _reward, terminated, truncated, info = env.step(act_one(policy, obs, info))
        if terminated:
            assert info["reward_terms"]["fall"] == -1.0
            return
        if truncated:
            obs, info = env.reset()
    pytest.fail("3000 random steps never made Henry fall")


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ([0.0, np.nan, 0.0, 0.0], "finite"),
        ([0.0, np.inf, 0.0, 0.0], "finite"),
        ([0.0, 0.0, 0.0], "shape"),
        ([[0.0] * 4], "shape"),
        ("fast", "4 numbers"),
    ],
)
def test_bad_actions_raise_before_touching_the_physics(action, message):
    env = gym.make("HenryContinuous-v0").unwrapped
    env.reset(seed=0)
    before = env.world.read_state()
    with pytest.raises(HenryEnvError, match=message):
        env.step(action)
    assert env.world.read_state() == before


def test_out_of_range_actions_are_clipped_not_rejected():
    env = gym.make("HenryContinuous-v0").unwrapped
    env.reset(seed=0)
    env.step(np.array([5.0, 0.0, 0.0, 0.0]))
    assert env.world.commands()[0].swing_rad == pytest.approx(env.henry_spec.swing_limit_rad)


def test_continuous_gait_walks_forward():
    env = gym.make("HenryContinuous-v0")
    gait = ContinuousGait.for_env(env)
    obs, info = env.reset(seed=0)
    gait.reset()
    terminated = truncated = False
    while not (terminated or truncated):
        obs, _, terminated, truncated, info = env.step(act_one(gait, obs, info))
    assert not terminated
    assert info["distance_m"] > 0.3  # 16.7 s at about 2 cm/s


def test_same_seed_and_actions_give_identical_rollouts():
    def rollout():
        env = gym.make("HenryContinuous-v0")
        obs, info = env.reset(seed=3, options={"pose": "random"})
        policy = RandomPolicy(env.action_space, seed=3)
        trace = [obs]
        for _ in range(200):
            obs, *_ , info = env.step(act_one(policy, obs, info))
            trace.append(obs)
        return np.array(trace)

    np.testing.assert_array_equal(rollout(), rollout())


@pytest.mark.parametrize("pose", ["standing", "left_foot_up", "right_foot_up", "random"])
def test_start_poses(pose):
    env = gym.make("HenryContinuous-v0")
    obs, _ = env.reset(seed=1, options={"pose": pose})
    names = dict(zip(OBSERVATION_FIELDS, obs, strict=True))
    if pose == "left_foot_up":
        assert names["left_foot_contact"] == 0.0 and names["right_foot_contact"] == 1.0
    if pose == "standing":
        assert names["left_foot_contact"] == 1.0 and names["right_foot_contact"] == 1.0


def test_bad_options_and_arguments_raise():
    env = gym.make("HenryContinuous-v0")
    with pytest.raises(HenryEnvError, match="unknown pose"):
        env.reset(options={"pose": "cartwheel"})
    with pytest.raises(HenryEnvError, match="unknown reset option"):
        env.reset(options={"state": [2, 1, 2, 1]})
    with pytest.raises(HenryEnvError, match="ctrl_cost_weight"):
        HenryContinuousEnv(ctrl_cost_weight=-1.0)
    with pytest.raises(HenryEnvError, match="frame_skip"):
        HenryContinuousEnv(frame_skip=0)


def test_pickle_round_trip():
    env = HenryContinuousEnv()
    _obs, _ = env.reset(seed=0)
    copy = pickle.loads(pickle.dumps(env))
    action = np.array([0.1, 0.0, -0.1, 0.0], dtype=np.float32)
    a = env.step(action)[0]
    b = copy.step(action)[0]
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("vector", ["sync", "async"])
def test_works_in_vector_envs(vector):
    cls = gym.vector.SyncVectorEnv if vector == "sync" else gym.vector.AsyncVectorEnv
    vec = cls([lambda: gym.make("HenryContinuous-v0") for _ in range(2)])
    try:
        obs, _ = vec.reset(seed=[1, 2])
        obs, reward, *_ = vec.step(np.zeros((2, 4), dtype=np.float32))
        assert obs.shape == (2, len(OBSERVATION_FIELDS))
        assert reward.shape == (2,)
    finally:
        vec.close()
