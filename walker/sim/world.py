"""Henry's rigid-body world: servo commands, fixed-step stepping, sensing, perturbations.

A `HenryWorld` owns one pymunk space holding the ground and Henry (built by
`walker.sim.body`: a torso and two legs, each with a swing and an extension servo). All four
servos are force- and speed-limited pymunk constraints, so the targets set by `step` are
pursued, not imposed: Henry can slip, stumble and fall, and nothing is teleported while a
step runs. Contact is sensed from pymunk's collision events.

The extension servo is commanded as a *drop*: the foot's vertical distance below the hip in
the torso frame. The leg length that realises it follows the measured swing angle
(`length = drop / cos(swing)`), so a planted leg lengthens as it swings and the two legs
never fight each other through the ground when both feet are down.

Perturbations for robustness tests live here too: low bumps on the ground (`HenrySpec`'s
`bump_*` fields), a horizontal push on the torso (`push`), and a meter of the actuators'
positive mechanical work (`measure_work`), from which cost of transport is computed.
"""

from __future__ import annotations

import math
from array import array
from typing import Any, NamedTuple

import pymunk
from pymunk._chipmunk_cffi import lib as _lib

from walker.errors import UnavailableError
from walker.sim.body import (
    GROUND_TYPE,
    LEFT,
    LEFT_SOLE_TYPE,
    RIGHT,
    RIGHT_SOLE_TYPE,
    TORSO_TYPE,
    Bump,
    Leg,
    Pose,
    build_ground,
    build_torso,
    check_pose,
)
from walker.sim.spec import HenrySpec


class PhysicsDivergedError(UnavailableError):
    """The simulation produced a non-finite value; the world cannot continue."""


class LegCommand(NamedTuple):
    """Targets for one leg's two servos."""

    swing_rad: float
    """Hip angle of the leg, 0 straight down, positive moves the foot forward."""

    drop_m: float
    """Vertical distance of the ankle below the hip, in the torso frame."""


class LegGeometry(NamedTuple):
    """One leg's drawable geometry (world metres)."""

    ankle: tuple[float, float]
    sole: tuple[tuple[float, float], ...]
    contact: bool


class Geometry(NamedTuple):
    """Henry's drawable geometry (world metres)."""

    torso: tuple[tuple[float, float], ...]
    hip: tuple[float, float]
    right: LegGeometry
    left: LegGeometry
    bumps: tuple[Bump, ...] = ()
    """The bumps on the ground (near x, far x, height), so that they are drawn with him."""


class FlatState(NamedTuple):
    """Every sensor reading as one flat tuple of floats (contacts as 0.0 or 1.0).

    Environments read it every control step: a NamedTuple, so values are read by name
    (`state.torso_x_m`) at the cost of a tuple index. Angles are relative to the torso for
    the legs; lengths are hip to ankle.
    """

    torso_x_m: float
    """Henry's GPS: horizontal position of the torso's centre."""
    torso_height_m: float
    torso_angle_rad: float
    torso_vx_m_s: float
    torso_vy_m_s: float
    torso_angular_velocity_rad_s: float
    torso_contact: float
    """The torso itself touches the ground (Henry has fallen)."""
    right_swing_rad: float
    right_swing_rate_rad_s: float
    right_length_m: float
    right_length_rate_m_s: float
    right_foot_offset_m: float
    """Horizontal ankle position ahead of the hip, in the torso frame."""
    right_foot_contact: float
    """The sole touched the ground (or a bump) during the last control step."""
    left_swing_rad: float
    left_swing_rate_rad_s: float
    left_length_m: float
    left_length_rate_m_s: float
    left_foot_offset_m: float
    left_foot_contact: float


STATE_FIELDS: tuple[str, ...] = FlatState._fields
"""Names of the values `HenryWorld.read_state` returns, in order."""


def _contact_begin(arbiter: pymunk.Arbiter, space: pymunk.Space, data: dict[str, Any]) -> None:
    a, b = arbiter.shapes
    kind = a.collision_type if b.collision_type == GROUND_TYPE else b.collision_type
    data["touching"][kind - 1] += 1
    data["touched"][kind - 1] = True


def _contact_separate(arbiter: pymunk.Arbiter, space: pymunk.Space, data: dict[str, Any]) -> None:
    a, b = arbiter.shapes
    kind = a.collision_type if b.collision_type == GROUND_TYPE else b.collision_type
    data["touching"][kind - 1] -= 1
    data["touched"][kind - 1] = True  # it was touching earlier in this control step


