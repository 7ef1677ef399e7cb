"""The perturbations both Henry envs accept: spec overrides, bumps, pushes, and the meter of
the actuators' positive work (cost of transport)."""

import pickle

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers the ids)
from agents.base import act_one
from agents.baselines import ContinuousGait, HardcodedGait
from agents.walking import WalkingController
from envs import HenryEnvError

IDS = ["Henry-v0", "HenryContinuous-v0"]
STAND = np.zeros(4, dtype=np.float32)


@pytest.mark.parametrize("env_id", IDS)
def test_spec_accepts_a_mapping_of_overrides(env_id):
    env = gym.make(env_id, spec={"ground_friction": 0.5, "torso_mass_kg": 3.6})
    spec = env.unwrapped.henry_spec
    assert (spec.ground_friction, spec.torso_mass_kg) == (0.5, 3.6)
    assert spec.foot_friction == 1.0  # the rest keeps its default
    assert env.unwrapped.world.torso.mass == pytest.approx(3.6)
    copy = pickle.loads(pickle.dumps(env.unwrapped))
    assert copy.henry_spec == spec


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"torso_mas_kg": 3.6},
            "unknown HenrySpec field.*torso_mas_kg; valid names are .*torso_mass_kg",
        ),
        ({"torso_mass_kg": -1}, "spec: torso_mass_kg must be positive"),
        ({"bump_height_m": -0.01}, "bump_height_m must be 0"),
        ("heavy", "mapping of HenrySpec field overrides"),
    ],
)
def test_bad_spec_overrides_are_one_clear_error(spec, message):
    with pytest.raises(HenryEnvError, match=message):
        gym.make("HenryContinuous-v0", spec=spec)


def test_bumps_lie_ahead_and_the_hardcoded_gait_steps_onto_them():
    height = 0.02
    env = gym.make("Henry-v0", spec={"bump_height_m": height})
    obs, info = env.reset(seed=0)
    world = env.unwrapped.world
    spec = env.unwrapped.henry_spec
    near, far, top = world.bumps[0]
    assert (near, far - near, top) == pytest.approx((spec.bump_start_m, spec.bump_length_m, height))
    assert world.bumps[1][0] == pytest.approx(near + spec.bump_spacing_m)
    gait = HardcodedGait()
    soles_on_a_bump = 0
    terminated = truncated = False
    while not (terminated or truncated):
        obs, _, terminated, truncated, info = env.step(act_one(gait, obs, info))
        geometry = world.geometry()
        for leg in (geometry.right, geometry.left):
            if leg.contact and min(y for _x, y in leg.sole) > height / 2:
                soles_on_a_bump += 1
    assert not terminated
    assert info["distance_m"] > 4 * spec.bump_spacing_m  # past several bumps
    assert soles_on_a_bump > 5


def test_flat_ground_has_no_bumps():
    assert gym.make("Henry-v0").unwrapped.world.bumps == ()


def test_a_scheduled_push_lands_on_the_control_step_its_time_is_reached():
    # Continuous steps are one control step (1/60 s): a push at 0.5 s comes before step 31.
    pushed = gym.make("HenryContinuous-v0", pushes=((0.5, 1.5),)).unwrapped
    quiet = gym.make("HenryContinuous-v0").unwrapped
    pushed.reset(seed=0)
    quiet.reset(seed=0)
    for _ in range(30):
        np.testing.assert_array_equal(pushed.step(STAND)[0], quiet.step(STAND)[0])
    pushed.step(STAND)
    quiet.step(STAND)
    assert pushed.world.torso.velocity.x > quiet.world.torso.velocity.x + 0.1


