"""What `walker train --resume CHECKPOINT` continues, and which flags it may change.

A resumed run continues the checkpoint's agent exactly as it was trained: its step and
episode counts go on from the checkpoint's totals, and its hyperparameters stay the
checkpoint's (its optimiser state, replay buffer and schedules were built with them), so a
hyperparameter given with `--resume` that differs is refused with a sentence saying why. Run
settings (budget, evaluation and checkpoint schedules, random starts, seed) may change; what
changed is returned so the run folder's config and history can record it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.checkpoint import CheckpointError, load_checkpoint
from walker.app.core.checks import ArgumentValueError
from walker.app.training.rundir import CONFIG_NAME, HISTORY_NAME


@dataclass(frozen=True)
class ResumePoint:
    """Where a resumed run starts: the checkpoint's agent, counts and env."""

    checkpoint: Path
    agent: str
    steps: int
    """Environment steps the agent has been trained for, over all earlier segments."""
    episodes: int
    agent_config: dict[str, Any]
    env_id: str | None
    env_kwargs: dict[str, Any]

    @property
    def run_folder(self) -> Path | None:
        """The run folder the checkpoint belongs to, if it sits in one (not in assets/)."""
        folder = self.checkpoint.parent
        if (folder / CONFIG_NAME).is_file() or (folder / HISTORY_NAME).is_file():
            return folder
        return None


def _count(metadata: Mapping[str, Any], key: str, fallback: int = 0) -> int:
    value = metadata.get(key, fallback)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return fallback
    return value


def read_resume_point(checkpoint: Path, agent: str) -> ResumePoint:
    """Read what a resumed run continues; `CheckpointError` if the file cannot be resumed."""
    payload = load_checkpoint(checkpoint, agent)
    metadata = payload["metadata"]
    if not isinstance(metadata, dict):
        raise CheckpointError(f"checkpoint {checkpoint} is damaged: its metadata is not a table")
    state = payload.get("state")
    agent_steps = state.get("steps") if isinstance(state, dict) else None
    # Checkpoints from before run histories counted only their last segment; the agent's own
    # step counter (Q-learning keeps one) knows better when it is larger.
    steps = _count(metadata, "trained_steps")
    if isinstance(agent_steps, int) and not isinstance(agent_steps, bool):
        steps = max(steps, agent_steps)
    config = payload["config"] if isinstance(payload["config"], dict) else {}
    env_kwargs = metadata.get("env_kwargs")
    return ResumePoint(
        checkpoint,
        agent,
        steps,
        _count(metadata, "trained_episodes"),
        config,
        metadata.get("env_id"),
        dict(env_kwargs) if isinstance(env_kwargs, dict) else {},
    )


def flatten_config(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested config table as option-style names: {"epsilon": {"end": x}} -> epsilon_end."""
    flat: dict[str, Any] = {}
    for name, value in config.items():
        if isinstance(value, Mapping):
            flat.update(flatten_config(value, f"{prefix}{name}_"))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return len(left) == len(right) and all(
            _same(a, b) for a, b in zip(left, right, strict=True)
        )
    return bool(left == right)


def refuse_agent_changes(
    saved_config: Mapping[str, Any], given: Mapping[str, Any], checkpoint: Path
) -> None:
    """Refuse hyperparameters given with --resume that differ from the checkpoint's.

    `given` holds only the options typed on the command line, by option-style name
    (`alpha`, `epsilon_end`). Equal values are fine (a script may repeat them).
    """
    saved = flatten_config(saved_config)
    for name, value in sorted(given.items()):
        if name not in saved:
            continue
        if not _same(saved[name], value):
            option = "--" + name.replace("_", "-")
            raise ArgumentValueError(
                f"{option} {_show(value)} cannot apply with --resume: {checkpoint} was trained "
                f"with {name}={_show(saved[name])} and its agent continues as it was built; "
                f"drop {option}, or start a new run with another --out to train with it"
            )


def _show(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return str(value)


def setting_changes(
    recorded: Mapping[str, Any], current: Mapping[str, Any], names: tuple[str, ...]
) -> dict[str, list[Any]]:
    """The run settings among `names` that differ from the recorded run: {name: [old, new]}."""
    return {
        name: [recorded.get(name), current.get(name)]
        for name in names
        if name in recorded and not _same(recorded.get(name), current.get(name))
    }
