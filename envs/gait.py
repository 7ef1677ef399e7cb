"""Gait metrics measured from the simulation: is Henry walking, hopping or skating, at what cost?

A `GaitMeter` is fed time slices: how long the slice lasted, where the torso is, which foot
switches report ground, and the positive work the actuators did. From them it reports
(`GaitMetrics`):

* **flight share**: the share of time with both foot switches open (a walk has almost
  none; a run or a hop has a lot);
* **duty factor** per foot: the share of time that foot is on the ground;
* **footfalls** per foot: touchdowns, a switch going from open to closed (the pose a
  meter starts in is not a footfall);
* **alternation**: the share of footfalls (after the first) made by the other foot than
  the one before (1.0 for a walk, 0.0 for hopping on one foot); both feet landing in the
  same slice count as a footfall of each and alternate with nothing (0.0 for a two-footed
  hop);
* **stride length**: distance per stride, a stride being one footfall of each foot
  (so `2 * distance / footfalls`);
* **cadence**: footfalls per minute;
* **cost of transport**: positive actuator work / (weight x distance), dimensionless
  (NaN when Henry did not move forward);
* **Froude number** `Fr = v^2 / (g h)`, `v` the mean speed and `h` the hip height when
  standing: animals of any size move alike at equal Froude numbers;
* **relative stride length** `lambda / h`, `lambda` the stride length above;
* **stride ratio** `(lambda / h) / (2.3 Fr^0.3)`: the relative stride against the one walking
  and running animals take at that Froude number (R. McN. Alexander, "The gaits of bipedal
  and quadrupedal animals", 1984); 1 is an animal's stride, well under 1 a shuffle;
* **gait label** (`gait_label`), in this order: `stands` (|v| under 0.02 m/s), `run` or
  `hop` (flight share 5% or more; `hop` when under half of the footfalls alternate),
  `shuffle` (stride ratio under 0.5), `walk` (mean duty factor over 0.5 and stride ratio
  in [0.5, 2]), else `other` (strides over twice an animal's, e.g. sliding without
  footfalls, or feet down less than half the time without flight).

Feed it either per control step with `attach(env)` (reads the world after every control
step through the env's `control_step_observers`; works on both Henry envs, and sees the
contacts inside one discrete action) or per env step with `record_step(obs, info)` on the
continuous env, whose observation carries the contacts. Work comes from the env's
`info["positive_work_j"]` through `record_step` or `add_work`; envs that do not report it
leave the work at 0 and the cost of transport at NaN.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from envs.base import HenryEnv
from envs.continuous import OBSERVATION_FIELDS
from walker.errors import InputError
from walker.sim.spec import HenrySpec
from walker.sim.world import STATE_FIELDS

_X = STATE_FIELDS.index("torso_x_m")
_RIGHT = STATE_FIELDS.index("right_foot_contact")
_LEFT = STATE_FIELDS.index("left_foot_contact")


STANDS_BELOW_M_S = 0.02
"""Slower than this (either way) a policy `stands`: 1.2 m in a minute."""

FLIGHT_GAIT_SHARE = 0.05
"""Both feet off the ground this share of the time or more: a run or a hop, not a walk."""

SHUFFLE_BELOW = 0.5
"""A stride ratio under this is a shuffle: strides under half an animal's at that speed."""

LONGEST_WALK_RATIO = 2.0
"""A stride ratio over this is longer than any walking animal's at that speed."""

ALEXANDER_COEFFICIENT = 2.3
ALEXANDER_EXPONENT = 0.3
"""Walking animals' relative stride length is about `2.3 Fr^0.3` (Alexander 1984)."""

GAIT_LABELS = ("walk", "shuffle", "run", "hop", "stands", "other")
"""Every value `gait_label` gives."""


class GaitMeterError(InputError):
    """A gait meter was given a sample or an env it cannot use."""


@dataclass(frozen=True)
class GaitMetrics:
    """What a `GaitMeter` measured (see the module docstring for the definitions)."""

    duration_s: float
    distance_m: float
    speed_m_s: float
    flight_share: float
    duty_factor_right: float
    duty_factor_left: float
    footfalls_right: int
    footfalls_left: int
    alternation: float
    stride_length_m: float
    cadence_per_min: float
    positive_work_j: float
    cost_of_transport: float
    froude_number: float
    relative_stride: float
    stride_ratio: float
    gait: str
    """The gait label (`gait_label`), one of `GAIT_LABELS`."""

    @property
    def footfalls(self) -> int:
        return self.footfalls_right + self.footfalls_left

    def as_dict(self) -> dict[str, float | str]:
        return {
            key: value if isinstance(value, str) else float(value)
            for key, value in asdict(self).items()
        }


