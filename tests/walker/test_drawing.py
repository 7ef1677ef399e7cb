"""What a person would see: frames, colours, videos."""

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401
from envs import Action
from walker.draw.renderer import BUMP_EDGE, SOLE_DOWN, SOLE_UP, Renderer, Scene
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


def test_bumps_are_drawn_where_they_are():
    spec = {"bump_height_m": 0.025, "bump_start_m": 0.4, "bump_spacing_m": 0.5}
    env = gym.make("HenryContinuous-v0", render_mode="rgb_array", spec=spec)
    env.reset(seed=0)
    frame = env.render()
    flat = gym.make("HenryContinuous-v0", render_mode="rgb_array")
    flat.reset(seed=0)
    # The bumps' top edges show on the bumpy ground only, in a row of short lines.
    assert colour_pixels(flat.render(), BUMP_EDGE) == 0
    rows, columns = np.nonzero(np.all(frame == np.array(BUMP_EDGE, dtype=np.uint8), axis=-1))
    assert len(rows) > 20
    world = env.unwrapped.world
    renderer = env.unwrapped._renderer.renderer
    camera = renderer._cameras[0]
    near, far, height = world.bumps[0]
    left, top = camera.to_px(near, height)
    right, _ = camera.to_px(far, 0.0)
    first = columns < (left + right) / 2 + (right - left)
    assert abs(columns[first].min() - left) <= 2 and abs(columns[first].max() - right) <= 2
    assert abs(np.median(rows[first]) - top) <= 2
    assert np.all(rows < camera.ground_px)  # on the ground, not under it


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
    env = gym.wrappers.RecordVideo(
        gym.make("Henry-v0", render_mode="rgb_array"),
        str(tmp_path / "videos"),  # a new folder: RecordVideo warns before overwriting one
        episode_trigger=lambda e: True,
        disable_logger=True,
    )
    env.reset(seed=0)
    for _ in range(3):
        env.step(env.action_space.sample(mask=env.unwrapped.action_masks().astype(np.int8)))
    env.close()
    assert list((tmp_path / "videos").glob("*.mp4"))


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


# -- a Henry you can read, layouts that scale, panels, ghosts -------------------------------

from walker.draw.henry import LEFT_LEG, OUTLINE, RIGHT_LEG, shade  # noqa: E402
from walker.draw.panels import ILLEGAL, Panels, QTableView, SpeedCurve  # noqa: E402
from walker.draw.renderer import LANE_COLORS, MIN_LANE_PX, QRow, race_size  # noqa: E402


def walked_world(steps=40):
    world = HenryWorld()
    for _ in range(steps):
        world.step(*world.commands())
    return world


def long_hud(i):
    return {
        "episode": 12,
        "time": "31.0 s",
        "distance": "+1.234 m",
        "speed": "0.040 m/s",
        "return": "1.234",
        "epsilon": "0.050",
        "best distance": "1.500 m",
        "place": i + 1,
        "note": "a long line that would run on into the next lane " * 2,
    }


def test_both_legs_have_their_own_colour_and_a_legend():
    env = gym.make("Henry-v0", render_mode="rgb_array")
    env.reset(seed=0)
    env.step(Action.LIFT_RIGHT)
    frame = env.render()
    assert colour_pixels(frame, RIGHT_LEG) > 150
    assert colour_pixels(frame, LEFT_LEG) > 150
    legend = frame[:60, -160:]
    assert colour_pixels(legend, RIGHT_LEG) > 20 and colour_pixels(legend, LEFT_LEG) > 20


