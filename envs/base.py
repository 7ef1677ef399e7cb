"""What both Henry environments share: the world, reset, falling, perturbations, drawing.

`HenryEnv` owns one `HenryWorld` and gives the discrete (`envs.discrete`) and continuous
(`envs.continuous`) variants the keywords they have in common: the body as a `HenrySpec` or
a mapping of overrides, scheduled pushes on the torso, the positive-work meter and the
render mode. It also settles Henry on his feet at reset and says when he has fallen.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import gymnasium as gym
import numpy as np

from walker.errors import InputError
from walker.sim.body import LegPose, Pose, PoseError
from walker.sim.spec import HenrySpec, SpecError
from walker.sim.world import FlatState, HenryWorld, LegCommand

FALL_ANGLE_RAD = 0.6
"""Henry has fallen when his torso tilts further than this (about 34 degrees)."""


class HenryEnvError(InputError):
    """A bad argument, action or reset option was given to one of this project's
    environments, or `step` was called when the episode had ended.

    The message is kept to one line (a value shown in it, such as a 2-D array, may span
    several), so a command line can print it as one sentence."""

    def __init__(self, message: object = "") -> None:
        super().__init__(" ".join(str(message).split()))


EPISODE_OVER = "the episode has ended ({why}); call reset() before step() again"
"""What `step` says after a terminal step: Gymnasium leaves stepping on undefined, so these
envs refuse rather than go on paying rewards for a fallen Henry."""


Push = tuple[float, float]
"""A scheduled push: (time in s since the episode began, horizontal impulse in N*s)."""


PERTURB_LIMITS: dict[str, float] = {
    "right_swing_rad": 0.2,
    "left_swing_rad": 0.2,
    "right_extension_m": 0.03,
    "left_extension_m": 0.03,
    "torso_velocity_m_s": 1.0,
}
"""The largest size of each field of the `perturb` reset option: beyond these a start is no
longer a small perturbation."""


@dataclass(frozen=True)
class StartPerturbation:
    """A small nudge to the start of an episode: the `perturb` reset option of both envs.

    The legs are built with their hip angles turned by the swing offsets (the foot moves
    forward for a positive one, the leg's length follows so a planted foot stays on the
    ground), Henry settles with each leg's extension target changed by its extension
    offset, and then the torso is given the horizontal velocity (an impulse of torso mass x
    velocity, as `HenryWorld.push`). A discrete env's observation and plan still name the
    state it started from: the nudges are meant to stay under half an extension level.
    """

    right_swing_rad: float = 0.0
    """Added to the right hip angle at the start (+ moves the foot forward)."""
    left_swing_rad: float = 0.0
    """Added to the left hip angle at the start."""
    right_extension_m: float = 0.0
    """Added to the right leg's extension target while Henry settles (+ longer)."""
    left_extension_m: float = 0.0
    """Added to the left leg's extension target while Henry settles."""
    torso_velocity_m_s: float = 0.0
    """Horizontal torso velocity given once Henry has settled (+ forward)."""

    @classmethod
    def from_option(cls, value: Any) -> StartPerturbation:
        """Parse the `perturb` reset option: a mapping of some of the fields to numbers."""
        names = [f.name for f in fields(cls)]
        if isinstance(value, StartPerturbation):
            return value
        if not isinstance(value, Mapping):
            raise HenryEnvError(
                f"reset option 'perturb' must be a dict with some of {names}, got {value!r}"
            )
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise HenryEnvError(f"unknown 'perturb' field(s) {unknown}; use some of {names}")
        checked: dict[str, float] = {}
        for name, number in value.items():
            limit = PERTURB_LIMITS[name]
            size = (
                math.nan
                if isinstance(number, bool) or not isinstance(number, (int, float, np.number))
                else float(number)
            )
            if not (math.isfinite(size) and abs(size) <= limit):
                raise HenryEnvError(
                    f"'perturb' field {name} must be a number in [-{limit:g}, {limit:g}], "
                    f"got {number!r}"
                )
            checked[name] = size
        return cls(**checked)

    def nudged_pose(self, pose: Pose, spec: HenrySpec) -> Pose:
        """`pose` with each leg's hip angle turned by its swing offset."""

        def leg(leg_pose: LegPose, swing_rad: float) -> LegPose:
            drop = spec.lifted_drop_m if leg_pose.lifted else spec.stand_drop_m
            swing = math.atan2(leg_pose.foot_offset_m, drop) + swing_rad
            swing = max(-spec.swing_limit_rad, min(spec.swing_limit_rad, swing))
            return LegPose(drop * math.tan(swing), leg_pose.lifted)

        return Pose(
            right=leg(pose.right, self.right_swing_rad), left=leg(pose.left, self.left_swing_rad)
        )


