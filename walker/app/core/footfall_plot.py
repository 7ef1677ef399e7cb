"""Footfall (Hildebrand) diagrams of policies: `walker eval --plot`, the bench, the README.

`record_footfalls` plays one greedy episode of a policy on a Henry env and keeps both foot
switches at every control step, with the gait measured over the whole episode
(`envs.gait`). `plot_footfalls` draws the last seconds of several such records stacked, one
panel per policy: a bar per foot, filled while it is planted, flight (both feet up) shaded
amber across both, and beside each panel the gait's label and figures (speed, Froude number,
cadence, stride, stride ratio against walking animals', duty factors, flight), all as
`envs.gait` measures and labels them. Every panel has the same
time scale, so a slow alternating walk and a quick shuffle tell apart at a glance.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from agents.base import Agent, act_one
from envs.gait import GaitMetrics, attach, detach
from walker.draw.footfalls import FLIGHT, flight_intervals, planted_intervals
from walker.draw.henry import LEFT_LEG, RIGHT_LEG
from walker.errors import InputError
from walker.files import atomic_path
from walker.sim.spec import HenrySpec
from walker.sim.world import STATE_FIELDS

PLOT_SECONDS = 5.0
"""How much of the end of each episode a diagram shows by default."""

_RIGHT = STATE_FIELDS.index("right_foot_contact")
_LEFT = STATE_FIELDS.index("left_foot_contact")


class FootfallPlotError(InputError):
    """A footfall diagram cannot be made as asked."""


@dataclass(frozen=True)
class FootfallRecord:
    """One policy's episode: its foot switches per control step and its gait."""

    label: str
    dt_s: float
    """Seconds per contact sample (one control step)."""
    right: np.ndarray
    left: np.ndarray
    metrics: GaitMetrics
    """The gait over the whole episode."""
    spec: HenrySpec
    fell: bool

    @property
    def duration_s(self) -> float:
        return len(self.right) * self.dt_s


def record_footfalls(
    make_env: Callable[[], gym.Env[Any, Any]],
    agent: Agent,
    label: str,
    seconds: float | None = None,
    seed: int = 0,
    options: dict[str, Any] | None = None,
) -> FootfallRecord:
    """One greedy episode of `agent` on the Henry env `make_env` builds, up to `seconds`
    of simulated time (None: until the env ends it), its contacts at every control step."""
    env = make_env()
    try:
        base: Any = env.unwrapped
        world = base.world
        contacts: list[tuple[bool, bool]] = []

        def sample() -> None:
            state = world.read_state()
            contacts.append((state[_RIGHT] > 0.5, state[_LEFT] > 0.5))

        obs, info = env.reset(seed=seed, options=options)
        agent.reset()
        meter = attach(env)
        base.control_step_observers.append(sample)
        dt = base.henry_spec.control_dt_s
        terminated = truncated = False
        try:
            while not (terminated or truncated):
                if seconds is not None and len(contacts) * dt >= seconds - 1e-9:
                    break
                obs, _, terminated, truncated, info = env.step(
                    act_one(agent, obs, info, explore=False)
                )
        finally:
            base.control_step_observers.remove(sample)
            detach(env, meter)
        samples = np.asarray(contacts, dtype=bool).reshape(-1, 2)
        return FootfallRecord(
            label,
            dt,
            samples[:, 0].copy(),
            samples[:, 1].copy(),
            meter.metrics(),
            base.henry_spec,
            bool(terminated),
        )
    finally:
        env.close()


def describe(record: FootfallRecord) -> list[str]:
    """The lines printed beside a policy's diagram. The gait's label, stride ratio and
    Froude number (Fr) are the gait meter's (`envs.gait.GaitMetrics`), the one place they
    are defined."""
    m = record.metrics

    def number(value: float, fmt: str) -> str:
        return fmt.format(value) if math.isfinite(value) else "-"

    fell = f", fell after {record.duration_s:.1f} s" if record.fell else ""
    return [
        f"{m.gait}{fell}",
        f"{number(m.speed_m_s, '{:.2f}')} m/s, Fr {number(m.froude_number, '{:.2f}')}, "
        f"cadence {number(m.cadence_per_min, '{:.0f}')} /min",
        f"stride {number(m.stride_length_m, '{:.2f}')} m, ratio {number(m.stride_ratio, '{:.2f}')}",
        f"duty R {number(m.duty_factor_right, '{:.2f}')} L {number(m.duty_factor_left, '{:.2f}')}"
        f", flight {number(m.flight_share, '{:.0%}')}",
    ]


def _hex(color: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


RIGHT_COLOR, LEFT_COLOR, FLIGHT_COLOR = _hex(RIGHT_LEG), _hex(LEFT_LEG), _hex(FLIGHT)


def _draw_record(ax: Any, record: FootfallRecord, seconds: float) -> None:
    """One policy's panel: its last `seconds` of footfalls, the gait's figures beside."""
    shown = min(len(record.right), max(1, round(seconds / record.dt_s)))
    right, left = record.right[-shown:], record.left[-shown:]
    start = seconds - shown * record.dt_s  # a short (fallen) episode ends at the right
    for a, b in flight_intervals(right, left, record.dt_s, start):
        ax.axvspan(a, b, color=FLIGHT_COLOR, alpha=0.55, lw=0)
    for y, contacts, color in ((1.0, right, RIGHT_COLOR), (0.0, left, LEFT_COLOR)):
        bars = [(a, b - a) for a, b in planted_intervals(contacts, record.dt_s, start)]
        ax.broken_barh(bars, (y - 0.38, 0.76), color=color)
    ax.set_ylim(-0.55, 1.55)
    ax.set_yticks([1.0, 0.0], ["right", "left"])
    ax.set_xlim(0, seconds)
    ax.set_title(record.label, loc="left", fontsize=10, fontweight="bold", pad=3)
    gait, *figures = describe(record)
    ax.text(1.015, 0.98, gait, transform=ax.transAxes, va="top", fontsize=10, fontweight="bold")
    ax.text(
        1.015,
        0.62,
        "\n".join(figures),
        transform=ax.transAxes,
        va="top",
        ha="left",
        fontsize=8.5,
        family="monospace",
    )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def plot_footfalls(
    path: str | Path, records: Sequence[FootfallRecord], seconds: float = PLOT_SECONDS
) -> Path:
    """A PNG of each record's last `seconds` as a footfall diagram, stacked (see the
    module docstring). Written atomically."""
    if not records:
        raise FootfallPlotError("a footfall diagram needs at least one policy")
    if not (math.isfinite(seconds) and seconds > 0):
        raise FootfallPlotError(f"the diagram's seconds must be positive, got {seconds!r}")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    height = 0.35 + 1.05 * len(records)
    fig, axes = plt.subplots(len(records), 1, figsize=(10.5, height), squeeze=False, sharex=True)
    for ax, record in zip(axes[:, 0], records, strict=True):
        _draw_record(ax, record, seconds)
    axes[-1, 0].set_xlabel(f"the last {seconds:g} s of each episode (s)")
    fig.legend(
        handles=[
            Patch(color=RIGHT_COLOR, label="right foot planted"),
            Patch(color=LEFT_COLOR, label="left foot planted"),
            Patch(color=FLIGHT_COLOR, alpha=0.55, label="flight (both feet up)"),
        ],
        loc="upper right",
        ncol=3,
        fontsize=8,
        frameon=False,
    )
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / height))
    fig.subplots_adjust(right=0.70)
    with atomic_path(path) as temp:
        fig.savefig(temp, dpi=90, format="png")
    plt.close(fig)
    return Path(path)
