"""What the `walker` verbs do, as functions tests can call: train runs, comparisons, demo."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import envs
from agents.base import Learner
from agents.checkpoint import CheckpointError, check_env_matches, load_checkpoint
from agents.qlearning import QLearning
from walker.app.policies import (
    PolicyError,
    checkpoint_env,
    env_metadata,
    is_henry,
    learner_kind,
    load_policy,
    make_env,
)
from walker.app.tables import format_table
from walker.app.train import Hook, TrainConfig, TrainResult, evaluate, train
from walker.files import atomic_write_text, ensure_writable_dir


@dataclass
class RunResult:
    """A finished `walker train` run."""

    out: Path
    train: TrainResult
    final_eval: dict[str, float]
    hardcoded: dict[str, float] | None

    @property
    def interrupted(self) -> bool:
        return self.train.interrupted

    def summary(self) -> str:
        lines = []
        if self.train.interrupted:
            lines.append("interrupted: checkpoint saved, run stopped cleanly")
        rate = self.train.steps / max(self.train.seconds, 1e-9)
        lines.append(f"trained {self.train.steps} steps, {self.train.episodes} episodes in "
                     f"{self.train.seconds:.1f} s ({rate:.0f} steps/s)")
        ev = self.final_eval
        if ev:
            text = f"greedy policy: return {ev['return']:.3f}"
            if "speed_m_s" in ev:
                text += f", distance {ev['distance_m']:.3f} m, speed {ev['speed_m_s']:.4f} m/s"
                if self.hardcoded and self.hardcoded.get("speed_m_s"):
                    text += f" ({ev['speed_m_s'] / self.hardcoded['speed_m_s']:.2f}x the " \
                            "hard-coded gait)"
            lines.append(text)
        lines.append(f"run folder: {self.out}")
        return "\n".join(lines)


def _config_dict(config: Any) -> dict[str, Any]:
    to_dict = getattr(config, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    return dataclasses.asdict(config)


def hardcoded_reference(env_id: str, env_kwargs: dict[str, Any]) -> dict[str, float] | None:
    """The hard-coded gait's greedy evaluation on this env (None for non-Henry envs)."""
    env = make_env(env_id, env_kwargs)
    try:
        if not is_henry(env):
            return None
        policy = load_policy("hardcoded", env)
    finally:
        env.close()
    return evaluate(lambda: make_env(env_id, env_kwargs), policy, episodes=1)


def train_run(*, agent_name: str, config: Any, env_id: str, env_kwargs: dict[str, Any],
              seed: int, steps: int | None, episodes: int | None, out: Path,
              resume: Path | None = None, num_envs: int = 1, vector: str = "sync",
              random_starts: bool = False, eval_every: int = 0, eval_episodes: int = 1,
              checkpoint_every: int = 0, progress: bool = True, watch: bool = False,
              record: Path | None = None, record_every: int = 0,
              episode_steps: int | None = None, eval_max_steps: int | None = None,
              watch_fast: bool = False, watch_speed: float = 1.0,
              tensorboard: Path | None = None, extra_hooks: Sequence[Hook] = ()) -> RunResult:
    """Train one agent into run folder `out` and plot it."""
    kind = learner_kind(agent_name)
    probe = make_env(env_id, env_kwargs)
    try:
        henry = is_henry(probe)
        if random_starts and not isinstance(probe.unwrapped, envs.HenryEnv):
            raise PolicyError(f"--random-starts needs one of Henry's envs, not {env_id}")
        metadata = env_metadata(env_id, env_kwargs, probe)
        if resume is not None:
            payload = load_checkpoint(resume, agent_name)
            check_env_matches(payload, env_id, env_kwargs, source=f"checkpoint {resume}")
            agent: Learner = kind.load(resume, probe.observation_space, probe.action_space)
        else:
            try:
                agent = kind.build(probe.observation_space, probe.action_space, config, seed)
            except TypeError as error:
                raise PolicyError(f"{agent_name} cannot train on {env_id}: {error}") from error
    finally:
        probe.close()
    folder = ensure_writable_dir(out)
    run_config = {
        "agent": agent_name, "agent_config": _config_dict(getattr(agent, "config", config)),
        "env_id": env_id, "env_kwargs": env_kwargs, "seed": seed, "steps": steps,
        "episodes": episodes, "num_envs": num_envs, "vector": vector,
        "random_starts": random_starts, "episode_steps": episode_steps,
        "resumed_from": str(resume) if resume else None,
        **({"henry_spec": metadata["henry_spec"]} if "henry_spec" in metadata else {}),
    }
    atomic_write_text(folder / "config.json", json.dumps(run_config, indent=2) + "\n")
    train_config = TrainConfig(
        steps=steps, episodes=episodes, seed=seed, num_envs=num_envs, vector=vector,
        reset_options={"pose": "random"} if random_starts else {},
        eval_every=eval_every, eval_episodes=eval_episodes, eval_max_steps=eval_max_steps,
        checkpoint_every=checkpoint_every,
        out=folder, progress=progress,
    )
    hooks: list[Hook] = list(extra_hooks)
    if tensorboard is not None:
        from walker.app.train import TensorBoardLog

        hooks.append(TensorBoardLog(tensorboard))
    if watch or record is not None or record_every:
        from walker.app import live

        hooks.extend(live.training_hooks(env_id, env_kwargs, agent, folder, watch=watch,
                                         record=record, record_every=record_every, seed=seed,
                                         fast=watch_fast, speed=watch_speed))
    result = train(agent, lambda: make_env(env_id, env_kwargs, max_episode_steps=episode_steps),
                   train_config, metadata, hooks,
                   make_eval_env=lambda: make_env(env_id, env_kwargs))
    reference = hardcoded_reference(env_id, env_kwargs) if henry else None
    final_eval = result.evaluations[-1] if result.evaluations else {}
    if result.episode_log:
        from walker.app.plots import learning_curves

        learning_curves(folder / "learning_curves.png", result.episode_log, result.evaluations,
                        f"{agent_name} on {env_id} (seed {seed})", reference)
    return RunResult(folder, result, final_eval, reference)