def froude_number(speed_m_s: float, hip_height_m: float, gravity_m_s2: float) -> float:
    """`v^2 / (g h)`: speed made comparable across body sizes."""
    return speed_m_s * speed_m_s / (gravity_m_s2 * hip_height_m)


def stride_ratio(relative_stride: float, froude: float) -> float:
    """The relative stride `lambda / h` over walking animals' `2.3 Fr^0.3` (NaN at Fr = 0)."""
    if not (froude > 0 and math.isfinite(relative_stride)):
        return math.nan
    return float(relative_stride / (ALEXANDER_COEFFICIENT * froude**ALEXANDER_EXPONENT))


def gait_label(
    speed_m_s: float,
    flight_share: float,
    alternation: float,
    mean_duty_factor: float,
    ratio: float,
) -> str:
    """The gait a set of measures describes (see the module docstring for the order)."""
    if not abs(speed_m_s) >= STANDS_BELOW_M_S:  # NaN speed (no time measured) stands too
        return "stands"
    if flight_share >= FLIGHT_GAIT_SHARE:
        return "run" if alternation >= 0.5 else "hop"
    if ratio < SHUFFLE_BELOW:
        return "shuffle"
    if mean_duty_factor > 0.5 and SHUFFLE_BELOW <= ratio <= LONGEST_WALK_RATIO:
        return "walk"
    return "other"


def body_weight_n(spec: HenrySpec) -> float:
    """Henry's weight: torso, two thighs and two feet, times gravity."""
    mass = spec.torso_mass_kg + 2 * (spec.thigh_mass_kg + spec.foot_mass_kg)
    return mass * spec.gravity_m_s2


def standing_hip_height_m(spec: HenrySpec) -> float:
    """Height of Henry's hip above the ground when he stands on both feet (the `h` of the
    Froude number): the standing leg drop plus a sole."""
    return spec.stand_drop_m + spec.sole_thickness_m


def meter_for(spec: HenrySpec) -> GaitMeter:
    """A meter with the weight, hip height and gravity of a Henry built from `spec`."""
    return GaitMeter(
        body_weight_n(spec),
        hip_height_m=standing_hip_height_m(spec),
        gravity_m_s2=spec.gravity_m_s2,
    )


