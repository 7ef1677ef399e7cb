import math
import pickle

import numpy as np
import pytest

from walker.sim.body import LegPose, Pose, PoseError
from walker.sim.spec import HenrySpec
from walker.sim.world import STATE_FIELDS, HenryWorld, LegCommand, PhysicsDivergedError

SPEC = HenrySpec()
STAND = LegCommand(0.0, SPEC.stand_drop_m)
LIFTED = LegCommand(0.0, SPEC.lifted_drop_m)


def run(world, right, left, steps):
    for _ in range(steps):
        world.step(right, left)
    return world.read_state()


def test_standing_still_stays_up():
    world = HenryWorld()
    start = world.read_state()
    state = run(world, STAND, STAND, 600)  # 10 s
    assert state.right_foot_contact and state.left_foot_contact
    assert not state.torso_contact
    assert abs(state.torso_angle_rad) < 0.01
    assert state.torso_height_m == pytest.approx(start.torso_height_m, abs=0.005)
    assert abs(state.torso_x_m) < 0.005
    assert world.sole_penetration_m() < 0.004


def test_balances_on_one_foot():
    world = HenryWorld()
    state = run(world, STAND, LIFTED, 300)
    assert state.right_foot_contact and not state.left_foot_contact
    assert abs(state.torso_angle_rad) < 0.02


def test_swing_and_extension_reach_their_targets_within_limits():
    world = HenryWorld()
    run(world, STAND, LIFTED, 60)
    state = run(world, STAND, LegCommand(0.3, SPEC.lifted_drop_m), 60)
    assert state.left_swing_rad == pytest.approx(0.3, abs=0.01)
    expected_length = SPEC.lifted_drop_m / math.cos(0.3)
    assert state.left_length_m == pytest.approx(expected_length, abs=0.005)
    # A target beyond the hard stop is clamped to the limit, never exceeded.
    state = run(world, STAND, LegCommand(2.0, SPEC.lifted_drop_m), 60)
    assert state.left_swing_rad == pytest.approx(SPEC.swing_limit_rad, abs=0.01)
    assert world.commands()[1].swing_rad == SPEC.swing_limit_rad


def test_contact_flags_follow_lift_and_put_down():
    world = HenryWorld()
    assert run(world, STAND, STAND, 10).right_foot_contact
    lifted = run(world, LIFTED, STAND, 30)
    assert not lifted.right_foot_contact and lifted.left_foot_contact
    down = run(world, STAND, STAND, 30)
    assert down.right_foot_contact and down.left_foot_contact


def test_same_commands_give_an_identical_trajectory():
    def trajectory():
        world = HenryWorld()
        rng = np.random.default_rng(3)
        states = []
        for step in range(400):
            if step % 20 == 0:
                right = LegCommand(rng.uniform(-0.4, 0.4), rng.uniform(0.27, 0.34))
            world.step(right, STAND)
            states.append(world.read_state())
        return np.array(states)

    np.testing.assert_array_equal(trajectory(), trajectory())


def test_state_fields_name_what_they_hold():
    world = HenryWorld()
    state = run(world, LIFTED, STAND, 20)
    values = dict(zip(STATE_FIELDS, state, strict=True))
    assert values["torso_x_m"] == state.torso_x_m == world.torso.position.x
    thigh, torso = world.legs[0].thigh, world.torso
    assert values["right_swing_rad"] == pytest.approx(thigh.angle - torso.angle)
    assert (values["right_foot_contact"], values["left_foot_contact"]) == (0.0, 1.0)


def test_non_finite_state_is_reported():
    world = HenryWorld()
    world.torso.velocity = (float("nan"), 0.0)
    with pytest.raises(PhysicsDivergedError, match="non-finite"):
        world.step(STAND, STAND)


def test_impossible_poses_are_rejected():
    with pytest.raises(PoseError, match="at least one foot"):
        HenryWorld(pose=Pose(LegPose(0.0, True), LegPose(0.0, True)))
    with pytest.raises(PoseError, match="beyond the swing range"):
        HenryWorld(pose=Pose(right=LegPose(1.0)))