def compare_policies(policies: Sequence[str], env_id: str | None = None,
                     env_kwargs: dict[str, Any] | None = None, episodes: int = 3,
                     seed: int = 0, pose: str | None = None,
                     labels: Sequence[str] | None = None, seconds: float | None = None) -> str:
    """Evaluate each policy greedily on one env and format a table; on Henry's envs with
    the gait measured (`walker.app.gaits`), episodes lasting up to `seconds` if given."""
    from walker.app.gaits import GAIT_COLUMNS, gait_cells, measure_gait

    env_kwargs = dict(env_kwargs or {})
    if env_id is None:
        found = next((checkpoint_env(p) for p in policies if checkpoint_env(p)), None)
        env_id, saved_kwargs = found if found else (envs.DISCRETE_ID, {})
        env_kwargs = {**saved_kwargs, **env_kwargs}
    options = {"pose": pose} if pose else None
    rows = []
    reference_speed = None
    results = []
    henry = env_id in (envs.DISCRETE_ID, envs.CONTINUOUS_ID)
    limit = None
    if seconds is not None:
        if not (henry and math.isfinite(seconds) and seconds > 0):
            raise PolicyError(f"--seconds must be a positive number of simulated seconds on "
                              f"one of Henry's envs, got {seconds!r} on {env_id}")
        probe: Any = make_env(env_id, env_kwargs).unwrapped
        step_s = getattr(probe, "dt", None) or probe.decision_steps * probe.henry_spec.control_dt_s
        limit = max(1, round(seconds / step_s))
    measured = {**env_kwargs, "measure_work": True} if henry else env_kwargs
    for index, spec in enumerate(policies):
        env = make_env(env_id, env_kwargs)
        try:
            policy = load_policy(spec, env, seed, env_id, env_kwargs)
        finally:
            env.close()
        if henry:
            summary = measure_gait(lambda: make_env(env_id, measured, max_episode_steps=limit),
                                   policy, episodes, seed, options)
        else:
            summary = evaluate(lambda: make_env(env_id, env_kwargs, max_episode_steps=limit),
                               policy, episodes, seed, options)
        results.append((labels[index] if labels else spec, summary))
        if spec == "hardcoded":
            reference_speed = summary.get("speed_m_s")
    for name, summary in results:
        row = [name, f"{summary['return']:.3f}", f"{summary['length']:.0f}",
               f"{summary['falls']:.0%}"]
        if "speed_m_s" in summary:
            row += [f"{summary['distance_m']:.3f}", f"{summary['speed_m_s']:.4f}"]
            ratio = (summary["speed_m_s"] / reference_speed
                     if reference_speed else math.nan)
            # A speed until a fall is no win: Henry's fallers get no ratio.
            fell = henry and summary["falls"] > 0
            row.append(f"{ratio:.2f}x" if math.isfinite(ratio) and not fell else "-")
        if henry:
            row += gait_cells(summary)
        rows.append(row)
    # A terminated Henry has fallen; other envs end for their own reasons (Taxi: a drop-off).
    header = ["policy", "return", "steps",
              "falls" if env_id in (envs.DISCRETE_ID, envs.CONTINUOUS_ID) else "terminated"]
    if results and "speed_m_s" in results[0][1]:
        header += ["distance m", "speed m/s", "vs hard-coded"]
    if henry:
        header += [title for _, title, _ in GAIT_COLUMNS]
    title = f"{env_id}, {episodes} greedy episode(s) each" + (f", pose {pose}" if pose else "")
    if seconds is not None:
        title += f", up to {seconds:g} s"
    return title + "\n" + format_table(header, rows)


