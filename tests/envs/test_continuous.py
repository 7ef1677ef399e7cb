import math

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.seeding import np_random

import envs  # noqa: F401
from agents.base import act_one
from agents.baselines import ContinuousGait, RandomPolicy
from envs import OBSERVATION_FIELDS, HenryContinuousEnv, HenryEnvError


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


@pytest.mark.parametrize(
    ("pose", "right_down", "left_down"),
    [("standing", 1.0, 1.0), ("left_foot_up", 1.0, 0.0), ("right_foot_up", 0.0, 1.0)],
)
def test_named_start_poses_lift_the_named_foot(pose, right_down, left_down):
    env = gym.make("HenryContinuous-v0")
    obs, _ = env.reset(seed=1, options={"pose": pose})
    names = dict(zip(OBSERVATION_FIELDS, obs, strict=True))
    assert (names["right_foot_contact"], names["left_foot_contact"]) == (right_down, left_down)
    assert abs(names["right_swing_rad"]) < 0.01 and abs(names["left_swing_rad"]) < 0.01
    spec = env.unwrapped.henry_spec
    for leg, down in (("right", right_down), ("left", left_down)):
        drop = spec.stand_drop_m if down else spec.lifted_drop_m
        assert names[f"{leg}_length_m"] == pytest.approx(drop, abs=0.005)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_random_start_pose_is_the_one_drawn_from_the_env_seed(seed):
    """'random' draws which foot is up (or none) and both foot offsets from `np_random`."""
    env = gym.make("HenryContinuous-v0")
    obs, _ = env.reset(seed=seed, options={"pose": "random"})
    names = dict(zip(OBSERVATION_FIELDS, obs, strict=True))
    spec = env.unwrapped.henry_spec
    rng, _ = np_random(seed)
    reach = 0.5 * spec.max_foot_offset_m
    lifted = int(rng.integers(3))  # 0: right up, 1: left up, 2: both down
    for index, leg in enumerate(("right", "left")):
        offset = rng.uniform(-reach, reach)
        up = lifted == index
        drop = spec.lifted_drop_m if up else spec.stand_drop_m
        assert names[f"{leg}_foot_contact"] == (0.0 if up else 1.0)
        assert names[f"{leg}_swing_rad"] == pytest.approx(math.atan2(offset, drop), abs=0.001)


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


@pytest.mark.parametrize("action", [[1e200, 0.0, 0.0, 0.0], [5.0, -5.0, 1.0, -1.0]])
def test_the_control_cost_is_charged_on_the_clipped_action(action):
    env = gym.make("HenryContinuous-v0")
    env.reset(seed=0)
    _, reward, *_, info = env.step(np.array(action))
    clipped = np.clip(action, -1.0, 1.0)
    assert info["reward_terms"]["control"] == pytest.approx(-0.01 * float(clipped @ clipped))
    assert np.isfinite(reward)
