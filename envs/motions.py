"""Henry's motion primitives: the article's actions as pure functions of the legs' targets.

An action (lift a foot, move a lifted foot one step forward or backward, put it down and
shift the weight onto it) is planned by `plan_motion` from the feet's current targets: it
returns a `Motion`, the servo targets as a function of the action's progress u in [0, 1),
and the targets the legs hold once it is done. Nothing is mutated, so the discrete
environment and the continuous hard-coded gait (`agents.baselines.ContinuousGait`) use the
same functions, with one weight-shift rule and one timing.
"""

from __future__ import annotations

import math
from enum import IntEnum
from typing import NamedTuple

from walker.sim.body import LEFT, RIGHT
from walker.sim.spec import HenrySpec
from walker.sim.world import LegCommand


class Action(IntEnum):
    """The discrete Henry's actions, as the article lists them."""

    LIFT_RIGHT = 0
    LIFT_LEFT = 1
    RIGHT_FORWARD = 2
    RIGHT_BACKWARD = 3
    LEFT_FORWARD = 4
    LEFT_BACKWARD = 5
    PUT_DOWN_RIGHT = 6
    PUT_DOWN_LEFT = 7


ACTION_LEG = {
    Action.LIFT_RIGHT: RIGHT,
    Action.LIFT_LEFT: LEFT,
    Action.RIGHT_FORWARD: RIGHT,
    Action.RIGHT_BACKWARD: RIGHT,
    Action.LEFT_FORWARD: LEFT,
    Action.LEFT_BACKWARD: LEFT,
    Action.PUT_DOWN_RIGHT: RIGHT,
    Action.PUT_DOWN_LEFT: LEFT,
}
"""Which leg each action moves."""

_STEP_DIRECTION = {
    Action.RIGHT_FORWARD: 1,
    Action.LEFT_FORWARD: 1,
    Action.RIGHT_BACKWARD: -1,
    Action.LEFT_BACKWARD: -1,
}

Window = tuple[float, float]
"""When a motion happens within an action, as (start, length) in units of its duration."""

# A lift raises the foot in the first half; a move swings it in the first 60%; a put-down
# lowers the foot in the first 20% and shifts the weight from 20% to 85%, leaving the rest
# to settle.
LIFT_WINDOW: Window = (0.0, 0.5)
MOVE_WINDOW: Window = (0.0, 0.6)
LOWER_WINDOW: Window = (0.0, 0.2)
SHIFT_WINDOW: Window = (0.2, 0.65)


def window_progress(u: float, window: Window) -> float:
    """Smoothstep progress of a motion that runs during `window` (start, length)."""
    return _smoothstep((u - window[0]) / window[1])


def _smoothstep(u: float) -> float:
    """0 -> 1 with zero velocity at both ends (so commanded motions start and stop gently)."""
    if u <= 0.0:
        return 0.0
    if u >= 1.0:
        return 1.0
    return u * u * (3.0 - 2.0 * u)


class FootTargets(NamedTuple):
    """Where the controller holds both feet between actions: the legs' state."""

    offsets_m: tuple[float, float]
    """Horizontal ankle position ahead of the hip, right then left (negative: behind)."""
    lifted: tuple[bool, bool]
    """Whether each foot is held up, right then left."""


class Stride(NamedTuple):
    """The sizes the motions work with."""

    step_length_m: float
    """How far one move swings a foot."""
    reach_m: float
    """Furthest a planted foot may be from the hip after a weight shift."""
    stand_drop_m: float
    """Hip-to-ankle drop of a planted foot (`HenrySpec.stand_drop_m`)."""
    lifted_drop_m: float
    """Hip-to-ankle drop of a lifted foot (`HenrySpec.lifted_drop_m`)."""

    @classmethod
    def for_spec(cls, spec: HenrySpec, step_length_m: float, reach_m: float) -> Stride:
        return cls(step_length_m, reach_m, spec.stand_drop_m, spec.lifted_drop_m)

    def drops(self, lifted: tuple[bool, bool]) -> tuple[float, float]:
        """The drop targets of two feet held up or down."""
        return (
            self.lifted_drop_m if lifted[RIGHT] else self.stand_drop_m,
            self.lifted_drop_m if lifted[LEFT] else self.stand_drop_m,
        )


class Motion(NamedTuple):
    """Servo targets over one action: drops and offsets move from start to end values
    along smoothsteps, the drops during `drop_window` and the offsets during
    `offset_window`."""

    start_offsets_m: tuple[float, float]
    end_offsets_m: tuple[float, float]
    start_drops_m: tuple[float, float]
    end_drops_m: tuple[float, float]
    drop_window: Window
    offset_window: Window

    def commands(self, u: float) -> tuple[LegCommand, LegCommand]:
        """The servo targets at progress u in [0, 1) of the action, right leg first."""
        k_drop = window_progress(u, self.drop_window)
        k_offset = window_progress(u, self.offset_window)
        commands = []
        for leg in (RIGHT, LEFT):
            a, b = self.start_drops_m[leg], self.end_drops_m[leg]
            drop = a + (b - a) * k_drop
            a, b = self.start_offsets_m[leg], self.end_offsets_m[leg]
            offset = a + (b - a) * k_offset
            commands.append(LegCommand(math.atan2(offset, drop), drop))
        return commands[RIGHT], commands[LEFT]


def hold_motion(targets: FootTargets, stride: Stride) -> Motion:
    """Keep both feet where they are for one action (what an illegal action does)."""
    drops = stride.drops(targets.lifted)
    return Motion(targets.offsets_m, targets.offsets_m, drops, drops, LIFT_WINDOW, LIFT_WINDOW)


def plan_motion(
    targets: FootTargets,
    action: Action,
    stride: Stride,
    sensed_offsets_m: tuple[float, float] | None = None,
) -> tuple[Motion, FootTargets]:
    """The motion that carries out `action` from `targets`, and the targets after it.

    `sensed_offsets_m` is where the feet are (the discrete env passes its quantised
    observation, so a move or a shift starts from the level Henry is seen at); None plans
    open loop from the targets themselves. The weight shift after a put-down moves both
    planted feet back by the same amount so the put-down foot ends under the hip, as far
    as the other foot's `reach_m` allows.
    """
    leg = ACTION_LEG[action]
    other = 1 - leg
    sensed = targets.offsets_m if sensed_offsets_m is None else sensed_offsets_m
    lifted = list(targets.lifted)
    offsets = list(targets.offsets_m)
    if action in (Action.LIFT_RIGHT, Action.LIFT_LEFT):
        lifted[leg] = True
        drop_window = offset_window = LIFT_WINDOW
    elif action in _STEP_DIRECTION:
        lifted[leg] = True
        offsets[leg] = sensed[leg] + _STEP_DIRECTION[action] * stride.step_length_m
        drop_window = offset_window = MOVE_WINDOW
    else:
        lifted[leg] = False
        reach = stride.reach_m
        shift = min(max(sensed[leg], sensed[other] - reach), sensed[other] + reach)
        offsets[leg] = sensed[leg] - shift
        offsets[other] = sensed[other] - shift
        drop_window, offset_window = LOWER_WINDOW, SHIFT_WINDOW
    after = FootTargets((offsets[RIGHT], offsets[LEFT]), (lifted[RIGHT], lifted[LEFT]))
    motion = Motion(
        targets.offsets_m,
        after.offsets_m,
        stride.drops(targets.lifted),
        stride.drops(after.lifted),
        drop_window,
        offset_window,
    )
    return motion, after
