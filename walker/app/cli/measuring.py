"""The command line of the measuring verbs, `walker bench` (agents against the hard-coded
policy) and `walker speed` (throughput against peers); `walker.app.cli` adds them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from walker.app.cli.commands import DEFAULT_OUT, cmd_bench, cmd_speed
from walker.app.core import checks

_positive_int = checks.positive_int_arg


def add_measuring_parsers(verbs: Any) -> None:
    """Declare `bench` and `speed` on the `walker` command's subparsers."""
    bench = verbs.add_parser(
        "bench",
        help="agents against the hard-coded policy, under perturbations, with CIs",
        description="Plays each AGENT on each seed under each condition and reports the "
        "mean and IQM with 95% bootstrap intervals over seeds, the probability of beating "
        "the hard-coded policy, fall rates and cost of transport: a Markdown table on "
        "stdout and in --out, with per-episode CSV and JSON and PNG plots. Run it again "
        "with the same --out to resume. Conditions: " + ", ".join(_condition_names()) + ".",
    )
    bench.add_argument(
        "agents",
        nargs="*",
        metavar="AGENT",
        help="hardcoded, random, qlearning, dqn, ppo, a checkpoint path or a "
        "pretrained name (default: every agent each env supports)",
    )
    bench.add_argument(
        "--env", default=None, metavar="ID", help="Henry-v0 or HenryContinuous-v0 (default: both)"
    )
    bench.add_argument(
        "--conditions",
        nargs="+",
        default=[],
        metavar="NAME",
        help="conditions to run (default: all; 'friction', 'mass' and 'push' name both of theirs)",
    )
    bench.add_argument(
        "--seeds",
        type=_positive_int,
        default=10,
        help="seeds, the unit of replication (default: 10)",
    )
    bench.add_argument(
        "--episodes",
        type=_positive_int,
        default=1,
        help="greedy episodes per seed and condition (default: 1)",
    )
    bench.add_argument(
        "--train-steps",
        type=_positive_int,
        default=None,
        metavar="K",
        help="train each learning agent per seed for K env steps (default: "
        "load its pretrained policy)",
    )
    bench.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        metavar="W",
        help="worker processes (default: all cores)",
    )
    bench.add_argument(
        "--ray",
        nargs="?",
        const="",
        default=None,
        metavar="ADDRESS",
        help="run the tasks on Ray: a local Ray without ADDRESS, a cluster's "
        "head (HOST:PORT) with it (needs scripts/setup.sh ray)",
    )
    bench.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT / "bench",
        help="folder for the results (default: runs/bench)",
    )
    bench.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    bench.set_defaults(func=cmd_bench)

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
        help="benchmarks to run (default: all): " + ", ".join(_speed_names()),
    )
    speed.add_argument("--out", type=Path, default=None, help="also write the figures as JSON here")
    speed.set_defaults(func=cmd_speed)


def _condition_names() -> list[str]:
    from walker.app.bench.conditions import CONDITIONS

    return list(CONDITIONS)


def _speed_names() -> list[str]:
    from walker.app.speed.benchmarks import BENCHMARKS

    return list(BENCHMARKS)
