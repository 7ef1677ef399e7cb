"""`walker eval` and `walker qtable`: policies compared greedily on one env (with Henry's
gait measured), and the article's state-action table of a Q-learning checkpoint."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

import envs
from agents.base import Agent
from agents.checkpoint import CheckpointError, load_checkpoint
from agents.qlearning import QLearning
from walker.app.core.evaluation import Evaluation, evaluate
from walker.app.core.footfall_plot import FootfallRecord, plot_footfalls, record_footfalls
from walker.app.core.gaits import GAIT_COLUMNS, GaitSummary, gait_cells, measure_gait
from walker.app.core.learners import PolicyError
from walker.app.core.plots import qtable_heatmap
from walker.app.core.policies import (
    ASSETS,
    checkpoint_env,
    is_henry,
    load_policy,
    make_env,
    require_checkpoint,
)
from walker.app.core.runfiles import QTABLE_SUFFIX
from walker.app.core.tables import format_table


def hardcoded_reference(env_id: str, env_kwargs: dict[str, Any]) -> Evaluation | None:
    """The hard-coded gait's greedy evaluation on this env (None for non-Henry envs)."""
    env = make_env(env_id, env_kwargs)
    try:
        if not is_henry(env):
            return None
        policy = load_policy("hardcoded", env)
    finally:
        env.close()
    return evaluate(lambda: make_env(env_id, env_kwargs), policy, episodes=1)


def compare_policies(
    policies: Sequence[str],
    env_id: str | None = None,
    env_kwargs: dict[str, Any] | None = None,
    episodes: int = 3,
    seed: int = 0,
    pose: str | None = None,
    labels: Sequence[str] | None = None,
    seconds: float | None = None,
    plot: Path | None = None,
    plot_seconds: float = 5.0,
) -> str:
    """Evaluate each policy greedily on one env and format a table; on Henry's envs with
    the gait measured (`walker.app.core.gaits`), episodes lasting up to `seconds` if given.
    `plot` also draws the last `plot_seconds` of each policy's first episode as a footfall
    diagram (`walker.app.core.footfall_plot`)."""
    env_id, env_kwargs = _compared_env(policies, env_id, dict(env_kwargs or {}))
    options = {"pose": pose} if pose else None
    henry = env_id in (envs.DISCRETE_ID, envs.CONTINUOUS_ID)
    limit = _step_limit(seconds, henry, env_id, env_kwargs)
    if plot is not None and not henry:
        raise PolicyError(f"--plot draws Henry's footfalls; {env_id} is not one of Henry's envs")
    measured = {**env_kwargs, "measure_work": True} if henry else env_kwargs
    results: list[tuple[str, Evaluation]] = []
    footfalls: list[FootfallRecord] = []
    reference_speed = None
    for index, spec in enumerate(policies):
        policy = _loaded_policy(spec, env_id, env_kwargs, seed)
        # On Henry's envs the gait is measured too (with the work meter on).
        measure = measure_gait if henry else evaluate
        summary = measure(
            partial(make_env, env_id, measured, max_episode_steps=limit),
            policy,
            episodes,
            seed,
            options,
        )
        results.append((labels[index] if labels else spec, summary))
        if plot is not None:
            footfalls.append(
                record_footfalls(
                    partial(make_env, env_id, env_kwargs, max_episode_steps=limit),
                    policy,
                    labels[index] if labels else spec,
                    seed=seed,
                    options=options,
                )
            )
        if spec == "hardcoded":
            reference_speed = summary.speed_m_s
    title = f"{env_id}, {episodes} greedy episode(s) each" + (f", pose {pose}" if pose else "")
    if seconds is not None:
        title += f", up to {seconds:g} s"
    report = title + "\n" + _results_table(results, reference_speed, env_id)
    if plot is not None:
        plot_footfalls(plot, footfalls, plot_seconds)
        report += f"\nfootfall diagram (the last {plot_seconds:g} s of each first episode): {plot}"
    return report


def _loaded_policy(spec: str, env_id: str, env_kwargs: dict[str, Any], seed: int) -> Agent:
    """The policy `spec` names, loaded against a fresh env of `env_id` (closed after)."""
    env = make_env(env_id, env_kwargs)
    try:
        return load_policy(spec, env, seed, env_id, env_kwargs)
    finally:
        env.close()


