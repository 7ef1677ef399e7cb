"""`walker experiment dungeon`: the article's dungeon (seeds/002), where the greedy accountant
(epsilon 0) settles for the small reward behind it and the exploring gambler (epsilon 1 -> 0)
finds the large one at the end."""

from __future__ import annotations

import gymnasium as gym

import envs
from agents.collect import Collector
from agents.qlearning import QLearning
from agents.qlearning_config import EpsilonSchedule, QLearningConfig
from walker.app.core.tables import format_table
from walker.app.experiments.report import Report


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
