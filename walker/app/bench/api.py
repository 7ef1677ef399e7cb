"""`walker.bench.run`: the bench from Python, with policies that live in the caller's code.

It takes the same choices as `walker bench` and returns the same typed results
(`BenchRun`: a `Summary` per env, condition and agent, or the `CurveResult` of a curve, and
the failed tasks), writing the same files when given `out`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from walker.app.bench.benchmark import BenchRun, run_bench
from walker.app.bench.roster import BenchError
from walker.app.core.sweep import Backend


def run(
    agents: Mapping[str, Any] | Sequence[str],
    env_id: str | None = None,
    conditions: Sequence[str] = (),
    seeds: int = 10,
    episodes: int = 1,
    out: str | Path | None = None,
    fixed: bool = False,
    curve: str | None = None,
    train_steps: int | None = None,
    workers: int = 1,
    progress: bool = False,
    first_seed: int = 0,
) -> BenchRun:
    """Bench `agents` against the hard-coded and random policies.

    `agents` maps a name to a policy: a function `obs -> action`, an object with `predict`
    (Stable-Baselines3's convention, called with `deterministic=True`) or `act`, or a string
    the command line accepts (`"hardcoded"`, `"ppo"`, `"sb3:model.zip"`, `"py:mod:fn"`, a
    checkpoint path; its result is named by that string). A sequence of such strings works
    too. `env_id` is `Henry-v0` or `HenryContinuous-v0` (None: both, each agent where it
    fits); `conditions` names conditions or groups (empty: all), `curve` a robustness curve
    instead (`push`, `friction`, `mass`, `strength`); `fixed` plays the point conditions;
    `first_seed` moves the seeds (`seeds` of them from there; 0 is the bench's own).

    With `out`, the files of `walker bench --out` are written there (and an interrupted run
    resumes); without it, everything is computed in a temporary folder that is removed, and
    `files` is empty. `workers` > 1 runs the tasks in that many processes (Python objects
    must then pickle). Raises `BenchError` in one sentence when something cannot work.
    """
    names, objects = _split(agents)
    backend = Backend(workers=workers, workers_given=True)
    settings: dict[str, Any] = {
        "agents": names,
        "env_id": env_id,
        "conditions": list(conditions),
        "seeds": seeds,
        "episodes": episodes,
        "train_steps": train_steps,
        "backend": backend,
        "progress": progress,
        "fixed": fixed,
        "curve": curve,
        "objects": objects,
        "first_seed": first_seed,
    }
    if out is not None:
        return run_bench(out=Path(out), **settings)
    with tempfile.TemporaryDirectory(prefix="henry-bench-") as folder:
        result = run_bench(out=Path(folder), **settings)
    return replace(result, files=[])


def _split(agents: Mapping[str, Any] | Sequence[str]) -> tuple[list[str], dict[str, Any]]:
    """(names the command line takes, Python policies by name)."""
    if isinstance(agents, Mapping):
        names = [policy for policy in agents.values() if isinstance(policy, str)]
        objects = {str(k): v for k, v in agents.items() if not isinstance(v, str)}
        return names, objects
    if isinstance(agents, Sequence) and not isinstance(agents, str):
        return [str(name) for name in agents], {}
    raise BenchError(
        "agents must be a mapping of names to policies or a list of agent names, "
        f"got {type(agents).__name__}"
    )
