"""Residual RL on the walking controller: PPO learns a correction added to its action.

A feasibility experiment for issue 18's learned walk (Johannink et al. 2019): the agent is
the walking controller plus a policy whose action, times `--scale`, is added to the
controller's action before the env clips it. The policy sees the env's observation and the
controller's action (the controller is part of the agent). The env's reward is used with
the walking terms on (`walking_reward=True`: flight and sole slip cost). It starts from the
controller's gait, so exploration begins at a walk rather than a shuffle.

Usage: ``python scripts/residual_walk.py train OUT.zip --steps 300000 [--seed 0]`` and
``python scripts/residual_walk.py eval OUT.zip`` (60 s from the standard start and five
random starts: falls, speed, flight, duty factors, stride, and the gait meter's stride
ratio and gait label, `envs.gait`).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import gymnasium as gym
import numpy as np
import torch

import envs  # noqa: F401  (registers the Henry envs)
from agents.walking import WalkingController
from envs.gait import attach


class ResidualWalk(gym.Wrapper[np.ndarray, np.ndarray, np.ndarray, np.ndarray]):
    """The env as the residual policy sees it: observation + controller action in, a
    correction out."""

    def __init__(self, env: gym.Env[Any, Any], scale: float) -> None:
        super().__init__(env)
        self.controller = WalkingController.for_env(env)
        self.scale = scale
        space = env.observation_space
        assert isinstance(space, gym.spaces.Box)
        low = np.concatenate([space.low, -np.ones(4, np.float32)])
        high = np.concatenate([space.high, np.ones(4, np.float32)])
        self.observation_space = gym.spaces.Box(low, high, dtype=np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
        self._base = np.zeros(4, np.float32)

    def _with_base(self, obs: np.ndarray) -> np.ndarray:
        self._base = self.controller.act(obs[None])[0]
        return np.concatenate([obs, self._base]).astype(np.float32)

    def reset(self, **kwargs: Any) -> tuple[np.ndarray, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        self.controller.reset()
        return self._with_base(obs), info

    def step(self, action: np.ndarray) -> tuple[np.ndarray, Any, bool, bool, dict[str, Any]]:
        total = np.clip(self._base + self.scale * np.asarray(action), -1.0, 1.0)
        obs, reward, terminated, truncated, info = self.env.step(total)
        return self._with_base(obs), reward, terminated, truncated, info


def make(scale: float, seconds: float = 1000 / 60, **kwargs: Any) -> ResidualWalk:
    env = gym.make("HenryContinuous-v0", max_episode_steps=round(seconds * 60), **kwargs)
    return ResidualWalk(env, scale)


def train(out: str, steps: int, seed: int, scale: float, flight_cost: float) -> None:
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    torch.set_num_threads(1)
    vec = make_vec_env(
        lambda: make(scale, walking_reward=True, flight_cost=flight_cost), n_envs=4, seed=seed
    )
    model = PPO(
        "MlpPolicy",
        vec,
        n_steps=1024,
        batch_size=256,
        learning_rate=3e-4,
        policy_kwargs={"log_std_init": -1.5},
        seed=seed,
        verbose=0,
    )
    model.learn(total_timesteps=steps)
    model.save(out)


def evaluate(path: str, scale: float) -> None:
    from stable_baselines3 import PPO

    model = PPO.load(path, device="cpu")
    for pose, seed in [(None, 0)] + [("random", s) for s in range(1, 6)]:
        env = make(scale, seconds=60.0)
        obs, _ = env.reset(seed=seed, options={"pose": pose} if pose else None)
        meter = attach(env.env)
        while True:
            action, _ = model.predict(obs, deterministic=True)
            obs, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                break
        m = meter.metrics()
        end = f"FELL at {m.duration_s:.1f} s" if terminated else "no fall"
        print(
            f"{pose or 'standard'} {seed}: {end}"
            f" speed {m.speed_m_s:.3f} flight {m.flight_share:.1%} duty {m.duty_factor_right:.2f}/"
            f"{m.duty_factor_left:.2f} stride {m.stride_length_m:.3f}"
            f" stride ratio {m.stride_ratio:.2f} ({m.gait})"
            f" cadence {m.cadence_per_min:.0f} alternating {m.alternation:.0%}",
            flush=True,
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("verb", choices=("train", "eval"))
    parser.add_argument("path")
    parser.add_argument("--steps", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=float, default=0.3)
    parser.add_argument("--flight-cost", type=float, default=10.0, help="the env's flight_cost")
    args = parser.parse_args(argv)
    if args.verb == "train":
        train(args.path, args.steps, args.seed, args.scale, args.flight_cost)
    else:
        evaluate(args.path, args.scale)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
