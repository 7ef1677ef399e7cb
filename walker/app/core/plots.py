"""PNG plots of a training run and of a Q-table (matplotlib, no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from walker.draw.henry import LEFT_LEG, RIGHT_LEG
from walker.files import atomic_path


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(plt: Any, fig: Any, path: str | Path) -> Path:
    fig.tight_layout()
    with atomic_path(path) as temp:
        fig.savefig(temp, dpi=100, format="png")
    plt.close(fig)
    return Path(path)


def _hex(color: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def smooth(values: Sequence[float], window: int) -> np.ndarray:
    """Trailing moving average (shorter at the start, so it has as many points as `values`)."""
    data = np.asarray(values, dtype=float)
    if len(data) == 0 or window <= 1:
        return data
    cumulative = np.cumsum(np.insert(data, 0, 0.0))
    out = np.empty_like(data)
    for i in range(len(data)):
        lo = max(0, i + 1 - window)
        out[i] = (cumulative[i + 1] - cumulative[lo]) / (i + 1 - lo)
    return out


def learning_curves(
    path: str | Path,
    episodes: list[dict[str, Any]],
    evaluations: list[dict[str, float]],
    title: str,
    hardcoded: dict[str, float] | None = None,
) -> Path:
    """Episode return and length over training (raw and smoothed), and greedy evaluations,
    with the hard-coded gait's level drawn as a line."""
    plt = _pyplot()
    panels: list[tuple[str, str, float | None]] = []
    if all("speed_m_s" in row for row in episodes):
        # Speed is comparable across episode lengths (returns are not when training
        # episodes are cut short), so it is what the hard-coded level is drawn against.
        reference = hardcoded.get("speed_m_s") if hardcoded else None
        panels.append(("speed_m_s", "training episode speed (m/s)", reference))
        panels.append(("episode_return", "episode return", None))
    else:
        reference = hardcoded.get("return") if hardcoded else None
        panels.append(("episode_return", "episode return", reference))
    lengths = {row["length"] for row in episodes}
    if len(lengths) > 1:
        panels.append(("length", "episode length (steps)", None))
    elif lengths:
        # Every episode ran the same number of steps (cut to a fixed length): a flat line
        # says nothing, so the number goes into the title instead.
        title = f"{title} (every training episode: {lengths.pop():g} steps)"
    rows = len(panels) + (1 if evaluations else 0)
    fig, axes = plt.subplots(rows, 1, figsize=(8, 2.8 * rows), sharex=False, squeeze=False)
    axes = axes[:, 0]
    x = [row["step"] for row in episodes]
    window = max(1, len(episodes) // 20)
    for ax, (key, label, level) in zip(axes, panels, strict=False):
        values = [row[key] for row in episodes]
        ax.plot(x, values, color="#9bb7d4", linewidth=0.8, label="per episode")
        ax.plot(x, smooth(values, window), color="#1f5fa8", linewidth=2, label=f"mean of {window}")
        if level is not None:
            ax.axhline(level, color="#c0392b", linestyle="--", label="hard-coded gait")
        ax.set_ylabel(label)
        ax.set_xlabel("training steps")
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
    if evaluations:
        ax = axes[-1]
        key = "speed_m_s" if "speed_m_s" in evaluations[0] else "return"
        ax.plot(
            [e["step"] for e in evaluations],
            [e[key] for e in evaluations],
            marker="o",
            color="#1f5fa8",
            label="greedy policy",
        )
        if hardcoded and key in hardcoded:
            ax.axhline(hardcoded[key], color="#c0392b", linestyle="--", label="hard-coded gait")
        ax.set_ylabel("greedy speed (m/s)" if key == "speed_m_s" else "greedy return")
        ax.set_xlabel("training steps")
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
    fig.suptitle(title)
    return _save(plt, fig, path)


def qtable_heatmap(
    path: str | Path,
    q: np.ndarray,
    legal: np.ndarray,
    state_labels: list[str],
    action_labels: list[str],
    title: str,
) -> Path:
    """Q-values of legal actions per visited state; illegal cells blank, greedy cells boxed."""
    plt = _pyplot()
    masked = np.where(legal, q, np.nan)
    height = max(4.0, 0.22 * len(state_labels) + 1.5)
    fig, ax = plt.subplots(figsize=(1.0 * len(action_labels) + 3, height))
    image = ax.imshow(masked, aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(action_labels)), action_labels, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(state_labels)), state_labels, fontsize=7)
    for tick, name in zip(ax.get_xticklabels(), action_labels, strict=True):
        # The same leg colours as the window and the videos.
        if "RIGHT" in name.upper():
            tick.set_color(_hex(RIGHT_LEG))
        elif "LEFT" in name.upper():
            tick.set_color(_hex(LEFT_LEG))
    for row in range(masked.shape[0]):
        values = masked[row]
        if np.isfinite(values).any():
            best = int(np.nanargmax(values))
            ax.add_patch(
                plt.Rectangle(
                    (best - 0.5, row - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=1.5
                )
            )
    fig.colorbar(image, ax=ax, label="Q-value")
    ax.set_title(title)
    return _save(plt, fig, path)
