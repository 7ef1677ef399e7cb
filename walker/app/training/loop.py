"""The training loop every learning agent shares: collect, learn, and on a schedule
evaluate, checkpoint and call hooks.

`train` steps a Gymnasium vector env (one env by default) through `agents.collect.Collector`,
hands each collected `Batch` to `agent.learn`, and keeps the books: per-episode metrics,
periodic greedy evaluation, checkpoints, a progress bar, and Ctrl-C handling (save, then
stop cleanly). Anything that watches or steers training (the live window, video clips,
TensorBoard) is a `Hook` (`walker.app.training.hooks`): it reads the run through a read-only
view and asks for a save or a stop through what it returns, handled here between env steps.
"""

from __future__ import annotations

import contextlib
import json
import math
import multiprocessing
import signal
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from agents.base import Learner
from agents.collect import Collector, Step
from envs.vector import SingleVectorEnv
from walker.app.core.evaluation import EpisodeResult, TrainingEvaluation, evaluate
from walker.app.core.policies import ResetOptions
from walker.app.core.runfiles import CHECKPOINT_NAME, EVAL_NAME, METRICS_NAME
from walker.app.core.stopsignals import raise_if_stopped
from walker.app.training.config import TrainConfig, TrainError
from walker.app.training.hooks import Hook, Request, RunBooks, RunView
from walker.app.training.progress_bar import ProgressBar, progress_bar
from walker.app.training.session import RunLogs
from walker.files import atomic_write_text, ensure_writable_dir

__all__ = ["TrainConfig", "TrainError", "TrainResult", "make_vector_env", "train"]


@dataclass(frozen=True)
class TrainResult:
    """How a training run ended."""

    steps: int
    episodes: int
    seconds: float
    interrupted: bool
    checkpoint: Path | None
    evaluations: list[TrainingEvaluation]
    """Every evaluation of the run, earlier segments' (with `logs`) included."""
    episode_log: list[dict[str, Any]]
    """Every episode row of the run, earlier segments' (with `logs`) included."""
    stopped_by: KeyboardInterrupt | None = None
    """What interrupted the run: Ctrl-C, or SIGTERM/SIGHUP as a `StopSignal`."""


def make_vector_env(
    make_env: Callable[[], gym.Env[Any, Any]],
    config: TrainConfig,
    make_first_env: Callable[[], gym.Env[Any, Any]] | None = None,
) -> gym.vector.VectorEnv[Any, Any, Any]:
    """`config.num_envs` envs from `make_env` (env 0 from `make_first_env` when given), reset
    in SAME_STEP autoreset mode as the collector needs, with `config.reset_options`."""
    factories = [make_first_env or make_env] + [make_env] * (config.num_envs - 1)
    if config.reset_options:
        factories = [partial(_with_options, make, config.reset_options) for make in factories]
    mode = gym.vector.AutoresetMode.SAME_STEP
    if config.vector == "async":
        quiet = [partial(_quiet_in_worker, make) for make in factories]
        return gym.vector.AsyncVectorEnv(quiet, autoreset_mode=mode)
    if len(factories) == 1:  # the same results, without the general machinery's cost
        return SingleVectorEnv(factories[0])
    return gym.vector.SyncVectorEnv(factories, autoreset_mode=mode)


def _quiet_in_worker(make_env: Callable[[], gym.Env[Any, Any]]) -> gym.Env[Any, Any]:
    """Make an env; in a worker process, first leave Ctrl-C to the parent and let stop
    signals end the worker without a word.

    Ctrl-C reaches every process of the terminal's group: a worker that took it would die
    mid-step printing its traceback, while the parent is already saving and about to close
    the workers itself. A forked worker also inherits the parent's SIGTERM/SIGHUP handler
    (which raises, for saving); a worker has nothing to save, so those signals get their
    default action back: the worker ends at once and silently, whether the signal came
    to the whole group or from the parent closing it. (AsyncVectorEnv also calls this in the
    parent, to read the spaces: there the handlers stay.)"""
    if multiprocessing.parent_process() is not None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for stop in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(stop, signal.SIG_DFL)
    return make_env()


def _with_options(
    make_env: Callable[[], gym.Env[Any, Any]], options: dict[str, Any]
) -> gym.Env[Any, Any]:
    return ResetOptions(make_env(), options)


