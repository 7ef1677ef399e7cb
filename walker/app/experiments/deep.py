"""`walker experiment deep`: how long PPO and DQN take to beat the hard-coded gait of each env.

Each setup trains its agent from scratch on several seeds. The greedy policy is evaluated on
a schedule; a seed "beats" the hard-coded gait of its env (the article's gait on `Henry-v0`,
the closed-loop walking controller on `HenryContinuous-v0`) at the first evaluation that is
faster and does not fall. Where a setup asks for it (`walk_check_s`), the final policy is
also run for that long and its gait measured: it walks if it does not fall, has both feet
off the ground less than 5% of the time, alternates its feet and moves on (`_walks`).

Seeds are independent, so `workers` > 1 trains them in that many processes at once (one
torch thread each); the figures do not depend on the number of workers, the training
times only on how busy the machine is.
"""

from __future__ import annotations

import math
import multiprocessing
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from tqdm import tqdm

import envs
from walker.app.core.tables import format_table
from walker.app.experiments.report import Report, mean_ci95
from walker.app.training.config import TRAIN_EPISODE_DECISIONS
from walker.app.training.hooks import Hook, RunView

WALK_FLIGHT_SHARE = 0.05
"""A walk has both feet off the ground less than this share of the time..."""
WALK_ALTERNATION = 0.5
"""...at least this share of its footfalls by the other foot than the last one..."""
WALK_SPEED_M_S = 0.1
"""...moves on at least this fast, and does not fall."""


WALK_CHECK_KEYS = ("falls", "flight_share", "alternation", "speed_m_s", "length")
"""What the final gait check keeps of `measure_gait`'s summary."""


@dataclass(frozen=True)
class DeepSetup:
    """One deep-agent experiment: which agent, on which env, how it is trained."""

    label: str
    agent: str
    env_id: str
    steps: int
    eval_every: int
    num_envs: int = 1
    random_starts: bool = False
    config: dict[str, Any] = field(default_factory=dict)
    """The agent's hyperparameters that differ from its defaults."""
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments of the env it trains on (the reward option, its costs)."""
    walk_check_s: float | None = None
    """Simulated seconds the final policy is run for its gait (None: no gait check)."""


WALKING_ENV = {
    "walking_reward": True,
    "fall_penalty": 3000.0,
    "flight_cost": 50.0,
    "slip_cost": 2.0,
}
"""The walking reward option with the costs of the README's learned walk (`ppo-henry-walk`)."""

DEEP_SETUPS = (
    DeepSetup(
        "PPO, walking reward, continuous Henry",
        "ppo",
        envs.CONTINUOUS_ID,
        1_000_000,
        100_000,
        num_envs=4,
        config={"normalize_reward": True, "log_std_init": -1.0, "batch_size": 256},
        env_kwargs=WALKING_ENV,
        walk_check_s=60.0,
    ),
    DeepSetup("DQN, discrete Henry", "dqn", envs.DISCRETE_ID, 30_000, 2_500, random_starts=True),
    DeepSetup(
        "PPO with masks, discrete Henry",
        "ppo",
        envs.DISCRETE_ID,
        60_000,
        6_000,
        random_starts=True,
        config={"n_steps": 1024, "ent_coef": 0.01},
    ),
)


@dataclass(frozen=True)
class SeedRun:
    """One seed of one setup: what a worker process needs to train and judge it."""

    setup: DeepSetup
    seed: int
    steps: int
    eval_every: int
    reference_m_s: float


class _Reporting(Hook):
    """Sends `(index, steps trained so far)` to `send` every `every` steps, so the parent
    process can draw one progress bar over every seed."""

    def __init__(self, send: Callable[[tuple[int, int]], None], index: int, every: int) -> None:
        self.send, self.index, self.every = send, index, every
        self.sent = 0

    def on_step(self, run: RunView) -> None:
        if run.steps - self.sent >= self.every:
            self.sent = run.steps
            self.send((self.index, run.steps))


