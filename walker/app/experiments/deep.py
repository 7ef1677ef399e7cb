"""`walker experiment deep`: how long PPO and DQN take to beat the hard-coded gait of each env.

Each setup trains its agent from scratch on several seeds. The greedy policy is evaluated on
a schedule; a seed "beats" the hard-coded gait of its env (the article's gait on `Henry-v0`,
the closed-loop walking controller on `HenryContinuous-v0`) at the first evaluation that is
faster and does not fall. Where a setup asks for it (`walk_check_s`), the final policy is
also run for that long and its gait measured: it walks if it does not fall, has both feet
off the ground less than 5% of the time, alternates its feet and moves on (`deep_seed.WalkCheck`).

Seeds are independent tasks of a sweep (`walker.app.core.sweep`, as the bench's): in this
process, on `--workers` processes (one torch thread each) or on Ray (`--ray`), with one
progress bar over the steps of every seed fed by the workers. The figures do not depend on
where the seeds ran, the training times only on how busy the machine is.
"""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import numpy as np
from tqdm import tqdm

import envs
from walker.app.core.conditions import CONDITIONS
from walker.app.core.stats import mean_ci95
from walker.app.core.sweep import Backend, run_sweep
from walker.app.core.tables import format_table
from walker.app.experiments.deep_seed import DeepSetup, SeedOutcome, SeedRun, train_seed
from walker.app.experiments.report import Report
from walker.errors import UnavailableError

WALKING_ENV = {
    "walking_reward": True,
    "fall_penalty": 3000.0,
    "flight_cost": 50.0,
    "slip_cost": 2.0,
}
"""The walking reward option with the costs of the README's learned walk (`ppo-henry-walk`)."""

WALK_CONFIG = {
    "residual": "walking",
    "residual_scale": 0.2,
    "normalize_reward": True,
    "log_std_init": -1.0,
    "batch_size": 256,
}
"""PPO's settings for the learned walk: a residual policy on the walking controller
(`agents.residual`), corrections of at most 0.2 per servo."""

WALK_CONDITIONS = tuple(CONDITIONS)
"""The learned walk trains in worlds drawn from every condition of the bench, in turn."""

DEEP_SETUPS = (
    DeepSetup(
        "Residual PPO on the walking controller, walking reward, continuous Henry",
        "ppo",
        envs.CONTINUOUS_ID,
        1_000_000,
        100_000,
        num_envs=4,
        config=WALK_CONFIG,
        env_kwargs=WALKING_ENV,
        walk_check_s=60.0,
        conditions=WALK_CONDITIONS,
    ),
    DeepSetup("DQN, discrete Henry", "dqn", envs.DISCRETE_ID, 30_000, 2_500, random_starts=True),
    DeepSetup(
        "PPO with masks, discrete Henry",
        "ppo",
        envs.DISCRETE_ID,
        60_000,
        6_000,
        random_starts=True,
        config={"n_steps": 1024, "ent_coef": 0.01},
    ),
)


class _Progress:
    """One bar over the steps of every seed, fed by the seeds' reports wherever they run."""

    def __init__(self, tasks: Sequence[SeedRun]) -> None:
        self.steps = {_key(t): t.steps for t in tasks}
        self.done = dict.fromkeys(self.steps, 0)
        self.lock = threading.Lock()
        # disable=None: drawn on a terminal only (not in logs, pipes or tests).
        self.bar = tqdm(
            total=sum(self.steps.values()), unit="step", disable=None, dynamic_ncols=True
        )

    def update(self, task: SeedRun, steps: int) -> None:
        key = _key(task)
        with self.lock:
            self.done[key] = max(self.done[key], min(steps, self.steps[key]))
            self.bar.n = sum(self.done.values())
            self.bar.refresh()

    def finished(self, task: SeedRun, outcome: SeedOutcome) -> None:
        """Count `task` as done and say in a line how it ended."""
        self.update(task, task.steps)
        check = outcome.walk_check
        walked = "" if check is None else (", walks" if check.walks else ", does not walk")
        with self.lock:
            self.bar.write(
                f"deep: {task.setup.label}, seed {task.seed}: {task.steps:,} steps in "
                f"{outcome.train_seconds:.0f} s, final {outcome.final_speed_m_s:.4f} m/s"
                f"{walked}",
                file=sys.stderr,
            )

    def close(self) -> None:
        self.bar.close()


def _key(task: SeedRun) -> tuple[str, int]:
    return task.setup.label, task.seed


class DeepError(UnavailableError):
    """Seeds of the deep experiment failed (each named with its error in one line, as the
    bench names its failed tasks), so its table cannot be made."""