def _compared_env(
    policies: Sequence[str], env_id: str | None, env_kwargs: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The env to compare on: `env_id`, or else the first checkpoint's env (its keywords
    under `env_kwargs`), or else the discrete Henry."""
    if env_id is None:
        found = next((checkpoint_env(p) for p in policies if checkpoint_env(p)), None)
        env_id, saved_kwargs = found if found else (envs.DISCRETE_ID, {})
        env_kwargs = {**saved_kwargs, **env_kwargs}
    return env_id, env_kwargs


def _step_limit(
    seconds: float | None, henry: bool, env_id: str, env_kwargs: dict[str, Any]
) -> int | None:
    """The env steps that last `seconds` of simulated time (None: the env's own limit)."""
    if seconds is None:
        return None
    if not (henry and math.isfinite(seconds) and seconds > 0):
        raise PolicyError(
            f"--seconds must be a positive number of simulated seconds on "
            f"one of Henry's envs, got {seconds!r} on {env_id}"
        )
    probe: Any = make_env(env_id, env_kwargs).unwrapped
    step_s: float = probe.dt  # simulated seconds per env step, on both of Henry's envs
    return max(1, round(seconds / step_s))


def _results_table(
    results: Sequence[tuple[str, Evaluation]], reference_speed: float | None, env_id: str
) -> str:
    """The comparison table: a row per policy, speeds against the hard-coded gait's."""
    henry = env_id in (envs.DISCRETE_ID, envs.CONTINUOUS_ID)
    rows = []
    for name, summary in results:
        row = [
            name,
            f"{summary.episode_return:.3f}",
            f"{summary.length:.0f}",
            f"{summary.falls:.0%}",
        ]
        if summary.distance_m is not None and summary.speed_m_s is not None:
            row += [f"{summary.distance_m:.3f}", f"{summary.speed_m_s:.4f}"]
            ratio = summary.speed_m_s / reference_speed if reference_speed else math.nan
            # A speed until a fall is no win: Henry's fallers get no ratio.
            fell = henry and summary.falls > 0
            row.append(f"{ratio:.2f}x" if math.isfinite(ratio) and not fell else "-")
        if isinstance(summary, GaitSummary):
            row += gait_cells(summary)
        rows.append(row)
    # A terminated Henry has fallen; other envs end for their own reasons (Taxi: a drop-off).
    header = ["policy", "return", "steps", "falls" if henry else "terminated"]
    if results and results[0][1].speed_m_s is not None:
        header += ["distance m", "speed m/s", "vs hard-coded"]
    if henry:
        header += [title for _, title, _ in GAIT_COLUMNS]
    return format_table(header, rows)


def qtable_report(
    spec: str | Path, out: Path | None = None, show_all: bool = False
) -> tuple[str, Path]:
    """The article's state-action table for a Q-learning checkpoint (a path or a pretrained
    name, as every POLICY argument), and a heatmap PNG."""
    checkpoint, env_id, env_kwargs = _qlearning_checkpoint(spec)
    env = make_env(env_id, env_kwargs)
    agent = QLearning.load(checkpoint, env.observation_space, env.action_space)
    henry = isinstance(env.unwrapped, envs.HenryDiscreteEnv)
    action_names = (
        [a.name for a in envs.Action] if henry else [str(a) for a in range(agent.n_actions)]
    )
    lines = [
        f"Q-table of {checkpoint} ({env_id}, {agent.steps} training steps)",
        "state = [right ext, right down, left ext, left down]; * marks the greedy action"
        if henry
        else "* marks the greedy action",
    ]
    rows = _table_rows(agent, env, show_all)
    env.close()
    if not rows:
        raise CheckpointError(f"checkpoint {checkpoint} has no visited states to show")
    for state, values, legal in rows:
        best = int(np.flatnonzero(legal)[np.argmax(values[legal])])
        cells = [
            f"{action_names[a]} {values[a]:+.4f}{' *' if a == best else ''}"
            for a in np.flatnonzero(legal)
        ]
        lines.append(f"{state}: " + ", ".join(cells))
    # Beside the checkpoint, except for pretrained ones: assets/ is not the user's folder.
    beside = (
        Path(checkpoint.stem + QTABLE_SUFFIX)
        if checkpoint.parent == ASSETS
        else checkpoint.with_name(checkpoint.stem + QTABLE_SUFFIX)
    )
    heatmap = out or beside
    qtable_heatmap(
        heatmap,
        np.array([values for _, values, _ in rows]),
        np.array([legal for _, _, legal in rows]),
        [str(state) for state, _, _ in rows],
        action_names,
        f"Q-table ({env_id})",
    )
    return "\n".join(lines), heatmap


def _qlearning_checkpoint(spec: str | Path) -> tuple[Path, str, dict[str, Any]]:
    """The Q-learning checkpoint `spec` names, with the env (id, keywords) it was trained on."""
    checkpoint = require_checkpoint(str(spec))
    payload = load_checkpoint(checkpoint)
    if payload["agent"] != "qlearning":
        raise CheckpointError(
            f"checkpoint {checkpoint} holds a {payload['agent']!r} agent; "
            "walker qtable reads Q-learning checkpoints"
        )
    found = checkpoint_env(str(checkpoint))
    assert found is not None
    env_id, env_kwargs = found
    return checkpoint, env_id, env_kwargs


def _table_rows(
    agent: QLearning, env: Any, show_all: bool
) -> list[tuple[list[int], np.ndarray, np.ndarray]]:
    """(state, Q-values, legal actions) for each visited state (each state with `show_all`);
    on Henry, states without a legal action (both feet up) are left out."""
    base = env.unwrapped
    nvec = getattr(env.observation_space, "nvec", None)
    rows = []
    for index in range(agent.encoder.n_states):
        visited = agent.visits[index].sum() > 0
        if not (visited or show_all):
            continue
        state = (
            np.unravel_index(index, tuple(int(n) for n in nvec)) if nvec is not None else (index,)
        )
        state_list = [int(v) for v in state]
        if isinstance(base, envs.HenryDiscreteEnv):
            legal = base.legal_action_mask(np.array(state_list))
            if not legal.any():
                continue
        else:
            legal = np.ones(agent.n_actions, dtype=bool)
        rows.append((state_list, agent.q[index], legal))
    return rows
