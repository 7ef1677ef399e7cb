"""The article's findings as experiments that print tables (`walker experiment NAME`).

* `learned`: over several training seeds, the greedy Q-learning gait against the hard-coded
  gait and against the best gait Henry's action set allows (found by planning), with a 95%
  confidence interval, and the decisions until the learned gait first matched the
  hard-coded one.
* `robustness`: from every start state the env allows, does the gait walk on?
* `exploration`: a low against a high epsilon on the same budget and seeds: speed and how
  much of the legs' extension range the learned gait uses.
* `dungeon`: the greedy accountant against the exploring gambler (seeds/002).
* `deep`: PPO and DQN against the hard-coded gait of each env (`walker/app/experiments/deep.py`).

Each function returns a report object whose `text` is the table; tests call them with
small budgets and fixed seeds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import envs
from agents.base import Agent, act_one
from agents.baselines import HardcodedGait
from agents.collect import Collector
from agents.qlearning import QLearning
from agents.qlearning_config import EpsilonSchedule, QLearningConfig
from walker.app.core.evaluation import evaluate, run_episode
from walker.app.core.tables import format_table
from walker.app.experiments import deep
from walker.app.experiments.planning import TablePolicy, best_cycle, plan, sample_model
from walker.app.experiments.report import Report, mean_ci95
from walker.app.training.config import TRAIN_EPISODE_DECISIONS
from walker.app.training.hooks import Hook, RunView
from walker.app.training.loop import TrainConfig, train

EVAL_DECISIONS = 200  # 120 s of simulated walking per greedy evaluation


def henry(max_episode_steps: int | None = None) -> gym.Env[Any, Any]:
    if max_episode_steps is None:
        return gym.make(envs.DISCRETE_ID)
    return gym.make(envs.DISCRETE_ID, max_episode_steps=max_episode_steps)


def henry_for_training() -> gym.Env[Any, Any]:
    return henry(TRAIN_EPISODE_DECISIONS)


def speed_of(
    agent: Agent,
    decisions: int = EVAL_DECISIONS,
    options: dict[str, Any] | None = None,
    seed: int = 12_345,
) -> float:
    """Greedy speed (m/s) over `decisions` decisions from the standard start."""
    summary = evaluate(henry, agent, 1, seed, options, max_steps=decisions)
    return summary["speed_m_s"]


def train_qlearning(
    seed: int,
    steps: int,
    epsilon: EpsilonSchedule | None = None,
    random_starts: bool = True,
    track_every: int = 0,
    track: Callable[[QLearning, int], None] | None = None,
    initial_q: float | None = None,
) -> QLearning:
    """Train one Q-learning agent on Henry; `track(agent, step)` every `track_every` steps."""
    env = henry()
    defaults = QLearningConfig()
    config = QLearningConfig(
        alpha=defaults.alpha,
        gamma=defaults.gamma,
        epsilon=epsilon or EpsilonSchedule("exponential", 1.0, 0.05, max(1, steps // 2)),
        initial_q=defaults.initial_q if initial_q is None else initial_q,
    )
    agent = QLearning(env.observation_space, env.action_space, config, seed)
    env.close()
    hooks = []
    if track is not None and track_every:
        hooks.append(_Tracker(track, track_every))
    train(
        agent,
        henry_for_training if random_starts else henry,
        TrainConfig(
            steps=steps,
            seed=seed,
            progress=False,
            random_starts=random_starts,
            eval_episodes=1,
            eval_max_steps=1,
        ),
        hooks=hooks,
    )
    return agent


class _Tracker(Hook):
    def __init__(self, track: Callable[[QLearning, int], None], every: int) -> None:
        self.track = track
        self.every = every

    def on_step(self, run: RunView) -> None:
        if run.steps % self.every == 0:
            self.track(run.agent, run.steps)  # type: ignore[arg-type]


def best_possible() -> tuple[float, str, float]:
    """(speed m/s measured in the physics, the gait cycle, model progress per decision)."""
    model = sample_model(henry)
    policy, _ = plan(model, gamma=0.999)
    cycle = best_cycle(model, policy, (2, 1, 2, 1))
    return speed_of(TablePolicy(policy)), cycle.describe(), cycle.progress_per_decision_m


def learned_vs_hardcoded(seeds: int = 10, steps: int = 6000, track_every: int = 500) -> Report:
    hardcoded = speed_of(HardcodedGait())
    best, cycle, _ = best_possible()
    learned, ratios, first_match = [], [], []
    for seed in range(seeds):
        matched: list[int] = []

        def track(agent: QLearning, step: int, matched: list[int] = matched) -> None:
            if not matched and speed_of(agent, decisions=60) >= hardcoded:
                matched.append(step)

        agent = train_qlearning(seed, steps, track_every=track_every, track=track)
        speed = speed_of(agent)
        learned.append(speed)
        ratios.append(speed / hardcoded)
        first_match.append(matched[0] if matched else None)
    ratio_mean, ratio_lo, ratio_hi = mean_ci95(ratios)
    speed_mean, _, _ = mean_ci95(learned)
    matched_steps = [m for m in first_match if m is not None]
    rows = [
        ["hard-coded gait", f"{hardcoded:.4f}", "1.00x", "-"],
        [
            f"Q-learning ({seeds} seeds, {steps} decisions)",
            f"{speed_mean:.4f}",
            f"{ratio_mean:.2f}x [{ratio_lo:.2f}, {ratio_hi:.2f}]",
            f"{speed_mean / best:.1%}",
        ],
        ["best possible (planned)", f"{best:.4f}", f"{best / hardcoded:.2f}x", "100%"],
    ]
    text = "\n".join(
        [
            "Learned beats hard-coded: greedy speed over 200 decisions (120 s) from the standard "
            "start",
            format_table(["gait", "speed m/s", "vs hard-coded (95% CI)", "of best"], rows),
            f"best cycle: {cycle}",
            f"per-seed ratios: {', '.join(f'{r:.2f}' for r in ratios)}",
            "decisions until the greedy gait first matched the hard-coded one (checked every "
            f"{track_every}): "
            + (
                f"median {int(np.median(matched_steps))}, range {min(matched_steps)}-"
                f"{max(matched_steps)}"
                if matched_steps
                else "never"
            )
            + f" ({len(matched_steps)}/{seeds} seeds matched)",
        ]
    )
    figures = {
        "hardcoded_speed_m_s": hardcoded,
        "best_speed_m_s": best,
        "learned_speed_m_s": learned,
        "ratio_mean": ratio_mean,
        "ratio_ci95": [ratio_lo, ratio_hi],
        "fraction_of_best": speed_mean / best,
        "first_match_steps": first_match,
        "best_cycle": cycle,
        "seeds": seeds,
        "steps": steps,
    }
    return Report("learned", text, figures)


def recovery_share(
    agent_factory: Callable[[], Agent], decisions: int = 30, min_distance_m: float = 0.2
) -> tuple[float, list[tuple[int, int, int, int]]]:
    """Share of start states from which the policy walks at least `min_distance_m` forward
    within `decisions` decisions; also the states it fails from."""
    env = henry()
    failed = []
    states = envs.legal_start_states(env.unwrapped.extension_levels)  # type: ignore[attr-defined]
    for state in states:
        agent = agent_factory()
        result = run_episode(
            env, agent, seed=0, options={"state": list(state)}, max_steps=decisions
        )
        if result.terminated or (result.distance_m or 0.0) < min_distance_m:
            failed.append(state)
    env.close()
    return 1.0 - len(failed) / len(states), failed


def _constant(agent: Agent) -> Callable[[], Agent]:
    return lambda: agent


def robustness(
    seeds: int = 10, steps: int = 12000, decisions: int = 30, min_distance_m: float = 0.2
) -> Report:
    hardcoded_share, hardcoded_failed = recovery_share(HardcodedGait, decisions, min_distance_m)
    random_shares, standard_shares = [], []
    for seed in range(seeds):
        agent = train_qlearning(seed, steps, random_starts=True)
        random_shares.append(recovery_share(_constant(agent), decisions, min_distance_m)[0])
    for seed in range(min(seeds, 3)):
        agent = train_qlearning(seed, steps, random_starts=False)
        standard_shares.append(recovery_share(_constant(agent), decisions, min_distance_m)[0])
    mean_random, lo, hi = mean_ci95(random_shares)
    rows = [
        ["hard-coded gait", f"{hardcoded_share:.0%}"],
        [f"Q-learning, random starts ({seeds} seeds)", f"{mean_random:.0%} [{lo:.0%}, {hi:.0%}]"],
        [
            f"Q-learning, standard start only ({len(standard_shares)} seeds)",
            f"{np.mean(standard_shares):.0%}",
        ],
    ]
    text = "\n".join(
        [
            f"Robustness: share of the {len(envs.legal_start_states(5))} start states from which "
            f"the gait walks >= {min_distance_m} m within {decisions} decisions "
            f"({decisions * 0.6:.0f} s)",
            format_table(["gait", "start states recovered (95% CI)"], rows),
            f"the hard-coded gait fails from {len(hardcoded_failed)} states, among them "
            "[2, 1, 2, 0] (left foot up)"
            if (2, 1, 2, 0) in hardcoded_failed
            else "",
        ]
    )
    figures = {
        "hardcoded_share": hardcoded_share,
        "random_start_shares": random_shares,
        "standard_start_shares": standard_shares,
        "decisions": decisions,
        "min_distance_m": min_distance_m,
        "hardcoded_failed": hardcoded_failed,
    }
    return Report("robustness", text, figures)


def extension_range(agent: Agent, decisions: int = 60) -> float:
    """Share of the extension range (back level to front level) the greedy gait's feet use."""
    env = henry()
    obs, info = env.reset(seed=0)
    agent.reset()
    levels: set[int] = set()
    for step in range(decisions):
        obs, _, terminated, truncated, info = env.step(act_one(agent, obs, info))
        if step >= decisions // 3:  # skip the start-up transient
            levels.update((int(obs[0]), int(obs[2])))
        if terminated or truncated:
            break
    top = env.unwrapped.extension_levels - 1  # type: ignore[attr-defined]
    env.close()
    return (max(levels) - min(levels)) / top if levels else 0.0


