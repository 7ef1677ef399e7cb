"""Seeing gaits without a window: footfall diagrams, the footfall strip and its key, the
shared race camera in a real race, and the network panels of the training video."""

from __future__ import annotations

from functools import partial
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from PIL import Image

import envs
from walker.app.cli import main
from walker.app.core.footfall_plot import plot_footfalls, record_footfalls
from walker.app.core.policies import load_policy, make_env
from walker.app.viewing.controls import Controls
from walker.app.viewing.lanes import Lane, open_lanes, run_lanes
from walker.draw.footfalls import STRIP_FILL, planted_intervals
from walker.draw.henry import LEFT_LEG, RIGHT_LEG
from walker.draw.mind import RECEIVED, VALUE
from walker.draw.renderer import LANE_COLORS
from walker.draw.video import read_frames


def near(image: np.ndarray, colour: tuple[int, int, int], tolerance: int = 0) -> int:
    """Pixels within `tolerance` of `colour` in every channel."""
    difference = np.abs(image[..., :3].astype(int) - np.array(colour))
    return int((difference <= tolerance).all(axis=-1).sum())


class Frames:
    """A writer that keeps the frames a run draws, for looking at them exactly."""

    def __init__(self) -> None:
        self.frames: list[np.ndarray] = []

    def append(self, frame: np.ndarray) -> None:
        self.frames.append(np.array(frame))


class StandOnOneFoot:
    """A policy built to stay where it starts: it lifts the right foot, then every further
    request is an illegal no-op, so Henry stands on his left foot."""

    def reset(self, env_index: int | None = None) -> None:
        return None

    def act(self, obs: Any, masks: Any = None, explore: bool = False) -> np.ndarray:
        return np.full(len(obs), int(envs.Action.LIFT_RIGHT))


def test_footfall_record_and_diagram_of_the_walking_controller(tmp_path) -> None:
    env_id = envs.CONTINUOUS_ID
    policy = load_policy("hardcoded", make_env(env_id, {}), 0, env_id, {})
    record = record_footfalls(partial(make_env, env_id, {}), policy, "controller", seconds=4.0)
    assert len(record.right) == len(record.left) == 240  # one sample per control step
    assert not record.fell and record.metrics.footfalls > 4
    right, left = (
        planted_intervals(record.right, record.dt_s),
        planted_intervals(record.left, record.dt_s),
    )
    assert len(right) >= 2 and len(left) >= 2  # a walk plants each foot again and again
    path = plot_footfalls(tmp_path / "feet.png", [record, record], seconds=3.0)
    image = np.asarray(Image.open(path).convert("RGB"))
    assert near(image, RIGHT_LEG) > 500 and near(image, LEFT_LEG) > 500


def test_eval_plot_writes_the_diagram_and_refuses_what_it_cannot_draw(tmp_path, capsys) -> None:
    out = tmp_path / "gait.png"
    code = main(
        ["eval", "hardcoded", "--env", "HenryContinuous-v0", "--episodes", "1"]
        + ["--seconds", "3", "--plot", str(out), "--plot-seconds", "2"]
    )
    captured = capsys.readouterr()
    assert code == 0 and out.stat().st_size > 5000
    assert f"footfall diagram (the last 2 s of each first episode): {out}" in captured.out
    assert main(["eval", "random", "--env", "Dungeon-v0", "--plot", str(out)]) == 2
    assert "not one of Henry's envs" in capsys.readouterr().err
    assert main(["eval", "hardcoded", "--plot", str(tmp_path / "gait.txt")]) == 2
    err = capsys.readouterr().err
    assert "--plot" in err and ".png" in err and len(err.strip().splitlines()) == 1


def test_the_g_key_toggles_the_footfall_strip() -> None:
    controls = Controls(None)
    assert not controls.footfalls
    controls.handle(["g"])
    assert controls.footfalls and "footfall strip on" in controls.messages[-1]
    controls.handle(["g"])
    assert not controls.footfalls


