"""The closed-loop walking controller: it walks, recovers, and rejects bad parameters."""

import re

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401
from agents.base import ServoScale
from agents.walking import WalkingConfig, WalkingConfigError, WalkingController
from envs.gait import attach
from walker.app.bench.grades import CURVES
from walker.app.bench.tasks import EPISODE_SEED_BASE
from walker.app.core.conditions import CONDITIONS


def walk(pose=None, seed=0, seconds=60.0, config=None, **env_kwargs):
    env = gym.make("HenryContinuous-v0", max_episode_steps=round(seconds * 60), **env_kwargs)
    controller = WalkingController.for_env(env, config)
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
    assert m.speed_m_s >= 0.55
    assert m.flight_share < 0.03
    assert m.footfalls_right >= 50 and m.footfalls_left >= 50
    assert m.alternation > 0.75
    assert 0.4 < m.duty_factor_right < 0.7 and 0.4 < m.duty_factor_left < 0.7


@pytest.mark.slow
def test_a_walking_stride_by_the_relative_stride_length():
    # Alexander's relative stride 2.3 Fr^0.3 at Henry's hip height (the gait meter's
    # stride ratio): the controller's strides are longer than that, nothing like a shuffle.
    _, m = walk(seconds=30.0)
    assert m.stride_ratio > 1.0
    assert m.gait == "walk"


def _falls(runs, config=None):
    return sum(walk(seconds=1000 / 60, config=config, **kwargs)[0] for kwargs in runs)


_RNG = np.random.default_rng(18)
_FORWARD_PUSHES = [
    {"pushes": ((float(_RNG.uniform(2.0, 6.0)), float(_RNG.uniform(3.0, 5.0))),)} for _ in range(12)
]
_BACKWARD_PUSHES = [
    {"pushes": ((float(_RNG.uniform(2.0, 6.0)), -float(_RNG.uniform(3.0, 5.0))),)}
    for _ in range(12)
]
_OLD = WalkingConfig(
    pitch_gain=0.0, pitch_deadband_rad=0.0, placement_gain=0.0, settle_steps=5, press=0.2
)
"""The controller before the righting legs and foot placement (for comparison)."""


@pytest.mark.slow
def test_survives_pushes_of_3_to_5_newton_seconds_at_2_to_6_seconds():
    # Measured: 0-4 of 40 draws fall per direction; the old controller fell from about
    # half of the forward ones. Deterministic controller, fixed draws: a margin of 3 in 12.
    assert _falls(_FORWARD_PUSHES) <= 3
    assert _falls(_BACKWARD_PUSHES) <= 3
    assert _falls(_FORWARD_PUSHES, _OLD) >= 4


def _draw_falls(draws, config=None, after_push_s=None):
    """Falls of the controller on bench draws, `{seed: draw}`, with the bench's reset seeds;
    with `after_push_s`, each episode ends that long after its push."""
    falls = 0
    for seed, draw in draws.items():
        kwargs = draw.env_kwargs()
        if after_push_s is not None:
            ((time_s, _),) = draw.pushes
            kwargs["max_episode_steps"] = round((time_s + after_push_s) * 60)
        env = gym.make("HenryContinuous-v0", **kwargs)
        controller = WalkingController.for_env(env, config)
        obs, _ = env.reset(seed=EPISODE_SEED_BASE + 1000 * seed, options=draw.options())
        terminated = truncated = False
        while not (terminated or truncated):
            obs, _, terminated, truncated, _ = env.step(controller.act(obs[None])[0])
        falls += terminated
        env.close()
    return falls


def _bench_falls(condition, seeds, config=None):
    """Falls on `walker bench`'s draws of `condition` for these seeds."""
    return _draw_falls({seed: CONDITIONS[condition].draw(seed) for seed in seeds}, config)


@pytest.mark.slow
def test_stumble_and_catch_steps_carry_it_over_the_bench_bumps():
    # The bench's bump draws of seeds 0-39. Measured: 1 fall with both, 5 with stumble steps
    # alone, 13 with neither (over seeds 0-199: 2, 37 and 64; catch steps alone: 0 and 0).
    # Deterministic controller, fixed draws: margins of 3 or more.
    seeds = range(40)
    no_catch = {"catch_speed_m_s": 0.0, "hurry_speed_m_s": 0.0}
    both = _bench_falls("bumps", seeds)
    assert both <= 4
    neither = _bench_falls("bumps", seeds, WalkingConfig(stumble_steps=0, **no_catch))
    assert both + 6 <= neither
    assert _bench_falls("bumps", seeds, WalkingConfig(**no_catch)) + 4 <= neither


