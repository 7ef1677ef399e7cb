"""A real window under Xvfb, looked at and driven the way a person would.

Xvfb gives a virtual screen, xdotool presses keys, Pillow takes screenshots, and closing
the window sends the same WM_DELETE_WINDOW message a window manager's close button sends.
`scripts/setup.sh dev` installs Xvfb and xdotool; without them these tests are skipped.
"""

import time

import numpy as np
import pytest

from tests.app.xwindow import (  # noqa: F401 (display is a fixture)
    WINDOW_TEST_MARKS,
    close_window,
    count,
    ended_early,
    find_window,
    press,
    screenshot,
    start_walker,
    virtual_display,
    wait_for_colour,
)
from walker.draw.renderer import LANE_COLORS, SOLE_DOWN

pytestmark = WINDOW_TEST_MARKS


@pytest.mark.slow
def test_watch_window_shows_henry_pauses_and_closes_cleanly(display):
    process = start_walker(display, "watch", "hardcoded", "--seconds", "120")
    try:
        window = find_window(display, process)
        shot = wait_for_colour(display, process, LANE_COLORS[0])  # Henry's torso
        time.sleep(1.0)  # a few steps in: a sole planted
        shot = screenshot(display)
        assert count(shot, SOLE_DOWN) > 300, "no planted sole on screen"
        hud = shot[:120, :250]
        assert (hud.sum(axis=-1) < 200).sum() > 200, "no HUD text in the top-left corner"

        press(display, window, "space")  # pause
        time.sleep(0.5)
        paused_a = screenshot(display)
        time.sleep(1.0)
        paused_b = screenshot(display)
        assert np.array_equal(paused_a, paused_b), "Henry kept moving while paused"

        press(display, window, "space")  # resume
        time.sleep(1.5)
        assert not np.array_equal(paused_b, screenshot(display)), "Henry did not resume"

        close_window(display, window)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
        output = process.communicate()
    assert "Traceback" not in output[1]


@pytest.mark.slow
def test_training_window_records_and_quits_with_escape(display, tmp_path):
    out = tmp_path / "run"
    process = start_walker(
        display,
        "train",
        "--steps",
        "3000",
        "--watch",
        "--record",
        str(out / "window.mp4"),
        "--no-progress",
        "--out",
        str(out),
    )
    try:
        window = find_window(display, process)
        wait_for_colour(display, process, LANE_COLORS[0])  # drawing, so reading keys
        press(display, window, "bracketright")  # faster
        press(display, window, "minus")  # less exploration
        time.sleep(2.0)  # two seconds of frames shown, and so written, whatever the load
        press(display, window, "Escape")  # save and quit
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        _, err = process.communicate()
    assert "epsilon set to" in err and "simulation speed x2" in err
    assert (out / "checkpoint.pt").exists()
    from walker.draw.video import read_frames

    assert len(read_frames(out / "window.mp4")) > 10  # the same frames, written as shown


@pytest.mark.slow
def test_race_window_runs_and_closes(display):
    process = start_walker(
        display,
        "race",
        "hardcoded",
        "random",
        "--learn",
        "qlearning --epsilon-end 0.01",
        "--seconds",
        "600",
    )
    try:
        window = find_window(display, process)
        wait_for_colour(display, process, LANE_COLORS[2], pixels=500)  # the third lane
        shot = screenshot(display)
        for colour in LANE_COLORS[:3]:
            assert count(shot, colour) > 500, f"lane colour {colour} missing"
        close_window(display, window)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
        out, _err = process.communicate()
    assert "place" in out


@pytest.mark.slow
def test_demo_shows_a_window_when_a_display_is_there(display, tmp_path):
    process = start_walker(
        display,
        "demo",
        # Far more than the test waits for, so training ends by Escape and only by it:
        # a run that finished on its own would put the race window under that key press.
        "--steps",
        "100000",
        "--no-video",
        "--out",
        str(tmp_path / "demo"),
    )
    try:
        window = find_window(display, process)  # the training window
        # A key sent before the window reads its events is lost, and training would go on
        # past the wait below: press once Henry is drawn.
        wait_for_colour(display, process, LANE_COLORS[0])
        press(display, window, "Escape")  # stop training early: saved, then compared
        # Then the learned gait races the hard-coded one for 30 s: two lanes, two colours.
        deadline = time.time() + 90
        raced = False
        while not raced and time.time() < deadline and process.poll() is None:
            shot = screenshot(display)
            raced = count(shot, LANE_COLORS[0]) > 500 and count(shot, LANE_COLORS[1]) > 500
            time.sleep(0.3)
        if not raced and process.poll() is not None:
            raise ended_early(process, before=" before the race of the two gaits showed")
        assert raced, "the race of the two gaits never showed (the demo still runs)"
        if process.poll() is None:  # close the race early, unless it ended by itself
            try:
                close_window(display, find_window(display, process))
            except AssertionError:
                if process.poll() is None:
                    raise
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        out, _ = process.communicate()
    assert "hard-coded gait" in out and "Q-learning" in out