@pytest.mark.parametrize("shown", [True, False])
def test_the_strip_is_drawn_under_the_ground_only_when_asked(shown: bool) -> None:
    (lane,) = open_lanes(["hardcoded"], envs.DISCRETE_ID, {}, 0, 30.0)
    frames = Frames()
    run_lanes(
        [lane],
        seconds=3.0,
        fps=30.0,
        size=(600, 400),
        window=None,
        writer=frames,  # type: ignore[arg-type]
        footfalls=shown,
    )
    bottom = frames.frames[-1][-50:]
    strip = near(bottom, STRIP_FILL) + near(bottom, RIGHT_LEG) + near(bottom, LEFT_LEG)
    assert (strip > 5000) == shown


def test_a_shared_race_aligns_the_lanes_and_shows_the_leader_ahead() -> None:
    walker = open_lanes(["hardcoded"], envs.DISCRETE_ID, {}, 0, 30.0)[0]
    env = gym.make(envs.DISCRETE_ID)
    stander = Lane.open("stands", env, StandOnOneFoot(), fps=30.0, color=LANE_COLORS[1])  # type: ignore[arg-type]
    frames = Frames()
    run_lanes(
        [walker, stander],
        seconds=20.0,
        fps=30.0,
        size=(1280, 720),
        window=None,
        writer=frames,  # type: ignore[arg-type]
        camera="shared",
    )
    assert walker.distance_m > 0.2 and abs(stander.distance_m) < 0.05
    last = frames.frames[-1]
    top, bottom = last[:360], last[360:]

    def torso_x(lane_pixels: np.ndarray, colour: tuple[int, int, int]) -> float:
        _, xs = np.nonzero((lane_pixels == np.array(colour)).all(axis=-1))
        assert xs.size > 500, "this lane's Henry is not in view"
        return float(xs.mean())

    # Both in view, the walker drawn right of the one who stood still by his lead.
    lead_px = torso_x(top, LANE_COLORS[0]) - torso_x(bottom, LANE_COLORS[1])
    assert lead_px > 20
    # The rulers line up: the ground marks are in the same columns in both lanes.
    ruler_top = (top[300:320] == np.array([245, 240, 230])).all(axis=-1).any(axis=0)
    ruler_bottom = (bottom[300:320] == np.array([245, 240, 230])).all(axis=-1).any(axis=0)
    assert ruler_top.sum() > 20 and (ruler_top == ruler_bottom).mean() > 0.97


@pytest.mark.slow
def test_the_training_video_of_ppo_shows_its_actions_and_critic(tmp_path, capsys) -> None:
    video = tmp_path / "training.mp4"
    code = main(
        ["train", "ppo", "--env", "HenryContinuous-v0", "--steps", "256", "--n-steps", "128"]
        + ["--batch-size", "64", "--no-progress", "--record", str(video)]
        + ["--out", str(tmp_path / "run")]
    )
    capsys.readouterr()
    assert code == 0
    frame = read_frames(video)[-1]
    panels = frame[int(frame.shape[0] * 0.56) :]
    critic = panels[:, 2 * frame.shape[1] // 3 :]  # speed, actions, critic: the third one
    # H.264 shifts colours a little: count pixels near the panels' line colours.
    assert near(critic, VALUE, 40) > 100, "no critic line in the panels"
    assert near(critic, RECEIVED, 40) > 50, "no received-return line in the panels"
    assert near(panels, RIGHT_LEG, 40) > 100 and near(panels, LEFT_LEG, 40) > 100


def test_a_race_to_a_finish_line_ends_when_the_first_crosses(tmp_path) -> None:
    from walker.app.viewing.playback import race

    board = race(
        ["hardcoded", "random"],
        window=False,
        out=tmp_path / "race.mp4",
        finish_m=0.05,
        seconds=60.0,
    )
    first = board.splitlines()[0]
    assert first.startswith("hardcoded reached the 0.05 m line first, by ")
    seconds = float(first.rsplit("by ", 1)[1].rstrip(" s"))
    assert seconds < 30.0  # it ended at the line, not at the time limit
    assert len(read_frames(tmp_path / "race.mp4")) == pytest.approx(seconds * 30, abs=20)
