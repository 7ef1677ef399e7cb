"""The names of what walker writes: where runs go by default, and what a run folder holds.

Light on purpose (no imports beyond pathlib): the command line takes its defaults from here
before anything heavy is loaded, and the run folder's owner (`walker.app.training.rundir`),
the training loop and the reports all name their files by these constants.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_RUNS = Path("runs")
"""Where every verb writes by default (`walker train`: runs/<agent>-<env>-seed<seed>)."""
DEMO_OUT = DEFAULT_RUNS / "demo"
"""`walker demo`'s run folder."""
BENCH_OUT = DEFAULT_RUNS / "bench"
"""`walker bench`'s results folder."""


def experiment_out(name: str) -> Path:
    """`walker experiment NAME`'s report folder."""
    return DEFAULT_RUNS / f"experiment-{name}"


LOCK_NAME = "walker.lock"
HISTORY_NAME = "history.jsonl"
CHECKPOINT_NAME = "checkpoint.pt"
CONFIG_NAME = "config.json"
METRICS_NAME = "metrics.jsonl"
EVAL_NAME = "eval.jsonl"
CURVES_NAME = "learning_curves.png"
WINDOW_LOG_NAME = "window_events.log"
MONTAGE_NAME = "montage.mp4"
GAIT_VIDEO_NAME = "gait.mp4"
QTABLE_SUFFIX = "_qtable.png"
"""`walker qtable` writes CHECKPOINT<suffix> beside a checkpoint."""
CLIPS_NAME = "clips"
RUN_FILES = (
    CONFIG_NAME,
    CHECKPOINT_NAME,
    METRICS_NAME,
    EVAL_NAME,
    HISTORY_NAME,
    CURVES_NAME,
    WINDOW_LOG_NAME,
    MONTAGE_NAME,
    GAIT_VIDEO_NAME,
    Path(CHECKPOINT_NAME).stem + QTABLE_SUFFIX,
)
"""What a run writes into its folder; `--overwrite` removes these (and `clips/`) only."""
RUN_FOLDERS = (CLIPS_NAME,)