class HenryWorld:
    """Henry on flat ground, stepped at a fixed rate.

    >>> world = HenryWorld()
    >>> world.step(LegCommand(0.0, 0.34), LegCommand(0.0, 0.34))
    >>> world.read_state().right_foot_contact
    1.0
    """

    def __init__(
        self, spec: HenrySpec | None = None, pose: Pose | None = None, measure_work: bool = False
    ) -> None:
        self.spec = spec if spec is not None else HenrySpec()
        self.measure_work = bool(measure_work)
        """Whether `step` meters the actuators' positive work into `positive_work_j`. It
        reads the four servos after every physics substep, which roughly doubles the cost of
        a control step, so it is off unless a benchmark asks for it."""
        self.reset(pose)

    def reset(self, pose: Pose | None = None) -> None:
        """Rebuild the world with Henry standing in `pose` (both feet down by default)."""
        spec = self.spec
        pose = pose if pose is not None else Pose()
        check_pose(spec, pose)
        self._pose = pose
        self._log = array("d")  # every command since this reset, for exact pickling
        self._push_log: list[tuple[int, float]] = []  # (control step, impulse), likewise
        space = pymunk.Space()
        space.gravity = (0.0, -spec.gravity_m_s2)
        space.iterations = spec.solver_iterations
        space.collision_slop = spec.collision_slop_m
        space.sleep_time_threshold = float("inf")

        self.bumps: tuple[Bump, ...]
        """The bumps on the ground as (near x, far x, height) in metres, for drawing."""
        self.ground, self.bumps = build_ground(space, spec)
        self.torso, self.torso_shape, hip_height = build_torso(space, spec)
        self._hip_local = (0.0, -spec.torso_height_m / 2)

        hip_world = pymunk.Vec2d(0.0, hip_height)
        self.legs = (
            Leg(space, spec, self.torso, hip_world, pose.right, collision_type=RIGHT_SOLE_TYPE),
            Leg(space, spec, self.torso, hip_world, pose.left, collision_type=LEFT_SOLE_TYPE),
        )
        # Contact comes from pymunk's begin/separate events: counters change only when a
        # shape starts or stops touching the ground, so sensing costs nothing per step. A
        # sole counts as on the ground if it touched it at any time during the last control
        # step, which debounces the sub-millimetre chatter of a loaded flat sole.
        self._contact_data: dict[str, Any] = {
            "touching": [0, 0, 0],
            "touched": [False, False, False],
        }
        for kind in (RIGHT_SOLE_TYPE, LEFT_SOLE_TYPE, TORSO_TYPE):
            space.on_collision(
                kind,
                GROUND_TYPE,
                begin=_contact_begin,
                separate=_contact_separate,
                data=self._contact_data,
            )
        # A zero-length step through pymunk's public API validates the bodies; after that
        # the control loop calls chipmunk directly (see _bind).
        space.step(0.0)
        self.space = space
        self._commands = [self.legs[RIGHT].initial_command, self.legs[LEFT].initial_command]
        self.time_s = 0.0
        self.control_steps = 0
        self.positive_work_j = 0.0
        """Positive mechanical work done by the four servos since `reset` (J), summed over
        physics substeps; stays 0 unless `measure_work` is on (see `_step_measuring`)."""
        self._bind()

    def _bind(self) -> None:
        """Cache chipmunk handles for the hot path.

        pymunk's Python properties cost about 1 us each; reading and writing the same values
        through its cffi library costs a quarter of that, and a control step does dozens.
        """
        spec = self.spec
        self._substeps = spec.substeps
        self._physics_dt = spec.physics_dt_s
        self._swing_limit = spec.swing_limit_rad
        self._min_length = spec.leg_min_length_m
        self._max_length = spec.leg_max_length_m
        self._min_drop = spec.leg_min_length_m
        self._max_drop = spec.stand_drop_m + spec.lift_height_m
        self._space_handle = self.space._space
        self._torso_handle = self.torso._body
        self._leg_handles = tuple(
            (
                leg.thigh._body,
                leg.foot._body,
                leg.swing_servo._constraint,
                leg.extension_servo._constraint,
            )
            for leg in self.legs
        )
        self._touching = self._contact_data["touching"]
        self._touched = self._contact_data["touched"]

    # Pickling replays instead of copying the space: pymunk's own pickling does not restore
    # the solver's warm-start impulses, so a copied space drifts from the original by about
    # a millimetre within a second. Rebuilding from the pose and re-running the logged
    # commands reproduces the trajectory bit for bit (the simulation is deterministic).

    def __getstate__(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "pose": self._pose,
            "log": self._log,
            "pushes": self._push_log,
            "measure_work": self.measure_work,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.spec = state["spec"]
        self.measure_work = state["measure_work"]
        self.reset(state["pose"])
        log = state["log"]
        pushes = list(state["pushes"])
        for i in range(0, len(log) // 4 + 1):
            while pushes and pushes[0][0] == i:
                self.push(pushes.pop(0)[1])
            if 4 * i < len(log):
                self.step(
                    LegCommand(log[4 * i], log[4 * i + 1]),
                    LegCommand(log[4 * i + 2], log[4 * i + 3]),
                )

    def push(self, impulse_n_s: float) -> None:
        """Give the torso a horizontal impulse at its centre of mass (+ pushes forward).

        The impulse model: the torso's horizontal velocity changes at once by
        `impulse_n_s / torso_mass_kg` (a kick much shorter than a control step, so no
        rotation and no other body moves directly); the legs feel it through the joints
        during the following substeps. 1 N*s on the default 3 kg torso is 0.33 m/s.
        """
        if not isinstance(impulse_n_s, (int, float)) or not math.isfinite(impulse_n_s):
            raise ValueError(f"impulse_n_s must be a finite number of N*s, got {impulse_n_s!r}")
        self._push_log.append((self.control_steps, float(impulse_n_s)))
        self.torso.apply_impulse_at_world_point((float(impulse_n_s), 0.0), self.torso.position)

    @property
    def hip_height_m(self) -> float:
        """Height of the hip above the ground when both feet are planted and Henry is level."""
        return self.spec.stand_drop_m + self.spec.sole_thickness_m

    def step(self, right: LegCommand, left: LegCommand) -> None:
        """Set the four servo targets and advance one control step (`spec.substeps` steps).

        Targets beyond the joint limits are clamped to them. Raises `PhysicsDivergedError`
        if the simulation produced a non-finite value.
        """
        lib = _lib
        self._log.extend((right[0], right[1], left[0], left[1]))
        torso_angle = lib.cpBodyGetAngle(self._torso_handle)
        limit, min_drop, max_drop = self._swing_limit, self._min_drop, self._max_drop
        min_length, max_length = self._min_length, self._max_length
        for index, command in ((0, right), (1, left)):
            thigh, _, swing_servo, extension_servo = self._leg_handles[index]
            swing = command[0]
            swing = -limit if swing < -limit else (limit if swing > limit else swing)
            drop = command[1]
            drop = min_drop if drop < min_drop else (max_drop if drop > max_drop else drop)
            self._commands[index] = (swing, drop)
            lib.cpRotaryLimitJointSetMin(swing_servo, swing)
            lib.cpRotaryLimitJointSetMax(swing_servo, swing)
            length = drop / math.cos(lib.cpBodyGetAngle(thigh) - torso_angle)
            length = (
                min_length
                if length < min_length
                else (max_length if length > max_length else length)
            )
            lib.cpSlideJointSetMin(extension_servo, length)
            lib.cpSlideJointSetMax(extension_servo, length)
        touching, touched = self._touching, self._touched
        for index in range(3):
            touched[index] = touching[index] > 0
        if self.measure_work:
            self.positive_work_j += self._step_measuring()
        else:
            space_step = _lib.cpSpaceStep
            handle = self._space_handle
            dt = self._physics_dt
            for _ in range(self._substeps):
                space_step(handle, dt)
        self.control_steps += 1
        self.time_s = self.control_steps * self.spec.control_dt_s
        position = _lib.cpBodyGetPosition(self._torso_handle)
        if not math.isfinite(position.x + position.y + _lib.cpBodyGetAngle(self._torso_handle)):
            raise PhysicsDivergedError(
                f"Henry's state became non-finite after {self.time_s:.3f} s of simulation; "
                "the parameters or commands make the physics unstable"
            )

    def _step_measuring(self) -> float:
        """Run the substeps and return the servos' positive work during them (J).

        Each servo is a one-sided pymunk constraint: it only ever pushes toward its target
        (a swing servo turns the thigh toward the target angle, an extension servo pushes
        or pulls the foot toward the target length), with the impulse magnitude pymunk
        reports for the substep. Its work in a substep is that impulse times the joint's
        relative velocity after the substep, `J * omega = torque * omega * dt`; only positive
        work counts (a servo that brakes a joint is not credited with the energy).
        """
        lib = _lib
        handle, dt, torso = self._space_handle, self._physics_dt, self._torso_handle
        targets = [
            (lib.cpRotaryLimitJointGetMin(swing), lib.cpSlideJointGetMin(extension))
            for _, _, swing, extension in self._leg_handles
        ]
        work = 0.0
        for _ in range(self._substeps):
            lib.cpSpaceStep(handle, dt)
            torso_angle = lib.cpBodyGetAngle(torso)
            torso_omega = lib.cpBodyGetAngularVelocity(torso)
            for (thigh, foot, swing, extension), (swing_target, length_target) in zip(
                self._leg_handles, targets, strict=True
            ):
                rate = lib.cpBodyGetAngularVelocity(thigh) - torso_omega
                if lib.cpBodyGetAngle(thigh) - torso_angle > swing_target:
                    rate = -rate
                work += max(0.0, lib.cpConstraintGetImpulse(swing) * rate)
                hip, ankle = lib.cpBodyGetPosition(thigh), lib.cpBodyGetPosition(foot)
                hip_v, ankle_v = lib.cpBodyGetVelocity(thigh), lib.cpBodyGetVelocity(foot)
                dx, dy = ankle.x - hip.x, ankle.y - hip.y
                length = math.hypot(dx, dy)
                rate = ((ankle_v.x - hip_v.x) * dx + (ankle_v.y - hip_v.y) * dy) / length
                if length > length_target:
                    rate = -rate
                work += max(0.0, lib.cpConstraintGetImpulse(extension) * rate)
        return work

    def read_state(self) -> FlatState:
        """Every sensor reading as a `FlatState`: the fast path environments use.

        `sense` gives the same values grouped per leg, with contacts as booleans.
        """
        torso = self._torso_handle
        position = _lib.cpBodyGetPosition(torso)
        velocity = _lib.cpBodyGetVelocity(torso)
        angle = _lib.cpBodyGetAngle(torso)
        omega = _lib.cpBodyGetAngularVelocity(torso)
        cos_a, sin_a = math.cos(angle), math.sin(angle)
        hip_lx, hip_ly = self._hip_local
        # The hip is a point of the torso: its position and velocity follow from the torso's.
        hip_x = position.x + cos_a * hip_lx - sin_a * hip_ly
        hip_y = position.y + sin_a * hip_lx + cos_a * hip_ly
        hip_vx = velocity.x - omega * (hip_y - position.y)
        hip_vy = velocity.y + omega * (hip_x - position.x)
        touched = self._touched
        values = [
            position.x,
            position.y,
            angle,
            velocity.x,
            velocity.y,
            omega,
            1.0 if touched[2] else 0.0,
        ]
        for index, (thigh, foot, _, _) in enumerate(self._leg_handles):
            foot_position = _lib.cpBodyGetPosition(foot)
            foot_velocity = _lib.cpBodyGetVelocity(foot)
            dx = foot_position.x - hip_x
            dy = foot_position.y - hip_y
            length = math.hypot(dx, dy)
            length_rate = ((foot_velocity.x - hip_vx) * dx + (foot_velocity.y - hip_vy) * dy) / (
                length if length > 0.0 else 1.0
            )
            swing = _lib.cpBodyGetAngle(thigh) - angle
            values.extend(
                (
                    swing,
                    _lib.cpBodyGetAngularVelocity(thigh) - omega,
                    length,
                    length_rate,
                    length * math.sin(swing),
                    1.0 if touched[index] else 0.0,
                )
            )
        return FlatState._make(values)

    def foot_contacts(self) -> tuple[bool, bool]:
        """(right, left) foot switches now: the reading a per-step contact log needs,
        without the rest of `read_state`."""
        touched = self._touched
        return bool(touched[RIGHT]), bool(touched[LEFT])

    def geometry(self) -> Geometry:
        """Where Henry's parts are, in world metres, for drawing."""
        torso = self.torso
        corners = tuple(
            (p.x, p.y) for p in (torso.local_to_world(v) for v in self.torso_shape.get_vertices())
        )
        hip = torso.local_to_world(self._hip_local)
        legs = []
        for index, leg in enumerate(self.legs):
            ankle = leg.foot.position
            sole = tuple(
                (p.x, p.y) for p in (leg.foot.local_to_world(v) for v in leg.sole.get_vertices())
            )
            legs.append(LegGeometry((ankle.x, ankle.y), sole, bool(self._touched[index])))
        return Geometry(corners, (hip.x, hip.y), legs[RIGHT], legs[LEFT], self.bumps)

    def commands(self) -> tuple[LegCommand, LegCommand]:
        """The targets currently held by the servos (after clamping to the limits)."""
        return LegCommand(*self._commands[RIGHT]), LegCommand(*self._commands[LEFT])

    def sole_penetration_m(self) -> float:
        """Deepest point of either sole below the ground surface (0 when none is below)."""
        deepest = 0.0
        for leg in self.legs:
            for vertex in leg.sole.get_vertices():
                deepest = max(deepest, -leg.foot.local_to_world(vertex).y)
        return deepest
