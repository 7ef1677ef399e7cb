"""What each `walker` verb does: a function `cmd_<verb>(args) -> int` per verb, given the
arguments `walker.app.cli` parsed. Errors a user can fix are raised as the exceptions
`cli.main` turns into one line."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from walker.app.core import checks
from walker.app.core.options import config_from_args, given_values
from walker.app.core.stopsignals import exit_status, signal_name
from walker.errors import InputError

DEFAULT_OUT = Path("runs")


class UsageError(InputError):
    """A command-line argument that cannot work."""


def _env_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return checks.check_env_kwargs(dict(args.env_arg))


def _shown(args: argparse.Namespace) -> dict[str, Any]:
    """The options every drawn run (race, recording) takes the same way."""
    return {
        "seconds": args.seconds,
        "fps": args.fps,
        "env_id": args.env,
        "env_kwargs": _env_kwargs(args),
        "seed": args.seed,
    }


# -- verbs ---------------------------------------------------------------------------------


def cmd_train(args: argparse.Namespace) -> int:
    from walker.app.core.policies import learner_kind
    from walker.app.training import runs
    from walker.app.training.config import TrainConfig

    kind = learner_kind(args.agent)
    try:
        agent_config = config_from_args(kind.config_cls, args)
    except (ValueError, TypeError) as error:
        raise UsageError(f"bad {args.agent} hyperparameter: {error}") from error
    result = runs.train_run(
        args.agent,
        agent_config,
        config_from_args(TrainConfig, args),
        given=given_values(kind.config_cls, args),
        command=["walker", *getattr(args, "command", sys.argv[1:])],
    )
    print(result.summary())
    if result.train.stopped_by is not None:
        say(f"walker: stopped by {signal_name(result.train.stopped_by)}")
        return exit_status(result.train.stopped_by)
    if result.output_failure is not None:
        say(f"walker: error: the run is saved in {result.out}, but {result.output_failure}")
        return 1
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from walker.app.core.compare import compare_policies

    table = compare_policies(
        args.policies,
        env_id=args.env,
        env_kwargs=_env_kwargs(args),
        episodes=args.episodes,
        seed=args.seed,
        pose=args.pose,
        seconds=args.seconds,
        plot=args.plot,
        plot_seconds=args.plot_seconds,
    )
    print(table)
    return 0


def cmd_qtable(args: argparse.Namespace) -> int:
    from walker.app.core.compare import qtable_report

    text, heatmap = qtable_report(args.checkpoint, args.out, show_all=args.all)
    print(text)
    print(f"heatmap: {heatmap}")
    return 0


def cmd_experiment(args: argparse.Namespace) -> int:
    from walker.app.experiments import article as experiments

    out = args.out or DEFAULT_OUT / f"experiment-{args.name}"
    if args.workers > 1 and args.name != "deep":
        raise UsageError(f"--workers goes with the deep experiment, not with {args.name}")
    report = experiments.run(
        args.name, seeds=args.seeds, steps=args.steps, out=out, workers=args.workers
    )
    print(report)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from walker.app.training import runs

    started = time.perf_counter()
    report = runs.demo(
        steps=args.steps, seed=args.seed, out=args.out, window=args.window, video=args.video
    )
    print(report)
    print(f"(demo took {time.perf_counter() - started:.0f} s)")
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    from walker.app.viewing.playback import watch_policy

    watch_policy(
        args.policy,
        seconds=args.seconds,
        env_id=args.env,
        env_kwargs=_env_kwargs(args),
        seed=args.seed,
        pose=args.pose,
        record=args.record,
        ghost=args.ghost,
        footfalls=args.footfalls,
    )
    return 0


def cmd_race(args: argparse.Namespace) -> int:
    from walker.app.viewing.playback import race
    from walker.draw.renderer import display_available

    window = args.window if args.window is not None else (display_available() and args.out is None)
    if not window and args.out is None:
        raise UsageError("no display for a window: give --out race.mp4 to record the race")
    print(
        race(
            args.policies,
            learn_specs=args.learn,
            window=window,
            out=args.out,
            finish_m=args.finish,
            camera=args.camera,
            footfalls=args.footfalls,
            **_shown(args),
        )
    )
    return 0


def cmd_record(args: argparse.Namespace) -> int:
    from walker.app.viewing.playback import race, record_policy
    from walker.draw.renderer import DEFAULT_SIZE

    if (args.policy is None) == (args.race is None):
        raise UsageError("give either one POLICY or --race POLICY POLICY ...")
    if args.race is not None:
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
                **_shown(args),
            )
        )
        return 0
    path = record_policy(
        args.policy,
        args.out,
        size=args.size or DEFAULT_SIZE,
        pose=args.pose,
        speed=args.speed,
        ghost=args.ghost,
        footfalls=args.footfalls,
        **_shown(args),
    )
    frames = round(args.seconds * args.fps / args.speed)
    print(
        f"video: {path} ({frames} frames at {args.fps:g} fps"
        + (f", time-lapse x{args.speed:g})" if args.speed != 1 else ")")
    )
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from walker.app.bench.benchmark import run_bench
    from walker.app.core.sweep import Backend, default_workers

    backend = Backend(
        workers=args.workers or default_workers(),
        ray=args.ray is not None,
        ray_address=args.ray or None,
        workers_given=args.workers is not None,
    )
    started = time.perf_counter()
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
    )
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


def cmd_speed(args: argparse.Namespace) -> int:
    from walker.app.speed.benchmarks import BENCHMARKS
    from walker.files import atomic_write_text

    names = args.names or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        raise UsageError(
            f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}"
        )
    figures = {}
    for name in names:
        print(f"== {name} ==", flush=True)
        text, figures[name] = BENCHMARKS[name]()
        print(text, "\n", flush=True)
    if args.out is not None:
        atomic_write_text(args.out, json.dumps(figures, indent=2) + "\n")
    return 0


def say(line: str) -> None:
    """One line on stderr; after SIGHUP the terminal may be gone, and that is no new error."""
    with contextlib.suppress(OSError):
        print(line, file=sys.stderr, flush=True)
