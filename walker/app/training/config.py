"""The options of a training run, in one documented dataclass.

`TrainConfig` holds everything about a run except the agent's hyperparameters: what it
trains on, for how long, how it is evaluated and watched, and where its files go. The
training loop reads it, `walker train AGENT` generates its options from it (one option per
field, help from the docstrings, as for the agents' configs), and the agents get the part
they need, the number of envs and the budget, as a `RunPlan`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from walker.app.core.checks import MAX_SEED, ArgumentValueError, check_env_kwargs
from walker.app.core.conditions import ConditionError, conditions_in_turn
from walker.errors import InputError

if TYPE_CHECKING:
    from agents.base import RunPlan

DEFAULT_STEPS = 20_000
"""The budget when neither steps nor episodes is given."""

TRAIN_EPISODE_DECISIONS = 20
"""Training episodes on the discrete Henry cut to this many decisions from a random start
(`episode_steps`): the recipe of the demo, the experiments and the pretrained
`qlearning-henry` and `dqn-henry`. Random starts then happen often (6,000 decisions give
300 starts, not the 30 of full 200-decision episodes), and the rarely reached corners of
the state space (both feet at a limit) get visited."""


class TrainError(InputError):
    """A training run was configured in a way that cannot work."""


@dataclass
class TrainConfig:
    """What to train on, for how long, what watches it, and where its files go."""

    env: str | None = None
    """Gymnasium env id (Henry-v0, HenryContinuous-v0, CartPole-v1, ...); None: the agent's
    default env."""
    env_kwargs: dict[str, Any] = field(default_factory=dict, metadata={"option": "env-arg"})
    """Keyword arguments for the env, given as KEY=VALUE, e.g. extension_levels=7
    (repeatable; values are parsed as JSON when they can be)."""
    seed: int = 0
    """Seeds the envs (seed, seed + 1, ...) and the agent."""
    steps: int | None = None
    """Stop after this many env steps (all envs together); when neither steps nor episodes
    is given, 20000."""
    episodes: int | None = None
    """Stop after this many finished episodes."""
    num_envs: int = 1
    """Environments stepped together."""
    vector: Literal["sync", "async"] = "sync"
    """Vector env kind when num_envs > 1: sync (one process) or async (one per env)."""
    random_starts: bool | None = None
    """Start training episodes from random legal states; None: on for Henry-v0."""
    episode_steps: int | None = None
    """Cut training episodes after this many steps (None: the env's time limit); short
    episodes with random starts visit more start states."""
    conditions: tuple[str, ...] = ()
    """Train in worlds drawn from these `walker bench` conditions (push_forward, bumps, ...;
    'push' names both pushes): each training episode meets a new draw of the next one in
    turn, from seeds the bench never uses (`walker.app.training.worlds`); a name given twice
    comes round twice as often. Empty: the env as given. Evaluations stay on the env as
    given."""
    eval_every: int = 0
    """Greedy evaluation every this many steps (0: only at the end)."""
    eval_episodes: int = 1
    """Episodes per greedy evaluation (from the standard start)."""
    eval_max_steps: int | None = None
    """Cap on the length of each periodic evaluation episode (None: the env's time limit).
    The final evaluation always plays full episodes."""
    final_eval: bool = True
    """Play full greedy episodes at the end (benchmarks that time training turn it off)."""
    checkpoint_every: int = 0
    """Save a checkpoint every this many steps (0: only at the end and on Ctrl-C)."""
    out: Path | None = None
    """The run folder (walker train: runs/<agent>-<env>-seed<seed>; the bare training loop
    writes nothing without one)."""
    resume: Path | None = None
    """Continue training from this checkpoint (a path or a pretrained name): into its run
    folder unless out is given, counting on from its steps; steps then means this many
    more. Its env arguments carry over; --env-arg may change only reward arguments (a
    fine-tune on another reward)."""
    overwrite: bool = False
    """Replace the run the out folder holds (without it, a folder holding a run is
    refused)."""
    progress: bool = True
    """Show a progress bar."""
    tensorboard: Path | None = None
    """Also log scalars for TensorBoard into this folder (needs tensorboard)."""
    watch: bool = False
    """Show training live in a window (needs a display)."""
    watch_fast: bool = False
    """Start the window in fast-forward (only every 10th episode drawn; 'f' toggles it)."""
    watch_speed: float = 1.0
    """Simulation speed the window starts at ('[' and ']' change it)."""
    record: Path | None = None
    """Write what the training window shows, learning panels included, to this video (.mp4
    or .gif); without watch it is drawn off screen, time-lapsed by watch_speed when above 1."""
    record_every: int = 0
    """Save a short clip of the greedy policy every this many episodes, and a montage of them
    at the end (0: none)."""

    def __post_init__(self) -> None:
        if self.steps is None and self.episodes is None:
            self.steps = DEFAULT_STEPS
        for name in ("steps", "episodes", "episode_steps", "eval_max_steps"):
            value = getattr(self, name)
            if value is not None and not _whole(value, 1):
                raise TrainError(f"{name} must be a whole number >= 1, got {value!r}")
        for name in ("num_envs", "eval_episodes"):
            if not _whole(getattr(self, name), 1):
                raise TrainError(f"{name} must be a whole number >= 1, got {getattr(self, name)!r}")
        for name in ("eval_every", "checkpoint_every", "record_every"):
            if not _whole(getattr(self, name), 0):
                raise TrainError(f"{name} must be a whole number >= 0, got {getattr(self, name)!r}")
        if not _whole(self.seed, 0) or self.seed > MAX_SEED:
            raise TrainError(f"seed must be a whole number from 0 to {MAX_SEED}, got {self.seed!r}")
        try:
            self.env_kwargs = check_env_kwargs(self.env_kwargs)
        except ArgumentValueError as error:
            raise TrainError(str(error)) from error
        if self.conditions:
            try:
                self.conditions = tuple(c.name for c in conditions_in_turn(self.conditions))
            except ConditionError as error:
                raise TrainError(str(error)) from error
        if self.vector not in ("sync", "async"):
            raise TrainError(f"vector must be 'sync' or 'async', got {self.vector!r}")
        if not isinstance(self.watch_speed, (int, float)) or not 0 < self.watch_speed <= 16:
            raise TrainError(f"watch_speed must be in (0, 16], got {self.watch_speed!r}")

    @property
    def plan(self) -> RunPlan:
        """What the agent needs to know about this run: envs stepped together, the budget."""
        from agents.base import RunPlan

        return RunPlan(self.num_envs, self.steps)

    @property
    def reset_options(self) -> dict[str, Any]:
        """The options every training reset gets."""
        return {"pose": "random"} if self.random_starts else {}

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values (paths as strings)."""
        return {
            key: str(value) if isinstance(value, Path) else value
            for key, value in dataclasses.asdict(self).items()
        }


def _whole(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum
