"""Greedy episodes of a policy on a Henry env with the gait measured: `walker eval`'s numbers.

Each episode runs with a `envs.gait.GaitMeter` attached to the env's control steps and the
env's `measure_work` on, so the table can say not only how fast a policy goes but whether it
walks (flight share, alternating footfalls, duty factors), how long its strides are and what
the walk costs (cost of transport), and how it compares with walking animals: the Froude
number, the stride ratio (Alexander 1984) and the gait label of `envs.gait`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from agents.base import Agent, act_one
from envs.gait import GaitMetrics, attach, detach, work_from_info
from walker.app.core.evaluation import Evaluation

GAIT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    # (GaitSummary field, table header, format)
    ("flight_share", "flight", "{:.1%}"),
    ("duty_factors", "duty R/L", "{}"),
    ("footfalls", "footfalls", "{:.0f}"),
    ("alternation", "alternating", "{:.0%}"),
    ("stride_length_m", "stride m", "{:.3f}"),
    ("cadence_per_min", "cadence /min", "{:.0f}"),
    ("cost_of_transport", "CoT", "{:.2f}"),
    ("froude_number", "Froude", "{:.3g}"),
    ("stride_ratio", "stride ratio", "{:.2f}"),
    ("gait", "gait", "{}"),
)
"""The gait columns `walker eval` adds on Henry's envs, in order."""


@dataclass(frozen=True, kw_only=True)
class GaitSummary(Evaluation):
    """An evaluation on a Henry env with the gait measured: means over its episodes
    (NaN where no episode could define a measure, e.g. the stride of one that never
    stepped)."""

    footfalls: float
    flight_share: float
    duty_factor_right: float
    duty_factor_left: float
    alternation: float
    stride_length_m: float
    cadence_per_min: float
    cost_of_transport: float
    froude_number: float
    relative_stride: float
    stride_ratio: float
    gait: str
    """The label most episodes got (`gait_verdict`), "-" when none could be labelled."""

    @property
    def duty_factors(self) -> str:
        """Right and left duty factors as the table shows them, `R/L`."""
        return f"{self.duty_factor_right:.2f}/{self.duty_factor_left:.2f}"


def measure_gait(
    make_env: Callable[[], gym.Env[Any, Any]],
    agent: Agent,
    episodes: int,
    seed: int,
    options: dict[str, Any] | None = None,
) -> GaitSummary:
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
) -> GaitSummary:
    """Means over episodes (NaN-aware for metrics an episode could not define)."""

    def mean(values: Sequence[float]) -> float:
        finite = [v for v in values if math.isfinite(v)]
        return float(np.mean(finite)) if finite else math.nan

    def of_metrics(name: str) -> float:
        return mean([float(getattr(m, name)) for m in metrics])

    return GaitSummary(
        episode_return=mean(returns),
        length=mean([float(n) for n in lengths]),
        falls=mean([float(f) for f in falls]),
        distance_m=of_metrics("distance_m"),
        speed_m_s=of_metrics("speed_m_s"),
        footfalls=of_metrics("footfalls"),
        flight_share=of_metrics("flight_share"),
        duty_factor_right=of_metrics("duty_factor_right"),
        duty_factor_left=of_metrics("duty_factor_left"),
        alternation=of_metrics("alternation"),
        stride_length_m=of_metrics("stride_length_m"),
        cadence_per_min=of_metrics("cadence_per_min"),
        cost_of_transport=of_metrics("cost_of_transport"),
        froude_number=of_metrics("froude_number"),
        relative_stride=of_metrics("relative_stride"),
        stride_ratio=of_metrics("stride_ratio"),
        gait=gait_verdict([m.gait for m in metrics]),
    )


def gait_verdict(labels: Sequence[str]) -> str:
    """The label most episodes got (`envs.gait.gait_label`; the earliest of equals), with
    its count when not every episode got it (`walk 7/10`)."""
    present = [label for label in labels if label]
    if not present:
        return "-"
    counts = {label: present.count(label) for label in dict.fromkeys(present)}
    label = max(counts, key=lambda name: counts[name])
    return label if counts[label] == len(present) else f"{label} {counts[label]}/{len(present)}"


def gait_cells(summary: GaitSummary) -> list[str]:
    """The gait columns of one table row ("-" where a metric is undefined)."""
    cells = []
    for key, _, fmt in GAIT_COLUMNS:
        value = getattr(summary, key)
        if isinstance(value, float) and not math.isfinite(value):
            cells.append("-")
        else:
            cells.append(fmt.format(value))
    return cells
