"""The motion primitives: pure plans from the feet's targets, shared by the discrete env and
the continuous hard-coded gait."""

import math

import numpy as np
import pytest

from agents.base import ServoScale
from agents.baselines import ContinuousGait, HardcodedGait
from envs.motions import (
    LOWER_WINDOW,
    SHIFT_WINDOW,
    Action,
    FootTargets,
    Stride,
    hold_motion,
    plan_motion,
)
from walker.sim.spec import HenrySpec

SPEC = HenrySpec()
STEP = 0.07
STRIDE = Stride.for_spec(SPEC, STEP, 2 * STEP)
STANDING = FootTargets((0.0, 0.0), (False, False))


def test_a_lift_raises_one_foot_and_keeps_the_offsets():
    motion, after = plan_motion(STANDING, Action.LIFT_LEFT, STRIDE)
    assert after == FootTargets((0.0, 0.0), (False, True))
    right, left = motion.commands(0.0)
    assert (right.drop_m, left.drop_m) == (SPEC.stand_drop_m, SPEC.stand_drop_m)
    right, left = motion.commands(0.99)
    assert left.drop_m == SPEC.lifted_drop_m and right.drop_m == SPEC.stand_drop_m


def test_a_move_swings_the_lifted_foot_one_step_from_where_it_is_sensed():
    lifted = FootTargets((0.0, 0.0), (True, False))
    motion, after = plan_motion(lifted, Action.RIGHT_FORWARD, STRIDE)
    assert after.offsets_m == pytest.approx((STEP, 0.0))
    right, _ = motion.commands(0.99)
    assert right.swing_rad == pytest.approx(math.atan2(STEP, SPEC.lifted_drop_m))
    # Closed loop: a foot sensed one level behind its target moves from there.
    _, after = plan_motion(lifted, Action.RIGHT_BACKWARD, STRIDE, sensed_offsets_m=(-STEP, 0.0))
    assert after.offsets_m == pytest.approx((-2 * STEP, 0.0))


@pytest.mark.parametrize(
    ("offsets", "expected"),
    [
        ((STEP, 0.0), (0.0, -STEP)),  # the put-down foot ends under the hip
        ((2 * STEP, -2 * STEP), (2 * STEP, -2 * STEP)),  # the other foot is at its reach
        ((-STEP, STEP), (0.0, 2 * STEP)),  # stepping back shifts the weight back
    ],
)
def test_a_put_down_shifts_the_weight_within_the_other_foots_reach(offsets, expected):
    before = FootTargets(offsets, (True, False))
    motion, after = plan_motion(before, Action.PUT_DOWN_RIGHT, STRIDE)
    assert after.lifted == (False, False)
    assert after.offsets_m == pytest.approx(expected)
    assert (motion.drop_window, motion.offset_window) == (LOWER_WINDOW, SHIFT_WINDOW)
    # The foot is down before the weight moves.
    right, _ = motion.commands(LOWER_WINDOW[1])
    assert right.drop_m == SPEC.stand_drop_m
    assert right.swing_rad == pytest.approx(math.atan2(offsets[0], SPEC.stand_drop_m))


def test_planning_is_pure():
    before = FootTargets((STEP, 0.0), (True, False))
    first = plan_motion(before, Action.PUT_DOWN_RIGHT, STRIDE)
    assert plan_motion(before, Action.PUT_DOWN_RIGHT, STRIDE) == first
    assert before == FootTargets((STEP, 0.0), (True, False))
    hold = hold_motion(before, STRIDE)
    assert hold.commands(0.0) == hold.commands(0.5) == first[0].commands(0.0)


def test_the_continuous_gait_replays_the_discrete_gaits_motions():
    steps = 36
    scale = ServoScale(
        SPEC.swing_limit_rad, SPEC.stand_drop_m, SPEC.lift_height_m, SPEC.control_dt_s
    )
    gait = ContinuousGait(scale, STEP)
    targets = STANDING
    expected = []
    for action in HardcodedGait.SEQUENCE:
        motion, targets = plan_motion(targets, action, STRIDE)
        for i in range(steps):
            right, left = motion.commands(i / steps)
            expected.append(
                [
                    right.swing_rad / SPEC.swing_limit_rad,
                    (right.drop_m - SPEC.stand_drop_m) / SPEC.lift_height_m,
                    left.swing_rad / SPEC.swing_limit_rad,
                    (left.drop_m - SPEC.stand_drop_m) / SPEC.lift_height_m,
                ]
            )
    assert targets == STANDING  # one cycle brings the feet back under the hip
    table = np.array([gait.act(np.zeros((1, 15)))[0] for _ in range(len(expected))])
    np.testing.assert_allclose(table, expected, atol=1e-6)
    # Halfway through the right foot's move it is lifted (-1) and swinging forward.
    assert table[steps + steps // 4, 1] == pytest.approx(-1.0)
    assert table[steps + steps // 4, 0] > 0.05
