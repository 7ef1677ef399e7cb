"""The `walker` command: demo, train, eval, qtable, experiment, watch, race, record, bench,
speed.

This module declares the command line; each verb is a function `cmd_<verb>(args) -> int` in
`walker.app.cli.commands`. Errors a user can fix (bad options,
damaged checkpoints, unwritable folders, no display) are caught here and printed as one
line, `walker: error: ...`, with exit status 2; everything else is a bug and shows its
traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import walker
from walker.app.cli.commands import (
    DEFAULT_OUT,
    cmd_demo,
    cmd_eval,
    cmd_experiment,
    cmd_qtable,
    cmd_race,
    cmd_record,
    cmd_train,
    cmd_watch,
    say,
)
from walker.app.cli.measuring import add_measuring_parsers
from walker.app.core import checks
from walker.app.core.checks import OneLineParser
from walker.app.core.options import add_config_options, key_value
from walker.app.core.stopsignals import exit_status, signal_name, stop_on_signals
from walker.errors import WalkerError

# -- shared option groups ----------------------------------------------------------------


def _add_env_options(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    parser.add_argument(
        "--env",
        default=default,
        metavar="ID",
        help="Gymnasium env id (Henry-v0, HenryContinuous-v0, CartPole-v1, ...)"
        + (f" (default: {default})" if default else ""),
    )
    parser.add_argument(
        "--env-arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        type=key_value,
        help="keyword argument for the env, e.g. extension_levels=7 "
        "(repeatable; values are parsed as JSON when they can be)",
    )


def _add_start_options(parser: argparse.ArgumentParser, pose: bool = True) -> None:
    """--seed, and --pose where Henry's start can be chosen."""
    parser.add_argument("--seed", type=_seed, default=0, help="random seed (default: 0)")
    if pose:
        parser.add_argument(
            "--pose",
            default=None,
            help="Henry's start pose: standing, left_foot_up, right_foot_up or random "
            "(default: the env's)",
        )


def _add_view_options(parser: argparse.ArgumentParser, camera: bool = True) -> None:
    """--footfalls, and --camera where several lanes are drawn."""
    parser.add_argument(
        "--footfalls",
        action="store_true",
        help="draw a scrolling footfall strip under the ground: a bar per foot, filled "
        "while planted, flight in amber (in a window the g key toggles it)",
    )
    if camera:
        parser.add_argument(
            "--camera",
            choices=("shared", "follow"),
            default="shared",
            help="several lanes: one shared camera, lanes aligned on their start lines and "
            "the leader ahead (default), or a camera following each Henry",
        )


_positive_int = checks.positive_int_arg
_size = checks.frame_size_arg
_seed = checks.seed_arg
_seconds = checks.seconds_arg
_metres = checks.metres_arg
_fps = checks.fps_arg


# -- parser --------------------------------------------------------------------------------