class _Run:
    """One training run's books, logs and checkpoints (what `train` does besides the loop)."""

    def __init__(
        self,
        agent: Learner,
        config: TrainConfig,
        metadata: dict[str, Any],
        hooks: Sequence[Hook],
        make_eval_env: Callable[[], gym.Env[Any, Any]],
        logs: RunLogs | None = None,
    ) -> None:
        self.agent = agent
        self.config = config
        self.metadata = metadata
        self.hooks = hooks
        self.make_eval_env = make_eval_env
        self.out = ensure_writable_dir(config.out) if config.out is not None else None
        self.logs = logs
        # A resumed run counts on from the checkpoint's totals; the budget is this segment's.
        self.start_steps = logs.start_steps if logs is not None else 0
        self.start_episodes = logs.start_episodes if logs is not None else 0
        # The budget's ends, in totals (inf: no such bound); the loop tests them every step.
        self.end_steps = math.inf if config.steps is None else self.start_steps + config.steps
        self.end_episodes = (
            math.inf if config.episodes is None else self.start_episodes + config.episodes
        )
        self.books = RunBooks(
            agent=agent, config=config, steps=self.start_steps, episodes=self.start_episodes
        )
        self.evaluations: list[TrainingEvaluation] = []
        self.episode_log: list[dict[str, Any]] = []
        self.logged = (0, 0)
        """How many of this segment's (episode rows, evaluations) the logs already hold."""
        self.eval_seconds = 0.0
        self.saved: Path | None = None

    def progress(self) -> float:
        """How far the whole training (earlier segments included) is, for annealing."""
        assert self.config.steps is not None
        return self.books.steps / (self.start_steps + self.config.steps)

    def record(self, step: Step, metrics: dict[str, float]) -> None:
        """Log the episodes `step` ended and tell the hooks (the loop counts the step)."""
        books = self.books
        for end in step.ended:
            info = end.info
            result = EpisodeResult(
                end.episode_return,
                end.length,
                float(info["distance_m"]) if "distance_m" in info else None,
                float(info["time_s"]) if "time_s" in info else None,
                end.terminated,
                end.illegal_actions,
            )
            books.add_episode(result.episode_return, result.distance_m)
            row = {
                "episode": books.episodes,
                "step": books.steps,
                "env": end.env_index,
                **{k: v for k, v in vars(result).items() if v is not None},
                **{k: _plain(v) for k, v in self.agent.hud().items()},
                **metrics,
            }
            if result.speed_m_s is not None:
                row["speed_m_s"] = result.speed_m_s
            self.episode_log.append(row)
            if self.hooks:
                view = books.view()  # frozen: one for every hook
                for hook in self.hooks:
                    hook.on_episode(view, result)

    def evaluate(self, final: bool = False) -> None:
        config, books = self.config, self.books
        started = time.perf_counter()
        evaluation = evaluate(
            self.make_eval_env,
            self.agent,
            config.eval_episodes,
            max_steps=None if final else config.eval_max_steps,
        )
        # Wall time spent training so far, evaluations excluded.
        made = TrainingEvaluation(
            books.steps, started - books.started - self.eval_seconds, evaluation
        )
        self.eval_seconds += time.perf_counter() - started
        if (
            final
            and len(self.evaluations) > self.logged[1]
            and self.evaluations[-1].step == books.steps
        ):
            self.evaluations.pop()  # replaced by a full-length one
        self.evaluations.append(made)
        books.last_eval = made

    def save(self) -> Path | None:
        if self.out is None:
            return None
        books = self.books
        meta = {**self.metadata, "trained_steps": books.steps, "trained_episodes": books.episodes}
        self.saved = self.agent.save(self.out / CHECKPOINT_NAME, meta)
        # The logs follow the checkpoint, so they never tell of steps it does not hold.
        if self.logs is None:
            _write_logs(self.out, self.episode_log, self.evaluations)
            return self.saved
        episodes, evaluations = self.logged
        for row in self.episode_log[episodes:]:
            self.logs.metrics.add(row)
        for made in self.evaluations[evaluations:]:
            self.logs.evaluations.add(made.to_dict())
        self.logs.flush()
        self.logged = (len(self.episode_log), len(self.evaluations))
        return self.saved

    def result(self, stopped_by: KeyboardInterrupt | None) -> TrainResult:
        books = self.books
        episodes, evaluations = self.episode_log, self.evaluations
        if self.logs is not None:
            logged_episodes, logged_evaluations = self.logged
            episodes = self.logs.metrics.rows + episodes[logged_episodes:]
            earlier = [TrainingEvaluation.from_dict(row) for row in self.logs.evaluations.rows]
            evaluations = earlier + evaluations[logged_evaluations:]
        return TrainResult(
            books.steps - self.start_steps,
            books.episodes - self.start_episodes,
            time.perf_counter() - books.started,
            stopped_by is not None,
            self.saved,
            evaluations,
            episodes,
            stopped_by,
        )


