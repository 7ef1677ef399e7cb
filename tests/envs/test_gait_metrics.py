"""Gait metrics on hand-made trajectories whose answers are known, and on the real envs."""

import math

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401
from envs import OBSERVATION_FIELDS
from envs.gait import GaitMeter, GaitMeterError, attach, body_weight_n, detach
from walker.sim.spec import HenrySpec

DT = 0.1


def walk(meter, pattern, speed=0.5, work_per_slice=0.0):
    """Feed `pattern` (a string of R, L, B (both down) and F (flight)) one slice each."""
    x = 0.0
    meter.start(x, True, True)
    for code in pattern:
        x += speed * DT
        meter.sample(DT, x, code in "RB", code in "LB")
        meter.add_work(work_per_slice)


def test_a_hand_made_walk():
    # Double support, right alone, double, left alone: 4 cycles of 8 slices = 3.2 s.
    meter = GaitMeter(weight_n=40.0)
    walk(meter, "BBRRBBLL" * 4, speed=0.5, work_per_slice=1.0)
    m = meter.metrics()
    assert m.duration_s == pytest.approx(3.2)
    assert m.distance_m == pytest.approx(1.6)
    assert m.speed_m_s == pytest.approx(0.5)
    assert m.flight_share == 0.0
    # Right foot down in B and R slices: 6 of 8.
    assert m.duty_factor_right == pytest.approx(0.75)
    assert m.duty_factor_left == pytest.approx(0.75)
    # Footfalls: the left comes down at each BB after RR (4), the right after LL (3: the
    # first BB continues the starting stance).
    assert (m.footfalls_left, m.footfalls_right) == (4, 3)
    assert m.alternation == pytest.approx(1.0)
    assert m.stride_length_m == pytest.approx(2 * 1.6 / 7)
    assert m.cadence_per_min == pytest.approx(60 * 7 / 3.2)
    assert m.positive_work_j == pytest.approx(32.0)
    assert m.cost_of_transport == pytest.approx(32.0 / (40.0 * 1.6))


def test_a_hand_made_hop():
    # Both feet together: down, down, flight, flight, repeated; every landing is a
    # footfall of both feet, and none alternates.
    meter = GaitMeter(weight_n=10.0)
    walk(meter, "BBFF" * 5, speed=1.0)
    m = meter.metrics()
    assert m.flight_share == pytest.approx(0.5)
    assert m.duty_factor_right == pytest.approx(0.5)
    assert m.footfalls == 2 * 4
    assert m.alternation == 0.0
    assert math.isnan(m.cost_of_transport)  # no work reported


def test_hopping_on_one_foot_does_not_alternate():
    meter = GaitMeter(weight_n=10.0)
    walk(meter, "RFRFRF", speed=0.2)
    m = meter.metrics()
    assert m.footfalls_right == 2
    assert m.footfalls_left == 0
    assert m.alternation == 0.0
    assert m.flight_share == pytest.approx(0.5)


def test_no_slices_and_no_progress_give_nan_not_errors():
    meter = GaitMeter(weight_n=10.0)
    m = meter.metrics()
    assert m.duration_s == 0.0
    assert math.isnan(m.flight_share)
    walk(meter, "BB", speed=-0.1, work_per_slice=2.0)
    assert math.isnan(meter.metrics().cost_of_transport)
    assert math.isnan(meter.metrics().stride_length_m)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: GaitMeter(weight_n=0.0), "weight_n must be a positive number"),
        (lambda: GaitMeter(1.0).sample(0.0, 0.0, True, True), "dt_s must be a positive number"),
        (lambda: GaitMeter(1.0).sample(0.1, math.nan, True, True), "x_m must be a finite"),
        (lambda: GaitMeter(1.0).add_work(-1.0), "positive work must be a finite number >= 0"),
        (lambda: GaitMeter(1.0).record_step(np.zeros(4), {}, 0.1), "record_step needs a"),
    ],
)
def test_bad_samples_raise(call, message):
    with pytest.raises(GaitMeterError, match=message):
        call()