def test_pickled_world_continues_from_the_same_state():
    world = HenryWorld()
    run(world, LIFTED, STAND, 30)
    copy = pickle.loads(pickle.dumps(world))
    assert copy.read_state() == world.read_state()
    run(copy, STAND, STAND, 30)
    run(world, STAND, STAND, 30)
    assert copy.read_state() == world.read_state()
    assert copy.read_state().right_foot_contact


def test_pickling_replays_pushes_at_the_steps_they_came():
    world = HenryWorld(measure_work=True)
    world.push(0.5)
    run(world, STAND, LIFTED, 10)
    world.push(-1.0)
    run(world, STAND, STAND, 10)
    world.push(0.25)  # after the last step: replayed after it too
    copy = pickle.loads(pickle.dumps(world))
    assert copy.read_state() == world.read_state()
    assert copy.positive_work_j == world.positive_work_j > 0.0
    run(copy, STAND, STAND, 5)
    run(world, STAND, STAND, 5)
    assert copy.read_state() == world.read_state()


def test_work_is_metered_only_when_asked_and_does_not_change_the_physics():
    metered, plain = HenryWorld(measure_work=True), HenryWorld()
    run(metered, LIFTED, STAND, 30)
    run(plain, LIFTED, STAND, 30)
    assert metered.read_state() == plain.read_state()
    assert plain.positive_work_j == 0.0
    # Lifting the right foot raises its 0.3 kg by 7 cm: at least m*g*h = 0.21 J.
    foot_lift = SPEC.foot_mass_kg * SPEC.gravity_m_s2 * SPEC.lift_height_m
    assert foot_lift < metered.positive_work_j < 5 * foot_lift


def test_bumps_are_ground_for_the_contact_switches():
    spec = HenrySpec(bump_height_m=0.02, bump_start_m=0.3)
    world = HenryWorld(spec, pose=Pose(right=LegPose(0.1, lifted=True)))
    # Put the right foot down ahead: its front end lands on the first bump (x 0.3-0.35).
    state = run(world, LegCommand(math.atan2(0.1, SPEC.stand_drop_m), SPEC.stand_drop_m), STAND, 60)
    assert state.right_foot_contact
    toe = world.legs[0].foot.local_to_world((spec.sole_length_m / 2, -spec.sole_thickness_m))
    assert toe.y == pytest.approx(0.02, abs=0.002)  # the sole's front rests on the bump
    assert state.torso_angle_rad > 0.02  # and tilts Henry back


@pytest.mark.slow
def test_long_random_command_soak_stays_finite_and_above_ground():
    """100k control steps of random commands: no NaN, no sinking, joints within limits."""
    rng = np.random.default_rng(0)
    world = HenryWorld()
    deepest = 0.0
    falls = 0
    steps = 100_000
    for step in range(steps):
        if step % 15 == 0:
            lifted = rng.integers(3)
            right = LegCommand(
                rng.uniform(-0.6, 0.6), SPEC.lifted_drop_m if lifted == 0 else SPEC.stand_drop_m
            )
            left = LegCommand(
                rng.uniform(-0.6, 0.6), SPEC.lifted_drop_m if lifted == 1 else SPEC.stand_drop_m
            )
        world.step(right, left)
        if step % 10 == 0:
            state = world.read_state()
            assert all(math.isfinite(v) for v in state)
            deepest = max(deepest, world.sole_penetration_m())
            for swing, length in (
                (state.right_swing_rad, state.right_length_m),
                (state.left_swing_rad, state.left_length_m),
            ):
                assert abs(swing) <= SPEC.swing_limit_rad + 0.05
                assert SPEC.leg_min_length_m - 0.01 <= length <= SPEC.leg_max_length_m + 0.01
            if state.torso_contact > 0.5 or abs(state.torso_angle_rad) > 0.6:
                falls += 1
                world.reset()
    assert deepest < 0.008, f"a sole sank {deepest * 1000:.1f} mm into the ground"
