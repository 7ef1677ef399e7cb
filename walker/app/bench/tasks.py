"""The two kinds of task `walker bench` sweeps over, as pure functions of the task.

* `train_policy(TrainTask)`: trains one learning agent on one seed with a fixed budget and
  returns its checkpoint as bytes (the bench saves it; tasks on other machines receive it).
* `play_condition(EpisodeTask)`: plays one agent on one seed under one condition's draw for
  that seed (`conditions.Draw`, carried by the task) for a few greedy episodes and returns a
  record of per-episode metrics: distance, mean forward speed (0 for an episode that ends
  in a fall; the speed until the fall is kept apart), whether and when Henry fell, cost of
  transport, the share of illegal actions tried (discrete Henry), the gait measures of
  `envs.gait` (flight share, duty factors, footfalls, alternation, stride length, cadence,
  Froude number, stride ratio, gait label), the reset seed and the drawn values.
* `footfalls_of(EpisodeTask)`: the task's first episode once more with both foot switches
  kept at every control step (`walker.app.core.footfall_plot`), for the bench's footfall
  diagram.

Agents are the project's (`hardcoded`, `random`, a checkpoint's bytes in `shared`) or
anyone's (`walker.app.bench.foreign`): a Stable-Baselines3 zip's bytes in `shared`, an
importable `py:MODULE:NAME`, or a Python object handed to `walker.bench.run` (in `shared`).

Everything a task needs is in the task and in `shared` (checkpoint bytes by name); both
functions seed every generator they use from the task, run torch on one thread, and touch
no file but a private temporary one, so a task gives the same record wherever it runs.
"""

from __future__ import annotations

import contextlib
import math
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import gymnasium as gym

import envs
from agents.base import Agent, act_one
from envs import gait
from walker.app.bench import foreign
from walker.app.bench.records import (
    GAIT_MEASURES,
    MIN_COT_DISTANCE_M,
    ConditionRecord,
    EpisodeRecord,
)
from walker.app.core.conditions import DRAW_COLUMNS, EPISODE_SEED_BASE, REFERENCES, Draw
from walker.app.core.footfall_plot import FootfallRecord, record_footfalls
from walker.app.core.learners import learner_kind
from walker.app.core.policies import env_metadata, load_policy, make_env
from walker.app.core.runfiles import CHECKPOINT_NAME
from walker.app.training.config import TRAIN_EPISODE_DECISIONS
from walker.app.training.loop import TrainConfig, train


@dataclass(frozen=True)
class TrainTask:
    """Train `agent` (a learner kind) on `env_id` with `seed` for `steps` env steps."""

    env_id: str
    agent: str
    seed: int
    steps: int

    @property
    def key(self) -> str:
        return f"{self.env_id}/{self.agent}/seed{self.seed}"

    @property
    def identity(self) -> tuple[str, int, str]:
        """(agent, seed, what), the names a failure is reported by."""
        return self.agent, self.seed, "training"


@dataclass(frozen=True)
class EpisodeTask:
    """Play `agent` under `condition` on seed `seed` for `episodes` greedy episodes."""

    env_id: str
    agent: str
    """The agent's name in the results (what the user typed)."""
    policy: str
    """`hardcoded`, `random`, `checkpoint` or `sb3` (then `checkpoint` names the shared
    bytes), `py` (then `source` is `MODULE:NAME`) or `object` (then `checkpoint` names the
    shared object)."""
    seed: int
    condition: str
    episodes: int
    checkpoint: str | None = None
    draw: Draw | None = None
    """The condition's sample for this seed: env arguments and reset options."""
    source: str | None = None
    """`MODULE:NAME` of a `py` agent, or the algorithm of an `sb3` one (None: from the zip)."""

    @property
    def key(self) -> str:
        return f"{self.env_id}/{self.agent}/{self.condition}/seed{self.seed}"

    @property
    def identity(self) -> tuple[str, int, str]:
        """(agent, seed, condition), the names a failure is reported by."""
        return self.agent, self.seed, self.condition


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run torch on one thread inside: workers share the cores, and a network's sums must
    not depend on how many threads the machine offered."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def train_policy(task: TrainTask, shared: Mapping[str, Any]) -> bytes:
    """Train one learner for one seed; return its checkpoint file's bytes."""
    kind = learner_kind(task.agent)
    discrete = task.env_id == envs.DISCRETE_ID
    episode_steps = TRAIN_EPISODE_DECISIONS if discrete else None

    def make() -> gym.Env[Any, Any]:
        return make_env(task.env_id, max_episode_steps=episode_steps)

    with one_torch_thread():
        probe = make_env(task.env_id)
        metadata = env_metadata(task.env_id, {}, probe)
        run = TrainConfig(
            steps=task.steps,
            seed=task.seed,
            progress=False,
            final_eval=False,
            random_starts=discrete,
        )
        agent = kind.build(
            probe.observation_space, probe.action_space, kind.config_cls(), task.seed, run.plan
        )
        probe.close()
        train(agent, make, run)
        with tempfile.TemporaryDirectory(prefix="henry-bench-") as folder:
            path = agent.save(Path(folder) / CHECKPOINT_NAME, metadata)
            return path.read_bytes()


