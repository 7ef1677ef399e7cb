"""`walker qtable CHECKPOINT`: a Q-learning checkpoint's table, as the article shows it, and
its heat map."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from walker.app.core import checks


def add_parser(verbs: Any) -> None:
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
    qtable.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.out is not None:
        checks.check_output_file(args.out, "--out")
    from walker.app.core.compare import qtable_report  # torch

    text, heatmap = qtable_report(args.checkpoint, args.out, show_all=args.all)
    print(text)
    print(f"heatmap: {heatmap}")
    return 0
