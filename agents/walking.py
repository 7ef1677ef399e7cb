"""A closed-loop walking controller for the continuous Henry: a state machine over his sensors.

Like BipedalWalker's heuristic, it looks at what Henry senses each step (the two foot
switches, the hip swing angles) and switches between two phases per step, one leg at a time:

* **swing**: the free foot is lifted and carried forward to `step_swing` of the hip's range
  while the planted leg swings back by as much, which carries the torso forward over it;
* **lower**: once the free leg is almost forward, its foot is lowered gently
  (`lower_rate`); when its switch has reported ground for `settle_steps` steps in a row the
  legs swap roles and the other foot is lifted.

Servo targets move at bounded rates, so no motion is a jolt that makes Henry bounce: that,
and lifting a foot only after the other one is down, keeps both feet off the ground only a
small share of the time. It starts from whatever pose Henry is in (a foot already up is the
first to swing), so it also recovers from the `left_foot_up` and `random` starts. It reads
the continuous env's named observation fields (`envs.OBSERVATION_FIELDS`), nothing else.

Three feedback terms keep him up when the world shoves or trips him, and a fourth keeps the
walk going when a foot finds no ground:

* **righting legs**: Henry's soles are geared parallel to his torso, so a torso pitched
  forward is a planted sole rolled onto its toe. Beyond `pitch_deadband_rad` (a walking
  torso rocks by about a quarter radian and is left alone) the front leg on the ground
  pushes down and the back one gives way, `pitch_gain` extension units per radian: that
  levels the torso again. Without the dead band the same term turns the walk into a hop
  (a quarter of the time in flight).
* **foot placement** (Raibert's): the free foot lands `placement_gain` swing-limit
  fractions further forward per m/s the torso's smoothed speed exceeds
  `placement_speed_m_s` (nearer, or behind, when slower), so a push is caught by the
  next step.
* **catch steps**: a push is caught by the next step, not by the smoothed speed a stride
  later. While the torso moves backward faster than `catch_speed_m_s` the free foot is
  swung as far back as the hip goes; while it moves backward that fast, or forward faster
  than `hurry_speed_m_s`, the free hip's target moves `hurry` times faster (the servo
  follows at its top speed, which is the usual swing rate). Both lie outside a
  walk's own speeds within a stride (over 60 s from the standard start: the controller
  -0.32 to 1.35 m/s, the shipped learned walk 0.10 to 1.39 m/s).
* **stumble steps**: a free foot that comes down before it is lowered (its long sole caught
  a bump's edge, or the torso rocked it back onto the ground) is taken as the step's
  touchdown after `stumble_steps` control steps off the ground: it settles and the other
  foot steps, where the hip would otherwise drive the caught foot forward along the ground
  and shove Henry backward.
* **reaching down**: a lowered foot whose target has come down to `press` without touching
  for `reach_down_steps` control steps is lowered on until it does. A residual policy's
  correction can hold a free foot just above the ground in a split stance (a wet floor
  showed it), where the controller alone would wait for that touchdown for ever.

`scripts/walk_robustness.py` measures the controller with any parameters on the bench's
own conditions (`walker bench`'s draws and reset seeds); the README's walking-controller
section has the figures.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from agents.base import ServoScale, forget
from envs import OBSERVATION_FIELDS, HenryContinuousEnv
from walker.errors import InputError

_FIELD = {name: index for index, name in enumerate(OBSERVATION_FIELDS)}
_SWING = (_FIELD["right_swing_rad"], _FIELD["left_swing_rad"])
_LENGTH = (_FIELD["right_length_m"], _FIELD["left_length_m"])
_CONTACT = (_FIELD["right_foot_contact"], _FIELD["left_foot_contact"])
_ANGLE = _FIELD["torso_angle_rad"]
_PITCH_RATE = _FIELD["torso_angular_velocity_rad_s"]
_VX = _FIELD["torso_vx_m_s"]


class WalkingConfigError(InputError):
    """A walking controller parameter is out of its range."""


@dataclass(frozen=True)
class WalkingConfig:
    """The walking controller's parameters (the defaults walk at about 0.61 m/s)."""

    step_swing: float = 0.9
    """How far each hip swings forward and back, as a fraction of the swing limit, in (0, 1]."""
    swing_rate_rad_s: float = 3.0
    """How fast the hip targets move, in rad/s, in (0, 20]."""
    lift: float = 1.0
    """How high the free foot is lifted, as a fraction of `HenrySpec.lift_height_m`, in (0, 1]."""
    lift_rate: float = 8.5
    """How fast the free foot's extension target rises when it is lifted, in extension
    units per second, in (0, 100] (8.5 is about the leg servo's own top speed)."""
    lower_rate: float = 1.0
    """How fast the free foot's extension target falls back to the ground, in extension
    units (one is `lift_height_m`) per second, in (0, 20]."""
    press: float = 0.1
    """Extension target of a planted foot, in [0, 1): a little below the standing depth so
    the sole stays loaded."""
    reach: float = 0.8
    """The free foot is lowered once its hip has swung this fraction of the way to its
    target, in (0, 1]."""
    settle_steps: int = 3
    """Control steps a lowered foot's switch must go on reporting ground after touching
    down before the other foot is lifted, in [0, 60]."""
    pitch_gain: float = 10.0
    """Righting: extension units the legs on the ground push down (front) or give way
    (back) per radian of torso pitch beyond `pitch_deadband_rad`, in [0, 20]."""
    pitch_deadband_rad: float = 0.28
    """Torso pitch the legs leave alone (a walking torso rocks by about 0.25 rad), in rad,
    in [0, 0.6]; only the pitch beyond it is righted."""
    pitch_rate_gain: float = 0.0
    """Righting by the torso's pitch rate, extension units per rad/s, in [0, 1] (off by
    default: any amount measured slowed or tipped the walk)."""
    level: float = 0.0
    """Share of the torso's pitch the swing hip takes off its target so the swing foot is
    placed relative to the ground rather than the torso, in [0, 1]."""
    placement_gain: float = 0.5
    """Raibert foot placement: the swing foot lands further forward by this many swing-limit
    fractions per m/s the torso's (smoothed) speed exceeds `placement_speed_m_s`, in [0, 5]."""
    placement_speed_m_s: float = 0.5
    """The speed foot placement is neutral at, in m/s, in [0, 2]."""
    speed_smoothing_s: float = 0.3
    """Time constant of the torso speed's running average, in s, in (0, 5]."""
    catch_speed_m_s: float = 0.6
    """Catch step backward: while the torso moves backward faster than this (its speed this
    control step, not the running average), the free foot is swung as far back as the hip
    goes, its target moving at `hurry` times the swing rate, in m/s in [0, 5]; 0 turns it
    off."""
    hurry_speed_m_s: float = 1.4
    """Catch step forward: while the torso moves forward faster than this, the free hip's
    target moves `hurry` times faster, so the foot gets ahead of a forward push, in m/s in
    [0, 5]; 0 turns it off."""
    hurry: float = 3.0
    """How many times faster the free hip's target moves in a catch step, in [1, 10] (the hip
    servo follows at most at `HenrySpec.hip_max_speed_rad_s`)."""
    stumble_steps: int = 1
    """Stumble step: a free foot that has been off the ground for at least this many control
    steps and touches down before it is lowered (it caught a bump, or a push hurried it) is
    taken as the step's touchdown, so its hip stops driving it forward against the ground and
    the other foot steps next; a whole number in [0, 60], 0 turns it off (the foot is then
    carried on along the ground)."""
    reach_down_steps: int = 60
    """Reaching down: a lowered foot whose target has come down to `press` without its
    switch reporting ground for this many control steps (the ground is lower there than
    where it stands, or a correction added to the controller's action holds the foot up) is
    lowered on, at `lower_rate`, until it touches; a whole number in [0, 60], 0 turns it off
    (the foot then hangs at `press` and the walk waits for it). The default, 1 s, is
    longer than any hang in the shipped walk's training, whose exploring corrections never
    hold a foot up that long, so that training runs exactly as before (10 or 30 steps
    changed it); only a stuck deterministic policy meets it."""

    def __post_init__(self) -> None:
        ranges: dict[str, tuple[float, float, bool]] = {
            # name: (low, high, low is included)
            "step_swing": (0.0, 1.0, False),
            "swing_rate_rad_s": (0.0, 20.0, False),
            "lift": (0.0, 1.0, False),
            "lift_rate": (0.0, 100.0, False),
            "lower_rate": (0.0, 20.0, False),
            "press": (0.0, 1.0, True),
            "reach": (0.0, 1.0, False),
            "pitch_gain": (0.0, 20.0, True),
            "pitch_deadband_rad": (0.0, 0.6, True),
            "pitch_rate_gain": (0.0, 1.0, True),
            "level": (0.0, 1.0, True),
            "placement_gain": (0.0, 5.0, True),
            "placement_speed_m_s": (0.0, 2.0, True),
            "speed_smoothing_s": (0.0, 5.0, False),
            "catch_speed_m_s": (0.0, 5.0, True),
            "hurry_speed_m_s": (0.0, 5.0, True),
            "hurry": (1.0, 10.0, True),
        }
        for name, (low, high, closed) in ranges.items():
            value = getattr(self, name)
            valid = (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and math.isfinite(value)
                and (value >= low if closed else value > low)
                and (value < high if name == "press" else value <= high)
            )
            if not valid:
                shown = (
                    f"{'[' if closed else '('}{low:g}, {high:g}{')' if name == 'press' else ']'}"
                )
                raise WalkingConfigError(f"{name} must be a number in {shown}, got {value!r}")
        for name in ("settle_steps", "stumble_steps", "reach_down_steps"):
            steps = getattr(self, name)
            if not isinstance(steps, int) or isinstance(steps, bool) or not 0 <= steps <= 60:
                raise WalkingConfigError(f"{name} must be a whole number in [0, 60], got {steps!r}")

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(field.name for field in fields(cls))