def _policy(
    task: EpisodeTask, env: gym.Env[Any, Any], shared: Mapping[str, Any], folder: Path
) -> Agent:
    if task.policy in REFERENCES:
        return load_policy(task.policy, env, seed=task.seed)
    if task.policy == "py":
        module, _, name = (task.source or "").rpartition(":")
        return foreign.ForeignAgent(foreign.import_policy(module, name), env.action_space)
    if task.checkpoint is None or task.checkpoint not in shared:
        raise ValueError(f"checkpoint {task.checkpoint!r} was not shipped with the task")
    if task.policy == "object":
        return foreign.ForeignAgent(shared[task.checkpoint], env.action_space)
    if task.policy == "sb3":
        model = foreign.load_sb3(shared[task.checkpoint], task.source, folder)
        return foreign.ForeignAgent(model, env.action_space)
    path = folder / "policy.pt"
    path.write_bytes(shared[task.checkpoint])
    return load_policy(str(path), env, env_id=task.env_id)


def play_condition(task: EpisodeTask, shared: Mapping[str, Any]) -> ConditionRecord:
    """Play one (agent, seed, condition); return its record with one entry per episode."""
    draw = task.draw if task.draw is not None else Draw(task.condition, task.seed)
    drawn = {name: draw.values.get(name, math.nan) for name in DRAW_COLUMNS}
    with one_torch_thread(), tempfile.TemporaryDirectory(prefix="henry-bench-") as folder:
        env = make_env(task.env_id, {**draw.env_kwargs(), "measure_work": True})
        try:
            agent = _policy(task, env, shared, Path(folder))
            episodes = []
            for e in range(task.episodes):
                reset_seed = EPISODE_SEED_BASE + 1000 * task.seed + e
                episode = _episode(env, agent, reset_seed, draw.options())
                episodes.append(replace(episode, reset_seed=reset_seed, drawn=drawn))
        finally:
            env.close()
    return ConditionRecord(
        task.key, task.env_id, task.agent, task.condition, task.seed, tuple(episodes)
    )


def footfalls_of(task: EpisodeTask, shared: Mapping[str, Any]) -> FootfallRecord:
    """The first episode `play_condition` plays for `task` (same env arguments, reset seed
    and options), replayed with its foot switches kept, labelled with the agent's name."""
    draw = task.draw if task.draw is not None else Draw(task.condition, task.seed)
    with one_torch_thread(), tempfile.TemporaryDirectory(prefix="henry-bench-") as folder:
        env = make_env(task.env_id, {**draw.env_kwargs(), "measure_work": True})
        try:
            agent = _policy(task, env, shared, Path(folder))
        except BaseException:
            env.close()
            raise
        # record_footfalls closes the env it is handed.
        return record_footfalls(
            lambda: env,
            agent,
            task.agent,
            seed=EPISODE_SEED_BASE + 1000 * task.seed,
            options=draw.options(),
        )


def _episode(
    env: gym.Env[Any, Any], agent: Agent, seed: int, options: dict[str, Any] | None
) -> EpisodeRecord:
    """One greedy episode with a gait meter fed every control step (contacts, position) and
    every env step (the servos' positive work)."""
    obs, info = env.reset(seed=seed, options=options)
    agent.reset()
    meter = gait.attach(env)
    steps = illegal = 0
    terminated = truncated = False
    try:
        while not (terminated or truncated):
            obs, _, terminated, truncated, info = env.step(act_one(agent, obs, info))
            steps += 1
            illegal += int(bool(info.get("illegal_action", False)))
            meter.add_work(gait.work_from_info(info))
    finally:
        gait.detach(env, meter)
    measured = meter.metrics()
    distance = float(info["distance_m"])
    time_s = float(info["time_s"])
    return EpisodeRecord(
        distance_m=distance,
        # A fall ends the walk: a fallen episode walks at 0 m/s, so no speed until a fall
        # can score as a win; the speed it had until then is kept beside it.
        speed_m_s=0.0 if terminated else (distance / time_s if time_s > 0 else math.nan),
        speed_until_fall_m_s=distance / time_s if time_s > 0 else math.nan,
        fell=bool(terminated),
        time_to_fall_s=time_s if terminated else math.nan,
        steps=steps,
        positive_work_j=measured.positive_work_j,
        cost_of_transport=(
            measured.cost_of_transport if distance >= MIN_COT_DISTANCE_M else math.nan
        ),
        illegal_share=(
            illegal / steps
            if isinstance(env.unwrapped, envs.HenryDiscreteEnv) and steps
            else math.nan
        ),
        **{name: getattr(measured, name) for name in GAIT_MEASURES},
        gait=measured.gait,
    )