def qtable_report(checkpoint: Path, out: Path | None = None,
                  show_all: bool = False) -> tuple[str, Path]:
    """The article's state-action table for a Q-learning checkpoint, and a heatmap PNG."""
    payload = load_checkpoint(checkpoint)
    if payload["agent"] != "qlearning":
        raise CheckpointError(f"checkpoint {checkpoint} holds a {payload['agent']!r} agent; "
                              "walker qtable reads Q-learning checkpoints")
    found = checkpoint_env(str(checkpoint))
    assert found is not None
    env_id, env_kwargs = found
    env = make_env(env_id, env_kwargs)
    agent = QLearning.load(checkpoint, env.observation_space, env.action_space)
    base = env.unwrapped
    nvec = getattr(env.observation_space, "nvec", None)
    action_names = ([a.name for a in envs.Action] if isinstance(base, envs.HenryDiscreteEnv)
                    else [str(a) for a in range(agent.n_actions)])
    lines = [f"Q-table of {checkpoint} ({env_id}, {agent.steps} training steps)",
             "state = [right ext, right down, left ext, left down]; * marks the greedy action"
             if isinstance(base, envs.HenryDiscreteEnv) else "* marks the greedy action"]
    labels, rows, legal_rows = [], [], []
    for index in range(agent.encoder.n_states):
        visited = agent.visits[index].sum() > 0
        if not (visited or show_all):
            continue
        state = (np.unravel_index(index, tuple(int(n) for n in nvec)) if nvec is not None
                 else (index,))
        state_list = [int(v) for v in state]
        if isinstance(base, envs.HenryDiscreteEnv):
            legal = base.legal_action_mask(np.array(state_list))
            if not legal.any():
                continue
        else:
            legal = np.ones(agent.n_actions, dtype=bool)
        values = agent.q[index]
        best = int(np.flatnonzero(legal)[np.argmax(values[legal])])
        cells = [f"{action_names[a]} {values[a]:+.4f}{' *' if a == best else ''}"
                 for a in np.flatnonzero(legal)]
        lines.append(f"{state_list}: " + ", ".join(cells))
        labels.append(str(state_list))
        rows.append(values)
        legal_rows.append(legal)
    env.close()
    if not rows:
        raise CheckpointError(f"checkpoint {checkpoint} has no visited states to show")
    from walker.app.plots import qtable_heatmap

    heatmap = out or checkpoint.with_name(checkpoint.stem + "_qtable.png")
    qtable_heatmap(heatmap, np.array(rows), np.array(legal_rows), labels, action_names,
                   f"Q-table ({env_id})")
    return "\n".join(lines), heatmap


def demo(steps: int = 6000, seed: int = 0, out: Path = Path("runs/demo"),
         window: bool | None = None, video: bool = True) -> str:
    """The README's main job: learn to walk briefly, then compare with the hard-coded gait."""
    from agents.qlearning import EpsilonSchedule, QLearningConfig
    from walker.draw.renderer import display_available

    show = display_available() if window is None else window
    from walker.app.experiments import TRAIN_EPISODE_DECISIONS

    config = QLearningConfig(epsilon=EpsilonSchedule("exponential", 1.0, 0.05,
                                                     max(1, steps // 2)))
    print(f"Training Q-learning on {envs.DISCRETE_ID} for {steps} decisions "
          f"(seed {seed}){' in a window' if show else ''}...", flush=True)
    run = train_run(agent_name="qlearning", config=config, env_id=envs.DISCRETE_ID,
                    env_kwargs={}, seed=seed, steps=steps, episodes=None, out=out,
                    random_starts=True, episode_steps=TRAIN_EPISODE_DECISIONS, watch=show,
                    eval_every=max(1, steps // 10), eval_max_steps=60,
                    # In the window: every 10th episode drawn, at 4x speed ('f' and '[' change it).
                    watch_fast=True, watch_speed=4.0)
    checkpoint = run.train.checkpoint
    assert checkpoint is not None
    table = compare_policies(["hardcoded", "random", str(checkpoint)], envs.DISCRETE_ID,
                             episodes=1, seed=seed,
                             labels=["hard-coded gait", "random", "Q-learning"])
    parts = [run.summary(), "", table]
    if show:
        from walker.app import live

        parts.append("\n" + live.race(["hardcoded", str(checkpoint)], seconds=30.0,
                                       env_id=envs.DISCRETE_ID, seed=seed, window=True))
    if video:
        from walker.app import live

        path = live.record_policy(str(checkpoint), out / "gait.mp4", seconds=20.0,
                                  env_id=envs.DISCRETE_ID, seed=seed)
        parts.append(f"\ngait video: {path}")
    parts.append(f"plots: {out / 'learning_curves.png'}")
    return "\n".join(parts)
