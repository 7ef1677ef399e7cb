"""What watches a training run: the read-only view hooks get, and the hook protocol.

`train` calls each hook at the start, after every step, when an episode ends and at the
close. A hook sees the run through a `RunView` (counts, recent returns, the last collected
step, the agent), never the vector env, so it works the same whether the envs run in this
process or in workers. It steers the run only by what `on_step` returns: a `Request` to save
a checkpoint or to stop, which `train` carries out between env steps.
"""

from __future__ import annotations

import enum
import math
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from agents.base import Learner
from agents.collect import Step
from walker.app.evaluation import EpisodeResult
from walker.app.train_config import TrainConfig, TrainError


class Request(enum.Flag):
    """What a hook asks the run to do after the current step."""

    NOTHING = 0
    SAVE = enum.auto()
    """Save a checkpoint."""
    STOP = enum.auto()
    """End training (it is then saved, as at the end of the budget)."""


@dataclass
class RunBooks:
    """The training loop's running record (`train` writes it; hooks read it via RunView)."""

    agent: Learner
    config: TrainConfig
    steps: int = 0
    episodes: int = 0
    started: float = field(default_factory=time.perf_counter)
    returns: deque[float] = field(default_factory=lambda: deque(maxlen=100))
    distances: deque[float] = field(default_factory=lambda: deque(maxlen=100))
    best_distance_m: float = -math.inf
    last_eval: dict[str, float] | None = None
    last_step: Step | None = None
    current_return: float = 0.0
    stopped: bool = False


class RunView:
    """A read-only window on a training run, for hooks."""

    def __init__(self, books: RunBooks) -> None:
        self._books = books

    @property
    def agent(self) -> Learner:
        """The agent being trained (read its `hud()` and the like)."""
        return self._books.agent

    @property
    def config(self) -> TrainConfig:
        return self._books.config

    @property
    def steps(self) -> int:
        """Env steps taken so far, all envs together."""
        return self._books.steps

    @property
    def episodes(self) -> int:
        """Episodes finished so far, all envs together."""
        return self._books.episodes

    @property
    def elapsed_s(self) -> float:
        return time.perf_counter() - self._books.started

    @property
    def returns(self) -> tuple[float, ...]:
        """Returns of the last 100 finished episodes, oldest first."""
        return tuple(self._books.returns)

    @property
    def recent_return(self) -> float:
        books = self._books
        return float(np.mean(books.returns)) if books.returns else math.nan

    @property
    def recent_distance(self) -> float:
        books = self._books
        return float(np.mean(books.distances)) if books.distances else math.nan

    @property
    def best_distance_m(self) -> float:
        return self._books.best_distance_m

    @property
    def last_eval(self) -> dict[str, float] | None:
        """The latest greedy evaluation's summary (None before the first)."""
        last = self._books.last_eval
        return None if last is None else dict(last)

    @property
    def last_step(self) -> Step | None:
        """The step just collected: its batch, the episodes it ended, the infos after it."""
        return self._books.last_step

    @property
    def actions(self) -> Any:
        """The actions of the step just collected (None before the first)."""
        step = self._books.last_step
        return None if step is None else step.batch.actions

    @property
    def current_return(self) -> float:
        """The running return of env 0's current episode."""
        return self._books.current_return

    @property
    def stopped(self) -> bool:
        """Whether a hook asked the run to stop."""
        return self._books.stopped


class Hook(Protocol):
    """Something that watches training: the live window, video clips, TensorBoard...
    Subclass it to inherit do-nothing defaults for the calls you do not need."""

    def on_start(self, run: RunView) -> None:
        """Called once before the first step (the envs have been reset)."""
        return None

    def on_step(self, run: RunView) -> Request | None:
        """Called after every collected and learned step; may ask to save or stop."""
        return None

    def on_episode(self, run: RunView, result: EpisodeResult) -> None:
        """Called when an episode of any env ends."""
        return None

    def close(self, run: RunView) -> None:
        """Called once when training ends, however it ends."""
        return None


class TensorBoardLog(Hook):
    """Episode metrics and greedy evaluations as TensorBoard scalars (needs `tensorboard`)."""

    def __init__(self, folder: Path) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as error:
            raise TrainError("--tensorboard needs the tensorboard package: "
                             ".venv/bin/pip install tensorboard") from error
        self.writer = SummaryWriter(log_dir=str(folder))
        self.evaluations_seen = 0

    def on_step(self, run: RunView) -> None:
        last = run.last_eval
        if last is not None and last.get("step") != self.evaluations_seen:
            self.evaluations_seen = int(last["step"])
            for key, value in last.items():
                if key != "step":
                    self.writer.add_scalar(f"eval/{key}", value, run.steps)

    def on_episode(self, run: RunView, result: EpisodeResult) -> None:
        self.writer.add_scalar("episode/return", result.episode_return, run.steps)
        self.writer.add_scalar("episode/length", result.length, run.steps)
        if result.speed_m_s is not None:
            self.writer.add_scalar("episode/speed_m_s", result.speed_m_s, run.steps)
        for key, value in run.agent.hud().items():
            if isinstance(value, (int, float)):
                self.writer.add_scalar(f"agent/{key}", value, run.steps)

    def close(self, run: RunView) -> None:
        self.writer.close()