def test_attach_measures_the_discrete_env_every_control_step():
    env = gym.make("Henry-v0")
    env.reset(seed=0)
    meter = attach(env)
    for action in (0, 2, 6, 1, 4, 7):  # the article's gait: one cycle
        env.step(action)
    m = meter.metrics()
    assert m.duration_s == pytest.approx(6 * 36 / 60)
    assert m.distance_m == pytest.approx(env.unwrapped.distance_m, abs=1e-9)
    assert (m.footfalls_right, m.footfalls_left) == (1, 1)
    assert m.alternation == 1.0
    assert 0.0 < m.duty_factor_right < 1.0
    detach(env, meter)
    assert env.unwrapped.control_step_observers == []
    with pytest.raises(GaitMeterError, match="need a Henry env"):
        attach(gym.make("CartPole-v1"))


def test_per_step_and_per_control_step_agree_on_the_continuous_env():
    env = gym.make("HenryContinuous-v0")
    obs, info = env.reset(seed=0)
    attached = attach(env)
    stepped = GaitMeter(body_weight_n(HenrySpec()))
    stepped.start(
        0.0,
        obs[OBSERVATION_FIELDS.index("right_foot_contact")] > 0.5,
        obs[OBSERVATION_FIELDS.index("left_foot_contact")] > 0.5,
    )
    rng = np.random.default_rng(0)
    for _ in range(60):
        obs, _, terminated, _, info = env.step(rng.uniform(-0.5, 0.5, 4))
        stepped.record_step(obs, info, env.unwrapped.dt)
        if terminated:
            break
    a, b = attached.metrics(), stepped.metrics()
    assert a.duration_s == pytest.approx(b.duration_s)
    assert a.distance_m == pytest.approx(b.distance_m)
    assert a.flight_share == pytest.approx(b.flight_share)
    assert a.footfalls == b.footfalls


def test_body_weight():
    spec = HenrySpec()
    assert body_weight_n(spec) == pytest.approx((3.0 + 2 * (0.2 + 0.3)) * 9.81)


def test_froude_number_stride_ratio_and_label_worked_out_by_hand():
    # h = 0.25 m, g = 10: the hand-made walk above at 0.5 m/s with strides of 3.2/7 m.
    meter = GaitMeter(weight_n=40.0, hip_height_m=0.25, gravity_m_s2=10.0)
    walk(meter, "BBRRBBLL" * 4, speed=0.5)
    m = meter.metrics()
    assert m.froude_number == pytest.approx(0.25 / 2.5)  # 0.1
    assert m.relative_stride == pytest.approx((3.2 / 7) / 0.25)  # 1.829
    # 2.3 * 0.1 ** 0.3 = 1.1527: 1.829 / 1.1527 = 1.586, a walk's stride.
    assert m.stride_ratio == pytest.approx(1.8286 / (2.3 * 0.1**0.3), rel=1e-3)
    assert m.gait == "walk"


@pytest.mark.parametrize(
    ("pattern", "speed", "label"),
    [
        ("BBRRBBLL" * 4, 0.5, "walk"),
        # The same footfalls ten times as often: strides a tenth as long at the same speed.
        ("RL" * 16, 0.5, "shuffle"),
        ("BBFF" * 5, 1.0, "hop"),  # both feet land together
        ("RRFFLLFF" * 4, 1.0, "run"),  # alternating with flight
        ("BBRRBBLL" * 4, 0.01, "stands"),
        ("BBBBBBBB" * 4, 0.5, "other"),  # slides along with no footfall: an endless stride
    ],
)
def test_gait_labels(pattern, speed, label):
    meter = GaitMeter(weight_n=40.0, hip_height_m=0.25, gravity_m_s2=10.0)
    walk(meter, pattern, speed=speed)
    assert meter.metrics().gait == label


def test_gait_label_order_and_edges():
    from envs.gait import gait_label

    # Flight decides before the stride: a short-striding hop is a hop, not a shuffle.
    assert gait_label(1.0, 0.05, 0.0, 0.6, 0.1) == "hop"
    assert gait_label(1.0, 0.049, 1.0, 0.6, 0.1) == "shuffle"
    assert gait_label(-0.019, 0.5, 1.0, 0.6, 1.0) == "stands"  # either way
    assert gait_label(0.5, 0.0, 1.0, 0.5, 1.0) == "other"  # duty factor not over 0.5
    assert gait_label(0.5, 0.0, 1.0, 0.6, 2.0) == "walk"
    assert gait_label(0.5, 0.0, 1.0, 0.6, 2.01) == "other"