class _LegState:
    """One env's controller memory: which leg swings, the phase, the current targets."""

    __slots__ = ("airborne", "held", "hung", "lowering", "speed", "swing_leg", "targets")

    def __init__(self, obs: np.ndarray, swing_limit: float) -> None:
        contacts = (obs[_CONTACT[0]] > 0.5, obs[_CONTACT[1]] > 0.5)
        if not contacts[0]:
            self.swing_leg = 0
        elif not contacts[1]:
            self.swing_leg = 1
        else:  # both feet down: the one further back steps first
            self.swing_leg = 0 if obs[_SWING[0]] <= obs[_SWING[1]] else 1
        self.lowering = False
        self.airborne = 0  # control steps the free foot has been off the ground
        self.held = 0
        self.hung = 0  # control steps the lowered free foot has hung at `press` off the ground
        self.speed = float(obs[_VX])
        # Start from where the legs are, so the first targets do not jolt them.
        self.targets = [
            float(obs[_SWING[0]]) / swing_limit,
            0.0 if contacts[0] else -1.0,
            float(obs[_SWING[1]]) / swing_limit,
            0.0 if contacts[1] else -1.0,
        ]


def _toward(current: float, target: float, step: float) -> float:
    if abs(target - current) <= step:
        return target
    return current + step if target > current else current - step


