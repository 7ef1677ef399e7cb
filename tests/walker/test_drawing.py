"""What a person would see: frames, colours, videos."""

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401
from envs import Action
from walker.draw.renderer import SOLE_DOWN, SOLE_UP, Renderer, Scene
from walker.draw.video import VideoError, VideoWriter, read_frames, write_video
from walker.sim.world import HenryWorld


def colour_pixels(frame, colour):
    return int(np.all(frame == np.array(colour, dtype=np.uint8), axis=-1).sum())


def test_rgb_array_frames_show_henry_and_are_not_blank():
    env = gym.make("Henry-v0", render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (400, 600, 3) and frame.dtype == np.uint8
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) > 10
    assert colour_pixels(frame, SOLE_DOWN) > 300  # planted soles drawn green


def test_henry_moves_on_screen_when_he_walks():
    env = gym.make("Henry-v0", render_mode="rgb_array")
    env.reset(seed=0)
    before = env.render()
    for action in (Action.LIFT_RIGHT, Action.RIGHT_FORWARD, Action.PUT_DOWN_RIGHT):
        env.step(action)
    after = env.render()
    assert np.abs(before.astype(int) - after.astype(int)).sum() > 10_000


def test_contact_colour_changes_when_a_foot_lifts():
    env = gym.make("Henry-v0", render_mode="rgb_array")
    env.reset(seed=0)
    assert colour_pixels(env.render(), SOLE_UP) == 0
    env.step(Action.LIFT_RIGHT)
    assert colour_pixels(env.render(), SOLE_UP) > 300


def test_continuous_env_renders_too():
    env = gym.make("HenryContinuous-v0", render_mode="rgb_array")
    env.reset(seed=0)
    env.step(np.zeros(4, dtype=np.float32))
    assert env.render().shape == (400, 600, 3)


def test_several_lanes_on_one_surface():
    worlds = [HenryWorld(), HenryWorld()]
    for world in worlds:
        world.step(*world.commands())
    renderer = Renderer((600, 400), lanes=2)
    scenes = [Scene(w.geometry(), label=f"lane {i}") for i, w in enumerate(worlds)]
    renderer.draw(scenes)
    frame = renderer.frame()
    top, bottom = frame[:200], frame[200:]
    assert colour_pixels(top, SOLE_DOWN) > 100 and colour_pixels(bottom, SOLE_DOWN) > 100
    with pytest.raises(ValueError, match="do not fit"):
        renderer.draw(scenes * 2)


def test_record_video_wrapper_works(tmp_path):
    env = gym.wrappers.RecordVideo(gym.make("Henry-v0", render_mode="rgb_array"),
                                   str(tmp_path), episode_trigger=lambda e: True,
                                   disable_logger=True)
    env.reset(seed=0)
    for _ in range(3):
        env.step(env.action_space.sample(mask=env.unwrapped.action_masks().astype(np.int8)))
    env.close()
    assert list(tmp_path.glob("*.mp4"))


def test_video_has_the_frames_written_and_decodes(tmp_path):
    frames = [np.full((64, 96, 3), i * 8, dtype=np.uint8) for i in range(20)]
    path = write_video(tmp_path / "clip.mp4", frames, fps=10)
    decoded = read_frames(path)
    assert len(decoded) == 20 and decoded[0].shape == (64, 96, 3)
    gif = write_video(tmp_path / "clip.gif", frames[:5], fps=5)
    assert len(read_frames(gif)) == 5


def test_failed_video_leaves_no_file(tmp_path):
    target = tmp_path / "broken.mp4"
    with pytest.raises(RuntimeError), VideoWriter(target, 10) as writer:
        writer.append(np.zeros((64, 64, 3), dtype=np.uint8))
        raise RuntimeError("simulated crash")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(VideoError, match="frame size changed"), VideoWriter(target) as writer:
        writer.append(np.zeros((64, 64, 3), dtype=np.uint8))
        writer.append(np.zeros((32, 64, 3), dtype=np.uint8))
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(VideoError, match="even frame sizes"), VideoWriter(target) as writer:
        writer.append(np.zeros((65, 64, 3), dtype=np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_bad_video_requests(tmp_path):
    with pytest.raises(VideoError, match=r"\.mp4 or \.gif"):
        VideoWriter(tmp_path / "x.avi")
    with pytest.raises(VideoError, match="fps"):
        VideoWriter(tmp_path / "x.mp4", fps=0)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(VideoError, match="cannot"):
        VideoWriter(blocker / "x.mp4")
    with pytest.raises(VideoError, match="no frames"):
        VideoWriter(tmp_path / "empty.mp4").close()
