"""`walker speed agents` and `walker speed curves`: our PPO and DQN against
Stable-Baselines3 (from `scripts/setup.sh bench`) with matched settings, for training
throughput and for the greedy return after the same budget."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import gymnasium as gym
import numpy as np

import envs
from agents.base import act_one
from walker.app.core.tables import format_table
from walker.app.speed.timing import best_of, has_box2d, has_sb3


def _our_training(agent_kind: str, env_id: str, config: Any, steps: int) -> Callable[[], None]:
    from walker.app.core.learners import learner_kind
    from walker.app.training.loop import TrainConfig, train

    kind = learner_kind(agent_kind)

    def run() -> None:
        probe = gym.make(env_id)
        run_config = TrainConfig(steps=steps, seed=0, progress=False, final_eval=False)
        agent = kind.build(probe.observation_space, probe.action_space, config, 0, run_config.plan)
        probe.close()
        train(agent, lambda: gym.make(env_id), run_config)

    return run


def _sb3_training(
    algorithm: str, env_id: str, kwargs: dict[str, Any], steps: int
) -> Callable[[], None]:
    def run() -> None:
        import stable_baselines3 as sb3
        import torch

        torch.set_num_threads(1)
        from stable_baselines3.common.logger import Logger

        cls = getattr(sb3, algorithm)
        model = cls("MlpPolicy", gym.make(env_id), seed=0, device="cpu", verbose=0, **kwargs)
        # A logger with no outputs: SB3's default makes a folder in /tmp on every run.
        model.set_logger(Logger(folder=None, output_formats=[]))
        model.learn(total_timesteps=steps)

    return run


PPO_STEPS = 2 * 2048
"""`walker speed agents`: PPO's budget, two rollouts of 2048 steps."""
DQN_STEPS = 10_000


def _throughput_cases() -> list[tuple[str, str, int, Any, dict[str, Any]]]:
    """(algorithm, env, steps, our config, SB3's keywords) for each throughput case."""
    from agents.dqn_config import DQNConfig
    from agents.ppo_config import PPOConfig

    # Each setting written once and given to both libraries, so they stay matched.
    ppo_shared: dict[str, Any] = {
        "n_steps": 2048,
        "batch_size": 64,
        "n_epochs": 10,
        "learning_rate": 3e-4,
    }
    ppo = PPOConfig(**ppo_shared, hidden_sizes=(64, 64), normalize_obs=False)
    sb3_ppo = {**ppo_shared, "policy_kwargs": {"net_arch": [64, 64]}}
    dqn_shared: dict[str, Any] = {
        "learning_rate": 1e-4,
        "buffer_size": 50_000,
        "learning_starts": 1000,
        "batch_size": 32,
        "train_freq": 4,
        "gradient_steps": 1,
        "target_update_interval": 1000,
    }
    dqn = DQNConfig(**dqn_shared, hidden_sizes=(64, 64))
    sb3_dqn = {**dqn_shared, "policy_kwargs": {"net_arch": [64, 64]}}
    cases: list[tuple[str, str, int, Any, dict[str, Any]]] = [
        ("PPO", envs.CONTINUOUS_ID, PPO_STEPS, ppo, sb3_ppo)
    ]
    if has_box2d():
        cases.append(("PPO", "BipedalWalker-v3", PPO_STEPS, ppo, sb3_ppo))
    cases.append(("DQN", "CartPole-v1", DQN_STEPS, dqn, sb3_dqn))
    return cases


def agents(rounds: int = 2) -> tuple[str, dict[str, Any]]:
    """PPO and DQN training throughput (env steps per second, updates included) against
    Stable-Baselines3 with the same rollout length, batch, epochs and network."""
    if not has_sb3():
        return ("Stable-Baselines3 is not installed: run scripts/setup.sh bench", {"skipped": True})
    cases = _throughput_cases()
    rows, figures = [], {}
    for algorithm, env_id, steps, config, sb3_kwargs in cases:
        ours = _our_training(algorithm.lower(), env_id, config, steps)
        theirs = _sb3_training(algorithm, env_id, sb3_kwargs, steps)
        timings = best_of(
            rounds, {"ours": ("env steps", steps, ours), "sb3": ("env steps", steps, theirs)}
        )
        ratio = timings["ours"].rate / timings["sb3"].rate
        rows.append(
            [
                algorithm,
                env_id,
                f"{timings['ours'].rate:,.0f}",
                f"{timings['sb3'].rate:,.0f}",
                f"{ratio:.2f}x",
            ]
        )
        figures[f"{algorithm} {env_id}"] = {
            "ours": timings["ours"].rate,
            "sb3": timings["sb3"].rate,
            "ratio": ratio,
        }
    text = "\n".join(
        [
            format_table(["agent", "env", "ours steps/s", "SB3 steps/s", "ours / SB3"], rows),
            "",
            f"PPO: {PPO_STEPS} steps (2 rollouts of 2048, 10 epochs of 64-sample minibatches, "
            "64x64 MLP); DQN: 10,000 steps (train every 4, batch 32, 64x64 MLP); one env, one "
            "torch thread each (goal: ours at least 1.5x SB3)",
        ]
    )
    return text, figures


