"""Greedy evaluation: play whole episodes with a policy and summarise them.

`run_episode` plays one episode of a single (unvectorised) env and `evaluate` averages a few
of them: return, length, falls and, for Henry's envs, distance and speed. Training runs it
on a schedule; `walker eval`, the experiments and the benchmarks call it directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from agents.base import Agent, act_one


@dataclass
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


def evaluate(
    make_env: Callable[[], gym.Env[Any, Any]],
    agent: Agent,
    episodes: int = 1,
    seed: int = 10_000,
    options: dict[str, Any] | None = None,
    max_steps: int | None = None,
) -> dict[str, float]:
    """Greedy episodes; mean return, length, distance and speed."""
    env = make_env()
    try:
        results = [run_episode(env, agent, seed + i, options, max_steps) for i in range(episodes)]
    finally:
        env.close()
    summary = {
        "return": float(np.mean([r.episode_return for r in results])),
        "length": float(np.mean([r.length for r in results])),
        "falls": float(np.mean([r.terminated for r in results])),
    }
    if all(r.speed_m_s is not None for r in results):
        summary["distance_m"] = float(np.mean([r.distance_m for r in results]))
        summary["speed_m_s"] = float(np.mean([r.speed_m_s for r in results]))
    return summary
