"""The conditions `walker bench` puts every agent through: each a distribution of worlds.

A condition names ranges, not points: a push's time and size, a friction factor, a torso
mass factor, an actuator strength factor, the bumps' height, spacing and position. Every
condition, `standard` included, also nudges the start a little (hip angles, leg extensions,
torso velocity; the env's `perturb` reset option). A seed draws one sample of a condition
(`Condition.draw`) from a generator keyed by (seed, condition name) alone, so every agent
meets the same world under the same seed and the comparison stays paired, while ten seeds
are ten different worlds. `fixed=True` gives the old point conditions (the centre of each
range, no nudge) for exact replays.

A draw is nothing but arguments anyone can pass to a Henry env: `HenrySpec` overrides as
the env's `spec={...}` keyword, the env's `pushes` keyword, and `reset` options. Agents are
never edited. The drawn values go into `episodes.csv` under the names of `DRAW_COLUMNS`.

The graded series of `walker bench --curve` are built from these in `grades`.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from walker.errors import InputError
from walker.sim.spec import HenrySpec

if TYPE_CHECKING:
    import numpy as np

_DEFAULT = HenrySpec()
_ACTUATOR_LIMITS = ("hip_max_torque_nm", "leg_max_force_n", "ankle_max_torque_nm")


@dataclass(frozen=True)
class Uniform:
    """A range drawn uniformly; `point` is the value a `--fixed` bench uses."""

    low: float
    high: float

    @property
    def point(self) -> float:
        return (self.low + self.high) / 2


@dataclass(frozen=True)
class StartNudge:
    """How far every start is nudged: each value drawn uniformly within +-its size."""

    swing_rad: float = 0.08
    """Each hip angle, +-0.08 rad (4.6 degrees, 2.4 cm of foot position at the standing
    drop): a third of one `Henry-v0` extension level (7 cm), so the observed start state is
    unchanged, yet each start is a different physical pose."""
    extension_m: float = 0.008
    """Each leg's extension target while settling, +-8 mm (a ninth of the 7 cm lift)."""
    torso_velocity_m_s: float = 0.15
    """Torso velocity after settling, +-0.15 m/s: a tenth of the learned walk's speed, a
    quarter of the controller's. The hard-coded gaits walk from all of 20 such draws."""


NUDGE = StartNudge()

DRAW_COLUMNS = (
    "friction_factor",
    "torso_mass_factor",
    "strength_factor",
    "push_time_s",
    "push_n_s",
    "bump_height_m",
    "bump_spacing_m",
    "bump_start_m",
    "bump_length_m",
    "start_right_swing_rad",
    "start_left_swing_rad",
    "start_right_extension_m",
    "start_left_extension_m",
    "start_torso_velocity_m_s",
)
"""The drawn values `episodes.csv` carries per episode (blank where a condition leaves the
quantity at its default). With the env id and the reset seed they reproduce the episode:
`gymnasium.make(env_id, spec=..., pushes=...)` and `reset(seed=..., options=...)`, see
`Draw`."""


