"""`HenryContinuous-v0`: Henry with direct control of his four servos.

A Box action sets the four servo targets each control step and a Box observation reports
the sensed state, in the manner of BipedalWalker and Walker2d; the reward is Walker2d's
shape (forward speed, control cost, a fall penalty), optionally with walking terms.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from typing import Any, SupportsFloat

import numpy as np
from gymnasium import spaces

from envs.base import HenryEnv, HenryEnvError, Push, start_perturbation
from walker.sim.body import LegPose, Pose
from walker.sim.spec import HenrySpec
from walker.sim.world import STATE_FIELDS, FlatState, LegCommand

OBSERVATION_FIELDS: tuple[str, ...] = (
    "torso_height_m",
    "torso_angle_rad",
    "torso_vx_m_s",
    "torso_vy_m_s",
    "torso_angular_velocity_rad_s",
    "right_swing_rad",
    "right_swing_rate_rad_s",
    "right_length_m",
    "right_length_rate_m_s",
    "right_foot_contact",
    "left_swing_rad",
    "left_swing_rate_rad_s",
    "left_length_m",
    "left_length_rate_m_s",
    "left_foot_contact",
)
"""Names of the continuous observation's entries, in order."""

_observed_values = operator.itemgetter(*(STATE_FIELDS.index(name) for name in OBSERVATION_FIELDS))
"""The observed entries of a `FlatState`, by name, in one C call."""

ACTION_FIELDS: tuple[str, ...] = ("right_swing", "right_extension", "left_swing", "left_extension")
"""Names of the continuous action's entries, in order."""


REWARD_ARGUMENTS = frozenset(
    {
        "forward_reward_weight",
        "ctrl_cost_weight",
        "fall_penalty",
        "walking_reward",
        "flight_cost",
        "slip_cost",
        "air_time_weight",
        "air_time_target_s",
        "clearance_weight",
        "clearance_target_m",
        "measure_work",
    }
)
"""Keywords that shape the reward (or only add to `info`), never what Henry senses or how he
moves: a policy trained with other values acts in this env just the same."""


