"""`walker record POLICY --out VIDEO` (or `--race POLICY ...`): a gait video, mp4 or gif."""

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


def add_parser(verbs: Any) -> None:
    record = verbs.add_parser(
        "record",
        help="write a gait video (mp4 or gif)",
        description="Records POLICY walking, or a race with --race.",
    )
    record.add_argument("policy", nargs="?", metavar="POLICY")
    record.add_argument(
        "--race",
        nargs="+",
        default=None,
        metavar="POLICY",
        help="record several policies side by side instead",
    )
    record.add_argument("--out", type=Path, required=True, help="output .mp4 or .gif")
    record.add_argument(
        "--seconds", type=checks.seconds_arg, default=10.0, help="simulated seconds (default: 10)"
    )
    record.add_argument("--fps", type=checks.fps_arg, default=30.0, help="frame rate (default: 30)")
    record.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="X",
        help="time-lapse: simulated time runs X times faster in the video (1 to 64; default: 1)",
    )
    record.add_argument(
        "--size",
        type=checks.frame_size_arg,
        default=None,
        metavar="WxH",
        help="frame size in pixels (default: 600x400; a race: 1280x720 for "
        "up to four lanes, 180 px more per lane beyond)",
    )
    record.add_argument(
        "--ghost",
        default=None,
        metavar="POLICY",
        help="also play POLICY, drawn as a translucent Henry in the same lane",
    )
    add_env_options(record)
    add_start_options(record)
    add_condition_option(record)
    add_view_options(record)
    record.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    checks.check_output_file(args.out, "--out", checks.VIDEO_SUFFIXES)
    if (args.policy is None) == (args.race is None):
        raise UsageError("give either one POLICY or --race POLICY POLICY ...")
    from walker.app.viewing.playback import race, record_policy  # torch, pygame
    from walker.draw.renderer import DEFAULT_SIZE  # the drawing, numpy

    if args.race is not None:
        checks.check_lanes(len(args.race))
        if args.ghost is not None:
            raise UsageError("--ghost goes with one POLICY, not with --race")
        print(
            race(
                args.race,
                size=args.size,
                window=False,
                out=args.out,
                speed=args.speed,
                camera=args.camera,
                footfalls=args.footfalls,
                condition=args.condition,
                **shown(args),
            )
        )
        return 0
    path, frames = record_policy(
        args.policy,
        args.out,
        size=args.size or DEFAULT_SIZE,
        pose=args.pose,
        speed=args.speed,
        ghost=args.ghost,
        footfalls=args.footfalls,
        condition=args.condition,
        **shown(args),
    )
    print(
        f"video: {path} ({frames} frame{'s' if frames != 1 else ''} at {args.fps:g} fps"
        + (f", time-lapse x{args.speed:g})" if args.speed != 1 else ")")
    )
    return 0