def _greedy_return(predict: Callable[[np.ndarray], Any], env_id: str, episodes: int) -> float:
    env = gym.make(env_id)
    total = 0.0
    for episode in range(episodes):
        obs, _ = env.reset(seed=50_000 + episode)
        done = False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(predict(obs))
            total += float(reward)
            done = terminated or truncated
    env.close()
    return total / episodes


def _sb3_action(model: Any, obs: np.ndarray) -> int:
    return int(model.predict(obs, deterministic=True)[0])


def _our_return(
    kind_name: str, env_id: str, steps: int, config: Any, seed: int, episodes: int
) -> float:
    """Our agent's greedy return after training `steps` steps from `seed`."""
    from walker.app.core.learners import learner_kind
    from walker.app.training.loop import TrainConfig, train

    kind = learner_kind(kind_name)
    probe = gym.make(env_id)
    run_config = TrainConfig(steps=steps, seed=seed, progress=False, final_eval=False)
    agent = kind.build(probe.observation_space, probe.action_space, config, seed, run_config.plan)
    probe.close()
    train(agent, partial(gym.make, env_id), run_config)
    return _greedy_return(partial(act_one, agent), env_id, episodes)


def _sb3_return(
    algorithm: str, env_id: str, steps: int, kwargs: dict[str, Any], seed: int, episodes: int
) -> float:
    """Stable-Baselines3's greedy return after training `steps` steps from `seed`."""
    import stable_baselines3 as sb3
    from stable_baselines3.common.logger import Logger

    model = getattr(sb3, algorithm)(
        "MlpPolicy", gym.make(env_id), seed=seed, device="cpu", verbose=0, **kwargs
    )
    model.set_logger(Logger(folder=None, output_formats=[]))
    model.learn(total_timesteps=steps)
    return _greedy_return(partial(_sb3_action, model), env_id, episodes)


def _curve_cases() -> list[tuple[str, str, str, int, Any, dict[str, Any]]]:
    """(label, agent, env, steps, our config, SB3's keywords) for each learning-curve case."""
    from agents.dqn_config import DQNConfig
    from agents.ppo_config import PPOConfig

    # Each setting written once and given to both libraries, so they stay matched.
    ppo_curve: dict[str, Any] = {
        "n_steps": 1024,
        "batch_size": 64,
        "n_epochs": 10,
        "learning_rate": 3e-4,
    }
    dqn_curve: dict[str, Any] = {
        "learning_rate": 1e-3,
        "buffer_size": 50_000,
        "learning_starts": 1000,
        "batch_size": 64,
        "train_freq": 4,
        "target_update_interval": 500,
        "exploration_fraction": 0.2,
    }
    return [
        (
            "PPO",
            "ppo",
            "CartPole-v1",
            30_000,
            PPOConfig(**ppo_curve, normalize_obs=False),
            ppo_curve,
        ),
        ("DQN", "dqn", "CartPole-v1", 30_000, DQNConfig(**dqn_curve), dqn_curve),
    ]


def curves(seeds: int = 3, episodes: int = 10) -> tuple[str, dict[str, Any]]:
    """Learning per env step against SB3: the greedy return after the same budget, with the
    same settings, over several seeds."""
    if not has_sb3():
        return ("Stable-Baselines3 is not installed: run scripts/setup.sh bench", {"skipped": True})
    import torch

    torch.set_num_threads(1)
    cases = _curve_cases()
    rows, figures = [], {}
    for label, kind_name, env_id, steps, config, sb3_kwargs in cases:
        ours, theirs = [], []
        for seed in range(seeds):
            ours.append(_our_return(kind_name, env_id, steps, config, seed, episodes))
            theirs.append(_sb3_return(label, env_id, steps, sb3_kwargs, seed, episodes))
        rows.append(
            [
                label,
                env_id,
                f"{steps:,}",
                f"{np.mean(ours):.1f}",
                f"{np.mean(theirs):.1f}",
                " ".join(f"{v:.0f}" for v in ours),
                " ".join(f"{v:.0f}" for v in theirs),
            ]
        )
        figures[f"{label} {env_id}"] = {"ours": ours, "sb3": theirs, "steps": steps}
    text = "\n".join(
        [
            format_table(
                ["agent", "env", "steps", "ours mean", "SB3 mean", "ours per seed", "SB3 per seed"],
                rows,
            ),
            "",
            f"greedy return over {episodes} episodes after the same budget and settings, "
            f"seeds 0-{seeds - 1}",
        ]
    )
    return text, figures
