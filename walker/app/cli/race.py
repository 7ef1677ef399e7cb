"""`walker race POLICY ... [--learn 'AGENT [OPTIONS]' ...]`: policies and learners side by
side, in a window or a video."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from walker.app.cli.common import (
    UsageError,
    add_condition_option,
    add_env_options,
    add_start_options,
    add_view_options,
    shown,
)
from walker.app.core import checks
from walker.draw.window import display_available


def add_parser(verbs: Any) -> None:
    race = verbs.add_parser(
        "race",
        help="several policies or learners side by side",
        description="Each POLICY gets a lane; --learn adds lanes of agents "
        "learning as they race, each 'AGENT [OPTIONS]' with the options "
        "of 'walker train AGENT', e.g. --learn 'qlearning --epsilon-end "
        "0.01' 'qlearning --epsilon-end 0.3' (the article's two epsilons).",
    )
    race.add_argument("policies", nargs="*", metavar="POLICY")
    race.add_argument(
        "--learn",
        nargs="+",
        default=[],
        metavar="'AGENT [OPTIONS]'",
        help="learning lanes, one quoted 'AGENT [OPTIONS]' each",
    )
    add_env_options(race)
    race.add_argument(
        "--seconds", type=checks.seconds_arg, default=60.0, help="simulated seconds (default: 60)"
    )
    race.add_argument(
        "--finish",
        type=checks.metres_arg,
        default=None,
        metavar="METRES",
        help="draw a finish line; the race ends when the first Henry crosses it",
    )
    add_start_options(race, pose=False)
    add_condition_option(race)
    race.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="VIDEO",
        help="write the race to VIDEO (.mp4 or .gif)",
    )
    race.add_argument(
        "--window",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show the race in a window (default: when a display is there and no --out is given)",
    )
    race.add_argument(
        "--fps", type=checks.fps_arg, default=30.0, help="video frame rate (default: 30)"
    )
    add_view_options(race)
    race.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.out is not None:
        checks.check_output_file(args.out, "--out", checks.VIDEO_SUFFIXES)
    checks.check_lanes(len(args.policies) + len(args.learn))
    window = args.window if args.window is not None else (display_available() and args.out is None)
    if not window and args.out is None:
        raise UsageError("no display for a window: give --out race.mp4 to record the race")
    from walker.app.viewing.playback import race  # torch, pygame

    print(
        race(
            args.policies,
            learn_specs=args.learn,
            window=window,
            out=args.out,
            finish_m=args.finish,
            camera=args.camera,
            footfalls=args.footfalls,
            condition=args.condition,
            **shown(args),
        )
    )
    return 0