@pytest.mark.parametrize("env_id", IDS)
def test_scheduled_pushes_are_deterministic_and_move_henry(env_id):
    def distances(pushes):
        env = gym.make(env_id, pushes=pushes)
        env.reset(seed=0)
        continuous = env_id == "HenryContinuous-v0"
        action = STAND if continuous else 0  # lift the right foot
        return [env.step(action)[4]["distance_m"] for _ in range(30 if continuous else 3)]

    pushed = distances(((0.3, -2.0),))
    assert pushed == distances(((0.3, -2.0),))
    assert max(abs(a - b) for a, b in zip(pushed, distances(()), strict=True)) > 0.005


def test_a_push_changes_the_torso_velocity_by_impulse_over_mass():
    env = gym.make("HenryContinuous-v0").unwrapped
    env.reset(seed=0)
    before = env.world.torso.velocity.x
    env.push(-0.6)
    assert env.world.torso.velocity.x == pytest.approx(before - 0.6 / 3.0)
    copy = pickle.loads(pickle.dumps(env))  # the push is part of the replayed history
    np.testing.assert_array_equal(copy.step(STAND)[0], env.step(STAND)[0])
    with pytest.raises(HenryEnvError, match="impulse_n_s must be a finite number"):
        env.push(float("nan"))


def test_a_moderate_push_is_absorbed_and_a_hard_one_knocks_henry_over():
    def outcome(impulse_n_s):
        env = gym.make("HenryContinuous-v0", pushes=((0.2, impulse_n_s),))
        env.reset(seed=0)
        lowest = 0.0
        for _ in range(120):
            _, _, terminated, _, info = env.step(STAND)
            lowest = min(lowest, info["distance_m"])
            if terminated:
                break
        return terminated, lowest

    absorbed, lowest = outcome(-4.0)
    assert not absorbed and lowest < -0.05
    fell, lowest = outcome(-8.0)
    assert fell and lowest < -0.1


@pytest.mark.parametrize(
    "pushes", [((1.0,),), ((-1.0, 2.0),), ((1.0, float("inf")),), "1,2", ((True, 1.0),)]
)
def test_bad_pushes_raise(pushes):
    with pytest.raises(HenryEnvError, match="pushes must be a sequence"):
        gym.make("Henry-v0", pushes=pushes)


def test_pushes_from_json_lists_are_accepted():
    env = gym.make("Henry-v0", pushes=[[1, 2.5], [0.5, -1]])
    assert env.unwrapped.pushes == ((0.5, -1.0), (1.0, 2.5))


def test_positive_work_is_near_zero_standing_and_about_m_g_h_lifting_the_torso():
    env = gym.make("HenryContinuous-v0", measure_work=True).unwrapped
    env.reset(seed=0)
    standing = sum(env.step(STAND)[4]["positive_work_j"] for _ in range(60))
    assert 0.0 <= standing < 0.02
    height_before = env.world.read_state().torso_height_m
    # Both extension servos push the feet down by lift_height_m: the torso and thighs rise.
    lifting = sum(env.step(np.array([0.0, 1.0, 0.0, 1.0]))[4]["positive_work_j"] for _ in range(90))
    rise = env.world.read_state().torso_height_m - height_before
    spec = env.henry_spec
    lifted_mass = spec.torso_mass_kg + 2 * spec.thigh_mass_kg
    potential = lifted_mass * spec.gravity_m_s2 * rise
    assert rise == pytest.approx(spec.lift_height_m, abs=0.005)
    assert potential <= lifting < 1.5 * potential


def test_walking_does_positive_work_in_both_envs():
    discrete = gym.make("Henry-v0", measure_work=True)
    obs, info = discrete.reset(seed=0)
    gait = HardcodedGait()
    works = []
    for _ in range(12):
        obs, _, _, _, info = discrete.step(act_one(gait, obs, info))
        works.append(info["positive_work_j"])
    assert min(works) >= 0.0 and sum(works) > 1.0
    continuous = gym.make("HenryContinuous-v0", measure_work=True)
    obs, info = continuous.reset(seed=0)
    walker = ContinuousGait.for_env(continuous)
    total = 0.0
    for _ in range(240):
        obs, _, _, _, info = continuous.step(act_one(walker, obs, info))
        total += info["positive_work_j"]
    assert total > 0.5