def _curve_falls(push_n_s, seeds, config=None):
    """Falls on `walker bench --curve push`'s draws of one push size for these seeds, each
    played until 2.5 s after its push (the falls come within a second)."""
    draws = {seed: CURVES["push"].condition(push_n_s).draw(seed) for seed in seeds}
    return _draw_falls(draws, config, after_push_s=2.5)


@pytest.mark.slow
def test_catch_steps_carry_it_through_harder_pushes():
    # The push curve's draws of seeds 0-39 at 8 N*s backward and 6 N*s forward. Measured: 3
    # and 16 falls with catch steps, 14 and 29 without (over seeds 0-99, whole episodes: 8
    # and 42 against 37 and 65). Deterministic controller, fixed draws: margins of 5.
    seeds = range(40)
    off = WalkingConfig(catch_speed_m_s=0.0, hurry_speed_m_s=0.0)
    backward = _curve_falls(-8.0, seeds)
    assert backward <= 8
    assert backward + 6 <= _curve_falls(-8.0, seeds, off)
    assert _curve_falls(6.0, seeds) + 6 <= _curve_falls(6.0, seeds, off)


def test_righting_and_placement_follow_the_torso():
    # A forward pitch beyond the dead band pushes the front leg down and lets the back one
    # give way; a faster torso puts the free foot further forward.
    env = gym.make("HenryContinuous-v0")
    obs, _ = env.reset(seed=0, options={"pose": "left_foot_up"})
    obs[5], obs[10] = 0.2, -0.2  # right_swing_rad, left_swing_rad: the planted right leg leads
    calm = WalkingController.for_env(env).act(obs[None])[0]
    within = obs.copy()
    within[1] = -0.2  # torso_angle_rad, nose down inside the dead band: nothing changes
    assert (WalkingController.for_env(env).act(within[None])[0] == calm).all()
    pitched = obs.copy()
    pitched[1] = -0.3
    righted = WalkingController.for_env(env).act(pitched[None])[0]
    assert righted[1] == pytest.approx(calm[1] + 10.0 * (0.3 - 0.28), abs=1e-5)
    fast = obs.copy()
    fast[2] = 2.0  # torso_vx_m_s
    hurried, steady = WalkingController.for_env(env), WalkingController.for_env(env)
    for _ in range(30):
        quick, calm = hurried.act(fast[None])[0], steady.act(obs[None])[0]
    assert quick[2] > calm[2] + 0.2  # the free (left) foot reaches further forward


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


def test_a_free_foot_that_comes_down_early_is_taken_as_the_step():
    # The left foot is lifted and swinging; it touches something before it is lowered (hip
    # still behind). With stumble steps it settles like a landed foot and the right foot is
    # lifted next; without, the left foot is kept up and carried on.
    env = gym.make("HenryContinuous-v0")
    obs, _ = env.reset(seed=0, options={"pose": "left_foot_up"})
    obs[5], obs[10] = 0.1, -0.2  # right_swing_rad, left_swing_rad: the free left foot behind
    down = obs.copy()
    down[14] = 1.0  # left_foot_contact
    stumbling, dragging = (
        WalkingController.for_env(env, WalkingConfig(stumble_steps=steps)) for steps in (1, 0)
    )
    last = {}
    for controller in (stumbling, dragging):
        for _ in range(5):
            controller.act(obs[None])
        for _ in range(10):
            last[controller] = controller.act(down[None])[0]
    assert stumbling._memory[0].swing_leg == 0  # the right leg swings now
    assert last[stumbling][1] < -0.3  # and its foot is being lifted
    assert dragging._memory[0].swing_leg == 1
    assert last[dragging][3] < -0.5  # the left foot is still held up


