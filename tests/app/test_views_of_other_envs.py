"""The views (windows, videos, races, training clips) draw Henry's envs, and any other env
that renders rgb_array pictures from its own pictures under the HUD; an env that renders
none is refused in one sentence before anything is written."""

import gymnasium as gym
import numpy as np
import pytest

from walker.app.cli import main
from walker.draw.video import read_frames


def run(capsys, argv):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as stop:
        code = stop.code
    captured = capsys.readouterr()
    return code, captured.err, captured.out


def cartpole_picture(seed: int = 0) -> np.ndarray:
    """CartPole's own rgb_array picture of its first state with `seed`."""
    env = gym.make("CartPole-v1", render_mode="rgb_array")
    try:
        env.reset(seed=seed)
        return np.asarray(env.render())
    finally:
        env.close()


def dark(pixels: np.ndarray) -> int:
    """How many pixels are near black (CartPole's cart)."""
    return int((pixels.max(axis=-1) < 60).sum())


@pytest.mark.parametrize(
    ("argv", "what"),
    [
        (
            ["record", "random", "--env", "Dungeon-v0", "--seconds", "1", "--out", "d.mp4"],
            "walker record, race and watch",
        ),
        (
            ["race", "random", "hardcoded", "--env", "Dungeon-v0", "--out", "race.mp4"],
            "walker record, race and watch",
        ),
        (
            ["train", "qlearning", "--env", "Dungeon-v0", "--record", "x.mp4", "--out", "d"],
            "--watch, --record and --record-every",
        ),
        (
            ["train", "qlearning", "--env", "Dungeon-v0", "--record-every", "1", "--out", "d"],
            "--watch, --record and --record-every",
        ),
    ],
)
def test_an_env_that_renders_no_pictures_is_refused_before_anything_is_written(
    argv, what, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    code, err, _ = run(capsys, argv)
    assert code == 2
    assert err == (
        f"walker: error: {what} draw Henry's envs and envs that render rgb_array pictures, "
        "not Dungeon-v0 (it renders only ansi); use 'walker eval' to measure it\n"
    )
    assert list(tmp_path.iterdir()) == []  # no run folder, no video
    # And the retry is refused the same way, not sent to resume a run that never was.
    assert run(capsys, argv)[:2] == (code, err)


def test_a_cartpole_recording_shows_the_envs_own_picture_under_the_hud(
    capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    code, err, out = run(
        capsys, ["record", "random", "--env", "CartPole-v1", "--seconds", "1", "--out", "cp.mp4"]
    )
    assert code == 0, err
    assert "cp.mp4 (30 frames" in out
    frames = read_frames(tmp_path / "cp.mp4")
    assert len(frames) == 30
    first = frames[0].astype(int)
    own = cartpole_picture(seed=0).astype(int)
    assert first.shape == own.shape == (400, 600, 3)  # the 600x400 picture fills the lane
    # Below the HUD, the first frame is the env's own picture of its seed-0 start...
    below_hud = slice(120, 400)
    assert np.abs(first[below_hud] - own[below_hud]).mean() < 4.0
    assert dark(frames[0][below_hud]) > 500  # ...cart included
    # ...and not any other start: the picture of another seed differs where the pole is.
    other = cartpole_picture(seed=3).astype(int)
    assert (
        np.abs(first[below_hud] - own[below_hud]).mean()
        < np.abs(first[below_hud] - other[below_hud]).mean()
    )
    # The HUD is drawn over it: the top-left corner is text, not the env's white.
    hud = frames[0][:100, :150]
    assert (hud.max(axis=-1) < 120).sum() > 200
    assert (own[:100, :150] == 255).all()
    # Every frame shows the cart, and the pictures change as the pole falls.
    assert all(dark(frame[below_hud]) > 500 for frame in frames)
    assert np.abs(frames[-1].astype(int) - first).mean() > 0.5


def test_a_race_of_two_cartpole_lanes_shows_both_and_ranks_by_return(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, err, out = run(
        capsys,
        ["record", "--race", "random", "random", "--env", "CartPole-v1"]
        + ["--seconds", "1", "--out", "race.mp4"],
    )
    assert code == 0, err
    assert out.startswith("place  policy  return (current episode)\n1.  random  +")
    frames = read_frames(tmp_path / "race.mp4")
    assert len(frames) == 30
    height = frames[0].shape[0]
    for frame in frames[::10]:
        assert dark(frame[: height // 2, 380:900]) > 300  # a cart in each lane, right of
        assert dark(frame[height // 2 :, 380:900]) > 300  # the HUD


def test_options_that_only_mean_something_for_henry_are_refused_for_cartpole(
    capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    code, err, _ = run(
        capsys,
        ["record", "random", "--env", "CartPole-v1", "--ghost", "random", "--out", "g.mp4"],
    )
    assert (code, err) == (
        2,
        "walker: error: --ghost only applies to Henry's envs; this env is drawn from its "
        "own pictures: drop it\n",
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_training_cartpole_records_the_window_and_a_clip_every_episode(
    capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    code, err, _ = run(
        capsys,
        ["train", "dqn", "--env", "CartPole-v1", "--episodes", "2", "--record-every", "1"]
        + ["--record", "window.mp4", "--out", "run"],
    )
    assert code == 0, err
    clips = sorted((tmp_path / "run" / "clips").iterdir())
    assert [clip.name for clip in clips] == ["episode_00001.mp4", "episode_00002.mp4"]
    for clip in clips:
        frames = read_frames(clip)
        assert len(frames) == 180  # 6 s at 30 fps
        assert all(dark(frame[120:]) > 500 for frame in frames[::30])  # under the HUD
    assert len(read_frames(tmp_path / "run" / "montage.mp4")) == 360
    window = read_frames(tmp_path / "window.mp4")
    # The lane above the panels, right of the HUD: the cart.
    assert window and all(dark(frame[:300, 260:700]) > 300 for frame in window[::5])
