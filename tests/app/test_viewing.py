"""The windows' helpers: heat-map rows, pushes from drags, time-lapse strides."""

import gymnasium as gym
import numpy as np
import pytest

import envs
from agents.qlearning import QLearning
from walker.app.viewing import (
    MAX_PUSH_N_S,
    ViewError,
    frame_stride,
    next_timelapse,
    push_from_drag,
    qtable_view,
    speed_curve,
)
from walker.draw.renderer import Renderer, Scene
from walker.draw.window import Drag


def test_time_lapse_draws_fewer_frames_per_simulated_second():
    assert frame_stride(30) == 2
    assert frame_stride(30, speed=4) == 8
    assert frame_stride(60, speed=1) == 1
    with pytest.raises(ViewError, match="--speed must be between 1 and 64"):
        frame_stride(30, speed=0.5)
    assert [next_timelapse(s) for s in (1, 2, 16)] == [2, 4, 1]


def test_heat_map_rows_are_the_states_with_a_foot_down():
    env = gym.make(envs.DISCRETE_ID)
    obs, _ = env.reset(seed=0)
    agent = QLearning(env.observation_space, env.action_space, seed=0)
    agent.q[agent.encoder.index(obs), int(envs.Action.LIFT_LEFT)] = 5.0
    view = qtable_view(agent, env.unwrapped, obs, int(envs.Action.LIFT_LEFT))
    assert view is not None
    assert view.q.shape == (75, 8) and view.legal.shape == (75, 8)
    assert view.q[view.state, view.action] == 5.0
    # Standing on both feet only the two lifts are legal.
    assert view.legal[view.state].tolist() == [True, True] + [False] * 6


def test_no_heat_map_for_agents_without_a_table():
    env = gym.make(envs.DISCRETE_ID)
    obs, _ = env.reset(seed=0)
    assert qtable_view(object(), env.unwrapped, obs, 0) is None


def test_a_drag_on_henry_pushes_him_the_way_it_goes_and_a_drag_beside_him_does_not():
    env = gym.make(envs.DISCRETE_ID)
    env.reset(seed=0)
    renderer = Renderer((960, 540))
    renderer.draw([Scene(env.unwrapped.world.geometry())])
    hip = renderer._cameras[0].to_px(*env.unwrapped.world.geometry().hip)
    start = (round(hip[0]), round(hip[1]) - 20)
    lane, impulse = push_from_drag(Drag(start, (start[0] + 100, start[1]), 0.2), renderer)
    assert lane == 0 and impulse > 0
    _, backward = push_from_drag(Drag(start, (start[0] - 5000, start[1]), 0.2), renderer)
    assert backward == -MAX_PUSH_N_S
    assert push_from_drag(Drag((5, 5), (200, 5), 0.2), renderer) is None


def test_speed_curve_average_spans_a_tenth_of_the_episodes():
    curve = speed_curve(list(np.linspace(0, 0.05, 200)), 0.04)
    assert curve.window == 20 and curve.reference_m_s == 0.04


def test_nudges_push_henry_forward_and_stand_him_up_in_a_vector_env():
    from walker.app.viewing import Nudges, nudge

    def make():
        return Nudges(gym.make(envs.DISCRETE_ID))

    for vector_cls in (gym.vector.SyncVectorEnv, gym.vector.AsyncVectorEnv):
        vec = vector_cls([make, make], autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
        try:
            vec.reset(seed=0)
            lift = np.array([int(envs.Action.LIFT_RIGHT)] * 2)
            nudge(vec, 0, push_n_s=6.0)  # hard enough to throw him forward
            _, _, terminated, _, _ = vec.step(lift)
            assert terminated[0] and not terminated[1]
            nudge(vec, 1, stand_up=True)
            _, _, _, truncated, _ = vec.step(np.array([0, int(envs.Action.PUT_DOWN_RIGHT)]))
            assert truncated[1] and not truncated[0]
        finally:
            vec.close()
