"""The `walker` command: demo, train, eval, qtable, experiment, watch, race, record, bench,
speed.

Each verb is one module here with `add_parser(verbs)` (its command line) and `run(args) ->
int` (what it does, importing the heavy parts, torch, pygame, matplotlib and ray, only
then); this module collects them and dispatches. Errors a user can fix derive from
`walker.errors.WalkerError`: they are printed as one line, `walker: error: ...`, with exit
status 2; everything else is a bug and shows its traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import walker
from walker.app.cli import (
    bench,
    demo,
    experiment,
    qtable,
    race,
    record,
    speed,
    train,
    watch,
)
from walker.app.cli import eval as eval_verb
from walker.app.cli.common import say
from walker.app.core.checks import OneLineParser
from walker.app.core.stopsignals import exit_status, signal_name, stop_on_signals
from walker.errors import WalkerError

VERBS = (demo, train, eval_verb, qtable, experiment, watch, race, record, bench, speed)
"""Each verb's module, in the order `walker --help` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="walker",
        description="Henry, a simulated two-legged robot that learns to walk.",
    )
    parser.add_argument("--version", action="version", version=f"walker {walker.__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True
    for verb in VERBS:
        verb.add_parser(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = train.respell(list(sys.argv[1:] if argv is None else argv))
    args = build_parser().parse_args(argv)
    args.command = argv
    with stop_on_signals():
        try:
            return int(args.run(args))
        except WalkerError as error:
            say(f"walker: error: {error}")
            return 2
        except KeyboardInterrupt as stop:
            say(f"walker: stopped by {signal_name(stop)}")
            return exit_status(stop)
