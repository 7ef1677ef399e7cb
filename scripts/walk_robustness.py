"""Fall rates and speeds of the walking controller over spreads of the bench's conditions.

Each condition of `walker bench` is one point (a 4 N*s push at 4 s, 2 cm bumps every 0.5 m);
a deterministic controller meets it identically on every seed. This script draws a spread
around each point instead, one draw per seed, and plays the controller once per draw:

* ``standard``: flat ground, both feet down (one run; it is the same on every seed);
* ``random_start``: the env's random start pose, seeded;
* ``push_forward`` / ``push_backward``: one push of 3-5 N*s at 2-6 s;
* ``bumps``: bumps 1-3 cm high, 5-15 cm long, every 0.3-0.8 m.

Usage: ``python scripts/walk_robustness.py [--seeds 40] [--draw-seed 0] [--set name=value ...]``
where ``--set`` overrides `WalkingConfig` fields and ``--draw-seed`` picks another spread.
It prints one line per condition: the share of runs that fell, and the mean speed, flight
share and stride length of those that did not.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import gymnasium as gym
import numpy as np

import envs  # noqa: F401  (registers the Henry envs)
from agents.walking import WalkingConfig, WalkingController
from envs.gait import attach

CONDITIONS = ("standard", "random_start", "push_forward", "push_backward", "bumps")


Run = tuple[dict[str, Any], dict[str, Any], int]


def draws(condition: str, seeds: int, draw_seed: int = 0) -> Iterator[Run]:
    """(env keywords, reset options, episode seed) for each run of `condition`."""
    rng = np.random.default_rng([draw_seed, CONDITIONS.index(condition)])
    for seed in range(seeds):
        if condition == "standard":
            yield {}, {}, seed
            if seed == 0:
                return
        elif condition == "random_start":
            yield {}, {"pose": "random"}, seed + 1000 * draw_seed
        elif condition.startswith("push"):
            sign = 1.0 if condition == "push_forward" else -1.0
            time_s = float(rng.uniform(2.0, 6.0))
            impulse = float(rng.uniform(3.0, 5.0))
            yield {"pushes": ((time_s, sign * impulse),)}, {}, seed
        elif condition == "bumps":
            spec = {
                "bump_height_m": float(rng.uniform(0.01, 0.03)),
                "bump_length_m": float(rng.uniform(0.05, 0.15)),
                "bump_spacing_m": float(rng.uniform(0.3, 0.8)),
            }
            yield {"spec": spec}, {}, seed


def play(
    config: WalkingConfig,
    env_kwargs: Mapping[str, Any],
    options: Mapping[str, Any],
    seed: int,
    seconds: float,
) -> tuple[bool, float, Any]:
    env = gym.make("HenryContinuous-v0", max_episode_steps=round(seconds * 60), **env_kwargs)
    controller = WalkingController.for_env(env, config)
    obs, _ = env.reset(seed=seed, options=dict(options) or None)
    meter = attach(env)
    while True:
        obs, _, terminated, truncated, _ = env.step(controller.act(obs[None])[0])
        if terminated or truncated:
            env.close()
            m = meter.metrics()
            return bool(terminated), m.speed_m_s, m


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=1000 / 60)
    parser.add_argument("--conditions", nargs="*", default=list(CONDITIONS))
    parser.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE")
    parser.add_argument("--draw-seed", type=int, default=0, help="which spread of draws")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    overrides: dict[str, Any] = {}
    for item in args.set:
        name, value = item.split("=", 1)
        overrides[name] = int(value) if name == "settle_steps" else float(value)
    config = WalkingConfig(**overrides)
    for condition in args.conditions:
        runs = list(draws(condition, args.seeds, args.draw_seed))
        falls, speeds, flights, strides = 0, [], [], []
        for env_kwargs, options, seed in runs:
            fell, speed, m = play(config, env_kwargs, options, seed, args.seconds)
            falls += fell
            if not fell:
                speeds.append(speed)
                flights.append(m.flight_share)
                strides.append(m.stride_length_m)
            if args.verbose:
                print(
                    f"  {condition} {env_kwargs} {options} seed {seed}: "
                    f"{f'FELL at {m.duration_s:.1f} s' if fell else 'ok'} {speed:.3f} m/s"
                )
        mean = float(np.mean(speeds)) if speeds else float("nan")
        print(
            f"{condition:14s} falls {falls:2d}/{len(runs):2d} ({falls / len(runs):4.0%})  "
            f"speed {mean:.3f} m/s  flight {np.mean(flights) if flights else float('nan'):.3f}  "
            f"stride {np.mean(strides) if strides else float('nan'):.3f} m",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
