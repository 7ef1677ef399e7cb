"""A training run's dealings with its run folder, from the claim to the last history line.

`RunSession.open` is called once the arguments are checked: it claims the folder (lock,
no silent overwrite), records the start or the resume (with the settings that changed) in
`history.jsonl`, writes `config.json`, and opens the metrics and evaluation logs so they
continue from the checkpoint's step. The training loop counts on from `start_steps` and
`start_episodes`, adds rows to `logs`, and calls `logs.flush()` after each checkpoint. The
run ends with `end` (finished, or stopped by a signal) or `fail` (a write that failed), then
`close` releases the folder.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from walker.app.core.runfiles import CONFIG_NAME, EVAL_NAME, METRICS_NAME
from walker.app.core.stopsignals import signal_name
from walker.app.training.resuming import ResumePoint, setting_changes
from walker.app.training.rundir import JsonlLog, RunFolder
from walker.files import atomic_write_text

RUN_SETTINGS = (
    "steps",
    "episodes",
    "seed",
    "num_envs",
    "vector",
    "random_starts",
    "episode_steps",
    "eval_every",
    "eval_episodes",
    "checkpoint_every",
    "env_kwargs",
)
"""Settings of a run that may change on --resume (recorded as changes in the history); of
`env_kwargs` only the reward arguments may."""


@dataclass
class RunLogs:
    """The run's continuing logs and the counts the training loop starts from."""

    metrics: JsonlLog
    evaluations: JsonlLog
    start_steps: int = 0
    """Environment steps the agent was trained for before this segment."""
    start_episodes: int = 0

    def flush(self) -> None:
        """Append the rows gathered since the last flush (call it after a checkpoint)."""
        self.metrics.flush()
        self.evaluations.flush()


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


class RunSession:
    """One segment of a run (the first, or a resume) in its claimed folder."""

    def __init__(
        self, folder: RunFolder, config: dict[str, Any], logs: RunLogs, resumed: bool
    ) -> None:
        self.folder = folder
        self.config = config
        self.logs = logs
        self.resumed = resumed

    @property
    def path(self) -> Path:
        return self.folder.path

    @classmethod
    def open(
        cls,
        out: Path,
        run_config: Mapping[str, Any],
        *,
        command: Sequence[str],
        resume: ResumePoint | None = None,
        overwrite: bool = False,
    ) -> RunSession:
        """Claim `out` and record this segment's start; `run_config` is what config.json
        holds (agent, env, settings). Raises `RunFolderError`/`OutputPathError` in one
        sentence, leaving the folder as it was."""
        continuing = resume is not None and resume.run_folder == Path(out)
        folder = RunFolder.claim(Path(out), command, resume=continuing, overwrite=overwrite)
        try:
            recorded = _read_json(folder.path / CONFIG_NAME) if continuing else {}
            config = dict(run_config)
            if resume is None:
                folder.record("start", steps=0, command=" ".join(command))
                logs = RunLogs(folder.log(METRICS_NAME), folder.log(EVAL_NAME))
            else:
                changed = setting_changes(recorded, config, RUN_SETTINGS)
                folder.record(
                    "resume",
                    checkpoint=str(resume.checkpoint),
                    from_steps=resume.steps,
                    changed=changed,
                    command=" ".join(command),
                )
                keep = resume.steps if continuing else None
                logs = RunLogs(
                    folder.log(METRICS_NAME, keep),
                    folder.log(EVAL_NAME, keep),
                    resume.steps,
                    resume.episodes,
                )
                config["resumed_from"] = str(resume.checkpoint)
            config["trained_steps"] = logs.start_steps
            atomic_write_text(folder.path / CONFIG_NAME, json.dumps(config, indent=2) + "\n")
        except BaseException:
            folder.release()
            raise
        return cls(folder, config, logs, resume is not None)

    def end(self, steps: int, episodes: int, stopped_by: BaseException | None = None) -> None:
        """Record how the segment ended: finished, or stopped by Ctrl-C or a signal."""
        self.config["trained_steps"] = steps
        atomic_write_text(self.path / CONFIG_NAME, json.dumps(self.config, indent=2) + "\n")
        if stopped_by is None:
            self.folder.record("end", steps=steps, episodes=episodes)
        else:
            self.folder.record(
                "interrupted", signal=signal_name(stopped_by), steps=steps, episodes=episodes
            )

    def fail(self, error: BaseException, steps: int | None = None) -> None:
        """Record a segment that ended in an error (best effort: the disk may be full)."""
        with contextlib.suppress(OSError):
            self.folder.record("failed", error=str(error), steps=steps)

    def close(self) -> None:
        self.folder.release()
