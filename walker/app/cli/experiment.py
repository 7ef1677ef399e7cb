"""`walker experiment NAME`: the article's findings, and the deep agents', as reports."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from walker.app.cli.common import DEFAULT_OUT, UsageError
from walker.app.core import checks


def add_parser(verbs: Any) -> None:
    experiment = verbs.add_parser(
        "experiment",
        help="the article's findings as experiments with figures",
        description="learned: learned vs hard-coded vs best possible speed; robustness: "
        "recovery from every start state; exploration: low vs high epsilon; dungeon: the "
        "accountant and the gambler; deep: PPO and DQN against the hard-coded gaits.",
    )
    experiment.add_argument(
        "name", choices=["learned", "robustness", "exploration", "dungeon", "deep"]
    )
    experiment.add_argument(
        "--seeds", type=checks.positive_int_arg, default=10, help="training seeds (default: 10)"
    )
    experiment.add_argument(
        "--steps",
        type=checks.positive_int_arg,
        default=None,
        help="training steps per seed (default: the experiment's own)",
    )
    experiment.add_argument(
        "--workers",
        type=checks.positive_int_arg,
        default=1,
        help="deep: processes training seeds at once, one core each (default: 1)",
    )
    experiment.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the report (default: runs/experiment-<name>)",
    )
    experiment.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.out is not None:
        checks.check_output_dir(args.out, "--out")
    out = args.out or DEFAULT_OUT / f"experiment-{args.name}"
    if args.workers > 1 and args.name != "deep":
        raise UsageError(f"--workers goes with the deep experiment, not with {args.name}")
    from walker.app.experiments import article  # torch

    report = article.run(
        args.name, seeds=args.seeds, steps=args.steps, out=out, workers=args.workers
    )
    print(report)
    return 0
