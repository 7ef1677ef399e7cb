"""`walker demo`: train Q-learning on Henry briefly and compare it with the hard-coded gait."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from walker.app.cli.common import DEFAULT_OUT, add_start_options
from walker.app.core import checks


def add_parser(verbs: Any) -> None:
    demo = verbs.add_parser(
        "demo",
        help="train Q-learning on Henry briefly and compare it with the hard-coded gait",
        description="Trains tabular Q-learning on the discrete Henry for a short budget, then "
        "prints hard-coded, random and learned gaits side by side, and saves the run folder "
        "(config, metrics, plots, checkpoint, gait video). Headless unless a display is "
        "there and --window is not turned off.",
    )
    demo.add_argument(
        "--steps",
        type=checks.positive_int_arg,
        default=6000,
        help="training decisions (default: 6000, about 15 s on one core)",
    )
    add_start_options(demo, pose=False)
    demo.add_argument(
        "--out", type=Path, default=DEFAULT_OUT / "demo", help="run folder (default: runs/demo)"
    )
    demo.add_argument(
        "--window",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show the live window (default: when a display is available)",
    )
    demo.add_argument(
        "--video",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="write a short gait video of the learned policy (default: on)",
    )
    demo.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    checks.check_output_dir(args.out, "--out")
    from walker.app.training import runs  # torch

    started = time.perf_counter()
    report = runs.demo(
        steps=args.steps, seed=args.seed, out=args.out, window=args.window, video=args.video
    )
    print(report)
    print(f"(demo took {time.perf_counter() - started:.0f} s)")
    return 0
