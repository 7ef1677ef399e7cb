"""`walker speed [NAME ...]`: throughput measured side by side with peers, as ratios."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from walker.app.cli.common import UsageError
from walker.app.core import checks
from walker.app.speed import BENCHMARK_NAMES
from walker.files import atomic_write_text


def add_parser(verbs: Any) -> None:
    speed = verbs.add_parser(
        "speed",
        help="throughput against peers, as ratios",
        description="physics: pymunk, Henry's envs and BipedalWalker-v3; "
        "train: the training loop against bare env stepping; render: "
        "frame cost against BipedalWalker-v3; agents: PPO and DQN against "
        "Stable-Baselines3. Peers need 'scripts/setup.sh bench'.",
    )
    speed.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="benchmarks to run (default: all): " + ", ".join(BENCHMARK_NAMES),
    )
    speed.add_argument("--out", type=Path, default=None, help="also write the figures as JSON here")
    speed.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.out is not None:
        checks.check_output_file(args.out, "--out", checks.JSON_SUFFIXES)
    from walker.app.speed.benchmarks import BENCHMARKS

    names = args.names or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        raise UsageError(
            f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}"
        )
    from walker.app.core.machine import this_machine

    machine = this_machine()
    print(f"Measured on {machine.describe()}.\n", flush=True)
    figures: dict[str, Any] = {"machine": machine.as_dict()}
    for name in names:
        print(f"== {name} ==", flush=True)
        text, figures[name] = BENCHMARKS[name]()
        print(text, "\n", flush=True)
    if args.out is not None:
        atomic_write_text(args.out, json.dumps(figures, indent=2) + "\n")
    return 0
