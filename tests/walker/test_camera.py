"""The shared race camera: every Henry in view, the leader ahead, the lanes aligned."""

import numpy as np
import pytest

from walker.draw.camera import HENRY_HALF_WIDTH_M, MAX_ZOOM_OUT, shared_view
from walker.draw.renderer import Renderer, Scene
from walker.sim.world import Geometry, HenryWorld, LegGeometry


def shifted(geometry: Geometry, dx: float) -> Geometry:
    def move(points):
        return tuple((x + dx, y) for x, y in points)

    def leg(part: LegGeometry) -> LegGeometry:
        return LegGeometry((part.ankle[0] + dx, part.ankle[1]), move(part.sole), part.contact)

    return Geometry(
        move(geometry.torso),
        (geometry.hip[0] + dx, geometry.hip[1]),
        leg(geometry.right),
        leg(geometry.left),
    )


def in_view(view, distance, left_px, right_px):
    x = (distance - view.left_m) * view.px_per_m
    return left_px - 1e-6 <= x - HENRY_HALF_WIDTH_M * view.px_per_m and (
        x + HENRY_HALF_WIDTH_M * view.px_per_m <= right_px + 1e-6
    )


@pytest.mark.parametrize(
    "distances", [[0.0, 0.0], [0.5, 1.2, 0.9], [3.0, -1.0, 0.2, 2.5], [10.0, 0.0]]
)
def test_everyone_in_view_when_they_fit_and_the_leader_right_of_the_rest(distances):
    view = shared_view(distances, 200, 1200, 250.0)
    assert view.px_per_m <= 250.0
    for distance in distances:
        assert in_view(view, distance, 200, 1200)
    xs = [(d - view.left_m) * view.px_per_m for d in distances]
    leader = int(np.argmax(distances))
    assert xs[leader] == max(xs)
    assert xs[leader] > (200 + 1200) / 2  # ahead is to the right of the middle


def test_zooms_out_only_as_far_as_needed_then_follows_the_leader():
    close = shared_view([0.0, 0.5], 0, 1000, 250.0)
    assert close.px_per_m == 250.0  # they fit at full size: no zoom
    spread = shared_view([0.0, 6.0], 0, 1000, 250.0)
    assert 250.0 / MAX_ZOOM_OUT <= spread.px_per_m < 250.0
    far = shared_view([0.0, 100.0], 0, 1000, 250.0)
    assert far.px_per_m == pytest.approx(250.0 / MAX_ZOOM_OUT)
    assert in_view(far, 100.0, 0, 1000) and not in_view(far, 0.0, 0, 1000)


def test_shared_renderer_aligns_lanes_on_their_start_lines_and_shows_the_leader_ahead():
    base = HenryWorld().geometry()
    starts = [0.0, 5.0, -3.0]  # each lane's episode started somewhere else in its world
    covered = [1.0, 2.5, 0.2]
    renderer = Renderer((1280, 720), lanes=3, camera="shared")
    scenes = [
        Scene(shifted(base, start + d - base.hip[0]), start_x_m=start, label=f"lane {i}")
        for i, (start, d) in enumerate(zip(starts, covered, strict=True))
    ]
    renderer.draw(scenes)
    cameras = renderer._cameras
    # Lanes aligned: the same distance from the start is the same pixel column in each.
    for metres in (0.0, 1.0, 2.0):
        columns = {
            round(c.to_px(s + metres, 0.0)[0], 6) for c, s in zip(cameras, starts, strict=True)
        }
        assert len(columns) == 1
    hips = [c.to_px(*scene.geometry.hip)[0] for c, scene in zip(cameras, scenes, strict=True)]
    assert all(0 < x < 1280 for x in hips)
    assert hips[1] > hips[0] > hips[2]  # the order on screen is the order in the race
    follow = Renderer((1280, 720), lanes=3)
    follow.draw(scenes)
    follow_hips = [
        c.to_px(*s.geometry.hip)[0] for c, s in zip(follow._cameras, scenes, strict=True)
    ]
    assert max(follow_hips) - min(follow_hips) < 1  # the follow camera centres each one


def test_renderer_refuses_an_unknown_camera():
    with pytest.raises(ValueError, match="camera must be one of"):
        Renderer((600, 400), camera="orbit")
