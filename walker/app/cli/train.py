"""`walker train AGENT [options]`: one subparser per agent, its options generated from
`TrainConfig` (the run) and the agent's config dataclass (its hyperparameters)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from walker.app.cli.common import UsageError, say
from walker.app.core import checks
from walker.app.core.learners import learner_kind, learner_kinds
from walker.app.core.options import add_config_options, config_from_args, given_values
from walker.app.core.stopsignals import exit_status, signal_name
from walker.app.training.config import TrainConfig


def add_parser(verbs: Any) -> None:
    train = verbs.add_parser(
        "train",
        help="train an agent",
        description="Train an agent with the shared training loop. 'walker train AGENT "
        "--help' lists the run's options and AGENT's hyperparameters. AGENT defaults to "
        "qlearning; 'walker train --agent AGENT ...' is the older spelling.",
    )
    agents = train.add_subparsers(dest="agent", metavar="AGENT", required=True)
    for name, kind in sorted(learner_kinds().items()):
        parser = agents.add_parser(
            name,
            help=f"train {name} (default env {kind.default_env})",
            description=f"Train {name}; the env defaults to {kind.default_env}.",
        )
        add_config_options(parser.add_argument_group("the run"), TrainConfig)
        add_config_options(parser.add_argument_group(f"{name} hyperparameters"), kind.config_cls)
        parser.set_defaults(run=run)


def respell(argv: list[str]) -> list[str]:
    """`walker train AGENT ...` from the older spellings `walker train [options] --agent
    AGENT [options]` and `walker train [options]` (Q-learning)."""
    if argv == ["train"]:
        return ["train", "qlearning"]
    if len(argv) < 2 or argv[0] != "train" or argv[1] in ("-h", "--help"):
        return argv
    if not argv[1].startswith("-"):
        return argv
    options = argv[1:]
    # `--agent` was an ordinary option before the subparsers: it may come anywhere.
    for i, item in enumerate(options):
        if item == "--agent" and i + 1 < len(options):
            return ["train", options[i + 1], *options[:i], *options[i + 2 :]]
        if item.startswith("--agent="):
            return ["train", item.split("=", 1)[1], *options[:i], *options[i + 1 :]]
    return ["train", "qlearning", *options]


def _check_outputs(args: argparse.Namespace) -> None:
    """The outputs given on the command line; the default run folder is checked by
    `runs.train_run` once it is known."""
    if args.record is not None:
        checks.check_output_file(args.record, "--record", checks.VIDEO_SUFFIXES)
    if args.out is not None:
        checks.check_output_dir(args.out, "--out")
    if args.tensorboard is not None:
        checks.check_output_dir(args.tensorboard, "--tensorboard")


def run(args: argparse.Namespace) -> int:
    _check_outputs(args)
    from walker.app.training import runs  # torch

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