def test_the_leg_telescopes_on_screen():
    """Lifting a foot shortens the leg: less of the inner rod shows, the sleeve stays."""
    rod = shade(RIGHT_LEG, OUTLINE, 0.35)
    env = gym.make("Henry-v0", render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    env.step(Action.LIFT_RIGHT)
    lifted = env.render()
    assert colour_pixels(lifted, rod) < 0.8 * colour_pixels(frame, rod)
    assert colour_pixels(lifted, rod) > 20


def test_race_frames_give_every_lane_room_and_keep_text_in_its_lane():
    lanes = 4
    size = race_size(lanes)
    assert size == (1280, 720)
    renderer = Renderer(size, lanes=lanes)
    worlds = [walked_world() for _ in range(lanes)]
    rows = [QRow("LIFT_RIGHT", 0.12, True), QRow("LIFT_LEFT", -0.03), QRow("RIGHT_FORWARD", 0.0)]
    scenes = [
        Scene(
            w.geometry(),
            label=f"policy number {i}",
            color=LANE_COLORS[i],
            hud=long_hud(i),
            qrows=rows,
            curve=[0.1, 0.3, 0.2, 0.4],
            episode=1,
        )
        for i, w in enumerate(worlds)
    ]
    renderer.draw(scenes)  # Henry's place on screen settles after a frame
    for i in range(lanes):
        renderer.draw(scenes)
        renderer.draw(scenes)
        full_frame = np.asarray(renderer.frame()).copy()
        rect = renderer.lane_rect(i)
        assert rect.height >= MIN_LANE_PX
        torso = np.all(full_frame[rect.top : rect.bottom] == LANE_COLORS[i], axis=-1)
        ys = np.flatnonzero(np.any(torso, axis=1))
        henry_px = 0.5 * renderer.px_per_m(i)
        assert henry_px >= 100 and ys.size > 0
        bare = list(scenes)
        bare[i] = Scene(
            worlds[i].geometry(), color=LANE_COLORS[i], curve=scenes[i].curve, episode=1
        )
        renderer.draw(bare)
        changed = np.any(np.asarray(renderer.frame()) != full_frame, axis=-1)
        changed_rows = np.flatnonzero(np.any(changed, axis=1))
        assert changed_rows.size > 0, "the lane's text was not drawn at all"
        assert changed_rows.min() >= rect.top and changed_rows.max() < rect.bottom, (
            f"lane {i}'s text reaches rows {changed_rows.min()}..{changed_rows.max()}, "
            f"outside {rect.top}..{rect.bottom}"
        )


def test_ruler_labels_never_touch():
    renderer = Renderer((300, 200))
    renderer.draw([Scene(walked_world().geometry())])
    frame = np.asarray(renderer.frame())
    ground = renderer._cameras[0].ground_px
    strip = np.all(frame[ground + 9 :, :] == (245, 240, 230), axis=-1).any(axis=0)
    # Runs of label ink along x are separated by gaps of at least a few pixels.
    edges = np.flatnonzero(np.diff(strip.astype(int)))
    gaps = [b - a for a, b in zip(edges[1::2], edges[2::2], strict=False)]
    assert min(gaps, default=99) >= 1


def test_footprints_mark_where_each_foot_was_planted():
    env = gym.make("Henry-v0", render_mode="rgb_array")
    env.reset(seed=0)
    for action in (Action.LIFT_RIGHT, Action.RIGHT_FORWARD, Action.PUT_DOWN_RIGHT):
        env.step(action)
    frame = env.render()
    ground = env.unwrapped._renderer.renderer._cameras[0].ground_px
    below = frame[ground : ground + 12]
    assert colour_pixels(below, RIGHT_LEG) > 5 and colour_pixels(below, LEFT_LEG) > 5


def test_panels_draw_the_speed_curve_and_the_whole_q_table():
    renderer = Renderer((960, 540))
    rng = np.random.default_rng(0)
    q = rng.normal(size=(75, 8))
    legal = rng.random((75, 8)) < 0.4
    panels = Panels(
        SpeedCurve(list(rng.uniform(0, 0.06, 50)), reference_m_s=0.04),
        QTableView(q, legal, [a.name for a in Action], state=5, action=2),
    )
    renderer.draw([Scene(walked_world().geometry())], panels)
    frame = np.asarray(renderer.frame())
    strip = frame[540 - renderer.panel_height :]
    assert colour_pixels(strip, ILLEGAL) > 1000  # illegal actions greyed
    heat = strip[:, 480:]
    assert len(np.unique(heat.reshape(-1, 3), axis=0)) > 60  # many Q-values, many colours
    assert colour_pixels(strip, (192, 57, 43)) > 50  # the hard-coded gait's line
    assert colour_pixels(strip, (230, 20, 20)) > 20  # the chosen action boxed
    # The lane above is shorter but Henry is still there.
    assert colour_pixels(frame[: 540 - renderer.panel_height], LANE_COLORS[0]) > 1000


def test_a_ghost_is_drawn_translucent_in_the_same_lane():
    renderer = Renderer((600, 400))
    henry, ghost = walked_world(), HenryWorld()
    for _ in range(40):
        ghost.step(*ghost.commands())
    ghost.step(*ghost.commands())
    plain = Scene(henry.geometry(), episode=1)
    renderer.draw([plain])
    before = np.asarray(renderer.frame()).copy()
    haunted = Scene(
        henry.geometry(),
        episode=1,
        ghost=ghost.geometry(),
        ghost_label="other",
        ghost_color=LANE_COLORS[1],
    )
    # Shift the ghost's start so it stands beside Henry, not under him.
    haunted.ghost_start_x_m = -0.5
    renderer.draw([haunted])
    after = np.asarray(renderer.frame())
    changed = np.any(before != after, axis=-1)
    assert changed.sum() > 1500
    lane = after[80:]  # below the legend, whose swatch has the ghost's colour
    assert colour_pixels(lane, LANE_COLORS[1]) == 0  # blended with what is behind it


def test_hud_text_reads_over_a_ghost_behind_it():
    renderer = Renderer((600, 200))  # a short lane: the ghost's torso reaches the HUD
    henry, ghost = walked_world(), walked_world(30)
    hud = {"episode": 3, "distance": "+1.234 m", "speed": "0.640 m/s", "time": "12 s", "x": 1}

    def frame(ghost_start_x_m):
        scene = Scene(henry.geometry(), episode=1, hud=hud, ghost=ghost.geometry())
        scene.ghost_start_x_m = ghost_start_x_m  # +: the ghost stands that far behind
        renderer.draw([scene])
        return np.asarray(renderer.frame()).astype(int)

    out_of_view = frame(-50.0)
    under_the_hud = frame(0.6)
    changed = np.abs(under_the_hud - out_of_view).max(axis=-1)
    line_h = renderer._font.get_linesize()
    hud_rows = changed[6 : 6 + len(hud) * line_h, 8 : renderer._hud_right]
    elsewhere = changed.copy()
    elsewhere[: 6 + len(hud) * line_h + 2, : renderer._hud_right + 4] = 0
    assert (hud_rows > 0).sum() > 50  # the ghost is there, behind the text
    assert elsewhere.max() > 40  # and drawn plainly where no text is
    assert hud_rows.max() <= 0.4 * elsewhere.max()  # faint behind the text


def test_resize_draws_at_the_new_size():
    renderer = Renderer((960, 540))
    scene = Scene(walked_world().geometry())
    renderer.draw([scene])
    renderer.resize((640, 480))
    renderer.draw([scene])
    frame = renderer.frame()
    assert frame.shape == (480, 640, 3)
    assert colour_pixels(frame, LANE_COLORS[0]) > 1000


def test_a_picture_lane_shows_the_picture_scaled_and_centred_under_the_hud():
    # A 60x40 picture: a red left half and a blue right half, drawn in a 600x400 frame's
    # two 600x200 lanes: scaled to 300x200 and centred, 150 px of background either side.
    picture = np.zeros((40, 60, 3), dtype=np.uint8)
    picture[:, :30] = (220, 30, 30)
    picture[:, 30:] = (30, 30, 220)
    renderer = Renderer((600, 400), lanes=2)
    renderer.draw(
        [
            Scene(None, label="cart", hud={"episode": 1}, picture=picture),
            Scene(None, hud={"steps": 5}, picture=picture, place=1),
        ]
    )
    frame = renderer.frame()
    for top in (0, 200):
        lane = frame[top : top + 200]
        assert tuple(lane[100, 200]) == (220, 30, 30)
        assert tuple(lane[100, 400]) == (30, 30, 220)
        assert tuple(lane[100, 140]) == tuple(lane[100, 460]) != (220, 30, 30)  # background
        assert colour_pixels(lane[:, 150:300], (220, 30, 30)) > 0.9 * 150 * 200
    # The HUD is drawn over the lane (the label in its colour), and no Henry's legend.
    assert (np.abs(frame[:30, :120].astype(int) - (52, 120, 200)).sum(axis=-1) < 60).sum() > 20
    assert renderer.henry_at((300, 100)) is None
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        renderer.draw([Scene(None, picture=picture.astype(float))])
