"""One seed of `walker experiment deep`: what a worker trains, and how the seed is judged.

`train_seed` is a sweep task (`walker.app.core.sweep`): everything it needs is in its
`SeedRun`, so it gives the same `SeedOutcome` in this process, in a worker process or on
Ray. The final policy's gait check (`WalkCheck`) says whether it walks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from agents.base import Agent
from walker.app.core.evaluation import EVAL_SEED
from walker.app.training.config import TRAIN_EPISODE_DECISIONS
from walker.app.training.hooks import Hook, RunView

WALK_FLIGHT_SHARE = 0.05
"""A walk has both feet off the ground less than this share of the time..."""
WALK_DUTY_FACTOR = 0.5
"""...each foot on the ground more than this share of the time..."""
WALK_STRIDE_RATIO = 0.6
"""...strides at least this share of a walking animal's at its Froude number
(`envs.gait`'s stride ratio; a shuffle of short quick steps is below)..."""
WALK_ALTERNATION = 0.5
"""...at least this share of its footfalls by the other foot than the last one..."""
WALK_SPEED_M_S = 0.1
"""...moves on at least this fast and faster than the hard-coded gait, and does not fall."""
WALK_RANDOM_STARTS = 2
"""Episodes from the env's random start pose the check runs besides the standard start."""


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
    conditions: tuple[str, ...] = ()
    """`walker bench` conditions whose worlds it trains in (`TrainConfig.conditions`)."""


@dataclass(frozen=True)
class SeedRun:
    """One seed of one setup: what a worker needs to train and judge it."""

    setup: DeepSetup
    seed: int
    steps: int
    eval_every: int
    reference_m_s: float


@dataclass(frozen=True)
class WalkCheck:
    """The final policy's gait over the setup's `walk_check_s`, from the standard start and
    `WALK_RANDOM_STARTS` random ones, each figure the worst of them (what `walks` judges)."""

    falls: float
    flight_share: float
    alternation: float
    speed_m_s: float
    length: float
    """Env steps the standard start's episode lasted."""
    duty_factor: float = math.nan
    """The lower of the two feet's duty factors."""
    stride_ratio: float = math.nan
    reference_m_s: float = 0.0
    """The hard-coded gait's speed the walk must beat."""

    @property
    def walks(self) -> bool:
        """A walk: no fall; under `WALK_FLIGHT_SHARE` flight; each foot down more than
        `WALK_DUTY_FACTOR` of the time; strides of at least `WALK_STRIDE_RATIO`; mostly
        alternating footfalls (`WALK_ALTERNATION`); and moving on (`WALK_SPEED_M_S`),
        faster than the hard-coded gait. A Henry who stands still, hops, shuffles short
        quick steps or taps one foot does not walk."""
        return (
            not self.falls
            and _at_least(WALK_FLIGHT_SHARE, self.flight_share, strict=True)
            and _at_least(self.duty_factor, WALK_DUTY_FACTOR, strict=True)
            and _at_least(self.stride_ratio, WALK_STRIDE_RATIO)
            and _at_least(self.alternation, WALK_ALTERNATION)
            and self.speed_m_s >= WALK_SPEED_M_S
            and self.speed_m_s > self.reference_m_s
        )


def _at_least(value: float, bound: float, strict: bool = False) -> bool:
    """`value >= bound` (or `>` when `strict`), false when either is NaN."""
    if not (math.isfinite(value) and math.isfinite(bound)):
        return False
    return value > bound if strict else value >= bound


@dataclass(frozen=True)
class SeedOutcome:
    """How one seed of one setup ended."""

    seed: int
    first_beat_step: int | None
    """Env steps at the first evaluation faster than the hard-coded gait without a fall
    (None: never)."""
    first_beat_train_seconds: float | None
    """Training wall time until then, evaluations excluded."""
    final_speed_m_s: float
    train_seconds: float
    walk_check: WalkCheck | None
    """The final policy's gait (None where the setup asks for no check)."""


class _Reporting(Hook):
    """Reports the steps trained so far every `every` steps, so the caller can draw one
    progress bar over every seed."""

    def __init__(self, report: Callable[[int], None], every: int) -> None:
        self.report, self.every = report, every
        self.sent = 0

    def on_step(self, run: RunView) -> None:
        if run.steps - self.sent >= self.every:
            self.sent = run.steps
            self.report(run.steps)


def train_seed(
    task: SeedRun, shared: Mapping[str, Any], report: Callable[[int], None] | None = None
) -> SeedOutcome:
    """Train one seed and judge it (a sweep task: it may run in a worker process or on
    Ray); `report` hears the steps trained so far."""
    from walker.app.core.learners import learner_kind
    from walker.app.core.policies import make_env
    from walker.app.training.loop import TrainConfig, train
    from walker.app.training.worlds import training_env_maker

    setup = task.setup
    standard_env = partial(make_env, setup.env_id, setup.env_kwargs)
    episode_steps = TRAIN_EPISODE_DECISIONS if setup.random_starts else None
    train_env = training_env_maker(setup.env_id, setup.env_kwargs, episode_steps, setup.conditions)
    probe = standard_env()
    kind = learner_kind(setup.agent)
    run_config = TrainConfig(
        steps=task.steps,
        seed=task.seed,
        num_envs=setup.num_envs,
        progress=False,
        random_starts=setup.random_starts,
        eval_every=task.eval_every,
        conditions=setup.conditions,
    )
    agent = kind.build(
        probe.observation_space,
        probe.action_space,
        kind.config_cls(**setup.config),
        task.seed,
        run_config.plan,
    )
    henry: Any = probe.unwrapped
    step_s = float(henry.dt)  # simulated seconds per env step
    probe.close()
    hooks = [] if report is None else [_Reporting(report, max(1, task.steps // 100))]
    result = train(agent, train_env, run_config, hooks=hooks, make_eval_env=standard_env)
    # Faster without falling: a speed until a fall is no win.
    beaten = next(
        (
            e
            for e in result.evaluations
            if (e.evaluation.speed_m_s or -1.0) > task.reference_m_s and not e.evaluation.falls
        ),
        None,
    )
    final_speed = result.evaluations[-1].evaluation.speed_m_s
    assert final_speed is not None  # Henry reports the distance walked
    return SeedOutcome(
        task.seed,
        None if beaten is None else beaten.step,
        None if beaten is None else beaten.train_seconds,
        final_speed,
        result.seconds,
        None
        if setup.walk_check_s is None
        else _walk_check(setup, agent, step_s, task.reference_m_s),
    )


def _walk_check(setup: DeepSetup, agent: Agent, step_s: float, reference_m_s: float) -> WalkCheck:
    """The gait of `agent` over the setup's `walk_check_s` simulated seconds, from the
    standard start and from `WALK_RANDOM_STARTS` random ones: the worst of each figure."""
    from walker.app.core.gaits import measure_gait
    from walker.app.core.policies import make_env

    assert setup.walk_check_s is not None
    limit = max(1, round(setup.walk_check_s / step_s))
    measured = {**setup.env_kwargs, "measure_work": True}
    make = partial(make_env, setup.env_id, measured, max_episode_steps=limit)
    standard = measure_gait(make, agent, episodes=1, seed=EVAL_SEED)
    randomly = measure_gait(
        make, agent, episodes=WALK_RANDOM_STARTS, seed=EVAL_SEED, options={"pose": "random"}
    )
    gaits = (standard, randomly)

    def worst(values: list[float | None], pick: Callable[..., float]) -> float:
        known = [math.nan if v is None else float(v) for v in values]
        return math.nan if any(math.isnan(v) for v in known) else pick(known)

    return WalkCheck(
        falls=max(g.falls for g in gaits),
        flight_share=worst([g.flight_share for g in gaits], max),
        alternation=worst([g.alternation for g in gaits], min),
        speed_m_s=worst([g.speed_m_s for g in gaits], min),
        length=standard.length,
        duty_factor=worst(
            [d for g in gaits for d in (g.duty_factor_right, g.duty_factor_left)], min
        ),
        stride_ratio=worst([g.stride_ratio for g in gaits], min),
        reference_m_s=reference_m_s,
    )
