"""A PPO policy's window under Xvfb: its action and critic panels, and the g key's strip."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.app.xwindow import (
    WINDOW_TEST_MARKS,
    close_window,
    count,
    find_window,
    press,
    screenshot,
    virtual_display,
)
from walker.draw.footfalls import STRIP_FILL
from walker.draw.henry import RIGHT_LEG
from walker.draw.mind import VALUE

pytestmark = WINDOW_TEST_MARKS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def display():
    try:
        with virtual_display() as name:
            yield name
    except RuntimeError as error:
        pytest.skip(str(error))


def test_watching_ppo_shows_its_mind_and_g_shows_the_footfall_strip(display):
    env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER",)}
    env["DISPLAY"] = display
    process = subprocess.Popen(
        [sys.executable, "-m", "walker", "watch", "ppo-henry-walk", "--seconds", "300"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        window = find_window(display, process)
        time.sleep(3.0)
        before = screenshot(display)
        assert count(before, VALUE) > 100, "no critic line in the window"
        assert count(before, RIGHT_LEG) > 500, "no action trace (or no Henry) in the window"
        assert count(before, STRIP_FILL) < 500, "the strip is on before the key was pressed"
        press(display, window, "g")
        deadline = time.time() + 30
        while count(screenshot(display), STRIP_FILL) < 2000:
            assert time.time() < deadline, "g did not show the footfall strip"
            time.sleep(0.5)
        close_window(display, window)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert "footfall strip on" in err
    finally:
        if process.poll() is None:
            process.kill()