def start_perturbation(options: Mapping[str, Any] | None) -> StartPerturbation | None:
    """The `perturb` reset option of `options`, parsed (None when not given)."""
    if not options or options.get("perturb") is None:
        return None
    return StartPerturbation.from_option(options["perturb"])


def resolve_spec(spec: HenrySpec | Mapping[str, Any] | None) -> HenrySpec:
    """The `spec` keyword of both Henry envs: a `HenrySpec`, a mapping of field overrides on
    the defaults (`{"ground_friction": 0.5}`, as `--env-arg spec={...}` gives), or None."""
    if spec is None:
        return HenrySpec()
    if isinstance(spec, HenrySpec):
        return spec
    if isinstance(spec, Mapping):
        try:
            return HenrySpec.with_overrides(spec)
        except SpecError as error:
            raise HenryEnvError(f"spec: {error}") from error
    raise HenryEnvError(
        f"spec must be a HenrySpec or a mapping of HenrySpec field overrides, "
        f"got {type(spec).__name__}"
    )


def checked_pushes(pushes: Any) -> tuple[Push, ...]:
    """Validate the `pushes` keyword: pairs (time_s >= 0, impulse_n_s), both finite."""
    message = (
        "pushes must be a sequence of (time_s, impulse_n_s) pairs of finite numbers "
        f"with time_s >= 0, got {pushes!r}"
    )
    if isinstance(pushes, (str, bytes)) or not isinstance(pushes, Sequence):
        raise HenryEnvError(message)
    checked = []
    for push in pushes:
        if isinstance(push, (str, bytes)) or not isinstance(push, Sequence) or len(push) != 2:
            raise HenryEnvError(message)
        time_s, impulse = push
        for value in (time_s, impulse):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float, np.number))
                or not math.isfinite(value)
            ):
                raise HenryEnvError(message)
        if time_s < 0:
            raise HenryEnvError(message)
        checked.append((float(time_s), float(impulse)))
    return tuple(sorted(checked))