def _run_seeds(tasks: list[SeedRun], backend: Backend) -> list[SeedOutcome]:
    """Every task's outcome, in task order, with a progress bar and a line as each ends."""
    outcomes: dict[tuple[str, int], SeedOutcome] = {}
    progress = _Progress(tasks)

    def keep(task: SeedRun, outcome: SeedOutcome) -> None:
        outcomes[_key(task)] = outcome
        progress.finished(task, outcome)

    try:
        failures = run_sweep(
            train_seed,
            tasks,
            backend=backend,
            on_result=keep,
            progress=False,
            on_progress=progress.update,
        )
    finally:
        progress.close()
    if failures:
        raise DeepError(
            "the deep experiment lost "
            + "; ".join(f"{f.task.setup.label}, seed {f.task.seed}: {f.message}" for f in failures)
        )
    return [outcomes[_key(t)] for t in tasks]


def _walk_cell(outcomes: list[SeedOutcome]) -> str:
    checks = [o.walk_check for o in outcomes if o.walk_check is not None]
    if not checks:
        return "-"
    falls = sum(1 for c in checks if c.falls)
    spreads = ", ".join(
        _spread(name, [getattr(c, field) for c in checks], form)
        for name, field, form in (
            ("stride ratio", "stride_ratio", ".2f"),
            ("flight", "flight_share", ".1%"),
            ("duty", "duty_factor", ".2f"),
        )
    )
    return f"{sum(c.walks for c in checks)}/{len(checks)} ({spreads}, {falls} fell)"


def _spread(name: str, values: list[float], form: str) -> str:
    known = [v for v in values if math.isfinite(v)]
    if not known:
        return f"{name} -"
    return f"{name} {min(known):{form}}-{max(known):{form}}"


def deep_agents(
    seeds: int = 5,
    setups: Sequence[DeepSetup] = DEEP_SETUPS,
    scale: float = 1.0,
    steps_each: int | None = None,
    backend: Backend | None = None,
) -> Report:
    """Over `seeds` seeds: env steps and training wall time until the greedy policy first
    beats the hard-coded gait of its env, the final greedy speed, and (where a setup asks)
    whether the final policy walks. Each setup trains its own budget times `scale`, or
    `steps_each` steps when given (`walker experiment deep --steps`), with its evaluation
    schedule scaled alike; the seeds run where `backend` says (default: this process)."""
    from walker.app.core.compare import hardcoded_reference

    tasks: list[SeedRun] = []
    references: dict[str, float] = {}
    for setup in setups:
        factor = scale if steps_each is None else steps_each / setup.steps
        steps = max(1, int(setup.steps * factor))
        every = max(1, int(setup.eval_every * factor))
        reference = hardcoded_reference(setup.env_id, setup.env_kwargs)
        assert reference is not None and reference.speed_m_s is not None  # a Henry env
        references[setup.label] = reference.speed_m_s
        tasks.extend(
            SeedRun(setup, seed, steps, every, reference.speed_m_s) for seed in range(seeds)
        )
    outcomes = _run_seeds(tasks, backend or Backend())
    rows, figures = [], {}
    for setup in setups:
        mine = [o for t, o in zip(tasks, outcomes, strict=True) if t.setup is setup]
        steps = next(t.steps for t in tasks if t.setup is setup)
        row, figures[setup.label] = _summary(setup.label, references[setup.label], mine, steps)
        rows.append(row)
    text = "\n".join(
        [
            f"Deep agents on Henry: {seeds} seeds each; greedy speed checked periodically",
            format_table(
                [
                    "agent",
                    "hard-coded m/s",
                    "final speed m/s (95% CI)",
                    "vs hard-coded",
                    "seeds that beat it",
                    "median env steps to beat it",
                    "median training time to beat it",
                    "final policy walks",
                ],
                rows,
            ),
        ]
    )
    return Report("deep", text, figures)


def _summary(
    label: str, reference: float, mine: list[SeedOutcome], steps: int
) -> tuple[list[str], dict[str, Any]]:
    """A setup's table row and figures from its seeds' outcomes."""
    finals = [o.final_speed_m_s for o in mine]
    hits = [o.first_beat_step for o in mine if o.first_beat_step is not None]
    hit_seconds = [
        o.first_beat_train_seconds for o in mine if o.first_beat_train_seconds is not None
    ]
    mean, lo, hi = mean_ci95(finals)
    row = [
        label,
        f"{reference:.4f}",
        f"{mean:.4f} [{lo:.4f}, {hi:.4f}]",
        f"{mean / reference:.2f}x",
        f"{len(hits)}/{len(mine)}",
        f"{int(np.median(hits)):,}" if hits else "-",
        f"{np.median(hit_seconds):.0f} s" if hit_seconds else "-",
        _walk_cell(mine),
    ]
    figures = {
        "hardcoded_speed_m_s": reference,
        "final_speeds_m_s": finals,
        "first_beat_steps": [o.first_beat_step for o in mine],
        "first_beat_train_seconds": [o.first_beat_train_seconds for o in mine],
        "train_seconds": [o.train_seconds for o in mine],
        "walk_checks": [None if o.walk_check is None else asdict(o.walk_check) for o in mine],
        "steps": steps,
    }
    return row, figures