def test_a_lowered_foot_that_finds_no_ground_reaches_down_until_it_touches():
    # The left foot swings forward and is lowered, but its switch never reports ground (a
    # residual correction holds it up, or the ground is lower there). Without reaching down
    # its target stops at `press` and the walk waits for ever; with it, the target goes on
    # down to full extension, and once the foot touches it is held there until it settles
    # and the other leg swings.
    env = gym.make("HenryContinuous-v0")
    obs, _ = env.reset(seed=0, options={"pose": "left_foot_up"})
    obs[5], obs[10] = -0.3, 0.5  # right_swing_rad, left_swing_rad: the free left leg forward
    obs[14] = 0.0  # left_foot_contact: no ground under it
    reaching, waiting = (
        WalkingController.for_env(env, WalkingConfig(reach_down_steps=steps)) for steps in (10, 0)
    )
    for controller in (reaching, waiting):
        depths = [float(controller.act(obs[None])[0][3]) for _ in range(150)]
        assert controller._memory[0].lowering and controller._memory[0].swing_leg == 1
        if controller is waiting:
            assert depths[-1] == pytest.approx(WalkingConfig().press)
    reached = float(reaching.act(obs[None])[0][3])
    assert reached == pytest.approx(1.0)
    down = obs.copy()
    down[14] = 1.0
    # the leg's length (left_length_m) where its foot touches: half way down to full extension
    scale = ServoScale.of(env.unwrapped)
    down[12] = (0.5 * scale.lift_height_m + scale.stand_drop_m) / np.cos(down[10])
    sensed = float(reaching._sensed_depth(down, 1))
    assert sensed == pytest.approx(0.5, abs=1e-4)
    held = [float(reaching.act(down[None])[0][3]) for _ in range(WalkingConfig().settle_steps)]
    # held where it touched, neither pushed on to full extension nor pulled back up
    assert held == pytest.approx([sensed] * len(held))
    reaching.act(down[None])
    assert reaching._memory[0].swing_leg == 0  # it carries Henry: the right leg swings now


def test_a_push_is_caught_by_the_next_step():
    # The left foot is free. Carried backward faster than `catch_speed_m_s`, its hip target
    # heads for the back of its swing at `hurry` times the swing rate (without catch steps it
    # goes where Raibert's placement puts it, in front of the hip); carried forward faster
    # than `hurry_speed_m_s`, it heads forward `hurry` times faster.
    env = gym.make("HenryContinuous-v0")
    obs, _ = env.reset(seed=0, options={"pose": "left_foot_up"})
    obs[5], obs[10] = 0.0, 0.0  # right_swing_rad, left_swing_rad: both hips upright
    cfg = WalkingConfig()
    off = WalkingConfig(catch_speed_m_s=0.0, hurry_speed_m_s=0.0)
    plain = WalkingController.for_env(env)
    rate = cfg.swing_rate_rad_s * plain.dt_s / plain.swing_limit_rad  # per control step

    def free_hip(config, vx, steps):
        """The free (left) hip's target after `steps` control steps at torso speed `vx`: it
        starts upright, at 0."""
        controller = WalkingController.for_env(env, config)
        pushed = obs.copy()
        pushed[2] = vx  # torso_vx_m_s
        for _ in range(steps):
            controller.act(pushed[None])
        return controller._memory[0].targets[2]

    assert free_hip(cfg, -1.0, 2) == pytest.approx(-2 * cfg.hurry * rate)
    assert free_hip(cfg, -1.0, 200) == pytest.approx(-1.0)  # as far back as it goes
    assert free_hip(off, -1.0, 20) == pytest.approx(0.9 + 0.5 * (-1.0 - 0.5))  # Raibert's
    assert free_hip(cfg, -0.5, 2) == pytest.approx(2 * rate)  # slower than 0.6 m/s backward
    assert free_hip(cfg, 2.0, 2) == pytest.approx(2 * cfg.hurry * rate)
    assert free_hip(off, 2.0, 2) == pytest.approx(2 * rate)
    assert free_hip(cfg, 1.3, 2) == pytest.approx(2 * rate)  # a walk's own top speed


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
        ("stumble_steps", -1, "[0, 60]"),
        ("stumble_steps", 1.0, "[0, 60]"),
        ("reach_down_steps", 61, "[0, 60]"),
        ("pitch_gain", -1.0, "[0, 20]"),
        ("pitch_deadband_rad", 0.7, "[0, 0.6]"),
        ("pitch_rate_gain", 2.0, "[0, 1]"),
        ("level", 1.5, "[0, 1]"),
        ("placement_gain", 6.0, "[0, 5]"),
        ("placement_speed_m_s", -0.1, "[0, 2]"),
        ("speed_smoothing_s", 0.0, "(0, 5]"),
        ("catch_speed_m_s", -0.1, "[0, 5]"),
        ("hurry_speed_m_s", 5.5, "[0, 5]"),
        ("hurry", 0.5, "[1, 10]"),
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