class HenryEnv(gym.Env[np.ndarray, Any]):
    """What both variants share: the world, reset options, falling, perturbations, rendering.

    Keywords common to both variants:
    * `spec`: a `HenrySpec`, or a mapping of field overrides on the default one, e.g.
      `{"ground_friction": 0.5, "torso_mass_kg": 3.6}` (an unknown name is an error listing
      the valid ones). Bumps on the ground are `bump_height_m` and its siblings.
    * `pushes`: `((time_s, impulse_n_s), ...)`; each is applied (`HenryWorld.push`: a
      horizontal impulse on the torso's centre of mass, + forward) before the first control
      step that starts at or after `time_s` of simulated time since the episode began (after
      the settling at reset), so the same seed and actions give the same trajectory.
    * `measure_work`: when True, every `step`'s info has `positive_work_j`, the positive
      mechanical work the four servos did during it (all of its control steps), summed over
      physics substeps. It roughly doubles the cost of the physics, hence off by default.
    * `render_mode`: `"human"` or `"rgb_array"`.

    Reset option common to both variants:
    * `{"perturb": {"right_swing_rad": ..., "left_swing_rad": ..., "right_extension_m": ...,
      "left_extension_m": ..., "torso_velocity_m_s": ...}}` (any subset, each within
      `PERTURB_LIMITS`): a small nudge to the start pose and the torso's velocity
      (see `StartPerturbation`), combined with whichever start pose the other options
      choose. `walker bench` draws one per seed.
    """

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 60}  # noqa: RUF012

    def __init__(
        self,
        spec: HenrySpec | Mapping[str, Any] | None = None,
        render_mode: str | None = None,
        pushes: Sequence[Push] = (),
        measure_work: bool = False,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise HenryEnvError(
                f"render_mode must be one of {self.metadata['render_modes']} or None, "
                f"got {render_mode!r}"
            )
        if not isinstance(measure_work, (bool, np.bool_)):
            raise HenryEnvError(f"measure_work must be True or False, got {measure_work!r}")
        self.henry_spec = resolve_spec(spec)
        self.pushes = checked_pushes(pushes)
        self.render_mode = render_mode
        self.world = HenryWorld(self.henry_spec, measure_work=bool(measure_work))
        self._push_queue: list[tuple[int, float]] = []
        self._renderer: Any = None
        self._start_x = 0.0
        self._episode_over = False
        self.control_step_observers: list[Any] = []
        """Callables run after every control step (1/60 s) inside `step`: the live window
        and video recorders use them to see Henry move within one discrete action."""

    def _control_step(self, right: LegCommand, left: LegCommand) -> None:
        """One control step of the physics, with the pushes that are due and the observers."""
        queue = self._push_queue
        if queue and queue[0][0] <= self.world.control_steps:
            while queue and queue[0][0] <= self.world.control_steps:
                self.world.push(queue.pop(0)[1])
        self.world.step(right, left)
        if self.control_step_observers or self.render_mode == "human":
            for observer in self.control_step_observers:
                observer()
            if self.render_mode == "human":
                self.render()

    def push(self, impulse_n_s: float) -> None:
        """Push Henry's torso now: a horizontal impulse (N*s, + forward) at its centre of mass
        (see `HenryWorld.push`). For a window's mouse drag; scheduled pushes are `pushes`."""
        try:
            self.world.push(impulse_n_s)
        except ValueError as error:
            raise HenryEnvError(str(error)) from error

    @property
    def start_x_m(self) -> float:
        """Henry's torso x (m) where this episode started, after settling on his feet."""
        return self._start_x

    # -- shared helpers -------------------------------------------------------------------

    def _refuse_after_fall(self) -> None:
        """`step` after a terminal step is an error (see `EPISODE_OVER`); `reset` clears it."""
        if self._episode_over:
            raise HenryEnvError(EPISODE_OVER.format(why="Henry fell"))

    def _reset_world(self, pose: Pose, perturbation: StartPerturbation | None = None) -> None:
        self._episode_over = False
        if perturbation is not None:
            pose = perturbation.nudged_pose(pose, self.henry_spec)
        try:
            self.world.reset(pose)
        except PoseError as error:
            raise HenryEnvError(f"invalid starting pose: {error}") from error
        # Let Henry settle on his feet so the first observation is a resting one.
        right, left = self.world.commands()
        if perturbation is not None:
            right = LegCommand(right.swing_rad, right.drop_m + perturbation.right_extension_m)
            left = LegCommand(left.swing_rad, left.drop_m + perturbation.left_extension_m)
        for _ in range(self._settle_steps):
            self.world.step(right, left)
        if perturbation is not None and perturbation.torso_velocity_m_s != 0.0:
            self.world.push(perturbation.torso_velocity_m_s * self.henry_spec.torso_mass_kg)
        self._start_x = self.world.read_state().torso_x_m
        dt = self.henry_spec.control_dt_s
        origin = self.world.control_steps
        self._push_queue = [
            (origin + math.ceil(time_s / dt - 1e-9), impulse) for time_s, impulse in self.pushes
        ]

    _settle_steps = 12

    def _fallen(self, state: FlatState) -> bool:
        """Henry has fallen: his torso touches the ground or tilts beyond `FALL_ANGLE_RAD`."""
        return state.torso_contact > 0.5 or abs(state.torso_angle_rad) > FALL_ANGLE_RAD

    @property
    def distance_m(self) -> float:
        """How far Henry's torso is ahead of where this episode started."""
        return float(self.world.read_state().torso_x_m - self._start_x)

    def render(self) -> np.ndarray | None:
        if self.render_mode is None:
            gym.logger.warn(
                "render() was called without a render_mode; pass render_mode='rgb_array' or "
                "'human' to gymnasium.make"
            )
            return None
        if self._renderer is None:
            from walker.draw.renderer import EnvRenderer

            self._renderer = EnvRenderer(self, self.render_mode)
        return self._renderer.render()  # type: ignore[no-any-return]

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_renderer"] = None  # windows and surfaces do not pickle; a copy draws anew
        state["control_step_observers"] = []
        return state
