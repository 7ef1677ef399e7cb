"""Rebuild the README's pictures in assets/pictures/ from fixed seeds.

    .venv/bin/python scripts/make_pictures.py

* `gait.gif`: the pretrained Q-learning gait (assets/qlearning-henry.pt), time-lapsed x4.
* `training.png`: the training window with its learning panels at the end of a short
  Q-learning run (4,000 decisions, seed 0), taken from `walker train --record`.
* `race.png`: a four-lane race (hard-coded gait, Q-learning, DQN, random), from
  `walker record --race`.
* `walk.gif`: the continuous Henry: the closed-loop walking controller (`hardcoded`) racing
  the walk PPO learned with the walking reward option (assets/ppo-henry-walk.pt).

Everything goes through the `walker` command, so the pictures show what a user sees. Run it
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


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        walker(
            "record",
            "qlearning-henry",
            "--speed",
            "4",
            "--seconds",
            "48",
            "--fps",
            "12",
            "--size",
            "480x270",
            "--seed",
            "0",
            "--out",
            str(OUT / "gait.gif"),
        )

        run = work / "run"
        # Off screen, --watch-speed time-lapses the recording (16x: one frame per 32
        # control steps), which keeps it to a few thousand frames.
        walker(
            "train",
            "--agent",
            "qlearning",
            "--steps",
            "4000",
            "--episode-steps",
            "20",
            "--seed",
            "0",
            "--no-progress",
            "--record",
            str(work / "training.mp4"),
            "--watch-speed",
            "16",
            "--out",
            str(run),
        )
        save_png(frame_of(work / "training.mp4", 0.995), OUT / "training.png")

        walker(
            "record",
            "--race",
            "hardcoded",
            "qlearning-henry",
            "dqn-henry",
            "random",
            "--seconds",
            "24",
            "--speed",
            "2",
            "--fps",
            "15",
            "--size",
            "1280x720",
            "--seed",
            "0",
            "--out",
            str(work / "race.mp4"),
        )
        save_png(frame_of(work / "race.mp4", 1.0), OUT / "race.png")

        walker(
            "record",
            "--race",
            "hardcoded",
            "ppo-henry-walk",
            "--env",
            "HenryContinuous-v0",
            "--seconds",
            "6",
            "--fps",
            "10",
            "--size",
            "560x320",
            "--seed",
            "0",
            "--out",
            str(OUT / "walk.gif"),
        )

    sizes = {path.name: path.stat().st_size for path in sorted(OUT.iterdir())}
    for name, size in sizes.items():
        print(f"{name}: {size / 1000:.0f} kB")
    total = sum(sizes.values())
    if total > BUDGET_BYTES:
        print(f"the pictures take {total / 1e6:.2f} MB, over the 2 MB budget", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
