"""A PPO policy's window under Xvfb: its action and critic panels, and the g key's strip."""

import time

import pytest

from tests.app.xwindow import (  # noqa: F401 (display is a fixture)
    WINDOW_TEST_MARKS,
    close_window,
    count,
    find_window,
    press,
    screenshot,
    start_walker,
    virtual_display,
)
from walker.draw.footfalls import STRIP_FILL
from walker.draw.henry import RIGHT_LEG
from walker.draw.mind import VALUE

pytestmark = WINDOW_TEST_MARKS


@pytest.mark.slow
def test_watching_ppo_shows_its_mind_and_g_shows_the_footfall_strip(display):
    process = start_walker(display, "watch", "ppo-henry-walk", "--seconds", "300")
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