# -- every windowed verb, for every agent on every env it supports -----------------------------

MATRIX = [
    # (agent, env, its own training options: a rollout or replay small enough to update).
    # PPO is tried on the continuous env; its discrete panel's data is held by test_mind.
    ("qlearning", "Henry-v0", ["--steps", "8"]),
    ("dqn", "Henry-v0", ["--steps", "8", "--learning-starts", "4", "--batch-size", "4"]),
    (
        "ppo",
        "HenryContinuous-v0",
        [
            "--steps",
            "64",
            "--n-steps",
            "16",
            "--batch-size",
            "16",
            "--num-envs",
            "2",
            "--vector",
            "async",
        ],
    ),
]


def run_shown(display, *argv, timeout=120):
    """Run `walker ARGV` with a window on `display`; its exit status and stderr."""
    process = start_walker(display, *argv)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, stdout + stderr


def lanes_drawn(video, lanes):
    """How many of the first `lanes` lane colours appear (as a torso) in some frame of the
    video; H.264 shifts colours a little, hence the tolerance."""
    from walker.draw.video import read_frames

    frames = read_frames(video)
    assert len(frames) > 5, f"only {len(frames)} frames in {video}"
    seen = set()
    for frame in frames[len(frames) // 2 :]:
        for index, colour in enumerate(LANE_COLORS[:lanes]):
            close = np.abs(frame.astype(int) - np.array(colour)).max(axis=-1) <= 24
            if close.sum() > 300:
                seen.add(index)
    return len(seen)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("agent", "env_id", "options"), MATRIX, ids=[f"{a}-{e}" for a, e, _ in MATRIX]
)
def test_train_watch_then_watch_and_race_the_checkpoint(display, tmp_path, agent, env_id, options):
    run = tmp_path / "run"
    code, output = run_shown(
        display,
        "train",
        agent,
        "--env",
        env_id,
        *options,
        "--watch",
        "--watch-speed",
        "16",
        "--record",
        str(tmp_path / "train.mp4"),
        "--no-progress",
        "--out",
        str(run),
    )
    assert code == 0 and "Traceback" not in output, output
    assert lanes_drawn(tmp_path / "train.mp4", 1) == 1
    checkpoint = str(run / "checkpoint.pt")
    code, output = run_shown(
        display, "watch", checkpoint, "--seconds", "1", "--record", str(tmp_path / "watch.mp4")
    )
    assert code == 0 and "Traceback" not in output, output
    assert lanes_drawn(tmp_path / "watch.mp4", 1) == 1
    # Four lanes: the hard-coded gait, random, the checkpoint, and the agent learning anew.
    code, output = run_shown(
        display,
        "race",
        "hardcoded",
        "random",
        checkpoint,
        "--env",
        env_id,
        "--learn",
        agent,
        "--seconds",
        "0.5",
        "--window",
        "--out",
        str(tmp_path / "race.mp4"),
    )
    assert code == 0 and "Traceback" not in output, output
    assert "4.  " in output
    assert lanes_drawn(tmp_path / "race.mp4", 4) == 4


@pytest.mark.slow
@pytest.mark.parametrize(
    ("policy", "env_id"),
    [
        # (hardcoded on Henry-v0 is the first test of this module)
        ("random", "Henry-v0"),
        ("hardcoded", "HenryContinuous-v0"),
        ("random", "HenryContinuous-v0"),
    ],
)
def test_watch_baselines_on_both_envs(display, tmp_path, policy, env_id):
    video = tmp_path / "watch.mp4"
    code, output = run_shown(
        display, "watch", policy, "--env", env_id, "--seconds", "1", "--record", str(video)
    )
    assert code == 0 and "Traceback" not in output, output
    assert lanes_drawn(video, 1) == 1
