"""The training loop's own cost on a trivial env, for `walker speed train`.

On Taxi-v4 a step of the env costs a few microseconds, so whatever the shared loop adds
(the vector env, the collector's books and masks, the agent's batched interface, hooks and
the progress bar) shows. `taxi_contenders` times `walker train qlearning --env Taxi-v4` as
the command runs it (the loop from `walker.app.training.loop`, its progress bar drawn to
nowhere) against a plain gymnasium loop doing the same epsilon-greedy Q-learning over the
legal actions, with the same schedule and update.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable

import gymnasium as gym
import numpy as np

TAXI_ID = "Taxi-v4"
LOOP = "walker train qlearning, Taxi-v4"
INLINE = "inline gymnasium loop, Taxi-v4"
GOAL = 0.5
"""The loop should run at least half as many steps per second as the inline loop."""


def inline_qlearning(steps: int, seed: int = 0) -> None:
    """`steps` of tabular Q-learning on Taxi-v4 written out as one loop: epsilon-greedy over
    the legal actions (ties broken at random), the Bellman update over the next state's
    legal actions, no bootstrap after a terminal step."""
    from agents.qlearning_config import QLearningConfig

    env = gym.make(TAXI_ID)
    config = QLearningConfig()
    q = np.full((env.observation_space.n, env.action_space.n), config.initial_q)  # type: ignore[attr-defined]
    rng = np.random.default_rng(seed)
    state, info = env.reset(seed=seed)
    legal = np.flatnonzero(info["action_mask"])
    for step in range(steps):
        if rng.random() < config.epsilon.value(step):
            action = int(legal[rng.integers(len(legal))])
        else:
            values = q[state, legal]
            best = legal[values == values.max()]
            action = int(best[rng.integers(len(best))] if len(best) > 1 else best[0])
        next_state, reward, terminated, truncated, info = env.step(action)
        next_legal = np.flatnonzero(info["action_mask"])
        target = reward if terminated else reward + config.gamma * q[next_state, next_legal].max()
        q[state, action] += config.alpha * (target - q[state, action])
        state, legal = next_state, next_legal
        if terminated or truncated:
            state, info = env.reset()
            legal = np.flatnonzero(info["action_mask"])
    env.close()


def train_qlearning(steps: int, seed: int = 0) -> None:
    """`walker train qlearning --env Taxi-v4 --steps STEPS` without the run folder: the
    shared loop with its progress bar (drawn into a buffer) and hooks at the start, on
    every episode and at the end, as the command has."""
    from agents.qlearning import QLearning
    from walker.app.training.hooks import Hook, RunView
    from walker.app.training.loop import TrainConfig, train

    class Books(Hook):
        def on_start(self, run: RunView) -> None:
            self.episodes = 0

        def on_episode(self, run: RunView, result: object) -> None:
            self.episodes += 1

        def close(self, run: RunView) -> None:
            assert run.episodes == self.episodes

    probe = gym.make(TAXI_ID)
    agent = QLearning(probe.observation_space, probe.action_space, seed=seed)
    probe.close()
    config = TrainConfig(steps=steps, seed=seed, final_eval=False)
    with contextlib.redirect_stderr(io.StringIO()):  # where the bar is drawn
        train(agent, lambda: gym.make(TAXI_ID), config, hooks=[Books()])


def taxi_contenders(steps: int) -> dict[str, tuple[str, int, Callable[[], None]]]:
    """The two loops as `best_of` contenders."""
    return {
        LOOP: ("steps", steps, lambda: train_qlearning(steps)),
        INLINE: ("steps", steps, lambda: inline_qlearning(steps)),
    }
