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
  (NaN when Henry did not move forward).

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

    @property
    def footfalls(self) -> int:
        return self.footfalls_right + self.footfalls_left

    def as_dict(self) -> dict[str, float]:
        return {key: float(value) for key, value in asdict(self).items()}


def body_weight_n(spec: HenrySpec) -> float:
    """Henry's weight: torso, two thighs and two feet, times gravity."""
    mass = spec.torso_mass_kg + 2 * (spec.thigh_mass_kg + spec.foot_mass_kg)
    return mass * spec.gravity_m_s2


class GaitMeter:
    """Accumulates gait metrics from time slices (see the module docstring)."""

    def __init__(self, weight_n: float) -> None:
        if not (isinstance(weight_n, (int, float)) and math.isfinite(weight_n) and weight_n > 0):
            raise GaitMeterError(f"weight_n must be a positive number, got {weight_n!r}")
        self.weight_n = float(weight_n)
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
        return GaitMetrics(
            duration_s=duration,
            distance_m=distance,
            speed_m_s=share(distance),
            flight_share=share(self._flight),
            duty_factor_right=share(self._down_time[0]),
            duty_factor_left=share(self._down_time[1]),
            footfalls_right=self._footfalls[0],
            footfalls_left=self._footfalls[1],
            alternation=self._alternating / (footfalls - 1) if footfalls > 1 else math.nan,
            stride_length_m=2 * distance / footfalls if footfalls else math.nan,
            cadence_per_min=60.0 * footfalls / duration if duration > 0 else math.nan,
            positive_work_j=self._work,
            cost_of_transport=(
                self._work / (self.weight_n * distance) if moved and self._work > 0 else math.nan
            ),
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
    meter = GaitMeter(body_weight_n(base.henry_spec))
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
