"""Fall rates and speeds of the walking controller on the bench's conditions, any parameters.

`walker bench hardcoded --env HenryContinuous-v0` plays the controller with its default
parameters. This script plays it on the same worlds (each seed's draw of each condition,
`walker.app.core.conditions.Condition.draw`, played by the bench's own
`walker.app.bench.tasks.play_condition` with the same reset seeds), so its figures for the
defaults are the bench's, with ``--set`` overriding any `WalkingConfig` field to compare
parameters on many seeds without a bench run per variant.

Usage: ``python scripts/walk_robustness.py [--seeds 100] [--first-seed 0] [--workers 1]
[--conditions standard bumps ...] [--set name=value ...] [--verbose]``

It prints one line per condition: the share of seeds that fell, and the mean speed, flight
share and stride ratio of those that did not.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields
from typing import Any

import numpy as np

import envs
from agents.walking import WalkingConfig, WalkingController
from walker.app.bench.records import EpisodeRecord
from walker.app.bench.tasks import EpisodeTask, play_condition
from walker.app.core.conditions import CONDITIONS

DEFAULT_CONDITIONS = ("standard", "random_start", "push_forward", "push_backward", "bumps")


class _Configured:
    """The controller with other parameters, as a `py`-style policy object (one observation
    at a time; `reset` before every episode)."""

    def __init__(self, config: WalkingConfig) -> None:
        self.config = config
        self.controller: WalkingController | None = None

    def reset(self) -> None:
        if self.controller is not None:
            self.controller.reset()

    def predict(self, obs: np.ndarray) -> np.ndarray:
        if self.controller is None:
            probe = envs.HenryContinuousEnv()
            self.controller = WalkingController.for_env(probe, self.config)
            probe.close()
        return self.controller.act(np.asarray(obs)[None])[0]


def play(job: tuple[dict[str, Any], str, int]) -> EpisodeRecord:
    """One seed of one condition, exactly as the bench plays it."""
    overrides, condition, seed = job
    task = EpisodeTask(
        env_id=envs.CONTINUOUS_ID,
        agent="walking",
        policy="object",
        seed=seed,
        condition=condition,
        episodes=1,
        checkpoint="controller",
        draw=CONDITIONS[condition].draw(seed),
    )
    shared = {"controller": _Configured(WalkingConfig(**overrides))}
    return play_condition(task, shared).episodes[0]


def _overrides(items: list[str]) -> dict[str, Any]:
    whole = {f.name for f in fields(WalkingConfig) if isinstance(f.default, int)}
    overrides: dict[str, Any] = {}
    for item in items:
        name, _, value = item.partition("=")
        overrides[name] = int(value) if name in whole else float(value)
    WalkingConfig(**overrides)  # refuse a bad value before any work
    return overrides


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--conditions", nargs="*", default=list(DEFAULT_CONDITIONS))
    parser.add_argument("--set", nargs="*", action="extend", default=[], metavar="NAME=VALUE")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--verbose", action="store_true", help="one line per fall")
    args = parser.parse_args(argv)
    overrides = _overrides(args.set)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    with ProcessPoolExecutor(args.workers) as pool:
        for condition in args.conditions:
            jobs = [(overrides, condition, seed) for seed in seeds]
            records = list(pool.map(play, jobs))
            kept = [r for r in records if not r.fell]
            falls = len(records) - len(kept)
            if args.verbose:
                for seed, r in zip(seeds, records, strict=True):
                    if r.fell:
                        print(f"  {condition} seed {seed}: fell at {r.time_to_fall_s:.1f} s")

            def mean(name: str, rows: list[EpisodeRecord] = kept) -> float:
                return float(np.mean([getattr(r, name) for r in rows])) if rows else np.nan

            print(
                f"{condition:14s} falls {falls:3d}/{len(records):3d} "
                f"({falls / len(records):4.0%})  speed {mean('speed_m_s'):.3f} m/s  "
                f"flight {mean('flight_share'):.3f}  stride ratio {mean('stride_ratio'):.2f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
