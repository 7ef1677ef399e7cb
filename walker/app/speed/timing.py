"""Timing side by side for `walker speed`: interleaved rounds, the best round of each
contender kept, so a background hiccup on a 2-core machine does not decide a ratio."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Timing:
    name: str
    unit: str
    count: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    @property
    def micros(self) -> float:
        return self.seconds / self.count * 1e6


def best_of(
    rounds: int, contenders: dict[str, tuple[str, int, Callable[[], None]]]
) -> dict[str, Timing]:
    """Run each contender `rounds` times, interleaved; keep each one's fastest round."""
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, (_, _, run) in contenders.items():
            started = time.perf_counter()
            run()
            elapsed = time.perf_counter() - started
            best[name] = min(best.get(name, float("inf")), elapsed)
    return {
        name: Timing(name, unit, count, best[name]) for name, (unit, count, _) in contenders.items()
    }


def has_box2d() -> bool:
    return importlib.util.find_spec("Box2D") is not None


def has_sb3() -> bool:
    return importlib.util.find_spec("stable_baselines3") is not None
