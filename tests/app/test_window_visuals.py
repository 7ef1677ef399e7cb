"""What a viewer sees in the real windows, under Xvfb: two leg colours, lanes that keep their
text, the learning panels, a push with the mouse, a resized window.

Driven with xdotool like `tests/app/test_window.py`, on a larger virtual screen so a
1280x720 race window fits.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.app.xwindow import (
    WINDOW_TEST_MARKS,
    close_window,
    count,
    current_window,
    find_window,
    geometry,
    press,
    screenshot,
    virtual_display,
    xdo,
)
from walker.draw.henry import LEFT_LEG, RIGHT_LEG
from walker.draw.panels import ILLEGAL, REFERENCE
from walker.draw.renderer import GROUND, LANE_COLORS

pytestmark = WINDOW_TEST_MARKS

ROOT = Path(__file__).resolve().parents[2]
PUSH_LINE = re.compile(r"push ([+-][\d.]+) N\*s: torso vx ([+-][\d.]+) -> ([+-][\d.]+) m/s")


@pytest.fixture(scope="module")
def big_display():
    try:
        with virtual_display("1600x1000x24") as name:
            yield name
    except RuntimeError as error:
        pytest.skip(str(error))


def start(display_name, *args):
    env = {k: v for k, v in os.environ.items() if k != "SDL_VIDEODRIVER"}
    env["DISPLAY"] = display_name
    return subprocess.Popen(
        [sys.executable, "-m", "walker", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def window_shot(display_name, window):
    x, y, w, h = geometry(display_name, window)
    return screenshot(display_name)[y : y + h, x : x + w]


def drag_on_henry(display_name, window, dx):
    """Press on Henry's torso, move `dx` pixels sideways, release."""
    shot = window_shot(display_name, window)
    ys, xs = np.nonzero(np.all(shot == LANE_COLORS[0], axis=-1))
    assert xs.size, "Henry's torso is not on screen"
    x, y = int(np.median(xs)), int(np.median(ys))
    wx, wy, _, _ = geometry(display_name, window)
    xdo(display_name, "mousemove", str(wx + x), str(wy + y))
    xdo(display_name, "mousedown", "1")
    for k in range(1, 6):
        xdo(display_name, "mousemove", str(wx + x + dx * k // 5), str(wy + y))
        time.sleep(0.03)
    xdo(display_name, "mouseup", "1")


def finish(process, timeout=30):
    try:
        assert process.wait(timeout=timeout) == 0
    finally:
        if process.poll() is None:
            process.kill()
    out, err = process.communicate()
    assert "Traceback" not in err, err
    return out, err


def test_watch_window_legs_drag_push_stand_up_and_resize(big_display):
    process = start(big_display, "watch", "hardcoded", "--seconds", "600")
    try:
        window = find_window(big_display, process)
        time.sleep(2.0)
        assert geometry(big_display, window)[2:] == (960, 540)
        both = False
        deadline = time.time() + 15
        while not both and time.time() < deadline:
            lane = window_shot(big_display, window)[80:]  # below the legend
            both = count(lane, RIGHT_LEG) > 100 and count(lane, LEFT_LEG) > 100
            time.sleep(0.3)
        assert both, "the two legs never showed in their two colours"

        drag_on_henry(big_display, window, 150)  # a shove forward
        time.sleep(2.5)  # the push lands when the next 0.6 s action begins
        press(big_display, window, "r")  # back on his feet
        time.sleep(1.5)

        window = current_window(big_display, window)
        xdo(big_display, "windowmove", str(window), "0", "0")
        xdo(big_display, "windowsize", str(window), "1200", "800")
        time.sleep(1.5)
        shot = window_shot(big_display, window)
        assert shot.shape[:2] == (800, 1200)
        assert count(shot[560:, 980:], GROUND) > 5000, "the drawing did not fill the new size"
        assert count(shot, LANE_COLORS[0]) > 2000
        close_window(big_display, window)
        _, err = finish(process)
    finally:
        if process.poll() is None:
            process.kill()
    pushes = [tuple(map(float, m)) for m in PUSH_LINE.findall(err)]
    assert pushes, f"no push was carried out: {err}"
    impulse, before, after = pushes[0]
    assert impulse > 0 and after > before + 0.3  # Henry's velocity changed with the drag
    assert "back on his feet" in err


def test_training_window_shows_speed_panel_heat_map_and_takes_a_push(big_display, tmp_path):
    process = start(
        big_display,
        "train",
        "--steps",
        "20000",
        "--episode-steps",
        "20",
        "--watch",
        "--no-progress",
        "--out",
        str(tmp_path / "run"),
    )
    try:
        window = find_window(big_display, process)
        press(big_display, window, "t")  # time-lapse: a few episodes end quickly
        press(big_display, window, "t")
        time.sleep(8.0)
        shot = window_shot(big_display, window)
        panels = shot[300:]
        assert count(panels, ILLEGAL) > 2000, "no greyed-out illegal actions in a heat map"
        heat = panels[:, 600:]
        assert len(np.unique(heat.reshape(-1, 3), axis=0)) > 40, "the heat map has no values"
        assert count(panels[:, :480], REFERENCE) > 50, "no hard-coded gait line"
        drag_on_henry(big_display, window, -150)  # a shove backward
        time.sleep(3.0)
        press(big_display, window, "Escape")
        _, err = finish(process, timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    pushes = [tuple(map(float, m)) for m in PUSH_LINE.findall(err)]
    assert pushes and pushes[0][0] < 0 and pushes[0][2] < pushes[0][1] - 0.3
    assert "time-lapse x4" in err


@pytest.mark.slow
def test_race_window_gives_each_lane_room_and_keeps_its_colours_in_it(big_display):
    process = start(
        big_display,
        "race",
        "hardcoded",
        "random",
        "qlearning-henry",
        "dqn-henry",
        "--seconds",
        "600",
    )
    try:
        window = find_window(big_display, process)
        time.sleep(3.0)
        _, _, w, h = geometry(big_display, window)
        assert (w, h) == (1280, 720)
        shot = window_shot(big_display, window)
        lane_h = h // 4
        for i, colour in enumerate(LANE_COLORS[:4]):
            mask = np.all(shot == colour, axis=-1)
            rows = np.flatnonzero(mask.any(axis=1))
            assert rows.size > 0, f"lane {i} is not drawn"
            # Its torso and its label are drawn in its colour: all of it inside its lane.
            assert rows.min() >= i * lane_h and rows.max() < (i + 1) * lane_h
        close_window(big_display, window)
        out, _ = finish(process)
    finally:
        if process.poll() is None:
            process.kill()
    assert "place" in out
