"""Greedy evaluation: play whole episodes with a policy and summarise them.

`run_episode` plays one episode of a single (unvectorised) env and `evaluate` averages a few
of them into an `Evaluation`: return, length, falls and, for Henry's envs, distance and
speed. Training runs it on a schedule (each a `TrainingEvaluation`, one row of a run's
`eval.jsonl`); `walker eval`, the experiments and the benchmarks call it directly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from agents.base import Agent, act_one

EVAL_SEED = 10_000
"""Greedy evaluation episode i resets the env with seed `EVAL_SEED + i`: far from the
training seeds, the same for every policy."""


@dataclass(frozen=True)
class EpisodeResult:
    """One finished episode."""

    episode_return: float
    length: int
    distance_m: float | None = None
    time_s: float | None = None
    terminated: bool = False
    illegal_actions: int = 0

    @property
    def speed_m_s(self) -> float | None:
        if self.distance_m is None or not self.time_s:
            return None
        return self.distance_m / self.time_s


def run_episode(
    env: gym.Env[Any, Any],
    agent: Agent,
    seed: int | None = None,
    options: dict[str, Any] | None = None,
    max_steps: int | None = None,
    explore: bool = False,
    on_step: Callable[[Any, dict[str, Any]], bool | None] | None = None,
) -> EpisodeResult:
    """Play one episode; `on_step(obs, info)` may return True to stop early."""
    obs, info = env.reset(seed=seed, options=options)
    agent.reset()
    total, steps, illegal = 0.0, 0, 0
    terminated = truncated = False
    while not (terminated or truncated):
        action = act_one(agent, obs, info, explore)
        obs, reward, terminated, truncated, info = env.step(action)
        total += float(reward)
        steps += 1
        illegal += int(bool(info.get("illegal_action", False)))
        if on_step is not None and on_step(obs, info):
            break
        if max_steps is not None and steps >= max_steps:
            break
    return EpisodeResult(
        total, steps, info.get("distance_m"), info.get("time_s"), bool(terminated), illegal
    )


@dataclass(frozen=True)
class Evaluation:
    """Means over a few greedy episodes."""

    episode_return: float
    length: float
    """Mean episode length in env steps."""
    falls: float
    """Share of the episodes that terminated (on Henry's envs: fell)."""
    distance_m: float | None = None
    """Mean distance walked (None on envs that do not report one)."""
    speed_m_s: float | None = None
    """Mean forward speed (None on envs that do not report one)."""

    def to_dict(self) -> dict[str, float]:
        """As a row of `eval.jsonl` (keys `return`, `length`, `falls`, and on Henry's envs
        `distance_m` and `speed_m_s`)."""
        row = {"return": self.episode_return, "length": self.length, "falls": self.falls}
        if self.distance_m is not None and self.speed_m_s is not None:
            row.update(distance_m=self.distance_m, speed_m_s=self.speed_m_s)
        return row

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> Evaluation:
        """Read back what `to_dict` wrote."""
        distance, speed = row.get("distance_m"), row.get("speed_m_s")
        return cls(
            float(row["return"]),
            float(row["length"]),
            float(row["falls"]),
            None if distance is None else float(distance),
            None if speed is None else float(speed),
        )


@dataclass(frozen=True)
class TrainingEvaluation:
    """A greedy evaluation made during training, and when."""

    step: int
    """Env steps trained when it was made (all segments of a resumed run)."""
    train_seconds: float
    """Wall time spent training until then, evaluations excluded (NaN if not recorded)."""
    evaluation: Evaluation

    def to_dict(self) -> dict[str, float]:
        """As a row of a run's `eval.jsonl`."""
        return {
            **self.evaluation.to_dict(),
            "step": float(self.step),
            "train_seconds": self.train_seconds,
        }

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> TrainingEvaluation:
        """Read back a row of `eval.jsonl` (a resumed run's earlier segments)."""
        return cls(
            int(row["step"]),
            float(row.get("train_seconds", math.nan)),
            Evaluation.from_dict(row),
        )


def evaluate(
    make_env: Callable[[], gym.Env[Any, Any]],
    agent: Agent,
    episodes: int = 1,
    seed: int = EVAL_SEED,
    options: dict[str, Any] | None = None,
    max_steps: int | None = None,
) -> Evaluation:
    """Greedy episodes; mean return, length, falls, distance and speed."""
    env = make_env()
    try:
        results = [run_episode(env, agent, seed + i, options, max_steps) for i in range(episodes)]
    finally:
        env.close()
    henry = all(r.speed_m_s is not None for r in results)
    return Evaluation(
        float(np.mean([r.episode_return for r in results])),
        float(np.mean([r.length for r in results])),
        float(np.mean([r.terminated for r in results])),
        float(np.mean([r.distance_m for r in results])) if henry else None,
        float(np.mean([r.speed_m_s for r in results])) if henry else None,
    )
