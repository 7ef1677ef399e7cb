"""The windows' helpers: heat-map rows, pushes from drags, time-lapse strides."""

import gymnasium as gym
import numpy as np
import pytest

import envs
from agents.qlearning import QLearning
from walker.app.viewing.overlays import (
    MAX_PUSH_N_S,
    extension_levels,
    push_from_drag,
    qtable_view,
    speed_curve,
)
from walker.app.viewing.scenes import frame_stride
from walker.draw.renderer import Renderer, Scene
from walker.draw.video import VideoError
from walker.draw.window import Drag


def test_time_lapse_draws_fewer_frames_per_simulated_second():
    assert frame_stride(30) == 2
    assert frame_stride(30, speed=4) == 8
    assert frame_stride(60, speed=1) == 1
    with pytest.raises(VideoError, match="--speed must be between 1 and 64"):
        frame_stride(30, speed=0.5)


def test_heat_map_rows_are_the_states_with_a_foot_down():
    env = gym.make(envs.DISCRETE_ID)
    obs, _ = env.reset(seed=0)
    agent = QLearning(env.observation_space, env.action_space, seed=0)
    agent.q[agent.encoder.index(obs), int(envs.Action.LIFT_LEFT)] = 5.0
    view = qtable_view(agent, extension_levels(env), obs, int(envs.Action.LIFT_LEFT))
    assert view is not None
    assert view.q.shape == (75, 8) and view.legal.shape == (75, 8)
    assert view.q[view.state, view.action] == 5.0
    # Standing on both feet only the two lifts are legal.
    assert view.legal[view.state].tolist() == [True, True] + [False] * 6


def test_no_heat_map_for_agents_without_a_table():
    env = gym.make(envs.DISCRETE_ID)
    obs, _ = env.reset(seed=0)
    assert qtable_view(object(), extension_levels(env), obs, 0) is None
    assert extension_levels(gym.make(envs.CONTINUOUS_ID)) is None


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


def test_nudges_push_henry_and_stand_him_up_from_another_process():
    import multiprocessing
    import time
    from functools import partial

    from walker.app.viewing.overlays import PUSH, STAND_UP, Push, pushes_of
    from walker.app.viewing.scenes import watched_env

    inbox = multiprocessing.get_context().Queue()
    first = partial(watched_env, gym.make(envs.DISCRETE_ID), 2, inbox)
    vec = gym.vector.AsyncVectorEnv(
        [first, lambda: gym.make(envs.DISCRETE_ID)],
        autoreset_mode=gym.vector.AutoresetMode.SAME_STEP,
    )
    try:
        vec.reset(seed=0)
        inbox.put((PUSH, 3.0))
        time.sleep(0.2)  # the queue's feeder thread delivers it
        _, _, _, _, infos = vec.step(np.array([int(envs.Action.LIFT_RIGHT)] * 2))
        (push,) = pushes_of(infos)
        assert isinstance(push, Push) and push.impulse_n_s == 3.0
        assert push.vx_after_m_s > push.vx_before_m_s + 0.5  # Henry's velocity changed
        inbox.put((STAND_UP, None))
        time.sleep(0.2)
        _, _, terminated, truncated, _ = vec.step(np.array([int(envs.Action.LIFT_RIGHT)] * 2))
        assert (truncated[0] or terminated[0]) and not truncated[1]
    finally:
        vec.close()


def test_record_time_lapse_and_ghost_end_to_end(tmp_path, capsys):
    from walker.app.cli import main
    from walker.draw.renderer import LANE_COLORS
    from walker.draw.video import read_frames

    out = tmp_path / "fast.mp4"
    assert (
        main(
            [
                "record",
                "hardcoded",
                "--speed",
                "4",
                "--seconds",
                "8",
                "--fps",
                "10",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "time-lapse x4" in capsys.readouterr().out
    assert len(read_frames(out)) == 20  # 8 simulated seconds in 2 s of video

    haunted = tmp_path / "ghost.mp4"
    assert (
        main(
            [
                "record",
                "hardcoded",
                "--ghost",
                "random",
                "--seconds",
                "2",
                "--fps",
                "10",
                "--out",
                str(haunted),
            ]
        )
        == 0
    )
    frame = read_frames(haunted)[-1].astype(int)
    legend = frame[:80, -200:]
    # The legend names the ghost with a swatch of its colour (H.264 shifts colours a little).
    near = np.abs(legend - np.array(LANE_COLORS[1])).sum(axis=-1) < 40
    assert near.sum() > 20

    assert main(["record", "hardcoded", "--speed", "0.5", "--out", str(tmp_path / "slow.mp4")]) == 2
    assert "--speed must be between 1 and 64" in capsys.readouterr().err
    assert not (tmp_path / "slow.mp4").exists()


@pytest.mark.slow
def test_train_record_without_a_window_draws_the_panels(tmp_path):
    from walker.app.cli import main
    from walker.draw.video import read_frames

    video = tmp_path / "training.mp4"
    assert (
        main(
            [
                "train",
                "--steps",
                "80",
                "--episode-steps",
                "20",
                "--no-progress",
                "--record",
                str(video),
                "--watch-speed",
                "16",
                "--out",
                str(tmp_path / "run"),
            ]
        )
        == 0
    )
    frames = read_frames(video)
    assert frames[0].shape == (540, 960, 3)
    panels = frames[-1][300:].astype(int)
    grey = np.abs(panels - np.array((205, 205, 210))).sum(axis=-1) < 12
    assert grey.sum() > 2000  # the Q-table's illegal actions, greyed out
