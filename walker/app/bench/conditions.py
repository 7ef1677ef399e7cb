"""The named conditions `walker bench` puts every agent through, each a perturbation of the world.

A condition is nothing but arguments anyone can pass to a Henry env: `HenrySpec` overrides
(ground friction, torso mass, actuator limits, bumps on the ground) given as the env's
`spec={...}` keyword, the env's `pushes` keyword (horizontal impulses on the torso at fixed
times), and `reset` options (the start pose). Agents are never edited: the same policy meets
a changed world. Sizes are fixed here, relative to the default `HenrySpec`, so a result
names exactly what was done to Henry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from walker.errors import InputError
from walker.sim.spec import HenrySpec

PUSH_TIME_S = 4.0
"""When both push conditions shove Henry: mid-walk, well after he has settled and started."""

PUSH_IMPULSE_N_S = 4.0
"""Size of the push: 4 N*s changes the speed of Henry's 4 kg by 1 m/s at once. The
article's gait on `Henry-v0` survives it at `PUSH_TIME_S` (and falls from 5 N*s on); the
closed-loop walking controller on `HenryContinuous-v0` falls from the forward one."""

BUMP_HEIGHT_M = 0.02
"""Height of the bumps: 2 cm, under a third of the 7 cm a lifted foot clears."""

BUMP_SPACING_M = 0.5
"""Distance from one bump to the next."""

BUMP_LENGTH_M = 0.1
"""Length of each bump along the ground."""

_DEFAULT = HenrySpec()


@dataclass(frozen=True)
class Condition:
    """One named perturbation, as env arguments and reset options."""

    name: str
    """What `--conditions` calls it."""
    description: str
    """What is done to Henry, with its size."""
    spec: Mapping[str, float] = field(default_factory=dict)
    """`HenrySpec` fields that differ from the defaults (the env's `spec` keyword)."""
    pushes: tuple[tuple[float, float], ...] = ()
    """(time s, horizontal impulse N*s, + forward) on the torso (the env's `pushes`)."""
    reset_options: Mapping[str, Any] = field(default_factory=dict)
    """Options for every `reset`, e.g. the start pose."""
    family: str = ""
    """Conditions that vary one thing (friction, torso mass, push) share a family."""

    def env_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `gymnasium.make` of a Henry env."""
        kwargs: dict[str, Any] = {}
        if self.spec:
            kwargs["spec"] = dict(self.spec)
        if self.pushes:
            kwargs["pushes"] = tuple(self.pushes)
        return kwargs


def _scaled(factor: float, *names: str) -> dict[str, float]:
    return {name: getattr(_DEFAULT, name) * factor for name in names}


_ACTUATOR_LIMITS = ("hip_max_torque_nm", "leg_max_force_n", "ankle_max_torque_nm")

CONDITIONS: dict[str, Condition] = {
    c.name: c
    for c in (
        Condition(
            "standard", "flat ground, default body, both feet down at the start", family="standard"
        ),
        Condition(
            "left_foot_up",
            "starts with the left foot lifted (the article's failure case for the hard-coded gait)",
            reset_options={"pose": "left_foot_up"},
            family="start",
        ),
        Condition(
            "random_start",
            "starts in a random pose drawn from the episode's seed",
            reset_options={"pose": "random"},
            family="start",
        ),
        Condition(
            "friction_low",
            "ground friction x0.5",
            _scaled(0.5, "ground_friction"),
            family="friction",
        ),
        Condition(
            "friction_high",
            "ground friction x1.25",
            _scaled(1.25, "ground_friction"),
            family="friction",
        ),
        Condition("heavy", "torso mass +20%", _scaled(1.2, "torso_mass_kg"), family="mass"),
        Condition("light", "torso mass -20%", _scaled(0.8, "torso_mass_kg"), family="mass"),
        Condition(
            "weak",
            "hip torque, leg force and ankle torque limits x0.7",
            _scaled(0.7, *_ACTUATOR_LIMITS),
            family="strength",
        ),
        Condition(
            "push_forward",
            f"a forward push of {PUSH_IMPULSE_N_S} N*s on the torso at {PUSH_TIME_S:g} s",
            pushes=((PUSH_TIME_S, PUSH_IMPULSE_N_S),),
            family="push",
        ),
        Condition(
            "push_backward",
            f"a backward push of {PUSH_IMPULSE_N_S} N*s on the torso at {PUSH_TIME_S:g} s",
            pushes=((PUSH_TIME_S, -PUSH_IMPULSE_N_S),),
            family="push",
        ),
        Condition(
            "bumps",
            f"bumps {BUMP_HEIGHT_M * 100:g} cm high and {BUMP_LENGTH_M * 100:g} cm "
            f"long every {BUMP_SPACING_M:g} m",
            {
                "bump_height_m": BUMP_HEIGHT_M,
                "bump_spacing_m": BUMP_SPACING_M,
                "bump_length_m": BUMP_LENGTH_M,
            },
            family="terrain",
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
    """A condition name that does not exist."""


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
            raise ConditionError(
                f"unknown condition {name!r}; choose from {', '.join(CONDITIONS)} "
                f"(or the groups {', '.join(GROUPS)})"
            )
    return [c for c in CONDITIONS.values() if c.name in wanted]