def _add_train_parser(verbs: Any) -> None:
    """`walker train AGENT [options]`: one subparser per agent, each generated from
    `TrainConfig` (the run) and the agent's config dataclass (its hyperparameters)."""
    from walker.app.core.policies import learner_kinds
    from walker.app.training.config import TrainConfig

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
        parser.set_defaults(func=cmd_train)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="walker",
        description="Henry, a simulated two-legged robot that learns to walk.",
    )
    parser.add_argument("--version", action="version", version=f"walker {walker.__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    demo = verbs.add_parser(
        "demo",
        help="train Q-learning on Henry briefly and compare it with the hard-coded gait",
        description="Trains tabular Q-learning on the discrete Henry for a short budget, then "
        "prints hard-coded, random and learned gaits side by side, and saves the run folder "
        "(config, metrics, plots, checkpoint, gait video). Headless unless a display is "
        "there and --window is not turned off.",
    )
    demo.add_argument(
        "--steps",
        type=_positive_int,
        default=6000,
        help="training decisions (default: 6000, about 15 s on one core)",
    )
    _add_start_options(demo, pose=False)
    demo.add_argument(
        "--out", type=Path, default=DEFAULT_OUT / "demo", help="run folder (default: runs/demo)"
    )
    demo.add_argument(
        "--window",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show the live window (default: when a display is available)",
    )
    demo.add_argument(
        "--video",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="write a short gait video of the learned policy (default: on)",
    )
    demo.set_defaults(func=cmd_demo)

    _add_train_parser(verbs)

    evaluate = verbs.add_parser(
        "eval",
        help="evaluate policies and print a table",
        description="Greedy episodes of each POLICY ('hardcoded', "
        "'random', a checkpoint or a pretrained name).",
    )
    evaluate.add_argument("policies", nargs="+", metavar="POLICY")
    _add_env_options(evaluate)
    evaluate.add_argument(
        "--episodes", type=_positive_int, default=3, help="episodes per policy (default: 3)"
    )
    _add_start_options(evaluate)
    evaluate.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="episodes last up to this much simulated time (default: the env's time limit)",
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
        type=_seconds,
        default=5.0,
        metavar="S",
        help="the diagram shows the last S simulated seconds of each episode (default: 5)",
    )
    evaluate.set_defaults(func=cmd_eval)

    qtable = verbs.add_parser(
        "qtable",
        help="print a Q-learning checkpoint's table and save a heatmap",
        description="Each visited state with its legal "
        "actions and Q-values, the greedy one marked, as the article "
        "shows it.",
    )
    qtable.add_argument(
        "checkpoint", metavar="CHECKPOINT", help="a Q-learning checkpoint path or a pretrained name"
    )
    qtable.add_argument(
        "--out", type=Path, default=None, help="heatmap PNG (default: beside the checkpoint)"
    )
    qtable.add_argument("--all", action="store_true", help="include never-visited states")
    qtable.set_defaults(func=cmd_qtable)

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
        "--seeds", type=_positive_int, default=10, help="training seeds (default: 10)"
    )
    experiment.add_argument(
        "--steps",
        type=_positive_int,
        default=None,
        help="training steps per seed (default: the experiment's own)",
    )
    experiment.add_argument(
        "--workers",
        type=_positive_int,
        default=1,
        help="deep: processes training seeds at once, one core each (default: 1)",
    )
    experiment.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the report (default: runs/experiment-<name>)",
    )
    experiment.set_defaults(func=cmd_experiment)

    watch = verbs.add_parser(
        "watch",
        help="play a policy in a window",
        description="Plays POLICY ('hardcoded', 'random', a checkpoint or "
        "a pretrained name) live. Keys: " + _legend(),
    )
    watch.add_argument("policy", metavar="POLICY")
    _add_env_options(watch)
    watch.add_argument(
        "--seconds",
        type=_seconds,
        default=None,
        help="stop after this much simulated time (default: until closed)",
    )
    _add_start_options(watch)
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
    _add_view_options(watch, camera=False)
    watch.set_defaults(func=cmd_watch)

    race = verbs.add_parser(
        "race",
        help="several policies or learners side by side",
        description="Each POLICY gets a lane; --learn adds lanes of agents "
        "learning as they race, each 'AGENT [OPTIONS]' with the options "
        "of 'walker train AGENT', e.g. --learn 'qlearning --epsilon-end "
        "0.01' 'qlearning --epsilon-end 0.3' (the article's two epsilons).",
    )
    race.add_argument("policies", nargs="*", metavar="POLICY")
    race.add_argument(
        "--learn",
        nargs="+",
        default=[],
        metavar="'AGENT [OPTIONS]'",
        help="learning lanes, one quoted 'AGENT [OPTIONS]' each",
    )
    _add_env_options(race)
    race.add_argument(
        "--seconds", type=_seconds, default=60.0, help="simulated seconds (default: 60)"
    )
    race.add_argument(
        "--finish",
        type=_metres,
        default=None,
        metavar="METRES",
        help="draw a finish line and stop when someone crosses it",
    )
    _add_start_options(race, pose=False)
    race.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="VIDEO",
        help="write the race to VIDEO (.mp4 or .gif)",
    )
    race.add_argument(
        "--window",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show the race in a window (default: when a display is there and no --out is given)",
    )
    race.add_argument("--fps", type=_fps, default=30.0, help="video frame rate (default: 30)")
    _add_view_options(race)
    race.set_defaults(func=cmd_race)

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
        "--seconds", type=_seconds, default=10.0, help="simulated seconds (default: 10)"
    )
    record.add_argument("--fps", type=_fps, default=30.0, help="frame rate (default: 30)")
    record.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="X",
        help="time-lapse: simulated time runs X times faster in the video (1 to 64; default: 1)",
    )
    record.add_argument(
        "--size",
        type=_size,
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
    _add_env_options(record)
    _add_start_options(record)
    _add_view_options(record)
    record.set_defaults(func=cmd_record)

    add_measuring_parsers(verbs)
    return parser


def _legend() -> str:
    from walker.app.viewing.controls import LEGEND

    return LEGEND


# -- entry point ---------------------------------------------------------------------------


def _train_spelling(argv: list[str]) -> list[str]:
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


def main(argv: Sequence[str] | None = None) -> int:
    argv = _train_spelling(list(sys.argv[1:] if argv is None else argv))
    args = build_parser().parse_args(argv)
    args.command = argv
    with stop_on_signals():
        try:
            checks.check_output_options(args)
            return int(args.func(args))
        except WalkerError as error:
            say(f"walker: error: {error}")
            return 2
        except KeyboardInterrupt as stop:
            say(f"walker: stopped by {signal_name(stop)}")
            return exit_status(stop)
