"""Checkpoints: one file per agent holding its weights, its config and what it was trained on.

A checkpoint is a `torch.save` file of plain containers and tensors, so it loads with
`weights_only=True` (no pickled code runs on load). Its header names the format, the agent
kind and the format version; `metadata` records the env id and the env's constructor
arguments and `HenrySpec` when there is one. `load_checkpoint` checks all of that and fails
with `CheckpointError`, one sentence saying what is wrong.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

import torch

from walker.errors import InputError
from walker.files import OutputPathError, atomic_write_bytes

FORMAT = "henry-checkpoint"
VERSION = 1


class CheckpointError(InputError):
    """A checkpoint cannot be written, read, or used where it was asked to be."""


def save_checkpoint(
    path: str | Path,
    agent: str,
    config: dict[str, Any],
    state: dict[str, Any],
    metadata: dict[str, Any],
) -> Path:
    """Write a checkpoint atomically and return its path."""
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "agent": agent,
        "config": config,
        "state": state,
        "metadata": metadata,
    }
    target = Path(path)
    # Serialised in memory first: torch's zip writer reports a full disk as a RuntimeError
    # without the cause, while a plain file write raises OSError with its errno.
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    try:
        atomic_write_bytes(target, buffer.getbuffer())
    except OutputPathError as error:
        raise CheckpointError(str(error)) from error
    return target


def load_checkpoint(path: str | Path, agent: str | None = None) -> dict[str, Any]:
    """Read and check a checkpoint; `agent` (if given) must match the file's agent kind."""
    source = Path(path)
    if not source.exists():
        raise CheckpointError(f"checkpoint {source} does not exist")
    if source.is_dir():
        raise CheckpointError(f"checkpoint {source} is a folder, not a file")
    try:
        payload = torch.load(source, map_location="cpu", weights_only=True)
    except (
        RuntimeError,
        EOFError,
        OSError,
        ValueError,
        zipfile.BadZipFile,
        io.UnsupportedOperation,
    ) as error:
        raise CheckpointError(
            f"checkpoint {source} is damaged or not a Henry checkpoint ({type(error).__name__})"
        ) from error
    except Exception as error:  # torch's unpickler raises assorted types on garbage
        raise CheckpointError(
            f"checkpoint {source} is damaged or not a Henry checkpoint ({type(error).__name__})"
        ) from error
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{source} is not a Henry checkpoint")
    if payload.get("version") != VERSION:
        raise CheckpointError(
            f"checkpoint {source} has format version {payload.get('version')!r}; this Henry "
            f"reads version {VERSION}"
        )
    for key in ("agent", "config", "state", "metadata"):
        if key not in payload:
            raise CheckpointError(f"checkpoint {source} is incomplete: it has no {key!r}")
    if agent is not None and payload["agent"] != agent:
        raise CheckpointError(
            f"checkpoint {source} holds a {payload['agent']!r} agent, not a {agent!r} agent"
        )
    return payload


def check_env_matches(
    payload: dict[str, Any],
    env_id: str | None,
    env_kwargs: dict[str, Any] | None = None,
    source: str = "checkpoint",
    defaults: dict[str, Any] | None = None,
    ignore: Collection[str] = (),
) -> None:
    """Raise `CheckpointError` if the checkpoint was trained on a different env.

    `defaults` are the values the env takes for arguments not given, so an argument given
    explicitly at its default matches a checkpoint trained without it. Arguments in `ignore`
    may differ (for example reward weights, when the policy is only played).
    """
    metadata = payload.get("metadata", {})
    trained = metadata.get("env_id")
    if env_id is not None and trained is not None and trained != env_id:
        raise CheckpointError(f"{source} was trained on {trained}, not on {env_id}")
    if env_kwargs is not None and "env_kwargs" in metadata:
        base = dict(defaults or {})
        saved = {**base, **metadata["env_kwargs"]}
        wanted = {**base, **env_kwargs}
        for key in sorted((set(saved) | set(wanted)) - set(ignore)):
            if _as_json(saved.get(key)) != _as_json(wanted.get(key)):
                raise CheckpointError(
                    f"{source} was trained with {key}={saved.get(key)!r}, but the env has "
                    f"{key}={wanted.get(key)!r}"
                )


def _as_json(value: Any) -> Any:
    """Tuples as lists: a default `()` equals the `[]` a checkpoint's JSON-like metadata holds."""
    if isinstance(value, (list, tuple)):
        return [_as_json(item) for item in value]
    return value
