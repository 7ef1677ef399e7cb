"""What `walker train` settles before its run folder is touched: the run's options after a
resume, the agent (new or resumed) on a probe of the env, the window options, and what the
run folder's config records. Each refusal is one sentence."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import envs
from agents.base import Learner
from agents.checkpoint import load_checkpoint
from agents.residual import check_agent_env
from walker.app.core.checks import ArgumentValueError
from walker.app.core.learners import LearnerKind, PolicyError
from walker.app.core.policies import (
    check_checkpoint_env,
    env_metadata,
    is_henry,
    make_env,
    require_checkpoint,
)
from walker.app.training.config import TrainConfig
from walker.app.training.resuming import ResumePoint, read_resume_point, refuse_agent_changes
from walker.app.viewing.scenes import require_display, require_drawable


@dataclass(frozen=True)
class PreparedAgent:
    """The agent a run trains, with what was learned of its env on the way."""

    agent: Learner
    metadata: dict[str, Any]
    """The env's id, keywords and spec, as checkpoints record them."""
    henry: bool
    """Whether the env is one of Henry's (then the hard-coded gait is the reference)."""


def settle_run(
    kind: LearnerKind, run: TrainConfig, given: Mapping[str, Any]
) -> tuple[TrainConfig, ResumePoint | None]:
    """`run` with its env and random starts settled, and the point it resumes from (None for
    a new run). A resumed run takes the checkpoint's env; the hyperparameters in `given`
    must equal the checkpoint's."""
    resume = None
    if run.resume is not None:
        checkpoint = require_checkpoint(str(run.resume))
        resume = read_resume_point(checkpoint, kind.name)
        refuse_agent_changes(resume.agent_config, given, checkpoint)
        if run.env is not None and resume.env_id is not None and run.env != resume.env_id:
            raise ArgumentValueError(
                f"--env {run.env} cannot apply with --resume: {checkpoint} was trained on "
                f"{resume.env_id}; drop --env, or start a new run with another --out"
            )
        run = run.replace(
            resume=checkpoint,
            env=run.env or resume.env_id,
            env_kwargs={**resume.env_kwargs, **run.env_kwargs},
        )
    env_id = run.env or kind.default_env
    run = run.replace(
        env=env_id,
        random_starts=(
            env_id == envs.DISCRETE_ID if run.random_starts is None else run.random_starts
        ),
    )
    return run, resume


def prepare_agent(kind: LearnerKind, agent_config: Any, run: TrainConfig) -> PreparedAgent:
    """Build or load the agent on a probe of the run's env, refusing options the env cannot
    take (random starts off Henry's envs, windows for an env that cannot be drawn)."""
    env_id, env_kwargs = run.env, run.env_kwargs
    assert env_id is not None
    probe = make_env(env_id, env_kwargs)
    try:
        henry = is_henry(probe)
        if run.random_starts and not isinstance(probe.unwrapped, envs.HenryEnv):
            raise PolicyError(f"--random-starts needs one of Henry's envs, not {env_id}")
        if run.watch or run.record is not None or run.record_every:
            require_drawable(probe, "--watch, --record and --record-every")
        metadata = env_metadata(env_id, env_kwargs, probe)
        agent = _learner(kind, agent_config, run, probe)
    finally:
        probe.close()
    return PreparedAgent(agent, metadata, henry)


def run_record(
    agent_name: str, agent_config: Any, run: TrainConfig, prepared: PreparedAgent
) -> dict[str, Any]:
    """What the run folder's config records: the agent, its hyperparameters (the resumed
    agent's own when it has them), the env and the run's options."""
    metadata = prepared.metadata
    return {
        "agent": agent_name,
        "agent_config": _config_dict(getattr(prepared.agent, "config", agent_config)),
        "env_id": run.env,
        **run.to_dict(),
        **({"henry_spec": metadata["henry_spec"]} if "henry_spec" in metadata else {}),
    }


def _config_dict(config: Any) -> dict[str, Any]:
    to_dict = getattr(config, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    return dataclasses.asdict(config)


def _learner(kind: LearnerKind, config: Any, run: TrainConfig, probe: Any) -> Learner:
    """The agent `run` trains: loaded from `run.resume`, or new from `config`."""
    spaces = (probe.observation_space, probe.action_space)
    if run.resume is not None:
        payload = load_checkpoint(run.resume, kind.name)
        check_checkpoint_env(
            payload,
            run.env,
            run.env_kwargs,
            source=f"checkpoint {run.resume}",
            reward_may_differ=True,
        )
        return check_agent_env(kind.load(run.resume, *spaces, run.plan), probe)
    try:
        return check_agent_env(kind.build(*spaces, config, run.seed, run.plan), probe)
    except TypeError as error:
        raise PolicyError(f"{kind.name} cannot train on {run.env}: {error}") from error
    except ValueError as error:
        raise PolicyError(f"bad {kind.name} hyperparameter: {error}") from error


def check_watching(run: TrainConfig) -> None:
    """Refuse window options that cannot work, before the run folder is touched (--record
    alone draws the training window off screen)."""
    if run.watch:
        require_display()
