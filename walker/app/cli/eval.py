"""`walker eval POLICY ...`: greedy episodes of each policy, as one table."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from walker.app.cli.common import add_env_options, add_start_options, env_kwargs
from walker.app.core import checks


def add_parser(verbs: Any) -> None:
    evaluate = verbs.add_parser(
        "eval",
        help="evaluate policies and print a table",
        description="Greedy episodes of each POLICY ('hardcoded', "
        "'random', a checkpoint or a pretrained name).",
    )
    evaluate.add_argument("policies", nargs="+", metavar="POLICY")
    add_env_options(evaluate)
    evaluate.add_argument(
        "--episodes",
        type=checks.episodes_arg,
        default=3,
        help="episodes per policy (default: 3)",
    )
    add_start_options(evaluate)
    evaluate.add_argument(
        "--seconds",
        type=checks.seconds_arg,
        default=None,
        help="episodes last up to this much simulated time, at most a day "
        "(default: the env's time limit)",
    )
    evaluate.add_argument(
        "--plot",
        type=Path,
        default=None,
        metavar="PNG",
        help="also draw a footfall diagram of each policy's first episode (Henry's envs)",
    )
    evaluate.add_argument(
        "--plot-seconds",
        type=checks.seconds_arg,
        default=5.0,
        metavar="S",
        help="the diagram shows the last S simulated seconds of each episode (default: 5)",
    )
    evaluate.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.plot is not None:
        checks.check_output_file(args.plot, "--plot", (".png",))
    from walker.app.core.compare import compare_policies  # torch

    table = compare_policies(
        args.policies,
        env_id=args.env,
        env_kwargs=env_kwargs(args),
        episodes=args.episodes,
        seed=args.seed,
        pose=args.pose,
        seconds=args.seconds,
        plot=args.plot,
        plot_seconds=args.plot_seconds,
    )
    print(table)
    return 0
