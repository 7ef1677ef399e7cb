"""What `walker train` and `walker demo` do, as functions tests can call (comparisons and
the Q-table report are in `walker.app.core.compare`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import envs
from agents.base import Learner
from agents.qlearning_config import EpsilonSchedule, QLearningConfig
from walker.app.core.compare import compare_policies, hardcoded_reference
from walker.app.core.evaluation import Evaluation
from walker.app.core.learners import learner_kind
from walker.app.core.plots import learning_curves
from walker.app.core.policies import make_env
from walker.app.core.runfiles import (
    CHECKPOINT_NAME,
    CURVES_NAME,
    DEFAULT_RUNS,
    DEMO_OUT,
    GAIT_VIDEO_NAME,
    LOCK_NAME,
    RUN_FILES,
)
from walker.app.training.config import TRAIN_EPISODE_DECISIONS
from walker.app.training.hooks import Hook, RunView, TensorBoardLog
from walker.app.training.loop import TrainConfig, TrainResult, train
from walker.app.training.prepare import check_watching, prepare_agent, run_record, settle_run
from walker.app.training.resuming import ResumePoint
from walker.app.training.session import RunSession
from walker.app.training.view import training_hooks
from walker.app.training.worlds import training_env_maker
from walker.draw.window import display_available
from walker.files import OutputPathError, check_writable_dir, write_failure


@dataclass(frozen=True)
class RunResult:
    """A finished `walker train` run."""

    out: Path
    train: TrainResult
    final_eval: Evaluation | None
    """The last greedy evaluation (None when interrupted or never evaluated)."""
    hardcoded: Evaluation | None
    """The hard-coded gait's evaluation on the same env (None off Henry's envs)."""
    start_steps: int = 0
    """Steps the agent had been trained for before this run (a resume)."""
    output_failure: OutputPathError | None = None
    """An optional output (the plot) that could not be written; the training is saved."""

    @property
    def interrupted(self) -> bool:
        return self.train.interrupted

    def summary(self) -> str:
        lines = []
        if self.train.interrupted:
            checkpoint = self.train.checkpoint or self.out / CHECKPOINT_NAME
            lines.append(
                f"interrupted: checkpoint saved at step {self.start_steps + self.train.steps}, "
                f"run stopped cleanly; continue it with 'walker train --resume {checkpoint}'"
            )
        rate = self.train.steps / max(self.train.seconds, 1e-9)
        total = f" ({self.start_steps + self.train.steps} in all)" if self.start_steps else ""
        lines.append(
            f"trained {self.train.steps} steps{total}, {self.train.episodes} "
            f"episodes in {self.train.seconds:.1f} s ({rate:.0f} steps/s)"
        )
        ev = self.final_eval
        if ev is not None:
            text = f"greedy policy: return {ev.episode_return:.3f}"
            if ev.distance_m is not None and ev.speed_m_s is not None:
                text += f", distance {ev.distance_m:.3f} m, speed {ev.speed_m_s:.4f} m/s"
                reference = self.hardcoded.speed_m_s if self.hardcoded else None
                if ev.falls > 0:
                    # A speed until a fall is no win: no ratio against the hard-coded gait.
                    text += f", fell in {ev.falls:.0%} of the evaluation episodes"
                elif reference:
                    text += f" ({ev.speed_m_s / reference:.2f}x the hard-coded gait)"
            lines.append(text)
        lines.append(f"run folder: {self.out}")
        return "\n".join(lines)


def run_folder(agent_name: str, run: TrainConfig, resume: ResumePoint | None = None) -> Path:
    """Where a `walker train` run writes: `run.out`; when resuming, the checkpoint's run
    folder; else runs/<agent>-<env>-seed<seed>."""
    if run.out is not None:
        return run.out
    if resume is not None and resume.run_folder is not None:
        return resume.run_folder
    return DEFAULT_RUNS / f"{agent_name}-{run.env}-seed{run.seed}"


class _Announce(Hook):
    """Prints one line once training has started (scripts and tests wait for it)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def on_start(self, run: RunView) -> None:
        print(self.text, flush=True)


class _Reached(Hook):
    """Remembers the step count (all segments together) the run reached, for the history
    of a run that fails."""

    def __init__(self) -> None:
        self.steps: int | None = None

    def close(self, run: RunView) -> None:
        self.steps = run.steps


def train_run(
    agent_name: str,
    agent_config: Any,
    run: TrainConfig,
    extra_hooks: Sequence[Hook] = (),
    *,
    given: Mapping[str, Any] | None = None,
    command: Sequence[str] | None = None,
) -> RunResult:
    """Train one agent as `run` says into its run folder, then plot it.

    Everything is checked before the folder is touched (`walker.app.training.prepare`); the
    folder is then claimed (see `walker.app.training.rundir`). `given` holds the
    hyperparameters typed on the command line (by option-style name): with `run.resume` they
    must equal the checkpoint's. `command` is recorded in the lock and the history.
    """
    kind = learner_kind(agent_name)
    run, resume = settle_run(kind, run, given or {})
    env_id, env_kwargs = run.env, run.env_kwargs
    assert env_id is not None
    prepared = prepare_agent(kind, agent_config, run)
    check_watching(run)
    folder = check_writable_dir(
        run_folder(agent_name, run, resume), "--out", files=(*RUN_FILES, LOCK_NAME)
    )
    run = run.replace(out=folder)
    session = RunSession.open(
        folder,
        run_record(agent_name, agent_config, run, prepared),
        command=command or ["walker", "train", agent_name],
        resume=resume,
        overwrite=run.overwrite,
    )
    try:
        result = _train_in(session, prepared.agent, agent_name, run, prepared.metadata, extra_hooks)
        reference = (
            hardcoded_reference(env_id, env_kwargs)
            if prepared.henry and not result.interrupted
            else None
        )
        failure = None
        if result.episode_log:
            title = f"{agent_name} on {env_id} (seed {run.seed})"
            failure = _plot_curves(folder / CURVES_NAME, result, title, reference)
    finally:
        session.close()
    final_eval = (
        result.evaluations[-1].evaluation if result.evaluations and not result.interrupted else None
    )
    return RunResult(folder, result, final_eval, reference, session.logs.start_steps, failure)