class HenryContinuousEnv(HenryEnv):
    """Henry with direct control of his four servos.

    ## Action Space
    `Box(-1, 1, (4,))`: `[right_swing, right_extension, left_swing, left_extension]`.
    A swing value s sets the hip target to `s * swing_limit_rad` (positive: foot forward).
    An extension value e sets the foot's target depth below the hip to
    `stand_drop_m + e * lift_height_m`: 0 stands, -1 lifts the foot, +1 pushes it down. The
    servos pursue the targets within their force and speed limits. NaN, infinite or
    wrongly shaped actions raise `HenryEnvError` before the physics is touched; finite values
    outside [-1, 1] are clipped, as the space's bounds say.

    ## Observation Space
    `Box` of the 15 sensed values named in `OBSERVATION_FIELDS`: torso height, angle,
    velocities and angular velocity; per leg swing angle and rate, length and rate, and foot
    contact (0 or 1). Henry's horizontal position is left out (as in Walker2d) so a policy
    cannot depend on it. Values are clipped to the space's bounds.

    ## Rewards
    Walker2d's shape, term by term in `info["reward_terms"]`:
    `forward = forward_reward_weight * torso x velocity` (m/s),
    `control = -ctrl_cost_weight * sum(action**2)`, and `fall = -fall_penalty` on the step
    Henry falls.

    With `walking_reward=True` two more terms make hopping and skating worse than walking:
    `flight = -flight_cost` on every step that ends with both foot switches open, and
    `slip = -slip_cost * sum(|ankle x velocity|)` over the feet on the ground (m/s of sole
    sliding; a planted foot that does not slide costs nothing). Off by default (today's reward).

    With `air_time_weight > 0` (legged_gym's feet air time) each touchdown earns
    `air_time = air_time_weight * (seconds that foot was in the air - air_time_target_s)`:
    a long step pays, a tap or a scuffing foot that touches down after a few hundredths of a
    second costs. Off by default.

    With `clearance_weight > 0` (a foot clearance cost, as in legged robots' swing-height
    terms) a foot in the air that moves forward low costs
    `clearance = -clearance_weight * sum(max(0, clearance_target_m - sole height) * foot x
    velocity)` over the feet off the ground moving forward (sole height: the lowest point of
    the sole above flat ground, m; velocity in m/s): a swing that skims the ground, and so
    catches a bump's edge, pays; lifting the foot before swinging it does not. Off by default.

    ## Episode End
    Terminates when Henry falls (torso touches the ground or tilts more than
    `FALL_ANGLE_RAD`). `gymnasium.make` truncates after 1000 steps (16.7 s).

    ## Starting State
    Both feet planted under the hip. `reset(options=...)` accepts `{"pose": "standing" /
    "left_foot_up" / "right_foot_up" / "random"}` (random: foot offsets and which foot is
    up drawn from the env's `np_random`) or a `walker.sim.body.Pose`, and, alone or with a
    pose, `{"perturb": {...}}`: a small nudge to the start (hip angles, leg extensions,
    torso velocity; see `envs.base.StartPerturbation`).

    ## Arguments
    `forward_reward_weight` (10.0), `ctrl_cost_weight` (0.01), `fall_penalty` (1.0),
    `walking_reward` (False), `flight_cost` (10.0), `slip_cost` (10.0),
    `air_time_weight` (0.0), `air_time_target_s` (0.3), `clearance_weight` (0.0),
    `clearance_target_m` (0.04), `frame_skip` (1: control steps of 1/60 s per env step);
    `spec`, `pushes`, `measure_work`, `render_mode`: see `HenryEnv`.

    ## Version History
    * v0: first release.
    """

    def __init__(
        self,
        forward_reward_weight: float = 10.0,
        ctrl_cost_weight: float = 0.01,
        fall_penalty: float = 1.0,
        frame_skip: int = 1,
        spec: HenrySpec | Mapping[str, Any] | None = None,
        render_mode: str | None = None,
        pushes: Sequence[Push] = (),
        measure_work: bool = False,
        walking_reward: bool = False,
        flight_cost: float = 10.0,
        slip_cost: float = 10.0,
        air_time_weight: float = 0.0,
        air_time_target_s: float = 0.3,
        clearance_weight: float = 0.0,
        clearance_target_m: float = 0.04,
    ) -> None:
        super().__init__(spec, render_mode, pushes, measure_work)
        if not isinstance(walking_reward, (bool, np.bool_)):
            raise HenryEnvError(f"walking_reward must be True or False, got {walking_reward!r}")
        for name, value in (
            ("forward_reward_weight", forward_reward_weight),
            ("ctrl_cost_weight", ctrl_cost_weight),
            ("fall_penalty", fall_penalty),
            ("flight_cost", flight_cost),
            ("slip_cost", slip_cost),
            ("air_time_weight", air_time_weight),
            ("air_time_target_s", air_time_target_s),
            ("clearance_weight", clearance_weight),
            ("clearance_target_m", clearance_target_m),
        ):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise HenryEnvError(f"{name} must be a finite number >= 0, got {value!r}")
        if not isinstance(frame_skip, int) or isinstance(frame_skip, bool) or frame_skip < 1:
            raise HenryEnvError(f"frame_skip must be a whole number >= 1, got {frame_skip!r}")
        self.forward_reward_weight = float(forward_reward_weight)
        self.ctrl_cost_weight = float(ctrl_cost_weight)
        self.fall_penalty = float(fall_penalty)
        self.walking_reward = bool(walking_reward)
        self.flight_cost = float(flight_cost)
        self.slip_cost = float(slip_cost)
        self.air_time_weight = float(air_time_weight)
        self.air_time_target_s = float(air_time_target_s)
        self.clearance_weight = float(clearance_weight)
        self.clearance_target_m = float(clearance_target_m)
        self._air_steps = [0, 0]
        """Control steps each foot (right, left) has been off the ground since it last
        touched down."""
        self.frame_skip = frame_skip
        spec = self.henry_spec
        self.dt = spec.control_dt_s * frame_skip
        self.action_space = spaces.Box(-1.0, 1.0, shape=(4,), dtype=np.float32)
        bounds = {
            "torso_height_m": (0.0, 2.0),
            "torso_angle_rad": (-math.pi, math.pi),
            "torso_vx_m_s": (-10.0, 10.0),
            "torso_vy_m_s": (-10.0, 10.0),
            "torso_angular_velocity_rad_s": (-30.0, 30.0),
        }
        for leg in ("right", "left"):
            bounds[f"{leg}_swing_rad"] = (-spec.swing_limit_rad - 0.1, spec.swing_limit_rad + 0.1)
            bounds[f"{leg}_swing_rate_rad_s"] = (-50.0, 50.0)
            bounds[f"{leg}_length_m"] = (0.0, spec.leg_max_length_m + 0.1)
            bounds[f"{leg}_length_rate_m_s"] = (-10.0, 10.0)
            bounds[f"{leg}_foot_contact"] = (0.0, 1.0)
        low = np.array([bounds[name][0] for name in OBSERVATION_FIELDS], dtype=np.float32)
        high = np.array([bounds[name][1] for name in OBSERVATION_FIELDS], dtype=np.float32)
        self.observation_space = spaces.Box(low, high, dtype=np.float32)
        self._low, self._high = low, high
        self._last_x = 0.0
        self._swing_scale = spec.swing_limit_rad
        self._stand_drop = spec.stand_drop_m
        self._lift = spec.lift_height_m

    def _observe(self, state: Sequence[float]) -> np.ndarray:
        obs = np.array(_observed_values(state), dtype=np.float32)
        # Two ufuncs instead of np.clip, which costs twice as much on 15 values.
        return np.minimum(np.maximum(obs, self._low, out=obs), self._high, out=obs)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self._reset_world(self._start_pose(options), start_perturbation(options))
        state = self.world.read_state()
        self._last_x = state.torso_x_m
        self._air_steps = [0, 0]
        return self._observe(state), {"distance_m": 0.0, "time_s": self.world.time_s}

    def _start_pose(self, options: Mapping[str, Any] | None) -> Pose:
        if not options:
            return Pose()
        if not isinstance(options, Mapping):
            raise HenryEnvError(f"reset options must be a dict, got {type(options).__name__}")
        unknown = set(options) - {"pose", "perturb"}
        if unknown:
            raise HenryEnvError(
                f"unknown reset option(s) {sorted(unknown, key=repr)}; use 'pose' or 'perturb'"
            )
        if "pose" not in options:
            return Pose()
        pose = options["pose"]
        reach = 0.5 * self.henry_spec.max_foot_offset_m
        if isinstance(pose, Pose):
            return pose
        named = {
            "standing": Pose(),
            "left_foot_up": Pose(left=LegPose(0.0, lifted=True)),
            "right_foot_up": Pose(right=LegPose(0.0, lifted=True)),
        }
        if isinstance(pose, str) and pose in named:
            return named[pose]
        if isinstance(pose, str) and pose == "random":
            rng = self.np_random
            lifted = int(rng.integers(3))  # 0: right up, 1: left up, 2: both down
            return Pose(
                right=LegPose(float(rng.uniform(-reach, reach)), lifted=lifted == 0),
                left=LegPose(float(rng.uniform(-reach, reach)), lifted=lifted == 1),
            )
        raise HenryEnvError(
            f"unknown pose {pose!r}; use 'standing', 'left_foot_up', 'right_foot_up', "
            "'random' or a walker.sim.body.Pose"
        )

    def _commands_for(self, clipped: Sequence[float]) -> tuple[LegCommand, LegCommand]:
        swing, stand, lift = self._swing_scale, self._stand_drop, self._lift
        a0, a1, a2, a3 = clipped
        return (
            LegCommand(a0 * swing, stand + a1 * lift),
            LegCommand(a2 * swing, stand + a3 * lift),
        )

    def step(self, action: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        try:
            array = np.asarray(action, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise HenryEnvError(f"action must be 4 numbers in [-1, 1], got {action!r}") from error
        if array.shape != (4,):
            raise HenryEnvError(
                f"action must have shape (4,) [right_swing, right_extension, left_swing, "
                f"left_extension], got shape {array.shape}"
            )
        values = array.tolist()
        isfinite = math.isfinite
        if not (
            isfinite(values[0])
            and isfinite(values[1])
            and isfinite(values[2])
            and isfinite(values[3])
        ):
            raise HenryEnvError(f"action must be finite, got {values}")
        self._refuse_after_fall()
        # The servos and the control cost both see the action clipped to the space's bounds.
        clipped = [-1.0 if v < -1.0 else (1.0 if v > 1.0 else v) for v in values]
        commands = self._commands_for(clipped)
        world = self.world
        x_before = self._last_x
        work_before = world.positive_work_j
        for _ in range(self.frame_skip):
            self._control_step(*commands)
        state = world.read_state()
        x_after = self._last_x = state.torso_x_m
        fell = self._episode_over = self._fallen(state)
        x_velocity = (x_after - x_before) / self.dt
        reward, terms = self._reward(state, x_velocity, clipped, fell)
        info = {
            "reward_terms": terms,
            "distance_m": x_after - self._start_x,
            "time_s": world.time_s,
            "x_velocity_m_s": x_velocity,
        }
        if world.measure_work:
            info["positive_work_j"] = world.positive_work_j - work_before
        return self._observe(state), reward, fell, False, info

    def _reward(
        self, state: FlatState, x_velocity_m_s: float, action: Sequence[float], fell: bool
    ) -> tuple[float, dict[str, float]]:
        """The reward and its terms (see Rewards): forward speed, control cost, fall, and
        with `walking_reward` the flight and slip costs."""
        terms = {
            "forward": self.forward_reward_weight * x_velocity_m_s,
            "control": -self.ctrl_cost_weight * sum(v * v for v in action),
            "fall": -self.fall_penalty if fell else 0.0,
        }
        if self.walking_reward:
            both_up = state.right_foot_contact + state.left_foot_contact < 0.5
            terms["flight"] = -self.flight_cost if both_up else 0.0
            terms["slip"] = -self.slip_cost * self._sole_slip_m_s(state)
        if self.air_time_weight > 0:
            terms["air_time"] = self._touchdown_air_time(state)
        if self.clearance_weight > 0:
            terms["clearance"] = -self.clearance_weight * self._low_swing_m2_s(state)
        return sum(terms.values()), terms

    def _low_swing_m2_s(self, state: FlatState) -> float:
        """Summed `max(0, clearance_target_m - sole height) * forward foot velocity` over
        the feet off the ground (m * m/s): how far below the target a foot swings forward."""
        total = 0.0
        contacts = (state.right_foot_contact, state.left_foot_contact)
        for leg, contact in zip(self.world.legs, contacts, strict=True):
            if contact < 0.5:
                deficit = self.clearance_target_m - leg.sole.bb.bottom
                forward = leg.foot.velocity.x
                if deficit > 0.0 and forward > 0.0:
                    total += deficit * forward
        return total

    def _touchdown_air_time(self, state: FlatState) -> float:
        """The feet air time term: for each foot that touched down on this step, the weight
        times how much longer than `air_time_target_s` it was in the air."""
        term = 0.0
        for foot, contact in enumerate((state.right_foot_contact, state.left_foot_contact)):
            if contact > 0.5:
                if self._air_steps[foot]:
                    flown = self._air_steps[foot] * self.dt
                    term += self.air_time_weight * (flown - self.air_time_target_s)
                self._air_steps[foot] = 0
            else:
                self._air_steps[foot] += 1
        return term

    def _sole_slip_m_s(self, state: FlatState) -> float:
        """Summed |horizontal ankle velocity| of the feet on the ground (0 when planted).

        The ankle is `length` along the leg from the hip, which sits `torso_height_m / 2`
        below the torso's centre; its velocity follows from the sensed rates."""
        angle, omega = state.torso_angle_rad, state.torso_angular_velocity_rad_s
        half = 0.5 * self.henry_spec.torso_height_m
        hip_vx = state.torso_vx_m_s + omega * half * math.cos(angle)
        slip = 0.0
        for swing, swing_rate, length, length_rate, contact in (
            (
                state.right_swing_rad,
                state.right_swing_rate_rad_s,
                state.right_length_m,
                state.right_length_rate_m_s,
                state.right_foot_contact,
            ),
            (
                state.left_swing_rad,
                state.left_swing_rate_rad_s,
                state.left_length_m,
                state.left_length_rate_m_s,
                state.left_foot_contact,
            ),
        ):
            if contact > 0.5:
                leg_angle = angle + swing
                leg_rate = omega + swing_rate
                slip += abs(
                    hip_vx
                    + length_rate * math.sin(leg_angle)
                    + length * math.cos(leg_angle) * leg_rate
                )
        return slip
