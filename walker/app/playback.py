"""The windowed and recorded verbs: `walker watch`, `walker race`, `walker record`.

Each opens lanes (`walker.app.lanes`), runs them into a window and/or a video writer, and
cleans up: a video is finished only when the run got through, and aborted otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from walker.app.lanes import open_lanes, run_lanes
from walker.app.policies import PolicyError
from walker.app.scenes import CONTROL_HZ, require_display
from walker.draw.renderer import DEFAULT_SIZE, Window
from walker.draw.video import VideoWriter


def record_policy(spec: str, out: str | Path, seconds: float = 10.0, fps: float = 30.0,
                  size: tuple[int, int] = DEFAULT_SIZE, env_id: str | None = None,
                  env_kwargs: dict[str, Any] | None = None, seed: int = 0,
                  pose: str | None = None) -> Path:
    """Write an mp4/gif of `seconds` of simulated time of POLICY walking."""
    lanes = open_lanes([spec], env_id, env_kwargs or {}, seed, fps,
                       options={"pose": pose} if pose else None)
    with VideoWriter(out, fps) as writer:
        run_lanes(lanes, seconds=seconds, fps=fps, size=size, window=None, writer=writer,
                  seed=seed)
    return Path(out)


def _run_shown(lanes: Any, window: Window | None, writer: VideoWriter | None,
               **run: Any) -> None:
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


def race(specs: Sequence[str], *, learn_specs: Sequence[str] = (), seconds: float = 30.0,
         fps: float = 30.0, size: tuple[int, int] | None = None, env_id: str | None = None,
         env_kwargs: dict[str, Any] | None = None, seed: int = 0, window: bool = True,
         out: str | Path | None = None, finish_m: float | None = None) -> str:
    """Several policies (and/or learning agents) side by side; returns the leaderboard."""
    if not specs and not learn_specs:
        raise PolicyError("a race needs at least one policy")
    if window:
        require_display()
    lanes = open_lanes(specs, env_id, env_kwargs or {}, seed, fps, learn_specs)
    height = max(DEFAULT_SIZE[1], 200 * len(lanes))
    size = size or (DEFAULT_SIZE[0] + 200, height + height % 2)
    shown = Window(size, "Henry: race") if window else None
    writer = VideoWriter(out, fps) if out is not None else None
    _run_shown(lanes, shown, writer, seconds=seconds, fps=fps, size=size, seed=seed,
               finish_m=finish_m)
    ranking = sorted(lanes, key=lambda lane: -lane.distance_m)
    lines = ["place  policy  distance (current episode)"]
    lines += [f"{place}.  {lane.label}  {lane.distance_m:+.3f} m"
              for place, lane in enumerate(ranking, 1)]
    if out is not None:
        lines.append(f"video: {out}")
    return "\n".join(lines)


def watch_policy(spec: str, *, seconds: float | None = None, env_id: str | None = None,
                 env_kwargs: dict[str, Any] | None = None, seed: int = 0,
                 pose: str | None = None, record: str | Path | None = None) -> None:
    """Play POLICY in a window (and optionally write the same frames to a video)."""
    require_display()
    fps = CONTROL_HZ if record is None else 30
    lanes = open_lanes([spec], env_id, env_kwargs or {}, seed, fps,
                       options={"pose": pose} if pose else None)
    window = Window(DEFAULT_SIZE, f"Henry: {spec}")
    writer = VideoWriter(record, fps) if record is not None else None
    _run_shown(lanes, window, writer, seconds=seconds, fps=fps, size=DEFAULT_SIZE, seed=seed)
