"""What watches a training run: the read-only view hooks get, and the hook protocol.

`train` calls each hook at the start, after every step, when an episode ends and at the
close. A hook sees the run through a `RunView`, a frozen snapshot (counts, recent returns,
the last collected step, the agent), never the vector env, so it works the same whether
the envs run in this process or in workers. It steers the run only by what `on_step`
returns: a `Request` to save a checkpoint or to stop, which `train` carries out between
env steps.
"""

from __future__ import annotations

import enum
import math
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np

from agents.base import Learner
from agents.collect import Step
from walker.app.core.evaluation import EpisodeResult
from walker.app.training.config import TrainConfig, TrainError


class Request(enum.Flag):
    """What a hook asks the run to do after the current step."""

    NOTHING = 0
    SAVE = enum.auto()
    """Save a checkpoint."""
    STOP = enum.auto()
    """End training (it is then saved, as at the end of the budget)."""


@dataclass(frozen=True)
class RunView:
    """What a hook may read of a training run: a frozen snapshot, taken for each call."""

    agent: Learner
    """The agent being trained (read its `hud()` and the like)."""
    config: TrainConfig
    """The run's options."""
    steps: int
    """Env steps taken so far, all envs together."""
    episodes: int
    """Episodes finished so far, all envs together."""
    returns: tuple[float, ...]
    """Returns of the last 100 finished episodes, oldest first."""
    distances: tuple[float, ...]
    """Distances of the last 100 finished episodes, for Henry's envs (else empty)."""
    best_distance_m: float
    """The longest distance an episode reached (-inf before the first)."""
    last_eval: Mapping[str, float] | None
    """The latest greedy evaluation's summary (None before the first)."""
    last_step: Step | None
    """The step just collected: its batch, the episodes it ended, the infos after it."""
    current_return: float
    """The running return of env 0's current episode."""
    stopped: bool
    """Whether a hook asked the run to stop."""

    @property
    def recent_return(self) -> float:
        """Mean return of the last 100 episodes (NaN before the first)."""
        return float(np.mean(self.returns)) if self.returns else math.nan

    @property
    def recent_distance(self) -> float:
        """Mean distance of the last 100 episodes (NaN without any)."""
        return float(np.mean(self.distances)) if self.distances else math.nan

    @property
    def actions(self) -> Any:
        """The actions of the step just collected (None before the first)."""
        return None if self.last_step is None else self.last_step.batch.actions


@dataclass
class RunBooks:
    """The training loop's running record: `train` writes it, hooks see `view()`s of it."""

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

    def view(self) -> RunView:
        return RunView(
            self.agent,
            self.config,
            self.steps,
            self.episodes,
            tuple(self.returns),
            tuple(self.distances),
            self.best_distance_m,
            None if self.last_eval is None else MappingProxyType(self.last_eval),
            self.last_step,
            self.current_return,
            self.stopped,
        )


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
            raise TrainError(
                "--tensorboard needs the tensorboard package: .venv/bin/pip install tensorboard"
            ) from error
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
