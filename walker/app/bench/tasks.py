"""The two kinds of task `walker bench` sweeps over, as pure functions of the task.

* `train_policy(TrainTask)`: trains one learning agent on one seed with a fixed budget and
  returns its checkpoint as bytes (the bench saves it; tasks on other machines receive it).
* `play_condition(EpisodeTask)`: plays one agent on one seed under one condition for a few
  greedy episodes and returns a record of per-episode metrics: distance, mean forward
  speed (0 for an episode that ends in a fall; the speed until the fall is kept apart),
  whether and when Henry fell, cost of transport, the share of illegal actions tried
  (discrete Henry), and the gait measures of `envs.gait` (flight share, duty factors,
  footfalls, alternation, stride length, cadence).

Everything a task needs is in the task and in `shared` (checkpoint bytes by name); both
functions seed every generator they use from the task, run torch on one thread, and touch
no file but a private temporary one, so a task gives the same record wherever it runs.
"""

from __future__ import annotations

import contextlib
import math
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym

import envs
from agents.base import Agent, act_one
from envs import gait
from walker.app.bench.conditions import CONDITIONS
from walker.app.core.learners import learner_kind
from walker.app.core.policies import env_metadata, load_policy, make_env
from walker.app.training.loop import TrainConfig, train

TRAIN_EPISODE_DECISIONS = 20
"""Training episodes on the discrete Henry: 20 decisions from a random start, the recipe of
the pretrained `qlearning-henry` and `dqn-henry` (many starts, every state visited)."""

MIN_COT_DISTANCE_M = 0.1
"""Below this distance the cost of transport (work per metre) is not reported: dividing by
a distance near zero says nothing about walking."""

GAIT_MEASURES = (
    "flight_share",
    "duty_factor_right",
    "duty_factor_left",
    "footfalls",
    "alternation",
    "stride_length_m",
    "cadence_per_min",
)
"""The env's gait measures (`envs.gait.GaitMetrics`) each episode record carries as well."""

EPISODE_SEED_BASE = 1_000_000
"""Episode e of seed s resets the env with seed `EPISODE_SEED_BASE + 1000 s + e`: every
agent meets the same random start poses on the same seed, so comparisons are paired."""


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
    """`hardcoded`, `random`, or `checkpoint` (then `checkpoint` names the shared bytes)."""
    seed: int
    condition: str
    episodes: int
    checkpoint: str | None = None

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
            path = agent.save(Path(folder) / "checkpoint.pt", metadata)
            return path.read_bytes()


def _policy(
    task: EpisodeTask, env: gym.Env[Any, Any], shared: Mapping[str, Any], folder: Path
) -> Agent:
    if task.policy in ("hardcoded", "random"):
        return load_policy(task.policy, env, seed=task.seed)
    if task.checkpoint is None or task.checkpoint not in shared:
        raise ValueError(f"checkpoint {task.checkpoint!r} was not shipped with the task")
    path = folder / "policy.pt"
    path.write_bytes(shared[task.checkpoint])
    return load_policy(str(path), env, env_id=task.env_id)


def play_condition(task: EpisodeTask, shared: Mapping[str, Any]) -> dict[str, Any]:
    """Play one (agent, seed, condition); return its record with one entry per episode."""
    condition = CONDITIONS[task.condition]
    options = dict(condition.reset_options) or None
    with one_torch_thread(), tempfile.TemporaryDirectory(prefix="henry-bench-") as folder:
        env = make_env(task.env_id, {**condition.env_kwargs(), "measure_work": True})
        try:
            agent = _policy(task, env, shared, Path(folder))
            episodes = [
                _episode(env, agent, EPISODE_SEED_BASE + 1000 * task.seed + e, options)
                for e in range(task.episodes)
            ]
        finally:
            env.close()
    return {
        "key": task.key,
        "env_id": task.env_id,
        "agent": task.agent,
        "condition": task.condition,
        "seed": task.seed,
        "episodes": episodes,
    }


def _episode(
    env: gym.Env[Any, Any], agent: Agent, seed: int, options: dict[str, Any] | None
) -> dict[str, Any]:
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
    record: dict[str, Any] = {
        "distance_m": distance,
        # A fall ends the walk: a fallen episode walks at 0 m/s, so no speed until a fall
        # can score as a win; the speed it had until then is kept beside it.
        "speed_m_s": 0.0 if terminated else (distance / time_s if time_s > 0 else math.nan),
        "speed_until_fall_m_s": distance / time_s if time_s > 0 else math.nan,
        "fell": bool(terminated),
        "time_to_fall_s": time_s if terminated else math.nan,
        "steps": steps,
        "positive_work_j": measured.positive_work_j,
        "cost_of_transport": (
            measured.cost_of_transport if distance >= MIN_COT_DISTANCE_M else math.nan
        ),
        "illegal_share": (
            illegal / steps
            if isinstance(env.unwrapped, envs.HenryDiscreteEnv) and steps
            else math.nan
        ),
    }
    record.update({name: getattr(measured, name) for name in GAIT_MEASURES})
    return record