def exploration(
    seeds: int = 10,
    steps: int = 6000,
    low: float = 0.02,
    high_start: float = 1.0,
    high_end: float = 0.05,
) -> Report:
    schedules = {
        f"low epsilon (constant {low})": EpsilonSchedule("constant", low, low, 1),
        f"high epsilon ({high_start} -> {high_end})": EpsilonSchedule(
            "exponential", high_start, high_end, max(1, steps // 2)
        ),
    }
    rows: list[list[str]] = []
    figures: dict[str, Any] = {}
    hardcoded = speed_of(HardcodedGait())
    for name, schedule in schedules.items():
        speeds, ranges = [], []
        for seed in range(seeds):
            agent = train_qlearning(
                seed, steps, epsilon=schedule, random_starts=False, initial_q=0.0
            )
            speeds.append(speed_of(agent))
            ranges.append(extension_range(agent))
        mean, lo, hi = mean_ci95(speeds)
        rows.append(
            [
                name,
                f"{mean:.4f} [{lo:.4f}, {hi:.4f}]",
                f"{mean / hardcoded:.2f}x",
                f"{np.mean(ranges):.0%}",
                f"{np.mean(np.array(ranges) >= 1.0):.0%}",
            ]
        )
        figures[name] = {"speeds_m_s": speeds, "extension_range": ranges}
    text = "\n".join(
        [
            f"Exploration vs exploitation: {seeds} seeds, {steps} decisions each, trained from the "
            "standard start with Q-values starting at 0 (no optimism), so epsilon alone explores",
            format_table(
                [
                    "agent",
                    "speed m/s (95% CI)",
                    "vs hard-coded",
                    "extension range used",
                    "seeds using full range",
                ],
                rows,
            ),
        ]
    )
    figures["hardcoded_speed_m_s"] = hardcoded
    return Report("exploration", text, figures)


def dungeon(steps: int = 5000, seed: int = 0) -> Report:
    """The accountant (epsilon 0) and the gambler (epsilon 1 -> 0, gamma 0.95, alpha 0.1)."""
    agents = {
        # Both start from an all-zero spreadsheet, as in the article.
        "accountant": QLearningConfig(
            alpha=0.1, gamma=0.95, initial_q=0.0, epsilon=EpsilonSchedule("constant", 0.0, 0.0, 1)
        ),
        "gambler": QLearningConfig(
            alpha=0.1, gamma=0.95, initial_q=0.0, epsilon=EpsilonSchedule("linear", 1.0, 0.0, steps)
        ),
    }
    lines, figures = [], {}
    for name, config in agents.items():
        env = gym.make(envs.DUNGEON_ID)
        agent = QLearning(env.observation_space, env.action_space, config, seed)
        vector_env = gym.vector.SyncVectorEnv(
            [lambda: gym.make(envs.DUNGEON_ID)], autoreset_mode=gym.vector.AutoresetMode.SAME_STEP
        )
        collector = Collector(vector_env, agent)
        collector.reset(seed=seed)
        for _ in range(steps):
            agent.learn(collector.step().batch)
        vector_env.close()
        policy = [
            "FORWARD"
            if agent.greedy(s, None) == 0 and agent.q[s, 0] != agent.q[s, 1]
            else "BACKWARD"
            if agent.q[s, 1] > agent.q[s, 0]
            else "tie"
            for s in range(env.observation_space.n)  # type: ignore[attr-defined]
        ]
        lines.append(f"{name}: greedy policy per tile {policy}")
        lines.append(
            format_table(
                ["tile", "Q(FORWARD)", "Q(BACKWARD)"],
                [
                    [s, f"{agent.q[s, 0]:.2f}", f"{agent.q[s, 1]:.2f}"]
                    for s in range(agent.q.shape[0])
                ],
            )
        )
        figures[name] = {"q": agent.q.tolist(), "policy": policy}
        env.close()
    return Report("dungeon", "The dungeon (seeds/002)\n" + "\n".join(lines), figures)


def run(
    name: str,
    seeds: int = 10,
    steps: int | None = None,
    out: Path | None = None,
    workers: int = 1,
) -> str:
    """Run experiment `name` and return its table (saved to `out` when given); `workers`
    processes train the seeds of `deep` at once."""
    if name == "learned":
        report = learned_vs_hardcoded(seeds, steps or 6000)
    elif name == "robustness":
        report = robustness(seeds, steps or 12000)
    elif name == "exploration":
        report = exploration(seeds, steps or 6000)
    elif name == "dungeon":
        report = dungeon(steps or 5000)
    elif name == "deep":
        report = deep.deep_agents(seeds, steps_each=steps, workers=workers)
    else:
        raise ValueError(f"unknown experiment {name!r}")
    if out is not None:
        report.save(out)
    return report.text + (f"\nreport: {out}" if out is not None else "")
