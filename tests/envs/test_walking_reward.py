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


@pytest.mark.parametrize(
    ("term", "option"),
    [("air_time", {"air_time_weight": 5.0}), ("clearance", {"clearance_weight": 50.0})],
)
def test_an_optional_term_is_off_by_default_and_zero_while_both_feet_stay_down(term, option):
    plain = HenryContinuousEnv(walking_reward=True)
    plain.reset(seed=0)
    assert term not in plain.step(np.zeros(4))[4]["reward_terms"]
    env = HenryContinuousEnv(**option)
    env.reset(seed=0)
    for _ in range(30):
        _, reward, _, _, info = env.step(np.zeros(4))
        assert info["reward_terms"][term] == 0.0
        assert reward == pytest.approx(sum(info["reward_terms"].values()))


@pytest.mark.parametrize(("weight", "target"), [(5.0, 0.3), (2.0, 0.05)])
def test_a_touchdown_earns_its_air_time_beyond_the_target(weight, target):
    env = HenryContinuousEnv(air_time_weight=weight, air_time_target_s=target)
    env.reset(seed=0)
    # Lift the right foot for a while, then put it down; the left one stays planted.
    contacts, terms = [], []
    for step in range(80):
        extension = -1.0 if step < 20 else 0.3
        obs, reward, terminated, _, info = env.step(np.array([0.0, extension, 0.0, 0.3]))
        assert not terminated
        contacts.append((obs[9] > 0.5, obs[14] > 0.5))
        terms.append(info["reward_terms"]["air_time"])
        assert reward == pytest.approx(sum(info["reward_terms"].values()))
    right = [c[0] for c in contacts]
    lifted = right.index(False)
    landed = right.index(True, lifted)
    assert landed - lifted >= 10  # the foot really was in the air for a while
    # Every touchdown of either foot (a bounce included) earns its own air time.
    airborne = [0, 0]
    for feet, term in zip(contacts, terms, strict=True):
        expected = 0.0
        for foot, contact in enumerate(feet):
            if contact:
                if airborne[foot]:
                    expected += weight * (airborne[foot] * env.dt - target)
                airborne[foot] = 0
            else:
                airborne[foot] += 1
        assert term == pytest.approx(expected)
    assert terms[landed] == pytest.approx(weight * ((landed - lifted) * env.dt - target))


def test_a_short_tap_costs_and_a_long_step_pays():
    env = HenryContinuousEnv(air_time_weight=10.0, air_time_target_s=0.3)
    earned = {}
    for up_steps in (3, 40):
        env.reset(seed=0)
        total = 0.0
        for step in range(up_steps + 40):
            extension = -1.0 if step < up_steps else 0.3
            total += env.step(np.array([0.0, extension, 0.0, 0.3]))[4]["reward_terms"]["air_time"]
        earned[up_steps] = total
    assert earned[3] < 0 < earned[40]


@pytest.mark.parametrize(
    "name", ["air_time_weight", "air_time_target_s", "clearance_weight", "clearance_target_m"]
)
@pytest.mark.parametrize("value", [-1.0, float("nan"), "x"])
def test_bad_air_time_and_clearance_arguments_are_refused_in_one_sentence(name, value):
    with pytest.raises(HenryEnvError, match=name):
        HenryContinuousEnv(**{name: value})


def _swing_cost(env, lift_steps):
    """Total clearance term of a right-foot swing forward that first lifts the foot for
    `lift_steps` control steps in place, then swings it forward held at that height."""
    env.reset(seed=0)
    total, low_and_forward = 0.0, 0
    for step in range(lift_steps + 25):
        swing = 0.0 if step < lift_steps else 0.8
        _, _, terminated, _, info = env.step(np.array([swing, -1.0, 0.0, 0.0]))
        assert not terminated
        total += info["reward_terms"]["clearance"]
        right = env.unwrapped.world.legs[0]
        skimming = right.sole.bb.bottom < env.clearance_target_m and right.foot.velocity.x > 0
        low_and_forward += not env.world.foot_contacts()[0] and skimming
    return total, low_and_forward


def test_a_low_swing_costs_and_a_lifted_one_costs_less():
    env = HenryContinuousEnv(clearance_weight=50.0, clearance_target_m=0.04)
    skimming, skimming_steps = _swing_cost(env, lift_steps=0)
    lifted, _ = _swing_cost(env, lift_steps=30)
    assert skimming_steps > 0 and skimming < 0.0
    assert lifted > skimming  # lifting before swinging pays
    # Soles never go below flat ground, so a target of 0 leaves nothing to cost.
    high = HenryContinuousEnv(clearance_weight=50.0, clearance_target_m=0.0)
    assert _swing_cost(high, lift_steps=0)[0] == 0.0  # no foot is below the ground
