"""`walker experiment NAME`: the article's findings, and the deep agents', as reports."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from walker.app.cli.common import UsageError, add_backend_options, backend_from_args
from walker.app.core import checks
from walker.app.core.runfiles import experiment_out


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
        "--seeds", type=checks.seeds_arg, default=10, help="training seeds (default: 10)"
    )
    experiment.add_argument(
        "--steps",
        type=checks.positive_int_arg,
        default=None,
        help="training steps per seed (default: the experiment's own)",
    )
    add_backend_options(
        experiment, "deep: processes training seeds at once, one core each (default: 1)"
    )
    experiment.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"folder for the report (default: {experiment_out('<name>')})",
    )
    experiment.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.out is not None:
        checks.check_output_dir(args.out, "--out")
    out = args.out or experiment_out(args.name)
    if args.name != "deep":
        for flag, given in (
            ("--workers", (args.workers or 1) > 1),
            ("--ray", args.ray is not None),
        ):
            if given:
                raise UsageError(f"{flag} goes with the deep experiment, not with {args.name}")
    from walker.app.core.sweep import check_backend  # tqdm, ray when asked
    from walker.app.experiments import article  # torch

    backend = backend_from_args(args, default_workers=1)
    check_backend(backend)
    report = article.run(args.name, seeds=args.seeds, steps=args.steps, out=out, backend=backend)
    print(report)
    return 0