def _plot_curves(
    plot: Path, result: TrainResult, title: str, reference: Evaluation | None
) -> OutputPathError | None:
    """Draw the run's learning curves; a plot that cannot be written is returned, not
    raised (the training is saved; only the plot is lost)."""
    try:
        learning_curves(plot, result.episode_log, result.evaluations, title, reference)
    except OSError as error:
        return write_failure(plot, error)
    return None


def _train_in(
    session: RunSession,
    agent: Learner,
    agent_name: str,
    run: TrainConfig,
    metadata: dict[str, Any],
    extra_hooks: Sequence[Hook],
) -> TrainResult:
    """The training itself, with its end (or its failure) written into the run's history."""
    env_id, env_kwargs = run.env, run.env_kwargs
    assert env_id is not None
    logs = session.logs
    end = f"{logs.start_steps + run.steps} steps" if run.steps else f"{run.episodes} episodes"
    reached = _Reached()
    hooks: list[Hook] = [
        reached,
        _Announce(
            f"training {agent_name} on {env_id} in {session.path} "
            f"from step {logs.start_steps} to {end}"
        ),
        *extra_hooks,
    ]
    try:
        if run.tensorboard is not None:
            hooks.append(TensorBoardLog(run.tensorboard))
        make_train_env = training_env_maker(env_id, env_kwargs, run.episode_steps, run.conditions)
        make_first_env = None
        if run.watch or run.record is not None or run.record_every:
            watching, make_first_env = training_hooks(agent, run, make_train_env)
            hooks.extend(watching)
        result = train(
            agent,
            make_train_env,
            run,
            metadata,
            hooks,
            make_eval_env=partial(make_env, env_id, env_kwargs),
            make_first_env=make_first_env,
            logs=logs,
        )
    except KeyboardInterrupt as stop:  # before the loop began: nothing new to save
        session.end(logs.start_steps, logs.start_episodes, stop)
        raise
    except BaseException as error:
        session.fail(error, reached.steps)
        raise
    session.end(
        logs.start_steps + result.steps, logs.start_episodes + result.episodes, result.stopped_by
    )
    return result


def demo(
    steps: int = 6000,
    seed: int = 0,
    out: Path = DEMO_OUT,
    window: bool | None = None,
    video: bool = True,
) -> str:
    """The README's main job: learn to walk briefly, then compare with the hard-coded gait."""
    show = display_available() if window is None else window
    run = _train_demo(steps, seed, out, show)
    if run.train.stopped_by is not None:
        # Ctrl-C (or a signal) means stop: the run is saved; no comparison, race or video.
        print(run.summary(), flush=True)
        raise run.train.stopped_by
    checkpoint = run.train.checkpoint
    assert checkpoint is not None
    table = compare_policies(
        ["hardcoded", "random", str(checkpoint)],
        envs.DISCRETE_ID,
        episodes=1,
        seed=seed,
        labels=["hard-coded gait", "random", "Q-learning"],
    )
    parts = [run.summary(), "", table]
    if show:
        from walker.app.viewing.playback import race  # pygame

        parts.append(
            "\n"
            + race(
                ["hardcoded", str(checkpoint)],
                seconds=30.0,
                env_id=envs.DISCRETE_ID,
                seed=seed,
                window=True,
            )
        )
    if video:
        from walker.app.viewing.playback import record_policy  # pygame

        path, _ = record_policy(
            str(checkpoint), out / GAIT_VIDEO_NAME, seconds=20.0, env_id=envs.DISCRETE_ID, seed=seed
        )
        parts.append(f"\ngait video: {path}")
    parts.append(f"plots: {out / CURVES_NAME}")
    return "\n".join(parts)


def _train_demo(steps: int, seed: int, out: Path, show: bool) -> RunResult:
    """The demo's training run: Q-learning on Henry with short episodes from random starts,
    its epsilon decaying over the first half."""
    config = QLearningConfig(epsilon=EpsilonSchedule("exponential", 1.0, 0.05, max(1, steps // 2)))
    print(
        f"Training Q-learning on {envs.DISCRETE_ID} for {steps} decisions "
        f"(seed {seed}){' in a window' if show else ''}...",
        flush=True,
    )
    return train_run(
        "qlearning",
        config,
        TrainConfig(
            env=envs.DISCRETE_ID,
            seed=seed,
            steps=steps,
            out=out,
            random_starts=True,
            overwrite=True,  # runs/demo is the demo's own: each demo replaces the last
            episode_steps=TRAIN_EPISODE_DECISIONS,
            watch=show,
            eval_every=max(1, steps // 10),
            eval_max_steps=60,
            # In the window: every 10th episode drawn, at 4x speed ('f' and '[' change it).
            watch_fast=True,
            watch_speed=4.0,
        ),
    )
