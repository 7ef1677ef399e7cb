"""Every physical parameter of Henry and his world, in SI units, in one frozen dataclass.

`HenrySpec` is the single source of truth for the body (sizes, masses), the actuators
(force, torque and speed limits), the ground (friction, optional bumps) and time stepping.
It validates itself on construction, so a bad value fails loudly at the point where it was
written rather than as a NaN a thousand steps later.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from walker.errors import InputError

BUMP_RUN_M = 100.0
"""How far ahead of Henry's start the bumps continue (when `bump_height_m` > 0)."""


class SpecError(InputError):
    """A physical parameter is out of its valid range."""


@dataclass(frozen=True)
class HenrySpec:
    """Henry's body, actuators, ground and time step. Units: m, kg, s, rad, N, N*m."""

    gravity_m_s2: float = 9.81
    """Downward gravitational acceleration."""

    torso_width_m: float = 0.30
    """Length of the torso box along the walking direction."""

    torso_height_m: float = 0.12
    """Height of the torso box."""

    torso_mass_kg: float = 3.0
    """Mass of the torso."""

    thigh_mass_kg: float = 0.2
    """Mass of the upper (rotating) part of each leg, which carries the extension stroke."""

    foot_mass_kg: float = 0.3
    """Mass of each foot (the sliding lower leg with its sole)."""

    sole_length_m: float = 0.44
    """Length of each flat sole. Longer than the torso so Henry can stand on one foot."""

    sole_thickness_m: float = 0.03
    """Thickness of each sole."""

    leg_min_length_m: float = 0.18
    """Shortest hip-to-ankle distance the extension stroke allows."""

    leg_max_length_m: float = 0.48
    """Longest hip-to-ankle distance the extension stroke allows."""

    stand_drop_m: float = 0.34
    """Vertical hip-to-ankle distance (in the torso frame) of a planted foot."""

    lift_height_m: float = 0.07
    """How far a lifted foot is raised above its planted depth."""

    swing_limit_rad: float = 0.55
    """Largest hip swing either side of straight down (hard stop)."""

    hip_max_torque_nm: float = 60.0
    """Torque limit of each hip swing servo."""

    hip_max_speed_rad_s: float = 3.0
    """Speed limit of each hip swing servo."""

    leg_max_force_n: float = 300.0
    """Force limit of each leg extension servo."""

    leg_max_speed_m_s: float = 0.6
    """Speed limit of each leg extension servo."""

    servo_gain_1_s: float = 40.0
    """Stiffness of the four position servos: the rate (1/s) at which an error is corrected
    before the speed limits apply. Each servo is a force-limited proportional controller."""

    ankle_max_torque_nm: float = 200.0
    """Torque that keeps each sole parallel to the torso (a parallelogram linkage in 3D)."""

    foot_friction: float = 1.0
    """Coulomb friction coefficient of the soles (pymunk multiplies it with the ground's)."""

    contact_switch_travel_m: float = 0.003
    """Travel of the foot switch under each sole: a sole closer to the ground than this
    counts as touching it. The switch is a pymunk sensor shape, so contact still comes from
    collision data, not from a height threshold."""

    ground_friction: float = 1.0
    """Coulomb friction coefficient of the ground."""

    torso_friction: float = 0.5
    """Friction of the torso shape, used only when Henry has fallen onto it."""

    control_dt_s: float = 1.0 / 60.0
    """Duration of one control step: actuator targets change at this rate."""

    substeps: int = 10
    """Physics steps per control step. Ten keeps prismatic joints from drifting."""

    solver_iterations: int = 10
    """pymunk solver iterations per physics step."""

    collision_slop_m: float = 0.002
    """Allowed overlap between shapes; pymunk's default (0.1) assumes pixels, not metres."""

    bump_height_m: float = 0.0
    """Height of the low obstacles on the ground; 0 (the default) is flat ground. Bumps are
    static boxes with the ground's friction: a sole put down on one rests tilted on its edge,
    and a torso that touches one has fallen. The benchmark uses 1-2 cm, well below
    `lift_height_m`, so a lifted foot clears them."""

    bump_start_m: float = 0.4
    """Distance from Henry's starting position (the hip, x = 0) to the near edge of the first
    bump: beyond the front of a sole in any starting pose (at most 0.36 m with the defaults),
    near enough that the slow continuous gait meets it within an episode."""

    bump_spacing_m: float = 0.5
    """Distance from one bump's near edge to the next one's; bumps continue for
    `BUMP_RUN_M` (100 m), further than any episode walks."""

    bump_length_m: float = 0.05
    """Length of each bump along the walking direction (less than `bump_spacing_m`)."""

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name == "substeps" or field.name == "solver_iterations":
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    raise SpecError(f"{field.name} must be a whole number >= 1, got {value!r}")
                continue
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise SpecError(f"{field.name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise SpecError(f"{field.name} must be finite, got {value!r}")
            if field.name == "bump_height_m":
                if value < 0:
                    raise SpecError(f"bump_height_m must be 0 (flat) or positive, got {value!r}")
                continue
            if value <= 0:
                raise SpecError(f"{field.name} must be positive, got {value!r}")
        if self.leg_min_length_m >= self.leg_max_length_m:
            raise SpecError(
                f"leg_min_length_m ({self.leg_min_length_m}) must be below "
                f"leg_max_length_m ({self.leg_max_length_m})"
            )
        lifted = self.stand_drop_m - self.lift_height_m
        if lifted < self.leg_min_length_m:
            raise SpecError(
                f"stand_drop_m - lift_height_m ({lifted:.3f}) must be at least "
                f"leg_min_length_m ({self.leg_min_length_m}) so a lifted foot stays in the stroke"
            )
        longest = self.stand_drop_m / math.cos(self.swing_limit_rad)
        if longest > self.leg_max_length_m:
            raise SpecError(
                f"a planted foot at the full swing needs a leg of {longest:.3f} m, longer than "
                f"leg_max_length_m ({self.leg_max_length_m}); lower swing_limit_rad or stand_drop_m"
            )
        if self.bump_length_m >= self.bump_spacing_m:
            raise SpecError(
                f"bump_length_m ({self.bump_length_m}) must be below bump_spacing_m "
                f"({self.bump_spacing_m}) so the bumps do not merge into a step"
            )
        if self.swing_limit_rad >= math.pi / 2:
            raise SpecError(f"swing_limit_rad must be below pi/2, got {self.swing_limit_rad}")

    @property
    def physics_dt_s(self) -> float:
        """Duration of one pymunk step."""
        return self.control_dt_s / self.substeps

    @property
    def lifted_drop_m(self) -> float:
        """Vertical hip-to-ankle distance of a lifted foot."""
        return self.stand_drop_m - self.lift_height_m

    @property
    def max_foot_offset_m(self) -> float:
        """Horizontal hip-to-ankle distance of a planted foot at the full swing."""
        return self.stand_drop_m * math.tan(self.swing_limit_rad)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """Every parameter's name, in declaration order."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def with_overrides(cls, overrides: Mapping[str, Any]) -> HenrySpec:
        """The default spec with some parameters replaced, e.g. `{"ground_friction": 0.5}`.

        An unknown name is a `SpecError` that lists the valid ones, so a typo in a
        command-line `--env-arg spec={...}` is caught rather than silently ignored.
        """
        if not isinstance(overrides, Mapping):
            raise SpecError(
                f"spec overrides must be a mapping of field names to values, got "
                f"{type(overrides).__name__}"
            )
        unknown = sorted(str(name) for name in set(overrides) - set(cls.field_names()))
        if unknown:
            raise SpecError(
                f"unknown HenrySpec field(s) {', '.join(unknown)}; valid names are "
                f"{', '.join(cls.field_names())}"
            )
        return cls(**dict(overrides))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of every parameter, for checkpoints and configs."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> HenrySpec:
        """Build a spec from `to_dict` output; unknown keys are an error, not ignored."""
        return cls.with_overrides(values)
