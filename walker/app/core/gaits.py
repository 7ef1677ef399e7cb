"""Greedy episodes of a policy on a Henry env with the gait measured: `walker eval`'s numbers.

Each episode runs with a `envs.gait.GaitMeter` attached to the env's control steps and the
env's `measure_work` on, so the table can say not only how fast a policy goes but whether it
walks (flight share, alternating footfalls, duty factors), how long its strides are and what
the walk costs (cost of transport).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from agents.base import Agent, act_one
from envs.gait import GaitMetrics, attach, detach, work_from_info

GAIT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    # (GaitMetrics field or summary key, table header, format)
    ("flight_share", "flight", "{:.1%}"),
    ("duty_factors", "duty R/L", "{}"),
    ("footfalls", "footfalls", "{:.0f}"),
    ("alternation", "alternating", "{:.0%}"),
    ("stride_length_m", "stride m", "{:.3f}"),
    ("cadence_per_min", "cadence /min", "{:.0f}"),
    ("cost_of_transport", "CoT", "{:.2f}"),
)
"""The gait columns `walker eval` adds on Henry's envs, in order."""


def measure_gait(
    make_env: Callable[[], gym.Env[Any, Any]],
    agent: Agent,
    episodes: int,
    seed: int,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Mean return, length, falls, distance and speed of greedy episodes, and their gait.

    `make_env` must build a Henry env with `measure_work=True` for the cost of transport.
    """
    env = make_env()
    returns, lengths, falls, metrics = [], [], [], []
    try:
        for episode in range(episodes):
            obs, info = env.reset(seed=seed + episode, options=options)
            agent.reset()
            meter = attach(env)
            total, steps = 0.0, 0
            terminated = truncated = False
            while not (terminated or truncated):
                obs, reward, terminated, truncated, info = env.step(
                    act_one(agent, obs, info, explore=False)
                )
                meter.add_work(work_from_info(info))
                total += float(reward)
                steps += 1
            detach(env, meter)
            returns.append(total)
            lengths.append(steps)
            falls.append(bool(terminated))
            metrics.append(meter.metrics())
    finally:
        env.close()
    return summarise(returns, lengths, falls, metrics)


def summarise(
    returns: Sequence[float],
    lengths: Sequence[int],
    falls: Sequence[bool],
    metrics: Sequence[GaitMetrics],
) -> dict[str, Any]:
    """Means over episodes (NaN-aware for metrics an episode could not define)."""

    def mean(values: Sequence[float]) -> float:
        finite = [v for v in values if math.isfinite(v)]
        return float(np.mean(finite)) if finite else math.nan

    summary: dict[str, Any] = {
        "return": mean(returns),
        "length": mean([float(n) for n in lengths]),
        "falls": mean([float(f) for f in falls]),
        "distance_m": mean([m.distance_m for m in metrics]),
        "speed_m_s": mean([m.speed_m_s for m in metrics]),
        "footfalls": mean([float(m.footfalls) for m in metrics]),
    }
    for name in (
        "flight_share",
        "duty_factor_right",
        "duty_factor_left",
        "alternation",
        "stride_length_m",
        "cadence_per_min",
        "cost_of_transport",
    ):
        summary[name] = mean([getattr(m, name) for m in metrics])
    summary["duty_factors"] = (
        f"{summary['duty_factor_right']:.2f}/{summary['duty_factor_left']:.2f}"
    )
    return summary


def gait_cells(summary: dict[str, Any]) -> list[str]:
    """The gait columns of one table row ("-" where a metric is undefined)."""
    cells = []
    for key, _, fmt in GAIT_COLUMNS:
        value = summary[key]
        if isinstance(value, float) and not math.isfinite(value):
            cells.append("-")
        else:
            cells.append(fmt.format(value))
    return cells