def train(
    agent: Learner,
    make_env: Callable[[], gym.Env[Any, Any]],
    config: TrainConfig,
    metadata: dict[str, Any] | None = None,
    hooks: Sequence[Hook] = (),
    make_eval_env: Callable[[], gym.Env[Any, Any]] | None = None,
    make_first_env: Callable[[], gym.Env[Any, Any]] | None = None,
    logs: RunLogs | None = None,
) -> TrainResult:
    """Train `agent` on envs from `make_env` until the budget is spent or a hook stops it.
    `make_first_env` builds env 0 instead when given (the live window samples frames there).
    With `logs` (a run folder's continuing logs) the counts go on from `logs.start_steps`
    and `logs.start_episodes`, rows are appended to the logs after each checkpoint, and the
    budget counts this segment's steps only; the checkpoint records the totals."""
    run = _Run(agent, config, dict(metadata or {}), hooks, make_eval_env or make_env, logs)
    vector_env = make_vector_env(make_env, config, make_first_env)
    collector = Collector(vector_env, agent)
    bar = progress_bar(config)
    stopped_by: KeyboardInterrupt | None = None
    try:
        collector.reset(seed=[config.seed + i for i in range(config.num_envs)])
        for hook in hooks:
            hook.on_start(run.books.view())
        _collect_and_learn(run, collector, bar)
    except KeyboardInterrupt as stop:  # Ctrl-C, or SIGTERM/SIGHUP as a StopSignal
        stopped_by = stop
    finally:
        interrupted = stopped_by is not None
        if bar is not None:
            with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
                bar.close(run.books)
        _close_vector_env(vector_env, config, interrupted)
        for hook in hooks:
            hook.close(run.books.view())
    # A final greedy evaluation, unless Ctrl-C asked to stop now.
    if not interrupted and config.final_eval:
        run.evaluate(final=True)
    run.save()
    return run.result(stopped_by)


def _collect_and_learn(run: _Run, collector: Collector, bar: ProgressBar | None) -> None:
    """Collect a step, learn from it and keep the books, evaluating and saving on schedule or
    when a hook asks, until the budget is spent or a hook asks to stop."""
    agent, config, books, n = run.agent, run.config, run.books, run.config.num_envs
    set_progress = getattr(agent, "set_progress", None) if config.steps else None
    stepping = [hook for hook in run.hooks if _watches_steps(hook)]
    eval_every, checkpoint_every = config.eval_every, config.checkpoint_every
    advance = n if config.steps is not None else None  # else: the episodes ended
    end_steps, end_episodes = run.end_steps, run.end_episodes
    while books.steps < end_steps and books.episodes < end_episodes:
        raise_if_stopped()  # a Ctrl-C that landed in a finalizer and was dropped
        if set_progress is not None:
            set_progress(run.progress())  # annealing and the like
        step = collector.step()
        metrics = agent.learn(step.batch)
        books.current_return = float(collector.returns[0])
        books.steps += len(step.batch.rewards)
        books.last_step = step
        if step.ended:
            run.record(step, metrics)
        request = _ask(stepping, books.view()) if stepping else None
        if eval_every and books.steps % eval_every < n:  # the schedule fell within this step
            run.evaluate()
        if (request is not None and Request.SAVE in request) or (
            checkpoint_every and books.steps % checkpoint_every < n
        ):
            run.save()
        if bar is not None:
            bar.advance(len(step.ended) if advance is None else advance, books)
        if request is not None and Request.STOP in request:
            books.stopped = True
            break


def _close_vector_env(
    vector_env: gym.vector.VectorEnv[Any, Any, Any], config: TrainConfig, interrupted: bool
) -> None:
    """Close the envs; after an interruption, workers that are already gone are no error."""
    try:
        if config.vector == "async":
            with warnings.catch_warnings():
                # Stopped mid-step: closing says it is waiting for the step, as intended.
                if interrupted:
                    warnings.simplefilter("ignore")
                vector_env.close(terminate=interrupted)
        else:
            vector_env.close()
    except Exception:  # workers may already be gone after Ctrl-C
        if not interrupted:
            raise
        _end_workers(vector_env)


def _end_workers(vector_env: gym.vector.VectorEnv[Any, Any, Any]) -> None:
    """Finish closing an async vector env whose `close` failed after a stop: a worker that
    the stop signal ended mid-step leaves its pipe at end of file, so gymnasium's close
    raises before it marks the env closed, and the env's finalizer would try again and print
    the same error as an "Exception ignored" traceback. End what is left and mark it closed."""
    processes = getattr(vector_env, "processes", ())
    for process in processes:
        if process.is_alive():
            process.terminate()
    for pipe in getattr(vector_env, "parent_pipes", ()):
        if pipe is not None:
            pipe.close()
    for process in processes:
        process.join()
    vector_env.closed = True


def _watches_steps(hook: Hook) -> bool:
    """Whether `hook` has an `on_step` of its own (the default one does nothing), so hooks
    that only mark the start, episodes or the end cost nothing per step."""
    return getattr(type(hook), "on_step", None) is not Hook.on_step


def _ask(hooks: Sequence[Hook], view: RunView) -> Request:
    """Call every hook's `on_step`; what they request, together."""
    request = Request.NOTHING
    for hook in hooks:
        request |= hook.on_step(view) or Request.NOTHING
    return request


def _plain(value: Any) -> Any:
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


def _write_logs(
    out: Path, episodes: list[dict[str, Any]], evaluations: list[TrainingEvaluation]
) -> None:
    atomic_write_text(
        out / METRICS_NAME, "".join(json.dumps(row) + "\n" for row in episodes) or "\n"
    )
    atomic_write_text(
        out / EVAL_NAME,
        "".join(json.dumps(made.to_dict()) + "\n" for made in evaluations) or "\n",
    )
