"""Lanes: learning lanes take `walker train`'s option names, and lanes of envs whose steps
sample different numbers of frames (discrete and continuous Henry) run side by side."""

from __future__ import annotations

import gymnasium as gym
import pytest

import envs
from walker.app.core.learners import PolicyError
from walker.app.viewing.lanes import learner_from_spec, open_lanes, run_lanes
from walker.draw.video import VideoWriter, read_frames


def test_a_learning_lane_takes_the_options_of_walker_train() -> None:
    env = gym.make(envs.DISCRETE_ID)
    agent = learner_from_spec(
        "qlearning --alpha 0.3 --epsilon-end 0.01 --epsilon-kind linear", env, seed=0
    )
    config = agent.config  # type: ignore[attr-defined]
    assert config.alpha == 0.3
    assert (config.epsilon.end, config.epsilon.kind) == (0.01, "linear")
    ppo = learner_from_spec("ppo --n-steps 64 --batch-size 32", env, seed=0)
    assert ppo.config.n_steps == 64  # type: ignore[attr-defined]
    with pytest.raises(PolicyError, match="bad options for learning lane 'dqn'"):
        learner_from_spec("dqn --gamma", env, seed=0)


def test_lanes_sampling_at_different_rates_share_a_video(tmp_path) -> None:
    # One discrete action samples 18 frames at 30 fps, one continuous step at most one: the
    # continuous lane holds its latest frame while the other catches up.
    lanes = open_lanes(["hardcoded"], envs.DISCRETE_ID, {}, 0, 30.0) + open_lanes(
        ["hardcoded"], envs.CONTINUOUS_ID, {}, 0, 30.0
    )
    path = tmp_path / "race.mp4"
    with VideoWriter(path, 30.0) as writer:
        run_lanes(lanes, seconds=2.0, fps=30.0, size=(600, 400), window=None, writer=writer)
    assert len(read_frames(path)) == 60
    assert all(lane.distance_m > 0.0 for lane in lanes)


def test_a_race_runs_every_lane_on_the_env_its_checkpoints_were_trained_on():
    # Without --env, the baselines race on the checkpoint's env, so the lanes' clocks agree
    # (a discrete decision is 0.6 s, a continuous step 1/60 s).
    lanes = open_lanes(["hardcoded", "ppo-henry-walk"], None, {}, 0, 30.0)
    try:
        spaces = [lane.collector.vector_env.single_observation_space.shape for lane in lanes]
        assert spaces == [(len(envs.OBSERVATION_FIELDS),)] * 2
    finally:
        for lane in lanes:
            lane.close()
    with pytest.raises(PolicyError, match="different envs"):
        open_lanes(["qlearning-henry", "ppo-henry-walk"], None, {}, 0, 30.0)


class _CountingClock:
    def __init__(self) -> None:
        self.rates: list[float] = []

    def tick(self, fps: float = 0.0) -> int:
        self.rates.append(fps)
        return 0


@pytest.mark.parametrize(("fps", "speed"), [(30.0, 1.0), (60.0, 1.0), (30.0, 4.0)])
def test_a_window_shows_lane_frames_at_the_rate_they_were_sampled(fps, speed) -> None:
    # Frames sampled `fps` times per simulated second, shown `fps` times per real second:
    # a race plays in real time (it played twice as fast when shown at the control rate),
    # and a time-lapsed one `speed` times faster because it samples `speed` times sparser.
    from walker.draw.window import Window

    window = Window((600, 400), "Henry: test")
    clock = _CountingClock()
    window.clock = clock  # type: ignore[assignment]
    try:
        lanes = open_lanes(["hardcoded"], envs.DISCRETE_ID, {}, 0, fps, speed=speed)
        run_lanes(
            lanes, seconds=2.0, fps=fps, size=(600, 400), window=window, writer=None, speed=speed
        )
    finally:
        window.close()
    assert len(clock.rates) == round(2.0 * fps / speed)  # one tick per frame shown
    assert set(clock.rates) == {fps}
