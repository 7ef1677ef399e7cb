"""Rebuild the README's pictures in assets/pictures/ from fixed seeds.

    .venv/bin/python scripts/make_pictures.py            # all of them
    .venv/bin/python scripts/make_pictures.py race.png   # only the ones named

* `gait.gif`: the pretrained Q-learning gait (assets/qlearning-henry.pt), time-lapsed x4.
* `training.png`: the training window with its learning panels at the end of a short
  Q-learning run (4,000 decisions, seed 0), taken from `walker train --record`.
* `race.png`: a four-lane race (hard-coded gait, Q-learning, DQN, random) on the shared
  camera, with the footfall strip, from `walker record --race ... --footfalls`.
* `footfalls.png`: footfall diagrams of the walking controller and the walk PPO learned
  (HenryContinuous-v0) and of the pretrained Q-learning gait (Henry-v0), the last 6 s of
  20 s each, from `walker.app.core.footfall_plot` (what `walker eval --plot` draws; eval
  compares policies on one env, and these are on two).
* `walk.gif`: the continuous Henry: the closed-loop walking controller (`hardcoded`) racing
  the walk PPO learned with the walking reward option (assets/ppo-henry-walk.pt), each lane
  following its Henry (`--camera follow`) so the two gaits stay large enough to compare.

Everything but the footfall diagram goes through the `walker` command, so the pictures
show what a user sees. Run it
again whenever the drawing changes; the files together stay under 2 MB.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assets" / "pictures"
BUDGET_BYTES = 2_000_000
PICTURES = ("gait.gif", "training.png", "race.png", "walk.gif", "footfalls.png")
sys.path.insert(0, str(ROOT))  # this checkout's walker, also for what runs in-process


def walker(*args: str) -> None:
    command = [sys.executable, "-m", "walker", *args]
    print("$ walker " + " ".join(args), flush=True)
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}  # headless, always
    subprocess.run(command, cwd=ROOT, check=True, env={**env, "PYTHONPATH": str(ROOT)})


def frame_of(video: Path, fraction: float) -> np.ndarray:
    """The frame `fraction` (0..1) of the way through `video`."""
    from walker.draw.video import read_frames

    frames = read_frames(video)
    return frames[min(len(frames) - 1, round(fraction * (len(frames) - 1)))]


def save_png(frame: np.ndarray, path: Path) -> None:
    Image.fromarray(frame).save(path, optimize=True)


def footfalls(path: Path) -> None:
    """The controller, the learned walk and the Q-learning gait as footfall diagrams."""
    from functools import partial

    import envs
    from walker.app.core.footfall_plot import plot_footfalls, record_footfalls
    from walker.app.core.policies import load_policy, make_env

    records = []
    for spec, env_id, label in (
        ("hardcoded", envs.CONTINUOUS_ID, "walking controller (hardcoded, HenryContinuous-v0)"),
        ("ppo-henry-walk", envs.CONTINUOUS_ID, "learned walk (ppo-henry-walk)"),
        ("qlearning-henry", envs.DISCRETE_ID, "Q-learning gait (qlearning-henry, Henry-v0)"),
    ):
        policy = load_policy(spec, make_env(env_id, {}), 0, env_id, {})
        make = partial(make_env, env_id, {})
        records.append(record_footfalls(make, policy, label, seconds=20.0, seed=0))
    print(f"$ (in-process) footfall diagrams -> {path}", flush=True)
    plot_footfalls(path, records, seconds=6.0)


def main(names: list[str]) -> int:
    unknown = sorted(set(names) - set(PICTURES))
    if unknown:
        print(f"unknown pictures {unknown}; choose from {', '.join(PICTURES)}", file=sys.stderr)
        return 2
    wanted = set(names or PICTURES)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        if "gait.gif" in wanted:
            gait_gif()
        if "training.png" in wanted:
            training_png(work)
        if "race.png" in wanted:
            race_png(work)
        if "walk.gif" in wanted:
            walk_gif()
        if "footfalls.png" in wanted:
            footfalls(OUT / "footfalls.png")
    return report_sizes()


def gait_gif() -> None:
    walker(
        "record", "qlearning-henry", "--speed", "4", "--seconds", "48", "--fps", "12",
        "--size", "480x270", "--seed", "0", "--out", str(OUT / "gait.gif"),
    )  # fmt: skip


def training_png(work: Path) -> None:
    # Off screen, --watch-speed time-lapses the recording (16x: one frame per 32 control
    # steps), which keeps it to a few thousand frames.
    walker(
        "train", "--agent", "qlearning", "--steps", "4000", "--episode-steps", "20",
        "--seed", "0", "--no-progress", "--record", str(work / "training.mp4"),
        "--watch-speed", "16", "--out", str(work / "run"),
    )  # fmt: skip
    save_png(frame_of(work / "training.mp4", 0.995), OUT / "training.png")


def race_png(work: Path) -> None:
    walker(
        "record", "--race", "hardcoded", "qlearning-henry", "dqn-henry", "random",
        "--seconds", "24", "--speed", "2", "--fps", "15", "--size", "1280x720",
        "--seed", "0", "--footfalls", "--out", str(work / "race.mp4"),
    )  # fmt: skip
    save_png(frame_of(work / "race.mp4", 1.0), OUT / "race.png")


def walk_gif() -> None:
    walker(
        "record", "--race", "hardcoded", "ppo-henry-walk", "--env", "HenryContinuous-v0",
        "--seconds", "6", "--fps", "10", "--size", "560x320", "--seed", "0",
        "--camera", "follow", "--out", str(OUT / "walk.gif"),
    )  # fmt: skip


def report_sizes() -> int:
    sizes = {path.name: path.stat().st_size for path in sorted(OUT.iterdir())}
    for name, size in sizes.items():
        print(f"{name}: {size / 1000:.0f} kB")
    total = sum(sizes.values())
    if total > BUDGET_BYTES:
        print(f"the pictures take {total / 1e6:.2f} MB, over the 2 MB budget", file=sys.stderr)
        return 1
    print(f"together {total / 1e6:.2f} MB (budget 2 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
