"""`walker watch POLICY`: a policy played live in a window, with the keys of every window."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from walker.app.cli.common import (
    add_condition_option,
    add_env_options,
    add_start_options,
    add_view_options,
    env_kwargs,
)
from walker.app.core import checks
from walker.app.viewing.controls import LEGEND


def add_parser(verbs: Any) -> None:
    watch = verbs.add_parser(
        "watch",
        help="play a policy in a window",
        description="Plays POLICY ('hardcoded', 'random', a checkpoint or "
        "a pretrained name) live. Keys: " + LEGEND,
    )
    watch.add_argument("policy", metavar="POLICY")
    add_env_options(watch)
    watch.add_argument(
        "--seconds",
        type=checks.seconds_arg,
        default=None,
        help="stop after this much simulated time (default: until closed)",
    )
    add_start_options(watch)
    add_condition_option(watch)
    watch.add_argument(
        "--record",
        type=Path,
        default=None,
        metavar="VIDEO",
        help="also write what the window shows to VIDEO (.mp4 or .gif)",
    )
    watch.add_argument(
        "--ghost",
        default=None,
        metavar="POLICY",
        help="also play POLICY, drawn as a translucent Henry in the same lane",
    )
    add_view_options(watch, camera=False)
    watch.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.record is not None:
        checks.check_output_file(args.record, "--record", checks.VIDEO_SUFFIXES)
    from walker.app.viewing.playback import watch_policy  # torch, pygame

    watch_policy(
        args.policy,
        seconds=args.seconds,
        env_id=args.env,
        env_kwargs=env_kwargs(args),
        seed=args.seed,
        pose=args.pose,
        record=args.record,
        ghost=args.ghost,
        footfalls=args.footfalls,
        condition=args.condition,
    )
    return 0
