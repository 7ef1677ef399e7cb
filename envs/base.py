"""What both Henry environments share: the world, reset, falling, perturbations, drawing.

`HenryEnv` owns one `HenryWorld` and gives the discrete (`envs.discrete`) and continuous
(`envs.continuous`) variants the keywords they have in common: the body as a `HenrySpec` or
a mapping of overrides, scheduled pushes on the torso, the positive-work meter and the
render mode. It also settles Henry on his feet at reset and says when he has fallen.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from walker.errors import InputError
from walker.sim.body import Pose, PoseError
from walker.sim.spec import HenrySpec, SpecError
from walker.sim.world import FlatState, HenryWorld, LegCommand

FALL_ANGLE_RAD = 0.6
"""Henry has fallen when his torso tilts further than this (about 34 degrees)."""


class HenryEnvError(InputError):
    """A bad argument, action or reset option was given to a Henry environment."""


Push = tuple[float, float]
"""A scheduled push: (time in s since the episode began, horizontal impulse in N*s)."""


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

    def _reset_world(self, pose: Pose) -> None:
        try:
            self.world.reset(pose)
        except PoseError as error:
            raise HenryEnvError(f"invalid starting pose: {error}") from error
        # Let Henry settle on his feet so the first observation is a resting one.
        right, left = self.world.commands()
        for _ in range(self._settle_steps):
            self.world.step(right, left)
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
