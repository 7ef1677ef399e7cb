"""The plots of `walker bench` (PNG, matplotlib, no display needed).

* `plot_iqm`: per env, the IQM of the normalised score of every agent under every condition
  with its 95% bootstrap interval, in the manner of rliable's interval plots.
* `plot_robustness`: per env, one row per agent: its score (IQM and interval) and its fall
  rate under each condition, with the hard-coded policy's beside it.
* `plot_curve`: a robustness curve, per env a column: fall rate and score against the size.

Scores can lie far from the hand-written gait's 1.0 (a policy many times faster, or one that
falls at once), so a score axis that must reach beyond 5 is linear between -2 and 2 and
logarithmic beyond (`symlog`): the region where "as good as the hand-written gait" is
decided stays readable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from walker.app.bench.curves import SURVIVAL_SHARE, CurveResult
from walker.app.bench.summary import Summary
from walker.app.core.plots import _pyplot, _save

HARDCODED_COLOUR = "#444444"


def _colours(agents: Sequence[str]) -> dict[str, str]:
    palette = [
        "#1f77b4",
        "#d62728",
        "#2ca02c",
        "#9467bd",
        "#ff7f0e",
        "#17becf",
        "#8c564b",
        "#e377c2",
        "#bcbd22",
    ]
    others = [a for a in agents if a != "hardcoded"]
    colours = {a: palette[i % len(palette)] for i, a in enumerate(others)}
    colours["hardcoded"] = HARDCODED_COLOUR
    return colours


def _errors(estimates: Sequence[Any]) -> np.ndarray:
    """Asymmetric error bars (2, n) from Estimates; zero where there is no interval."""
    low = [e.value - e.low if math.isfinite(e.low) else 0.0 for e in estimates]
    high = [e.high - e.value if math.isfinite(e.high) else 0.0 for e in estimates]
    return np.array([low, high])


def _score_axis(axis: Any, horizontal: bool, values: Sequence[float]) -> None:
    """Linear when every score is within [-5, 5]; symmetric-log beyond, with plain labels."""
    from matplotlib.ticker import FuncFormatter

    finite = [abs(v) for v in values if math.isfinite(v)]
    if finite and max(finite) > 5.0:
        if horizontal:
            axis.set_xscale("symlog", linthresh=2.0)
        else:
            axis.set_yscale("symlog", linthresh=2.0)
        plain = FuncFormatter(lambda v, _: f"{v:g}")
        (axis.xaxis if horizontal else axis.yaxis).set_major_formatter(plain)
    line = axis.axvline if horizontal else axis.axhline
    line(0.0, color="#999999", lw=0.8)
    line(1.0, color="#999999", lw=0.8, ls="--")


def _bounds(estimates: Sequence[Any]) -> list[float]:
    return [v for e in estimates for v in (e.value, e.low, e.high)]


def plot_iqm(summaries: Sequence[Summary], conditions: Sequence[str], path: Path) -> Path:
    """IQM score with 95% CIs, one panel per env, conditions down, agents side by side."""
    plt = _pyplot()
    env_ids = list(dict.fromkeys(s.env_id for s in summaries))
    agents = list(dict.fromkeys(s.agent for s in summaries))
    colours = _colours(agents)
    fig, axes = plt.subplots(
        1,
        len(env_ids),
        figsize=(5.2 * len(env_ids), 0.42 * len(conditions) + 1.8),
        squeeze=False,
        sharey=True,
    )
    for axis, env_id in zip(axes[0], env_ids, strict=True):
        present = [a for a in agents if any(s.env_id == env_id and s.agent == a for s in summaries)]
        height = 0.8 / max(len(present), 1)
        for index, agent in enumerate(present):
            rows = [
                (conditions.index(s.condition), s)
                for s in summaries
                if s.env_id == env_id and s.agent == agent and s.condition in conditions
            ]
            if not rows:
                continue
            y = np.array([r for r, _ in rows]) - 0.4 + height * (index + 0.5)
            estimates = [s.score_iqm for _, s in rows]
            axis.errorbar(
                [e.value for e in estimates],
                y,
                xerr=_errors(estimates),
                fmt="o",
                ms=4,
                capsize=2,
                lw=1.2,
                color=colours[agent],
                label=agent,
            )
        _score_axis(axis, True, _bounds([s.score_iqm for s in summaries if s.env_id == env_id]))
        axis.set_title(env_id, fontsize=10)
        axis.set_xlabel(
            "normalised score, IQM [95% CI]\n0 = random, 1 = hard-coded (standard)", fontsize=8
        )
        axis.grid(axis="x", alpha=0.3)
        axis.legend(fontsize=7, loc="lower right")
    first = axes[0][0]
    first.set_yticks(range(len(conditions)))
    first.set_yticklabels(conditions, fontsize=8)
    first.set_ylim(len(conditions) - 0.5, -0.5)
    return _save(plt, fig, path)


def plot_robustness(
    summaries: Sequence[Summary], conditions: Sequence[str], env_id: str, path: Path
) -> Path:
    """Per agent: score and fall rate under each condition, hard-coded alongside."""
    plt = _pyplot()
    mine = [s for s in summaries if s.env_id == env_id and s.condition in conditions]
    agents = [a for a in dict.fromkeys(s.agent for s in mine) if a != "hardcoded"]
    colours = _colours(["hardcoded", *agents])
    rows = max(len(agents), 1)
    fig, axes = plt.subplots(rows, 2, figsize=(10, 2.3 * rows + 0.6), squeeze=False, sharex=True)
    x = np.arange(len(conditions))
    width = 0.38
    for row, agent in enumerate(agents):
        score_axis, fall_axis = axes[row]
        most_falls = 0.0
        for offset, name in ((-width / 2, "hardcoded"), (width / 2, agent)):
            by_condition = {s.condition: s for s in mine if s.agent == name}
            present = [i for i, c in enumerate(conditions) if c in by_condition]
            estimates = [by_condition[conditions[i]].score_iqm for i in present]
            score_axis.errorbar(
                x[present] + offset,
                [e.value for e in estimates],
                yerr=_errors(estimates),
                fmt="o",
                ms=4,
                capsize=2,
                color=colours[name],
                label=name,
            )
            rates = [by_condition[conditions[i]].fall_rate for i in present]
            fall_axis.bar(x[present] + offset, rates, width, color=colours[name], label=name)
            most_falls = max([most_falls, *rates])
        if most_falls == 0:  # an empty panel would look like a missing plot
            _note(fall_axis, f"no falls: neither hardcoded nor {agent} fell in any condition")
        _score_axis(
            score_axis,
            False,
            _bounds([s.score_iqm for s in mine if s.agent in ("hardcoded", agent)]),
        )
        score_axis.set_ylabel("score (IQM)", fontsize=8)
        score_axis.set_title(f"{agent}: score", fontsize=9, loc="left")
        score_axis.legend(fontsize=7, loc="best")
        fall_axis.set_ylim(0, 1.05)
        fall_axis.set_ylabel("fall rate", fontsize=8)
        fall_axis.set_title(f"{agent}: falls", fontsize=9, loc="left")
        for axis in (score_axis, fall_axis):
            axis.grid(axis="y", alpha=0.3)
    for axis in axes[-1]:
        axis.set_xticks(x)
        axis.set_xticklabels(conditions, rotation=40, ha="right", fontsize=8)
    fig.suptitle(f"Robustness on {env_id}: each agent against the hard-coded policy", fontsize=10)
    return _save(plt, fig, path)


def _note(axis: Any, text: str) -> None:
    """A grey line of text in the middle of `axis`."""
    axis.text(
        0.5, 0.5, text, transform=axis.transAxes, ha="center", va="center", fontsize=8, color="0.35"
    )


def plot_curve(result: CurveResult, path: Path) -> Path:
    """Per env a column: fall rate (top) and score (bottom) against the size, per agent."""
    plt = _pyplot()
    env_ids = list(dict.fromkeys(p.env_id for p in result.points))
    figure, axes = plt.subplots(
        2, len(env_ids), figsize=(6.5 * len(env_ids), 7.5), squeeze=False, sharex="col"
    )
    colours = _colours(list(dict.fromkeys(p.agent for p in result.points)))
    label = result.axis or result.quantity
    for column, env_id in enumerate(env_ids):
        top, bottom = axes[0][column], axes[1][column]
        for agent in dict.fromkeys(p.agent for p in result.points if p.env_id == env_id):
            mine = sorted(
                (p for p in result.points if p.env_id == env_id and p.agent == agent),
                key=lambda p: p.level,
            )
            x = [p.level for p in mine]
            colour = colours[agent]
            top.plot(x, [p.fall_rate.value for p in mine], "o-", color=colour, label=agent)
            top.fill_between(
                x,
                [p.fall_rate.low for p in mine],
                [p.fall_rate.high for p in mine],
                color=colour,
                alpha=0.15,
            )
            bottom.plot(x, [p.score_iqm.value for p in mine], "o-", color=colour, label=agent)
            low = [
                p.score_iqm.low if math.isfinite(p.score_iqm.low) else p.score_iqm.value
                for p in mine
            ]
            high = [
                p.score_iqm.high if math.isfinite(p.score_iqm.high) else p.score_iqm.value
                for p in mine
            ]
            bottom.fill_between(x, low, high, color=colour, alpha=0.15)
        top.axhline(1 - SURVIVAL_SHARE, color="#999999", linestyle=":", linewidth=1)
        top.set_ylim(-0.03, 1.03)
        top.set_ylabel("fall rate (95% Wilson interval)")
        top.set_title(f"{env_id}: --curve {result.curve}")
        top.legend(fontsize=8, loc="best")
        bottom.axhline(1.0, color="#999999", linestyle="--", linewidth=1)
        bottom.set_ylabel("score, IQM (95% bootstrap interval)")
        bottom.set_xlabel(label)
        for axis in (top, bottom):
            axis.grid(alpha=0.3)
    return _save(plt, figure, path)
