"""The continuous env's walking reward option: flight phases and sliding soles cost reward."""

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import envs  # noqa: F401
from envs import HenryContinuousEnv, HenryEnvError


@pytest.mark.parametrize("walking_reward", [False, True])
def test_check_env_passes_with_the_option_on_and_off(walking_reward):
    env = gym.make("HenryContinuous-v0", walking_reward=walking_reward)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped)
    assert [str(w.message) for w in caught] == []


def test_default_reward_is_unchanged_and_has_no_walking_terms():
    plain = HenryContinuousEnv()
    walking = HenryContinuousEnv(walking_reward=False)
    plain.reset(seed=3)
    walking.reset(seed=3)
    action = np.array([0.3, -0.2, -0.3, 0.1])
    _, r_plain, _, _, info_plain = plain.step(action)
    _, r_walking, _, _, info_walking = walking.step(action)
    assert r_plain == r_walking
    assert set(info_plain["reward_terms"]) == {"forward", "control", "fall"}
    assert info_walking["reward_terms"] == info_plain["reward_terms"]


def test_standing_still_costs_nothing_extra():
    env = HenryContinuousEnv(walking_reward=True)
    env.reset(seed=0)
    for _ in range(30):
        _, reward, _, _, info = env.step(np.zeros(4))
    terms = info["reward_terms"]
    assert terms["flight"] == 0.0
    assert terms["slip"] == pytest.approx(0.0, abs=0.05)
    assert reward == pytest.approx(sum(terms.values()))


def test_a_flight_phase_is_charged_flight_cost():
    env = HenryContinuousEnv(walking_reward=True, flight_cost=4.0)
    env.reset(seed=0)
    # Both feet pulled up: Henry sits on nothing for a moment, both switches open.
    flights = []
    for _ in range(8):
        obs, reward, terminated, _, info = env.step(np.array([0.0, -1.0, 0.0, -1.0]))
        airborne = obs[9] < 0.5 and obs[14] < 0.5
        flights.append((airborne, info["reward_terms"]["flight"]))
        assert reward == pytest.approx(sum(info["reward_terms"].values()))
        if terminated:
            break
    assert any(airborne for airborne, _ in flights)
    for airborne, cost in flights:
        assert cost == (-4.0 if airborne else 0.0)


def test_slip_term_is_the_sliding_speed_of_the_feet_on_the_ground():
    env = HenryContinuousEnv(walking_reward=True, slip_cost=2.0)
    env.reset(seed=0)
    rng = np.random.default_rng(1)
    checked = 0
    for _ in range(40):
        _, _, terminated, _, info = env.step(rng.uniform(-1, 1, 4))
        state = env.world.read_state()
        # The sensed ankle speed agrees with pymunk's own foot velocity.
        expected = sum(
            abs(leg.foot.velocity.x)
            for index, leg in enumerate(env.world.legs)
            if state[12 + 6 * index] > 0.5
        )
        assert info["reward_terms"]["slip"] == pytest.approx(-2.0 * expected, rel=0.1, abs=0.02)
        checked += expected > 0.01
        if terminated:
            break
    assert checked > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"walking_reward": "yes"}, "walking_reward must be True or False"),
        ({"flight_cost": -1.0}, "flight_cost must be a finite number >= 0"),
        ({"slip_cost": float("nan")}, "slip_cost must be a finite number >= 0"),
    ],
)
def test_bad_option_values_raise(kwargs, message):
    with pytest.raises(HenryEnvError, match=message):
        HenryContinuousEnv(**kwargs)