def test_work_is_reported_only_when_measured():
    env = gym.make("Henry-v0")
    env.reset(seed=0)
    assert "positive_work_j" not in env.step(0)[4]
    with pytest.raises(HenryEnvError, match="measure_work must be True or False"):
        gym.make("Henry-v0", measure_work="yes")


def test_start_x_is_public():
    env = gym.make("HenryContinuous-v0").unwrapped
    env.reset(seed=0, options={"pose": "random"})
    assert env.start_x_m == pytest.approx(env.world.read_state().torso_x_m)


NUDGE = {
    "right_swing_rad": 0.06,
    "left_swing_rad": -0.04,
    "right_extension_m": 0.006,
    "left_extension_m": -0.004,
    "torso_velocity_m_s": 0.12,
}


@pytest.mark.parametrize("env_id", IDS)
def test_the_perturb_reset_option_nudges_the_start_reproducibly(env_id):
    env = gym.make(env_id)
    env.reset(seed=0)
    plain = env.unwrapped.world.read_state()
    obs, _ = env.reset(seed=0, options={"perturb": NUDGE})
    nudged = env.unwrapped.world.read_state()
    # Right hip turned forward, left back, relative to the plain start.
    assert nudged.right_swing_rad - plain.right_swing_rad == pytest.approx(0.06, abs=0.02)
    assert nudged.left_swing_rad - plain.left_swing_rad == pytest.approx(-0.04, abs=0.02)
    assert nudged.torso_vx_m_s - plain.torso_vx_m_s == pytest.approx(0.12, abs=0.01)
    again, _ = env.reset(seed=0, options={"perturb": NUDGE})
    np.testing.assert_array_equal(obs, again)
    # The pickled env replays the push that set the torso moving.
    copy = pickle.loads(pickle.dumps(env.unwrapped))
    assert copy.world.read_state() == env.unwrapped.world.read_state()


def test_the_perturb_option_goes_with_a_pose():
    env = gym.make("Henry-v0")
    obs, _ = env.reset(seed=0, options={"pose": "left_foot_up", "perturb": NUDGE})
    assert list(obs) == [2, 1, 2, 0]  # the nudge stays inside the observed extension level


@pytest.mark.parametrize(
    ("perturb", "message"),
    [
        ({"right_swing": 0.1}, r"unknown 'perturb' field\(s\) \['right_swing'\]"),
        ({"torso_velocity_m_s": 5.0}, r"torso_velocity_m_s must be a number in \[-1, 1\]"),
        ({"left_extension_m": float("nan")}, "left_extension_m must be a number"),
        (0.1, "reset option 'perturb' must be a dict"),
    ],
)
@pytest.mark.parametrize("env_id", IDS)
def test_bad_perturb_options_are_one_clear_error(env_id, perturb, message):
    with pytest.raises(HenryEnvError, match=message):
        gym.make(env_id).reset(seed=0, options={"perturb": perturb})


@pytest.mark.parametrize("env_id", IDS)
def test_the_hardcoded_gaits_walk_from_nudged_starts(env_id):
    env = gym.make(env_id)
    agent = HardcodedGait() if env_id == "Henry-v0" else WalkingController.for_env(env)
    speeds = []
    for seed in range(6):
        rng = np.random.default_rng(seed)
        nudge = {name: float(rng.uniform(-1, 1)) * size for name, size in NUDGE.items()}
        obs, info = env.reset(seed=seed, options={"perturb": nudge})
        agent.reset()
        terminated = truncated = False
        while not (terminated or truncated):
            obs, _, terminated, truncated, info = env.step(act_one(agent, obs, info))
        assert not terminated
        speeds.append(info["distance_m"] / info["time_s"])
    assert np.std(speeds) > 0  # a new draw is a new episode
    assert min(speeds) > 0.9 * max(speeds)
