"""Henry's bodies, joints and ground, built into a pymunk space: construction only.

A torso and two legs. Each leg is a thigh pivoting at the hip (the **swing** degree of
freedom) and a foot that slides along the thigh (the **extension** degree of freedom), with
a flat sole kept parallel to the torso by an ankle gear. The two servos per leg are pymunk
constraints whose `max_force` and `max_bias` limit force and speed. The ground is a static
box, with optional low bumps (`HenrySpec.bump_*`). `walker.sim.world` steps and senses it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pymunk

from walker.errors import InputError
from walker.sim.spec import BUMP_RUN_M, HenrySpec

RIGHT = 0
LEFT = 1
LEG_NAMES = ("right", "left")

HENRY_GROUP = 1  # shapes in one group never collide with each other
RIGHT_SOLE_TYPE = 1  # collision types double as indices into the contact counters (+1)
LEFT_SOLE_TYPE = 2
TORSO_TYPE = 3
GROUND_TYPE = 10
_GROUND_HALF_WIDTH_M = 5_000.0
_GROUND_DEPTH_M = 1.0

Bump = tuple[float, float, float]
"""One bump as (near x, far x, height), in metres."""


class PoseError(InputError):
    """A requested starting pose is not physically possible."""


@dataclass(frozen=True)
class LegPose:
    """Starting configuration of one leg."""

    foot_offset_m: float = 0.0
    """Horizontal distance of the ankle ahead of the hip (negative: behind)."""

    lifted: bool = False
    """Whether the foot starts raised off the ground."""


@dataclass(frozen=True)
class Pose:
    """Starting configuration of Henry: the torso is level and above x = 0."""

    right: LegPose = LegPose()
    left: LegPose = LegPose()


class Leg:
    """The bodies and constraints of one leg, and its two servos."""

    def __init__(
        self,
        space: pymunk.Space,
        spec: HenrySpec,
        torso: pymunk.Body,
        hip_world: pymunk.Vec2d,
        pose: LegPose,
        collision_type: int,
    ) -> None:
        drop = spec.lifted_drop_m if pose.lifted else spec.stand_drop_m
        swing = math.atan2(pose.foot_offset_m, drop)
        length = math.hypot(pose.foot_offset_m, drop)

        self.thigh = pymunk.Body(spec.thigh_mass_kg, _rod_moment(spec.thigh_mass_kg, length))
        self.thigh.position = hip_world
        self.thigh.angle = swing

        sole_w, sole_h = spec.sole_length_m, spec.sole_thickness_m
        self.foot = pymunk.Body(
            spec.foot_mass_kg, pymunk.moment_for_box(spec.foot_mass_kg, (sole_w, sole_h))
        )
        self.foot.position = hip_world + (pose.foot_offset_m, -drop)
        self.sole = pymunk.Poly.create_box_bb(
            self.foot, pymunk.BB(-sole_w / 2, -sole_h, sole_w / 2, 0.0)
        )
        self.sole.friction = spec.foot_friction
        self.sole.filter = pymunk.ShapeFilter(group=HENRY_GROUP)
        # The foot switch: a sensor pad under the sole that reports touches but pushes on
        # nothing. Its small travel lets a loaded sole that hovers a fraction of a millimetre
        # above the ground (double support is statically indeterminate) still count as down.
        pad = spec.contact_switch_travel_m
        self.switch = pymunk.Poly.create_box_bb(
            self.foot, pymunk.BB(-sole_w / 2, -sole_h - pad, sole_w / 2, -sole_h + pad)
        )
        self.switch.sensor = True
        self.switch.filter = pymunk.ShapeFilter(group=HENRY_GROUP)
        self.switch.collision_type = collision_type

        hip = pymunk.PivotJoint(torso, self.thigh, hip_world)
        self.swing_servo = pymunk.RotaryLimitJoint(torso, self.thigh, swing, swing)
        self.swing_servo.max_force = spec.hip_max_torque_nm
        self.swing_servo.max_bias = spec.hip_max_speed_rad_s
        swing_stop = pymunk.RotaryLimitJoint(
            torso, self.thigh, -spec.swing_limit_rad, spec.swing_limit_rad
        )
        stroke = pymunk.GrooveJoint(
            self.thigh,
            self.foot,
            (0.0, -spec.leg_min_length_m),
            (0.0, -spec.leg_max_length_m),
            (0.0, 0.0),
        )
        self.extension_servo = pymunk.SlideJoint(
            self.thigh, self.foot, (0.0, 0.0), (0.0, 0.0), length, length
        )
        self.extension_servo.max_force = spec.leg_max_force_n
        self.extension_servo.max_bias = spec.leg_max_speed_m_s
        # pymunk's error_bias is the fraction of a joint error left after one second.
        servo_error_bias = math.exp(-spec.servo_gain_1_s)
        self.swing_servo.error_bias = servo_error_bias
        self.extension_servo.error_bias = servo_error_bias
        ankle = pymunk.GearJoint(torso, self.foot, 0.0, 1.0)
        ankle.max_force = spec.ankle_max_torque_nm
        for constraint in (hip, self.swing_servo, swing_stop, stroke, self.extension_servo, ankle):
            constraint.collide_bodies = False
        space.add(
            self.thigh,
            self.foot,
            self.sole,
            self.switch,
            hip,
            self.swing_servo,
            swing_stop,
            stroke,
            self.extension_servo,
            ankle,
        )
        self.initial_command = (swing, drop)


def _rod_moment(mass: float, length: float) -> float:
    # A uniform rod pivoting at one end; the floor keeps pymunk happy for tiny legs.
    return max(mass * length * length / 3.0, 1e-6)


def build_ground(space: pymunk.Space, spec: HenrySpec) -> tuple[pymunk.Poly, tuple[Bump, ...]]:
    """The flat ground (its top at y = 0) and the bumps on it, added to `space`."""
    ground = pymunk.Poly.create_box_bb(
        space.static_body,
        pymunk.BB(-_GROUND_HALF_WIDTH_M, -_GROUND_DEPTH_M, _GROUND_HALF_WIDTH_M, 0.0),
    )
    ground.friction = spec.ground_friction
    ground.collision_type = GROUND_TYPE
    space.add(ground)
    return ground, _add_bumps(space, spec)


def build_torso(space: pymunk.Space, spec: HenrySpec) -> tuple[pymunk.Body, pymunk.Poly, float]:
    """The torso, level above x = 0, and the hip height that plants both feet."""
    # The ankle of a planted foot rests one sole thickness above the ground.
    hip_height = spec.stand_drop_m + spec.sole_thickness_m + 0.5 * spec.collision_slop_m
    moment = pymunk.moment_for_box(spec.torso_mass_kg, (spec.torso_width_m, spec.torso_height_m))
    torso = pymunk.Body(spec.torso_mass_kg, moment)
    torso.position = (0.0, hip_height + spec.torso_height_m / 2)
    shape = pymunk.Poly.create_box(torso, (spec.torso_width_m, spec.torso_height_m))
    shape.friction = spec.torso_friction
    shape.filter = pymunk.ShapeFilter(group=HENRY_GROUP)
    shape.collision_type = TORSO_TYPE
    space.add(torso, shape)
    return torso, shape, hip_height


def _add_bumps(space: pymunk.Space, spec: HenrySpec) -> tuple[Bump, ...]:
    """Static boxes on the ground ahead of Henry's start (none when bump_height_m is 0)."""
    if spec.bump_height_m == 0.0:
        return ()
    count = int((BUMP_RUN_M - spec.bump_start_m) // spec.bump_spacing_m) + 1
    bumps = []
    for index in range(count):
        near = spec.bump_start_m + index * spec.bump_spacing_m
        far = near + spec.bump_length_m
        shape = pymunk.Poly.create_box_bb(
            space.static_body, pymunk.BB(near, -_GROUND_DEPTH_M, far, spec.bump_height_m)
        )
        shape.friction = spec.ground_friction
        shape.collision_type = GROUND_TYPE
        space.add(shape)
        bumps.append((near, far, spec.bump_height_m))
    return tuple(bumps)


def check_pose(spec: HenrySpec, pose: Pose) -> None:
    if pose.right.lifted and pose.left.lifted:
        raise PoseError("a starting pose needs at least one foot on the ground")
    for name, leg in (("right", pose.right), ("left", pose.left)):
        if not math.isfinite(leg.foot_offset_m):
            raise PoseError(f"{name} foot offset must be finite, got {leg.foot_offset_m!r}")
        drop = spec.lifted_drop_m if leg.lifted else spec.stand_drop_m
        swing = math.atan2(leg.foot_offset_m, drop)
        if abs(swing) > spec.swing_limit_rad + 1e-9:
            limit = drop * math.tan(spec.swing_limit_rad)
            raise PoseError(
                f"{name} foot offset {leg.foot_offset_m:+.3f} m is beyond the swing range "
                f"(at most {limit:.3f} m either way)"
            )