@dataclass(frozen=True)
class Draw:
    """One sample of a condition: the env arguments and reset options of one seed."""

    condition: str
    seed: int
    spec: Mapping[str, float] = field(default_factory=dict)
    """`HenrySpec` fields that differ from the defaults (the env's `spec` keyword)."""
    pushes: tuple[tuple[float, float], ...] = ()
    """(time s, horizontal impulse N*s, + forward) on the torso (the env's `pushes`)."""
    reset_options: Mapping[str, Any] = field(default_factory=dict)
    """Options for every `reset`: the start pose and the `perturb` nudge."""
    values: Mapping[str, float] = field(default_factory=dict)
    """The drawn quantities by their `DRAW_COLUMNS` name."""

    def env_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `gymnasium.make` of a Henry env."""
        kwargs: dict[str, Any] = {}
        if self.spec:
            kwargs["spec"] = dict(self.spec)
        if self.pushes:
            kwargs["pushes"] = tuple(self.pushes)
        return kwargs

    def options(self) -> dict[str, Any] | None:
        """The reset options as a fresh dict (None when there are none)."""
        if not self.reset_options:
            return None
        return {k: dict(v) if isinstance(v, Mapping) else v for k, v in self.reset_options.items()}


def condition_rng(seed: int, condition: str) -> np.random.Generator:
    """The generator of one (seed, condition): the same in every process and for every agent
    (crc32, not Python's salted `hash`). numpy is imported here, not with the module, so
    naming the conditions (the command line's help) does not load it."""
    import numpy as np

    return np.random.default_rng([int(seed), zlib.crc32(condition.encode("utf-8"))])


@dataclass(frozen=True)
class Condition:
    """One named distribution of perturbations (None: that quantity keeps its default)."""

    name: str
    """What `--conditions` calls it."""
    description: str
    """What is done to Henry and why these ranges."""
    family: str
    """Conditions that vary one thing (friction, torso mass, push) share a family."""
    friction: Uniform | None = None
    """Ground friction, as a factor on the default."""
    torso_mass: Uniform | None = None
    """Torso mass, as a factor on the default."""
    strength: Uniform | None = None
    """Hip torque, leg force and ankle torque limits, as one factor on the defaults."""
    push_time_s: Uniform | None = None
    """When the push lands (s after the start)."""
    push_n_s: Uniform | None = None
    """The push's horizontal impulse (N*s, + forward)."""
    bump_height_m: Uniform | None = None
    bump_spacing_m: Uniform | None = None
    bump_start_m: Uniform | None = None
    """Where the first bump begins: the position jitter of the whole row of bumps."""
    bump_length_m: float = 0.1
    pose: str | None = None
    """The start pose reset option (`left_foot_up`, `random`), None for both feet down."""
    nudge: StartNudge | None = NUDGE
    draw_key: str = ""
    """What keys the generator besides the seed (empty: the name). The levels of a curve
    share their curve's key, so one seed meets the same push time and start nudge at every
    size and the curve is paired along its sizes."""

    def draw(self, seed: int, fixed: bool = False) -> Draw:
        """The sample of seed `seed` (every agent gets the same), or the point condition."""
        rng = condition_rng(seed, self.draw_key or self.name)
        values: dict[str, float] = {}

        def take(column: str, uniform: Uniform | None) -> float | None:
            # Always consume the generator in the same order, whatever is used.
            sample = float(rng.uniform(0.0, 1.0))
            if uniform is None:
                return None
            value = uniform.point if fixed else uniform.low + sample * (uniform.high - uniform.low)
            values[column] = value
            return value

        friction = take("friction_factor", self.friction)
        mass = take("torso_mass_factor", self.torso_mass)
        strength = take("strength_factor", self.strength)
        push_time = take("push_time_s", self.push_time_s)
        push = take("push_n_s", self.push_n_s)
        height = take("bump_height_m", self.bump_height_m)
        spacing = take("bump_spacing_m", self.bump_spacing_m)
        start = take("bump_start_m", self.bump_start_m)
        nudges = rng.uniform(-1.0, 1.0, size=5)

        spec: dict[str, float] = {}
        if friction is not None:
            spec["ground_friction"] = _DEFAULT.ground_friction * friction
        if mass is not None:
            spec["torso_mass_kg"] = _DEFAULT.torso_mass_kg * mass
        if strength is not None:
            spec.update({n: getattr(_DEFAULT, n) * strength for n in _ACTUATOR_LIMITS})
        if height is not None:
            spec["bump_height_m"] = height
            spec["bump_length_m"] = values["bump_length_m"] = self.bump_length_m
            if spacing is not None:
                spec["bump_spacing_m"] = spacing
            if start is not None:
                spec["bump_start_m"] = start
        pushes: tuple[tuple[float, float], ...] = ()
        if push is not None and push != 0.0:
            pushes = ((push_time if push_time is not None else 4.0, push),)
        options: dict[str, Any] = {}
        if self.pose is not None:
            options["pose"] = self.pose
        if self.nudge is not None and not fixed:
            n = self.nudge
            perturb = {
                "right_swing_rad": n.swing_rad * nudges[0],
                "left_swing_rad": n.swing_rad * nudges[1],
                "right_extension_m": n.extension_m * nudges[2],
                "left_extension_m": n.extension_m * nudges[3],
                "torso_velocity_m_s": n.torso_velocity_m_s * nudges[4],
            }
            options["perturb"] = {k: float(v) for k, v in perturb.items()}
            values.update({f"start_{k}": float(v) for k, v in perturb.items()})
        return Draw(self.name, int(seed), spec, pushes, options, values)


TRAINING_DRAW_SEEDS = 10**9
"""Training draws its worlds with seeds from here on (`walker.app.training.worlds`); the bench
plays seeds below it (`walker bench --first-seed`), so it never grades a world trained on."""

EPISODE_SEED_BASE = 1_000_000
"""Episode e of seed s resets the env with seed `EPISODE_SEED_BASE + 1000 s + e`: every
agent meets the same random start poses on the same seed, so comparisons are paired (and
`walker watch --condition` replays the bench's episode)."""

PUSH_TIME = Uniform(3.0, 5.0)
"""When a drawn push lands: 3-5 s, anywhere in a stride of either gait."""

STANDARD = "standard"
"""The unperturbed condition: the references' speeds on it are the ends of the score."""

REFERENCES = ("hardcoded", "random")
"""The policies every bench runs beside the agents, on the standard condition too: the
hard-coded one is what P(improvement) compares with, and with the random one they are the
ends of the normalised score."""

CONDITIONS: dict[str, Condition] = {
    c.name: c
    for c in (
        Condition(
            STANDARD,
            "flat ground, default body, both feet down, a nudged start (the bench's "
            "baseline: only the start varies)",
            family=STANDARD,
        ),
        Condition(
            "left_foot_up",
            "starts with the left foot lifted (the article's failure case for the hard-coded "
            "gait), nudged",
            family="start",
            pose="left_foot_up",
        ),
        Condition(
            "random_start",
            "starts in a random pose drawn from the episode's seed, nudged",
            family="start",
            pose="random",
        ),
        Condition(
            "friction_low",
            "ground friction x0.4-0.6: a wet floor, around the old point of x0.5",
            family="friction",
            friction=Uniform(0.4, 0.6),
        ),
        Condition(
            "friction_high",
            "ground friction x1.1-1.4: a grippy floor, around the old x1.25",
            family="friction",
            friction=Uniform(1.1, 1.4),
        ),
        Condition(
            "heavy",
            "torso mass +10-30%: a payload, around the old +20%",
            family="mass",
            torso_mass=Uniform(1.1, 1.3),
        ),
        Condition(
            "light",
            "torso mass -10-30%: around the old -20%",
            family="mass",
            torso_mass=Uniform(0.7, 0.9),
        ),
        Condition(
            "weak",
            "hip torque, leg force and ankle torque limits x0.6-0.8: worn servos, around the "
            "old x0.7",
            family="strength",
            strength=Uniform(0.6, 0.8),
        ),
        Condition(
            "push_forward",
            "a forward push of 3-5 N*s (the torso's speed changes by 1.0-1.7 m/s) at 3-5 s, "
            "anywhere in a stride, around the old 4 N*s at 4 s",
            family="push",
            push_time_s=PUSH_TIME,
            push_n_s=Uniform(3.0, 5.0),
        ),
        Condition(
            "push_backward",
            "a backward push of 3-5 N*s at 3-5 s, around the old 4 N*s at 4 s",
            family="push",
            push_time_s=PUSH_TIME,
            push_n_s=Uniform(-5.0, -3.0),
        ),
        Condition(
            "bumps",
            "bumps 1.5-2.5 cm high (under the 7 cm a lifted foot clears), 10 cm long, every "
            "0.4-0.6 m, the first 0.3-0.5 m ahead (so feet meet them at any point of a "
            "stride), around the old 2 cm every 0.5 m",
            family="terrain",
            bump_height_m=Uniform(0.015, 0.025),
            bump_spacing_m=Uniform(0.4, 0.6),
            bump_start_m=Uniform(0.3, 0.5),
        ),
    )
}

GROUPS: dict[str, tuple[str, ...]] = {
    "friction": ("friction_low", "friction_high"),
    "mass": ("heavy", "light"),
    "push": ("push_forward", "push_backward"),
}
"""Names that stand for several conditions on the command line."""


class ConditionError(InputError):
    """A condition or curve name that does not exist."""


def conditions_in_turn(names: Sequence[str]) -> list[Condition]:
    """The conditions `names` ask for, in the order given, each group expanded where it
    stands and a name given twice kept twice (for training in turn, `walker train
    --conditions`)."""
    return [condition for name in names for condition in select_conditions([name])]


def select_conditions(names: Sequence[str] | None) -> list[Condition]:
    """The conditions `names` ask for (group names expand), in `CONDITIONS` order; all of
    them for None or an empty list."""
    if not names:
        return list(CONDITIONS.values())
    wanted: set[str] = set()
    for name in names:
        if name in CONDITIONS:
            wanted.add(name)
        elif name in GROUPS:
            wanted.update(GROUPS[name])
        else:
            raise _unknown(name, groups=True)
    return [c for c in CONDITIONS.values() if c.name in wanted]


def condition_named(name: str) -> Condition:
    """The one condition `name` (a group is refused): what a window or video plays."""
    if name not in CONDITIONS:
        raise _unknown(name, groups=False)
    return CONDITIONS[name]


def _unknown(name: str, groups: bool) -> ConditionError:
    also = f" (or the groups {', '.join(GROUPS)})" if groups else ""
    return ConditionError(f"unknown condition {name!r}; choose from {', '.join(CONDITIONS)}{also}")
