"""The closed-loop walking controller: it walks, recovers, and rejects bad parameters."""

import re

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401
from agents.base import ServoScale
from agents.walking import WalkingConfig, WalkingConfigError, WalkingController
from envs.gait import attach


def walk(pose=None, seed=0, seconds=60.0):
    env = gym.make("HenryContinuous-v0", max_episode_steps=round(seconds * 60))
    controller = WalkingController.for_env(env)
    obs, _ = env.reset(seed=seed, options={"pose": pose} if pose else None)
    meter = attach(env)
    while True:
        obs, _, terminated, truncated, _ = env.step(controller.act(obs[None])[0])
        if terminated or truncated:
            return terminated, meter.metrics()


@pytest.mark.slow
def test_walks_a_minute_from_the_standard_start():
    fell, m = walk()
    assert not fell
    assert m.duration_s == pytest.approx(60.0)
    assert m.speed_m_s >= 0.45
    assert m.flight_share < 0.03
    assert m.footfalls_right >= 50 and m.footfalls_left >= 50
    assert m.alternation > 0.75
    assert 0.4 < m.duty_factor_right < 0.7 and 0.4 < m.duty_factor_left < 0.7


@pytest.mark.slow
@pytest.mark.parametrize(
    ("pose", "seed"),
    [("left_foot_up", 0), ("right_foot_up", 0), ("random", 1), ("random", 2), ("random", 3)],
)
def test_recovers_from_other_starts(pose, seed):
    fell, m = walk(pose, seed)
    assert not fell
    assert m.speed_m_s >= 0.45
    assert m.flight_share < 0.03


def test_one_memory_per_env_of_a_batch():
    vector = gym.make_vec("HenryContinuous-v0", num_envs=2, vectorization_mode="sync")
    obs, _ = vector.reset(seed=[0, 1], options={"pose": "left_foot_up"})
    controller = WalkingController.for_env(vector.envs[0])
    first = controller.act(obs)
    assert first.shape == (2, 4)
    assert first.dtype == np.float32
    # Both start with the left foot up: the left leg (entries 2, 3) is the one that swings.
    assert (first[:, 2] > 0).all() and (first[:, 3] < 0).all()
    controller.reset(0)
    assert set(controller._memory) == {1}


def test_refuses_the_discrete_env_and_wrong_observations():
    with pytest.raises(WalkingConfigError, match="needs the continuous Henry"):
        WalkingController.for_env(gym.make("Henry-v0"))
    controller = WalkingController.for_env(gym.make("HenryContinuous-v0"))
    with pytest.raises(WalkingConfigError, match="observations of 15 values"):
        controller.act(np.zeros((1, 4)))


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("step_swing", 0.0, "(0, 1]"),
        ("step_swing", 1.5, "(0, 1]"),
        ("swing_rate_rad_s", -1.0, "(0, 20]"),
        ("lift", float("nan"), "(0, 1]"),
        ("lift_rate", 0.0, "(0, 100]"),
        ("lower_rate", 21.0, "(0, 20]"),
        ("press", 1.0, "[0, 1)"),
        ("press", -0.1, "[0, 1)"),
        ("reach", True, "(0, 1]"),
        ("settle_steps", 61, "[0, 60]"),
        ("settle_steps", 2.5, "[0, 60]"),
    ],
)
def test_bad_parameters_name_the_parameter_and_its_range(field, value, shown):
    with pytest.raises(WalkingConfigError, match=rf"^{field} must be .*{re.escape(shown)}"):
        WalkingConfig(**{field: value})


@pytest.mark.parametrize("field", ["swing_limit_rad", "stand_drop_m", "lift_height_m", "dt_s"])
def test_a_servo_scale_that_is_not_positive_is_refused_by_name(field):
    scale = ServoScale.of(gym.make("HenryContinuous-v0"))._replace(**{field: 0.0})
    with pytest.raises(WalkingConfigError, match=rf"^{field} must be a positive number, got 0.0"):
        WalkingController(scale)
