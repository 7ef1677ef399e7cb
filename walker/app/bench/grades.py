"""The graded series of `walker bench --curve`: one quantity stepped from mild to harsh.

A `Curve` turns each of its levels into a `conditions.Condition` whose stepped quantity is a
point and whose other values (the push time, the start nudge) are drawn per seed under the
curve's own key, so one seed meets the same draw at every level.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from walker.app.core.conditions import PUSH_TIME, Condition, ConditionError, Uniform


@dataclass(frozen=True)
class Curve:
    """A graded series: one quantity stepped from mild to harsh along one or two arms."""

    name: str
    """What `--curve` calls it."""
    quantity: str
    """The `DRAW_COLUMNS` name of the stepped quantity."""
    unit: str
    arms: tuple[tuple[str, tuple[float, ...]], ...]
    """(arm name, levels from the mildest to the harshest); arms share their first level."""
    base: Condition
    """What else is drawn per seed (push time, the start nudge)."""
    axis: str = ""
    """The quantity in words, with its unit, for the plot's axis."""

    @property
    def levels(self) -> tuple[float, ...]:
        """Every level once, in curve order (the arms' shared mildest level first)."""
        return tuple(dict.fromkeys(level for _, levels in self.arms for level in levels))

    def condition_name(self, level: float) -> str:
        return f"{self.name}{level:+g}" if self.name == "push" else f"{self.name}x{level:g}"

    def condition(self, level: float) -> Condition:
        """The condition of one level: the stepped quantity a point, the rest drawn."""
        point = Uniform(level, level)
        base = replace(
            self.base,
            name=self.condition_name(level),
            description=f"{self.quantity.replace('_', ' ')} {level:g}",
            draw_key=self.name,
        )
        if self.name == "push":
            return replace(base, push_n_s=point)
        if self.name == "friction":
            return replace(base, friction=point)
        if self.name == "mass":
            return replace(base, torso_mass=point)
        return replace(base, strength=point)


CURVES: dict[str, Curve] = {
    c.name: c
    for c in (
        Curve(
            "push",
            "push_n_s",
            "N*s",
            (
                ("forward push", (0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)),
                ("backward push", (0.0, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -8.0, -10.0)),
            ),
            Condition("push", "", "push", push_time_s=PUSH_TIME),
            "push impulse on the torso (N*s; + forward, - backward)",
        ),
        Curve(
            "friction",
            "friction_factor",
            "x",
            (("lower friction", (1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1)),),
            Condition("friction", "", "friction"),
            "ground friction (x default)",
        ),
        Curve(
            "mass",
            "torso_mass_factor",
            "x",
            (("heavier torso", (1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0)),),
            Condition("mass", "", "mass"),
            "torso mass (x default)",
        ),
        Curve(
            "strength",
            "strength_factor",
            "x",
            (("weaker actuators", (1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1)),),
            Condition("strength", "", "strength"),
            "hip, leg and ankle force limits (x default)",
        ),
    )
}


def select_curve(name: str) -> Curve:
    if name not in CURVES:
        raise ConditionError(f"unknown curve {name!r}; choose from {', '.join(CURVES)}")
    return CURVES[name]