class WalkingController:
    """Closed-loop walking for `HenryContinuous-v0` (see the module docstring).

    Build it with `WalkingController.for_env(env, config)`; it keeps one memory per env
    index of a batch, like the other agents, and `reset(env_index)` forgets one.
    """

    def __init__(self, scale: ServoScale, config: WalkingConfig | None = None) -> None:
        for name, value in scale._asdict().items():
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise WalkingConfigError(f"{name} must be a positive number, got {value!r}")
        self.config = config if config is not None else WalkingConfig()
        if not isinstance(self.config, WalkingConfig):
            raise WalkingConfigError(
                f"config must be a WalkingConfig, got {type(self.config).__name__}"
            )
        self.swing_limit_rad = float(scale.swing_limit_rad)
        self.dt_s = float(scale.dt_s)
        self._stand_drop_m = float(scale.stand_drop_m)
        self._lift_height_m = float(scale.lift_height_m)
        cfg = self.config
        self._swing_step = cfg.swing_rate_rad_s * self.dt_s / self.swing_limit_rad
        self._lower_step = cfg.lower_rate * self.dt_s
        self._lift_step = cfg.lift_rate * self.dt_s
        self._smoothing = min(1.0, self.dt_s / cfg.speed_smoothing_s)
        self._memory: dict[int, _LegState] = {}

    @classmethod
    def for_env(cls, env: Any, config: WalkingConfig | None = None) -> WalkingController:
        """The controller for a `HenryContinuousEnv` (or a wrapper around one)."""
        base = getattr(env, "unwrapped", env)
        if not isinstance(base, HenryContinuousEnv):
            raise WalkingConfigError(
                f"the walking controller needs the continuous Henry (HenryContinuous-v0), "
                f"not {type(base).__name__}; on Henry-v0 use the 'hardcoded' gait"
            )
        return cls(ServoScale.of(base), config)

    def reset(self, env_index: int | None = None) -> None:
        forget(self._memory, env_index)

    def preview(self, obs: np.ndarray) -> np.ndarray:
        """What `act(obs)` would return, leaving the controller's memory as it was (for a
        value estimate of an observation the controller will not act on, or not yet)."""
        saved = self._memory
        self._memory = copy.deepcopy(saved)
        try:
            return self.act(obs)
        finally:
            self._memory = saved

    def act(
        self, obs: np.ndarray, masks: np.ndarray | None = None, explore: bool = False
    ) -> np.ndarray:
        obs = np.asarray(obs)
        if obs.ndim != 2 or obs.shape[1] != len(OBSERVATION_FIELDS):
            raise WalkingConfigError(
                f"the walking controller reads a batch of HenryContinuous-v0 observations of "
                f"{len(OBSERVATION_FIELDS)} values, got shape {obs.shape}"
            )
        actions = np.empty((len(obs), 4), dtype=np.float32)
        for env in range(len(obs)):
            actions[env] = self._act_one(env, obs[env])
        return actions

    def _sensed_depth(self, obs: np.ndarray, leg: int) -> Any:
        """How far `leg`'s foot reaches below the standing depth, in extension units (in the
        observation's float32: the walk's figures were measured with that rounding)."""
        reach_m = obs[_LENGTH[leg]] * math.cos(obs[_SWING[leg]]) - self._stand_drop_m
        return reach_m / self._lift_height_m

    def _act_one(self, env: int, obs: np.ndarray) -> list[float]:
        memory = self._memory.get(env)
        if memory is None:
            memory = self._memory[env] = _LegState(obs, self.swing_limit_rad)
        cfg = self.config
        targets = memory.targets
        swing = memory.swing_leg
        if memory.lowering and obs[_CONTACT[swing]] > 0.5:
            memory.held += 1
            if memory.held > cfg.settle_steps:
                # The foot that touched down carries Henry now: hold it at the depth it
                # reached (its target may still be above the ground) before pressing on.
                sensed = self._sensed_depth(obs, swing)
                targets[2 * swing + 1] = max(targets[2 * swing + 1], min(sensed, cfg.press))
                swing = memory.swing_leg = 1 - swing
                memory.lowering = False
                memory.airborne = 0
                memory.held = 0
                memory.hung = 0
        elif memory.lowering:
            memory.held = 0
        if obs[_CONTACT[swing]] < 0.5:
            memory.airborne += 1
        elif memory.airborne >= cfg.stumble_steps > 0 and not memory.lowering:
            # A stumble: the free foot came down before it was lowered. Take it as the
            # touchdown (it settles like a lowered foot) rather than drag it on.
            memory.lowering = True
            memory.held = 1
        stance = 1 - swing
        angle = float(obs[_ANGLE])
        speed = float(obs[_VX])
        memory.speed += (speed - memory.speed) * self._smoothing
        # Where the free foot goes: further forward the faster Henry moves (Raibert), or as
        # far back as it goes while a push carries him backward (a catch step).
        place = cfg.step_swing + cfg.placement_gain * (memory.speed - cfg.placement_speed_m_s)
        place = min(1.0, max(-0.5, place))
        catching = cfg.catch_speed_m_s > 0 and speed < -cfg.catch_speed_m_s
        if catching:
            place = -1.0
        hurried = catching or 0 < cfg.hurry_speed_m_s < speed
        # Its hip angle measured from the vertical as far as `level` says, not from the torso.
        reached = float(obs[_SWING[swing]]) + cfg.level * angle
        if not memory.lowering and reached > cfg.reach * place * self.swing_limit_rad:
            memory.lowering = True
        # The free leg: forward, and up (or, once forward, gently down).
        swing_step = self._swing_step * (cfg.hurry if hurried else 1.0)
        targets[2 * swing] = _toward(targets[2 * swing], place, swing_step)
        if memory.lowering:
            depth = targets[2 * swing + 1]
            touching = obs[_CONTACT[swing]] > 0.5
            memory.hung = memory.hung + 1 if depth >= cfg.press and not touching else 0
            if 0 < cfg.reach_down_steps <= memory.hung:  # reach down until it touches
                targets[2 * swing + 1] = _toward(depth, 1.0, self._lower_step)
            elif depth <= cfg.press:
                targets[2 * swing + 1] = _toward(depth, cfg.press, self._lower_step)
            elif touching:  # it reached down and touched: held where it touched
                sensed = self._sensed_depth(obs, swing)
                targets[2 * swing + 1] = min(depth, max(sensed, cfg.press))
        else:
            targets[2 * swing + 1] = _toward(targets[2 * swing + 1], -cfg.lift, self._lift_step)
        # The planted leg: backward, pressing its sole on the ground.
        targets[2 * stance] = _toward(targets[2 * stance], -cfg.step_swing, self._swing_step)
        targets[2 * stance + 1] = _toward(targets[2 * stance + 1], cfg.press, self._lower_step)
        # What is sent: the free hip cancels the torso's pitch as far as `level` says, and
        # the legs right the torso (its soles are geared parallel to it, so a forward pitch
        # is a stance sole rolled onto its toe): the front leg pushes down and the back
        # one gives way, in proportion to the pitch and its rate.
        limit = self.swing_limit_rad
        action = list(targets)
        action[2 * swing] = min(1.0, max(-1.0, targets[2 * swing] - cfg.level * angle / limit))
        excess = angle - min(cfg.pitch_deadband_rad, max(-cfg.pitch_deadband_rad, angle))
        righting = -(cfg.pitch_gain * excess + cfg.pitch_rate_gain * float(obs[_PITCH_RATE]))
        front = 0 if obs[_SWING[0]] > obs[_SWING[1]] else 1
        for leg, sign in ((front, 1.0), (1 - front, -1.0)):
            if leg == stance or obs[_CONTACT[leg]] > 0.5:
                index = 2 * leg + 1
                action[index] = min(1.0, max(-1.0, targets[index] + sign * righting))
        return action
