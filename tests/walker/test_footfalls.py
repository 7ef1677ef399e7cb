"""The footfall diagram's data (planted and flight intervals) and the window's strip."""

import numpy as np
import pytest

from walker.draw.footfalls import (
    FLIGHT,
    ContactHistory,
    draw_footfall_strip,
    flight_intervals,
    planted_intervals,
)
from walker.draw.henry import LEFT_LEG, RIGHT_LEG
from walker.draw.window import pygame_module


def test_planted_intervals_of_a_synthetic_contact_sequence():
    down = [True, True, False, False, True, False, True, True, True]
    assert planted_intervals(down, 0.5) == [(0.0, 1.0), (2.0, 2.5), (3.0, 4.5)]
    assert planted_intervals(down, 0.5, start_s=10.0)[0] == (10.0, 11.0)
    assert planted_intervals([False, False], 0.1) == []
    assert planted_intervals([], 0.1) == []
    assert planted_intervals([True] * 4, 0.25) == [(0.0, 1.0)]


def test_flight_is_when_neither_foot_is_planted():
    right = [True, False, False, False, True, True]
    left = [False, False, True, False, False, True]
    # Slices 1 and 3 have both feet up; slice 2 the left foot is down.
    assert flight_intervals(right, left, 1.0) == [(1.0, 2.0), (3.0, 4.0)]
    with pytest.raises(ValueError, match="as many samples"):
        flight_intervals([True], [True, False], 1.0)
    with pytest.raises(ValueError, match="dt_s"):
        planted_intervals([True], 0.0)


def test_history_keeps_the_last_span_and_snapshots_do_not_change():
    history = ContactHistory(dt_s=0.25, span_s=1.0)  # 4 samples
    history.extend([(True, False), (True, False)], end_s=0.5)
    first = history.window()
    assert first.start_s == 0.0 and first.end_s == 0.5
    history.extend([(False, True)] * 3, end_s=1.25)
    window = history.window()
    assert len(window.right) == 4  # the oldest sample fell out of the span
    assert window.start_s == pytest.approx(0.25)
    assert window.planted() == ([(0.25, 0.5)], [(0.5, 1.25)])
    assert list(first.right) == [True, True]  # the earlier snapshot is its own copy
    history.clear(2.0)
    assert len(history.window().right) == 0 and history.window().end_s == 2.0


def test_strip_draws_each_foot_in_its_row_and_flight_in_amber():
    pg = pygame_module()
    surface = pg.Surface((300, 40))
    history = ContactHistory(dt_s=0.1, span_s=3.0)
    # 1 s right foot down, 1 s both up, 1 s left foot down.
    history.extend([(True, False)] * 10 + [(False, False)] * 10 + [(False, True)] * 10, 3.0)
    font = pg.font.Font(None, 14)
    draw_footfall_strip(
        surface, pg.Rect(0, 0, 300, 40), history.window(), lambda s, c: font.render(s, True, c)
    )
    frame = np.asarray(pg.surfarray.array3d(surface)).transpose(1, 0, 2)

    def share(part, colour):
        return np.all(part == np.array(colour, dtype=np.uint8), axis=-1).mean()

    third = (300 - 12) // 3
    top, bottom = frame[3:18], frame[22:37]
    assert share(top[:, 20 : 12 + third], RIGHT_LEG) > 0.8  # right foot down first
    assert share(bottom[:, 20 : 12 + third], LEFT_LEG) < 0.05
    assert share(frame[3:37, 20 + third : 2 * third], FLIGHT) > 0.7  # then both up
    assert share(bottom[:, 30 + 2 * third : 290], LEFT_LEG) > 0.8  # then the left foot
    assert share(top[:, 30 + 2 * third : 290], RIGHT_LEG) < 0.05
