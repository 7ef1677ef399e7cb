"""The training run's progress bar (tqdm), for `walker.app.training.loop.train`."""

from __future__ import annotations

import time

import numpy as np

from walker.app.training.config import TrainConfig
from walker.app.training.hooks import RunBooks


class ProgressBar:
    """The run's tqdm bar, told of steps as they are taken but redrawn (count and postfix)
    at most every `BAR_SECONDS`: the postfix reads the agent's HUD and averages the recent
    returns, which would cost a small env more than its step if done every step."""

    def __init__(self, config: TrainConfig) -> None:
        from tqdm import tqdm

        total, unit = (
            (config.steps, "step") if config.steps is not None else (config.episodes, "episode")
        )
        self.bar = tqdm(total=total, unit=unit, dynamic_ncols=True, mininterval=BAR_SECONDS)
        self.pending = 0
        self.next_draw = 0.0

    def advance(self, count: int, books: RunBooks) -> None:
        self.pending += count
        now = time.perf_counter()
        if now >= self.next_draw:
            self.next_draw = now + BAR_SECONDS
            self.bar.set_postfix(_postfix(books), refresh=False)
            self.bar.update(self.pending)
            self.pending = 0

    def close(self, books: RunBooks) -> None:
        self.bar.set_postfix(_postfix(books), refresh=False)
        self.bar.update(self.pending)
        self.pending = 0
        self.bar.close()


BAR_SECONDS = 0.5
"""How often the progress bar is redrawn."""


def progress_bar(config: TrainConfig) -> ProgressBar | None:
    """The run's bar, when `config.progress` asks for one."""
    return ProgressBar(config) if config.progress else None


def _postfix(books: RunBooks) -> dict[str, str]:
    postfix = {"episodes": str(books.episodes)}
    hud = books.agent.hud()
    if "epsilon" in hud:
        postfix["eps"] = f"{hud['epsilon']:.3f}"
    if books.returns:
        postfix["return"] = f"{np.mean(books.returns):.3g}"
    if books.distances:
        postfix["dist"] = f"{np.mean(books.distances):.2f}m"
    return postfix
