"""`walker bench [AGENT ...]`: agents against the hard-coded policy, under perturbation
conditions, over seeds, with confidence intervals."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from walker.app.bench.grades import CURVES
from walker.app.cli.common import add_backend_options, backend_from_args, say
from walker.app.core import checks
from walker.app.core.conditions import CONDITIONS
from walker.app.core.runfiles import BENCH_OUT


def add_parser(verbs: Any) -> None:
    bench = verbs.add_parser(
        "bench",
        help="agents against the hard-coded policy, under perturbations, with CIs",
        description="Plays each AGENT on each seed under each condition (a new draw of the "
        "condition per seed, the same for every agent) and reports the mean and IQM with 95% "
        "bootstrap intervals over seeds, the probability of beating the hard-coded policy, "
        "fall rates, the gait and cost of transport: a Markdown table on stdout and in --out, "
        "with per-episode CSV (drawn values included) and JSON and PNG plots. Run it again "
        "with the same --out to resume. Conditions: "
        + ", ".join(CONDITIONS)
        + "; curves: "
        + ", ".join(CURVES)
        + ".",
    )
    _add_what_runs(bench)
    _add_where_it_runs(bench)
    bench.set_defaults(run=run)


def _add_what_runs(bench: argparse.ArgumentParser) -> None:
    """The agents, env, conditions or curve, seeds and training budget of the sweep."""
    bench.add_argument(
        "agents",
        nargs="*",
        metavar="AGENT",
        help="hardcoded, random, qlearning, dqn, ppo, a checkpoint path, a "
        "pretrained name, sb3:MODEL.zip[:ALGO] (a Stable-Baselines3 model) or "
        "py:MODULE:NAME (a function obs -> action, or an object with predict or act) "
        "(default: every agent each env supports)",
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
        "--fixed",
        action="store_true",
        help="play each condition's fixed point (no draw per seed, no start nudge): exact "
        "replays of the old conditions",
    )
    bench.add_argument(
        "--curve",
        default=None,
        metavar="NAME",
        help="instead of the conditions, a robustness curve: fall rate and score against "
        "graded sizes of push, friction, mass or strength (PNG and CSV)",
    )
    _add_replication(bench)
    bench.add_argument(
        "--train-steps",
        type=checks.positive_int_arg,
        default=None,
        metavar="K",
        help="train each learning agent per seed for K env steps (default: "
        "load its pretrained policy)",
    )


def _add_replication(bench: argparse.ArgumentParser) -> None:
    """The seeds (how many, from where) and the episodes per seed."""
    bench.add_argument(
        "--seeds",
        type=checks.seeds_arg,
        default=10,
        help="seeds, the unit of replication (default: 10)",
    )
    bench.add_argument(
        "--first-seed",
        type=checks.nonnegative_int_arg,
        default=0,
        metavar="S",
        help="play seeds S to S+SEEDS-1 (default: 0, the bench's own); draws from, say, "
        "100000000 on are held out from the bench's, to tune on without looking at them",
    )
    bench.add_argument(
        "--episodes",
        type=checks.episodes_arg,
        default=1,
        help="greedy episodes per seed and condition (default: 1)",
    )


def _add_where_it_runs(bench: argparse.ArgumentParser) -> None:
    """The workers or Ray cluster, the output folder and the progress bars."""
    add_backend_options(
        bench, "worker processes (default: all cores; more than the cores are capped)"
    )
    bench.add_argument(
        "--out",
        type=Path,
        default=BENCH_OUT,
        help=f"folder for the results (default: {BENCH_OUT})",
    )
    bench.add_argument("--no-progress", action="store_true", help="hide the progress bars")


def run(args: argparse.Namespace) -> int:
    checks.check_output_dir(args.out, "--out")
    from walker.app.bench.benchmark import run_bench  # torch, matplotlib
    from walker.app.core.sweep import default_workers  # tqdm, ray when asked

    backend = backend_from_args(args, default_workers())
    started = time.perf_counter()
    try:
        result = run_bench(
            args.agents,
            env_id=args.env,
            conditions=args.conditions,
            seeds=args.seeds,
            episodes=args.episodes,
            train_steps=args.train_steps,
            out=args.out,
            backend=backend,
            progress=not args.no_progress,
            fixed=args.fixed,
            curve=args.curve,
            first_seed=args.first_seed,
        )
    except KeyboardInterrupt:
        say(
            f"walker: the results finished so far are kept in {args.out}; run the same "
            "command again to compute only the rest"
        )
        raise
    print(result.report)
    print(f"results: {', '.join(str(p) for p in result.files)}")
    print(
        f"({len(result.records)} results on {backend.describe()}, "
        f"{time.perf_counter() - started:.0f} s)"
    )
    for failure in result.failures:
        agent, seed, condition = failure.task.identity
        print(
            f"walker: task (agent {agent}, seed {seed}, condition {condition}) on "
            f"{failure.task.env_id} failed: {failure.message}",
            file=sys.stderr,
        )
    return 1 if result.failures else 0