def train_seed(
    task: SeedRun, send: Callable[[tuple[int, int]], None] | None = None, index: int = 0
) -> dict[str, Any]:
    """Train one seed and judge it (runs in a worker process when `workers` > 1); `send`
    hears of its progress as `(index, steps so far)`."""
    from walker.app.core.gaits import measure_gait
    from walker.app.core.learners import learner_kind
    from walker.app.core.policies import make_env
    from walker.app.training.loop import TrainConfig, train

    setup = task.setup
    standard_env = partial(make_env, setup.env_id, setup.env_kwargs)
    train_env = (
        partial(make_env, setup.env_id, setup.env_kwargs, max_episode_steps=TRAIN_EPISODE_DECISIONS)
        if setup.random_starts
        else standard_env
    )
    probe = standard_env()
    kind = learner_kind(setup.agent)
    run_config = TrainConfig(
        steps=task.steps,
        seed=task.seed,
        num_envs=setup.num_envs,
        progress=False,
        random_starts=setup.random_starts,
        eval_every=task.eval_every,
    )
    agent = kind.build(
        probe.observation_space,
        probe.action_space,
        kind.config_cls(**setup.config),
        task.seed,
        run_config.plan,
    )
    hooks = [] if send is None else [_Reporting(send, index, max(1, task.steps // 100))]
    result = train(agent, train_env, run_config, hooks=hooks, make_eval_env=standard_env)
    # Faster without falling: a speed until a fall is no win.
    beaten = next(
        (
            e
            for e in result.evaluations
            if e.get("speed_m_s", -1.0) > task.reference_m_s and not e.get("falls")
        ),
        None,
    )
    outcome: dict[str, Any] = {
        "seed": task.seed,
        "first_beat_step": None if beaten is None else int(beaten["step"]),
        "first_beat_train_seconds": None if beaten is None else float(beaten["train_seconds"]),
        "final_speed_m_s": float(result.evaluations[-1]["speed_m_s"]),
        "train_seconds": float(result.seconds),
    }
    if setup.walk_check_s is not None:
        henry: Any = probe.unwrapped  # `dt`: simulated seconds per env step
        limit = max(1, round(setup.walk_check_s / henry.dt))
        gait = measure_gait(
            partial(
                make_env,
                setup.env_id,
                {**setup.env_kwargs, "measure_work": True},
                max_episode_steps=limit,
            ),
            agent,
            episodes=1,
            seed=10_000,
        )
        outcome["walk_check"] = {key: float(gait[key]) for key in WALK_CHECK_KEYS}
    probe.close()
    return outcome


def _walks(check: dict[str, Any]) -> bool:
    """A walk: no fall, under `WALK_FLIGHT_SHARE` flight, mostly alternating footfalls
    (`WALK_ALTERNATION`) and moving on (`WALK_SPEED_M_S`); a Henry who stands still or
    shuffles one foot does not walk."""
    flight, alternation = check["flight_share"], check["alternation"]
    return (
        not check["falls"]
        and math.isfinite(flight)
        and flight < WALK_FLIGHT_SHARE
        and math.isfinite(alternation)
        and alternation >= WALK_ALTERNATION
        and check["speed_m_s"] >= WALK_SPEED_M_S
    )


class _Progress:
    """One bar over the steps of every seed, fed from this process or a worker's queue."""

    def __init__(self, tasks: Sequence[SeedRun]) -> None:
        self.tasks = tasks
        self.done = [0] * len(tasks)
        self.lock = threading.Lock()
        # disable=None: drawn on a terminal only (not in logs, pipes or tests).
        self.bar = tqdm(
            total=sum(t.steps for t in tasks), unit="step", disable=None, dynamic_ncols=True
        )

    def update(self, message: tuple[int, int]) -> None:
        index, steps = message
        with self.lock:
            self.done[index] = max(self.done[index], min(steps, self.tasks[index].steps))
            self.bar.n = sum(self.done)
            self.bar.refresh()

    def finished(self, index: int, outcome: dict[str, Any]) -> None:
        """Count `index` as done and say in a line how it ended."""
        self.update((index, self.tasks[index].steps))
        task = self.tasks[index]
        check = outcome.get("walk_check")
        walked = "" if check is None else (", walks" if _walks(check) else ", does not walk")
        with self.lock:
            self.bar.write(
                f"deep: {task.setup.label}, seed {task.seed}: {task.steps:,} steps in "
                f"{outcome['train_seconds']:.0f} s, final {outcome['final_speed_m_s']:.4f} m/s"
                f"{walked}",
                file=sys.stderr,
            )

    def close(self) -> None:
        self.bar.close()


def _run_seeds(tasks: list[SeedRun], workers: int) -> list[dict[str, Any]]:
    """Every task's outcome, in task order, with a progress bar and a line as each ends."""
    progress = _Progress(tasks)
    try:
        if workers <= 1 or len(tasks) <= 1:
            outcomes = []
            for index, task in enumerate(tasks):
                outcomes.append(train_seed(task, progress.update, index))
                progress.finished(index, outcomes[-1])
            return outcomes
        return _run_in_pool(tasks, workers, progress)
    finally:
        progress.close()


_worker: dict[str, Any] = {}
"""A worker process's end of the progress queue."""


def _install_queue(queue: Any) -> None:
    _worker["queue"] = queue


def _train_in_worker(task: SeedRun, index: int) -> dict[str, Any]:
    return train_seed(task, _worker["queue"].put, index)


def _listen(queue: Any, progress: _Progress) -> None:
    """Feed the bar from the workers' messages until None arrives."""
    while (message := queue.get()) is not None:
        progress.update(message)


def _run_in_pool(tasks: list[SeedRun], workers: int, progress: _Progress) -> list[dict[str, Any]]:
    """The seeds on `workers` spawned processes (spawn, not fork: torch is loaded here). On
    Ctrl-C or a signal the workers are terminated at once, not left to finish their seeds."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    listener = threading.Thread(target=_listen, args=(queue, progress), daemon=True)
    listener.start()
    pool = context.Pool(min(workers, len(tasks)), initializer=_install_queue, initargs=(queue,))
    results: dict[int, dict[str, Any]] = {}
    try:
        pending = {i: pool.apply_async(_train_in_worker, (task, i)) for i, task in enumerate(tasks)}
        while pending:
            for index in [i for i, result in pending.items() if result.ready()]:
                results[index] = pending.pop(index).get()
                progress.finished(index, results[index])
            time.sleep(0.1)
        pool.close()
    except BaseException:
        pool.terminate()
        queue.cancel_join_thread()
        raise
    finally:
        pool.join()
        queue.put(None)
        listener.join(timeout=2)
    return [results[i] for i in range(len(tasks))]


def _walk_cell(outcomes: list[dict[str, Any]]) -> str:
    checks = [o["walk_check"] for o in outcomes if "walk_check" in o]
    if not checks:
        return "-"
    flights = [c["flight_share"] for c in checks if math.isfinite(c["flight_share"])]
    falls = sum(1 for c in checks if c["falls"])
    spread = f"flight {min(flights):.1%}-{max(flights):.1%}" if flights else "flight -"
    return f"{sum(_walks(c) for c in checks)}/{len(checks)} ({spread}, {falls} fell)"


def deep_agents(
    seeds: int = 5,
    setups: Sequence[DeepSetup] = DEEP_SETUPS,
    scale: float = 1.0,
    steps_each: int | None = None,
    workers: int = 1,
) -> Report:
    """Over `seeds` seeds: env steps and training wall time until the greedy policy first
    beats the hard-coded gait of its env, the final greedy speed, and (where a setup asks)
    whether the final policy walks. Each setup trains its own budget times `scale`, or
    `steps_each` steps when given (`walker experiment deep --steps`), with its evaluation
    schedule scaled alike; `workers` processes train seeds at once."""
    from walker.app.core.evaluation import evaluate
    from walker.app.core.policies import load_policy, make_env

    tasks: list[SeedRun] = []
    references: dict[str, float] = {}
    for setup in setups:
        factor = scale if steps_each is None else steps_each / setup.steps
        steps = max(1, int(setup.steps * factor))
        every = max(1, int(setup.eval_every * factor))
        standard_env = partial(make_env, setup.env_id, setup.env_kwargs)
        probe = standard_env()
        references[setup.label] = evaluate(standard_env, load_policy("hardcoded", probe), 1)[
            "speed_m_s"
        ]
        probe.close()
        tasks.extend(
            SeedRun(setup, seed, steps, every, references[setup.label]) for seed in range(seeds)
        )
    outcomes = _run_seeds(tasks, workers)

    rows, figures = [], {}
    for setup in setups:
        mine = [o for t, o in zip(tasks, outcomes, strict=True) if t.setup is setup]
        reference = references[setup.label]
        finals = [o["final_speed_m_s"] for o in mine]
        hits = [o["first_beat_step"] for o in mine if o["first_beat_step"] is not None]
        hit_seconds = [
            o["first_beat_train_seconds"] for o in mine if o["first_beat_train_seconds"] is not None
        ]
        mean, lo, hi = mean_ci95(finals)
        rows.append(
            [
                setup.label,
                f"{reference:.4f}",
                f"{mean:.4f} [{lo:.4f}, {hi:.4f}]",
                f"{mean / reference:.2f}x",
                f"{len(hits)}/{seeds}",
                f"{int(np.median(hits)):,}" if hits else "-",
                f"{np.median(hit_seconds):.0f} s" if hit_seconds else "-",
                _walk_cell(mine),
            ]
        )
        figures[setup.label] = {
            "hardcoded_speed_m_s": reference,
            "final_speeds_m_s": finals,
            "first_beat_steps": [o["first_beat_step"] for o in mine],
            "first_beat_train_seconds": [o["first_beat_train_seconds"] for o in mine],
            "train_seconds": [o["train_seconds"] for o in mine],
            "walk_checks": [o.get("walk_check") for o in mine],
            "steps": next(t.steps for t in tasks if t.setup is setup),
        }
    text = "\n".join(
        [
            f"Deep agents on Henry: {seeds} seeds each; greedy speed checked periodically",
            format_table(
                [
                    "agent",
                    "hard-coded m/s",
                    "final speed m/s (95% CI)",
                    "vs hard-coded",
                    "seeds that beat it",
                    "median env steps to beat it",
                    "median training time to beat it",
                    "final policy walks",
                ],
                rows,
            ),
        ]
    )
    return Report("deep", text, figures)