class GaitMeter:
    """Accumulates gait metrics from time slices (see the module docstring)."""

    def __init__(
        self,
        weight_n: float,
        hip_height_m: float = standing_hip_height_m(HenrySpec()),
        gravity_m_s2: float = HenrySpec().gravity_m_s2,
    ) -> None:
        for name, value in (
            ("weight_n", weight_n),
            ("hip_height_m", hip_height_m),
            ("gravity_m_s2", gravity_m_s2),
        ):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise GaitMeterError(f"{name} must be a positive number, got {value!r}")
        self.weight_n = float(weight_n)
        self.hip_height_m = float(hip_height_m)
        """`h` of the Froude number and the relative stride: the standing hip height."""
        self.gravity_m_s2 = float(gravity_m_s2)
        self.observer: Callable[[], None] | None = None
        """What `attach` registered on an env's control steps (None when fed by hand)."""
        self.reset()

    def reset(self) -> None:
        """Forget everything: the next sample is a new start."""
        self._start_x: float | None = None
        self._x = 0.0
        self._time = 0.0
        self._flight = 0.0
        self._down_time = [0.0, 0.0]
        self._footfalls = [0, 0]
        self._last_down: list[bool] | None = None
        self._last_foot: int | None = None
        self._alternating = 0
        self._work = 0.0

    def start(self, x_m: float, right_down: bool, left_down: bool) -> None:
        """Where the measured stretch starts (Henry's pose before the first slice)."""
        self.reset()
        self._start_x = self._x = float(x_m)
        self._last_down = [bool(right_down), bool(left_down)]

    def sample(self, dt_s: float, x_m: float, right_down: bool, left_down: bool) -> None:
        """One slice of `dt_s` seconds ending with the torso at `x_m` and these contacts."""
        if not (math.isfinite(dt_s) and dt_s > 0):
            raise GaitMeterError(f"dt_s must be a positive number, got {dt_s!r}")
        if not math.isfinite(x_m):
            raise GaitMeterError(f"x_m must be a finite number, got {x_m!r}")
        down = [bool(right_down), bool(left_down)]
        if self._start_x is None:  # no start given: the first slice's end is the start
            self.start(x_m, *down)
            return
        self._x = float(x_m)
        self._time += dt_s
        if not down[0] and not down[1]:
            self._flight += dt_s
        last = self._last_down if self._last_down is not None else down
        landed = [foot for foot in (0, 1) if down[foot] and not last[foot]]
        for foot in (0, 1):
            if down[foot]:
                self._down_time[foot] += dt_s
        if len(landed) == 2:  # both feet at once: a hop, which breaks the alternation
            self._footfalls[0] += 1
            self._footfalls[1] += 1
            self._last_foot = None
        elif landed:
            foot = landed[0]
            self._footfalls[foot] += 1
            if self._last_foot is not None and self._last_foot != foot:
                self._alternating += 1
            self._last_foot = foot
        self._last_down = down

    def add_work(self, joules: float) -> None:
        """Positive actuator work done since the last call (J, >= 0)."""
        if not (math.isfinite(joules) and joules >= 0):
            raise GaitMeterError(f"positive work must be a finite number >= 0 J, got {joules!r}")
        self._work += float(joules)

    def record_step(self, obs: np.ndarray, info: Mapping[str, Any], dt_s: float) -> None:
        """One continuous env step: contacts from `obs`, position from
        `info["distance_m"]`, work from `info["positive_work_j"]` when the env reports it."""
        if len(obs) != len(OBSERVATION_FIELDS) or "distance_m" not in info:
            raise GaitMeterError(
                "record_step needs a HenryContinuous-v0 observation and its info; for "
                "Henry-v0 use attach(env), which reads the contacts every control step"
            )
        right = obs[OBSERVATION_FIELDS.index("right_foot_contact")] > 0.5
        left = obs[OBSERVATION_FIELDS.index("left_foot_contact")] > 0.5
        self.sample(dt_s, float(info["distance_m"]), right, left)
        if "positive_work_j" in info:
            self.add_work(float(info["positive_work_j"]))

    def metrics(self) -> GaitMetrics:
        """The metrics of everything sampled since the start."""
        duration = self._time
        distance = self._x - (self._start_x if self._start_x is not None else self._x)
        footfalls = self._footfalls[0] + self._footfalls[1]

        def share(value: float) -> float:
            return value / duration if duration > 0 else math.nan

        moved = distance > 0
        speed = share(distance)
        stride = 2 * distance / footfalls if footfalls else math.nan
        froude = froude_number(speed, self.hip_height_m, self.gravity_m_s2)
        relative = abs(stride) / self.hip_height_m
        ratio = stride_ratio(relative, froude)
        if footfalls == 0 and froude > 0:  # moved without a footfall: an endless stride
            ratio = math.inf
        flight = share(self._flight)
        duty_right = share(self._down_time[0])
        duty_left = share(self._down_time[1])
        alternation = self._alternating / (footfalls - 1) if footfalls > 1 else math.nan
        return GaitMetrics(
            duration_s=duration,
            distance_m=distance,
            speed_m_s=speed,
            flight_share=flight,
            duty_factor_right=duty_right,
            duty_factor_left=duty_left,
            footfalls_right=self._footfalls[0],
            footfalls_left=self._footfalls[1],
            alternation=alternation,
            stride_length_m=stride,
            cadence_per_min=60.0 * footfalls / duration if duration > 0 else math.nan,
            positive_work_j=self._work,
            cost_of_transport=(
                self._work / (self.weight_n * distance) if moved and self._work > 0 else math.nan
            ),
            froude_number=froude,
            relative_stride=relative,
            stride_ratio=ratio,
            gait=gait_label(speed, flight, alternation, (duty_right + duty_left) / 2, ratio),
        )


def attach(env: Any) -> GaitMeter:
    """A meter fed after every control step of a Henry env (or a wrapper around one).

    It starts from the world as it is now, so attach right after `reset`. Work is not seen
    per control step: pass each step's `info` to `meter.add_work` (see `work_from_info`).
    Remove it with `detach(env, meter)`.
    """
    base = getattr(env, "unwrapped", env)
    if not isinstance(base, HenryEnv):
        raise GaitMeterError(f"gait metrics need a Henry env, got {type(base).__name__}")
    meter = meter_for(base.henry_spec)
    world = base.world
    dt = base.henry_spec.control_dt_s
    state = world.read_state()
    meter.start(state[_X], state[_RIGHT] > 0.5, state[_LEFT] > 0.5)

    def observe() -> None:
        now = world.read_state()
        meter.sample(dt, now[_X], now[_RIGHT] > 0.5, now[_LEFT] > 0.5)

    meter.observer = observe
    base.control_step_observers.append(observe)
    return meter


def detach(env: Any, meter: GaitMeter) -> None:
    """Stop feeding `meter` from `env`'s control steps."""
    base = getattr(env, "unwrapped", env)
    if meter.observer in base.control_step_observers:
        base.control_step_observers.remove(meter.observer)
    meter.observer = None


def work_from_info(info: Mapping[str, Any]) -> float:
    """The step's positive actuator work from `info` (0.0 when the env does not report it)."""
    return float(info.get("positive_work_j", 0.0))
