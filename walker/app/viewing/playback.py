"""The windowed and recorded verbs: `walker watch`, `walker race`, `walker record`.

Each opens lanes (`walker.app.viewing.lanes`), runs them into a window and/or a video writer, and
cleans up: a video is finished only when the run got through, and aborted otherwise.
They draw Henry, or any env that renders rgb_array pictures (its pictures under the HUD);
the options that only mean something for Henry are refused for the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from walker.app.core.learners import PolicyError
from walker.app.viewing.controls import window_title
from walker.app.viewing.lanes import Lane, open_lanes, run_lanes
from walker.app.viewing.rates import CONTROL_HZ
from walker.app.viewing.scenes import require_display
from walker.draw.renderer import DEFAULT_SIZE, LANE_COLORS, WINDOW_SIZE, Window, race_size
from walker.draw.video import VideoWriter


class Start(NamedTuple):
    """Where a watched or recorded Henry starts: the world a bench condition drew (env
    arguments), the reset options, the reset seed, and whether the ghost starts alike."""

    world: dict[str, Any] | None
    options: dict[str, Any] | None
    seed: int
    same: bool


def _start(
    condition: str | None, seed: int, pose: str | None, env_kwargs: dict[str, Any] | None
) -> Start:
    """The start of a run: from `--pose` and `--seed` alone, or, with a bench `condition`,
    its draw for `seed` with the reset seed of that seed's first bench episode, so the run
    is the episode `walker bench` played (a deterministic policy's, step for step)."""
    if condition is None:
        return Start(None, {"pose": pose} if pose else None, seed, False)
    from walker.app.core.conditions import EPISODE_SEED_BASE, condition_named

    draw = condition_named(condition).draw(seed)
    world = draw.env_kwargs()
    clash = sorted(set(world) & set(env_kwargs or {}))
    if clash:
        raise PolicyError(
            f"--env-arg {clash[0]} cannot apply with --condition {condition}, which draws "
            "Henry's world itself; drop one of them"
        )
    options = draw.options() or {}
    if pose is not None:
        if "pose" in options:
            raise PolicyError(
                f"--pose {pose} cannot apply with --condition {condition}, which starts "
                f"Henry in its own pose ({options['pose']}); drop one of them"
            )
        options["pose"] = pose
    return Start(world, options or None, EPISODE_SEED_BASE + 1000 * seed, True)


class Recording(NamedTuple):
    """A video written: where, and how many frames it holds."""

    path: Path
    frames: int


def record_policy(
    spec: str,
    out: str | Path,
    seconds: float = 10.0,
    fps: float = 30.0,
    size: tuple[int, int] = DEFAULT_SIZE,
    env_id: str | None = None,
    env_kwargs: dict[str, Any] | None = None,
    seed: int = 0,
    pose: str | None = None,
    speed: float = 1.0,
    ghost: str | None = None,
    footfalls: bool = False,
    condition: str | None = None,
) -> Recording:
    """Write an mp4/gif of `seconds` of simulated time of POLICY walking, time-lapsed
    `speed` times, with a `ghost` policy drawn translucent beside him if given and the
    footfall strip under the ground with `footfalls`; with `condition`, in the world and
    from the start `walker bench` draws for that condition and `seed`."""
    start = _start(condition, seed, pose, env_kwargs)
    lanes = [_one_lane(spec, env_id, env_kwargs, seed, fps, start, speed=speed)]
    _henry_only(lanes, {"--pose": pose, "--ghost": ghost, "--footfalls": footfalls})
    shade = _ghost_lane(ghost, env_id, env_kwargs, seed, fps, start, speed)
    writer = VideoWriter(out, fps)
    _run_shown(
        lanes,
        None,
        writer,
        seconds=seconds,
        fps=fps,
        size=size,
        seed=start.seed,
        same_start=start.same,
        speed=speed,
        ghost=shade,
        footfalls=footfalls,
    )
    return Recording(Path(out), writer.frames)


def _henry_only(lanes: Sequence[Lane], given: dict[str, Any]) -> None:
    """Refuse (closing the lanes) the options given that mean something only for Henry,
    when the lanes show another env's own pictures."""
    named = [name for name, value in given.items() if value not in (None, False)]
    if not named or all(lane.henry for lane in lanes):
        return
    for lane in lanes:
        lane.close()
    raise PolicyError(
        f"{', '.join(named)} only {'apply' if len(named) > 1 else 'applies'} to Henry's envs; "
        "this env is drawn from its own pictures: drop "
        f"{'them' if len(named) > 1 else 'it'}"
    )


def _ghost_lane(
    spec: str | None,
    env_id: str | None,
    env_kwargs: dict[str, Any] | None,
    seed: int,
    fps: float,
    start: Start,
    speed: float,
) -> Lane | None:
    if spec is None:
        return None
    lane = _one_lane(spec, env_id, env_kwargs, seed, fps, start, speed=speed)
    lane.label, lane.color = spec, LANE_COLORS[1]
    return lane


def _one_lane(
    spec: str,
    env_id: str | None,
    env_kwargs: dict[str, Any] | None,
    seed: int,
    fps: float,
    start: Start,
    **view: Any,
) -> Lane:
    """POLICY's lane in the world and with the reset options `start` says (`view`: the
    lane's `speed` or `mind`)."""
    (lane,) = open_lanes(
        [spec],
        env_id,
        env_kwargs or {},
        seed,
        fps,
        options=start.options,
        world=start.world,
        **view,
    )
    return lane


def _run_shown(lanes: Any, window: Window | None, writer: VideoWriter | None, **run: Any) -> None:
    """`run_lanes` into a window and/or a writer; the video is kept only if the run ends
    normally, and the window is closed however it ends."""
    try:
        run_lanes(lanes, window=window, writer=writer, **run)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    finally:
        if window is not None:
            window.close()
    if writer is not None:
        writer.close()


def race(
    specs: Sequence[str],
    *,
    learn_specs: Sequence[str] = (),
    seconds: float = 30.0,
    fps: float = 30.0,
    size: tuple[int, int] | None = None,
    env_id: str | None = None,
    env_kwargs: dict[str, Any] | None = None,
    seed: int = 0,
    window: bool = True,
    out: str | Path | None = None,
    finish_m: float | None = None,
    speed: float = 1.0,
    camera: str = "shared",
    footfalls: bool = False,
    condition: str | None = None,
) -> str:
    """Several policies (and/or learning agents) side by side, on one `camera` (`shared`)
    or each followed (`follow`); returns the leaderboard. With `finish_m` the race ends
    when the first Henry crosses the finish line. With `condition`, every lane plays in the
    world and from the start `walker bench` draws for that condition and `seed` (the same
    push, bumps or body for all, so they race on one course)."""
    if not specs and not learn_specs:
        raise PolicyError("a race needs at least one policy")
    start = _start(condition, seed, None, env_kwargs)
    if window:
        require_display()
    lanes = open_lanes(
        specs,
        env_id,
        env_kwargs or {},
        seed,
        fps,
        learn_specs,
        options=start.options,
        speed=speed,
        world=start.world,
    )
    _henry_only(lanes, {"--finish": finish_m, "--footfalls": footfalls})
    size = size or race_size(len(lanes))
    shown = Window(size, window_title("race")) if window else None
    writer = VideoWriter(out, fps) if out is not None else None
    _run_shown(
        lanes,
        shown,
        writer,
        seconds=seconds,
        fps=fps,
        size=size,
        seed=start.seed,
        same_start=start.same,
        finish_m=finish_m,
        speed=speed,
        camera=camera,
        footfalls=footfalls,
    )
    return _leaderboard(lanes, finish_m, out)


def _leaderboard(lanes: Sequence[Lane], finish_m: float | None, out: str | Path | None) -> str:
    """The race's places, the winner's time to the finish line if there was one, the video."""
    ranking = sorted(lanes, key=lambda lane: -lane.score)
    henry = all(lane.henry for lane in lanes)
    lines = [f"place  policy  {'distance' if henry else 'return'} (current episode)"]
    if finish_m is not None and ranking and ranking[0].distance_m >= finish_m:
        winner = ranking[0]
        time_s = winner.frame.time_s if winner.frame is not None else float("nan")
        lines.insert(0, f"{winner.label} reached the {finish_m:g} m line first, by {time_s:.1f} s")
    lines += [
        f"{place}.  {lane.label}  {lane.score:+.3f}{' m' if henry else ''}"
        for place, lane in enumerate(ranking, 1)
    ]
    if out is not None:
        lines.append(f"video: {out}")
    return "\n".join(lines)


def watch_policy(
    spec: str,
    *,
    seconds: float | None = None,
    env_id: str | None = None,
    env_kwargs: dict[str, Any] | None = None,
    seed: int = 0,
    pose: str | None = None,
    record: str | Path | None = None,
    ghost: str | None = None,
    footfalls: bool = False,
    condition: str | None = None,
) -> None:
    """Play POLICY in a window (and optionally write the same frames to a video), with a
    `ghost` policy drawn translucent in the same lane if given; with `condition`, in the
    world and from the start `walker bench` draws for that condition and `seed`. A PPO or
    DQN policy shows what its networks say in panels under the lane
    (`walker.app.viewing.mind`)."""
    require_display()
    fps = CONTROL_HZ if record is None else 30
    start = _start(condition, seed, pose, env_kwargs)
    lanes = [_one_lane(spec, env_id, env_kwargs, seed, fps, start, mind=True)]
    _henry_only(lanes, {"--pose": pose, "--ghost": ghost, "--footfalls": footfalls})
    shade = _ghost_lane(ghost, env_id, env_kwargs, seed, fps, start, 1.0)
    window = Window(WINDOW_SIZE, window_title(spec + (f" (ghost: {ghost})" if ghost else "")))
    writer = VideoWriter(record, fps) if record is not None else None
    _run_shown(
        lanes,
        window,
        writer,
        seconds=seconds,
        fps=fps,
        size=WINDOW_SIZE,
        seed=start.seed,
        same_start=start.same,
        ghost=shade,
        footfalls=footfalls,
    )
