"""Henry as Gymnasium environments: the article's discrete Henry and a continuous variant.

Both variants drive the same `HenryWorld` (pymunk). They differ in what an action is:

* `HenryDiscreteEnv` (`Henry-v0`) is the article's Henry. The state is
  `[right foot extension, right foot on ground, left foot extension, left foot on ground]`
  and the actions lift a foot, move a lifted foot forward or backward, or put it down. Each
  action is a short motion the physics carries out over a fixed number of control steps.
* `HenryContinuousEnv` (`HenryContinuous-v0`) exposes the four servo targets directly, with
  a Box observation of the sensed state, in the manner of BipedalWalker and Walker2d.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from enum import IntEnum
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from walker.sim.spec import HenrySpec, SpecError
from walker.sim.world import (
    LEFT,
    RIGHT,
    STATE_FIELDS,
    HenryWorld,
    LegCommand,
    LegPose,
    PhysicsDivergedError,
    Pose,
    PoseError,
)

FALL_ANGLE_RAD = 0.6
"""Henry has fallen when his torso tilts further than this (about 34 degrees)."""


class HenryEnvError(ValueError):
    """A bad argument, action or reset option was given to a Henry environment."""


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
    Action.LIFT_RIGHT: RIGHT, Action.LIFT_LEFT: LEFT,
    Action.RIGHT_FORWARD: RIGHT, Action.RIGHT_BACKWARD: RIGHT,
    Action.LEFT_FORWARD: LEFT, Action.LEFT_BACKWARD: LEFT,
    Action.PUT_DOWN_RIGHT: RIGHT, Action.PUT_DOWN_LEFT: LEFT,
}


# When, within one decision (progress u from 0 to 1), each motion happens, as (start,
# length). A lift raises the foot in the first half; a move swings it in the first 60%; a
# put-down lowers the foot in the first 20% and shifts the weight from 20% to 85%, leaving
# the rest to settle. The continuous hard-coded gait replays the same timing.
LIFT_WINDOW = (0.0, 0.5)
MOVE_WINDOW = (0.0, 0.6)
LOWER_WINDOW = (0.0, 0.2)
SHIFT_WINDOW = (0.2, 0.65)


def window_progress(u: float, window: tuple[float, float]) -> float:
    """Smoothstep progress of a motion that runs during `window` (start, length)."""
    return _smoothstep((u - window[0]) / window[1])


def _smoothstep(u: float) -> float:
    """0 -> 1 with zero velocity at both ends (so commanded motions start and stop gently)."""
    if u <= 0.0:
        return 0.0
    if u >= 1.0:
        return 1.0
    return u * u * (3.0 - 2.0 * u)


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
    raise HenryEnvError(f"spec must be a HenrySpec or a mapping of HenrySpec field overrides, "
                        f"got {type(spec).__name__}")


def checked_pushes(pushes: Any) -> tuple[Push, ...]:
    """Validate the `pushes` keyword: pairs (time_s >= 0, impulse_n_s), both finite."""
    message = ("pushes must be a sequence of (time_s, impulse_n_s) pairs of finite numbers "
               f"with time_s >= 0, got {pushes!r}")
    if isinstance(pushes, (str, bytes)) or not isinstance(pushes, Sequence):
        raise HenryEnvError(message)
    checked = []
    for push in pushes:
        if isinstance(push, (str, bytes)) or not isinstance(push, Sequence) or len(push) != 2:
            raise HenryEnvError(message)
        time_s, impulse = push
        for value in (time_s, impulse):
            if (isinstance(value, bool) or not isinstance(value, (int, float, np.number))
                    or not math.isfinite(value)):
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

    def __init__(self, spec: HenrySpec | Mapping[str, Any] | None = None,
                 render_mode: str | None = None, pushes: Sequence[Push] = (),
                 measure_work: bool = False) -> None:
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
        self.hud: dict[str, Any] = {}
        """Extra lines the renderer shows (set by training loops: episode, epsilon, ...)."""
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
        self._start_x = self.world.read_state()[0]
        dt = self.henry_spec.control_dt_s
        origin = self.world.control_steps
        self._push_queue = [(origin + math.ceil(time_s / dt - 1e-9), impulse)
                            for time_s, impulse in self.pushes]

    _settle_steps = 12

    def _fallen(self, state: Sequence[float]) -> bool:
        return state[6] > 0.5 or abs(state[2]) > FALL_ANGLE_RAD

    @property
    def distance_m(self) -> float:
        """How far Henry's torso is ahead of where this episode started."""
        return float(self.world.read_state()[0] - self._start_x)

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


class HenryDiscreteEnv(HenryEnv):
    """The article's Henry: four numbers of state, eight actions, legal only in some states.

    ## Action Space
    `Discrete(8)`, the members of `Action`:

    | value | action | legal when |
    | --- | --- | --- |
    | 0 | `LIFT_RIGHT` | both feet on the ground |
    | 1 | `LIFT_LEFT` | both feet on the ground |
    | 2 | `RIGHT_FORWARD` | right foot in the air and not at the front level |
    | 3 | `RIGHT_BACKWARD` | right foot in the air and not at the back level |
    | 4 | `LEFT_FORWARD` | left foot in the air and not at the front level |
    | 5 | `LEFT_BACKWARD` | left foot in the air and not at the back level |
    | 6 | `PUT_DOWN_RIGHT` | right foot in the air |
    | 7 | `PUT_DOWN_LEFT` | left foot in the air |

    Legality is a function of the observation only. It is reported as `info["action_mask"]`
    (int8, one entry per action, Taxi's convention) by `reset` and `step`, and by
    `action_masks()` (bool, sb3-contrib's convention); both come from `legal_action_mask`.
    An illegal action is a no-op that still lasts one decision (Henry holds his pose) and
    sets `info["illegal_action"] = True`. A value outside `Discrete(8)` raises
    `HenryEnvError`.

    ## Physical execution
    Every action lasts `decision_steps` control steps of the physics. A lift raises the foot;
    a move swings the lifted foot one level forward or backward; a put-down lowers the foot
    and then **shifts Henry's weight onto it**: with both feet planted, both hips swing
    together so the torso travels over the new foot, pushed along by the soles' friction
    (as far as the other foot's range allows). The torso therefore advances when a foot that
    was carried forward is put down, not while it is carried: the payoff of extending a foot
    comes late, which is what makes exploration matter, as in the article. A move only swings
    a foot in the air, so it earns nothing by itself.

    ## Observation Space
    `MultiDiscrete([K, 2, K, 2])`: `[right foot extension, right foot on ground, left foot
    extension, left foot on ground]`. Extension is the sensed horizontal position of the
    ankle relative to the hip, quantised to `K = extension_levels` levels: 0 is the furthest
    back, K-1 the furthest forward, (K-1)/2 under the hip; the levels are `step_length_m`
    apart. "On ground" is the sensed contact (1 when the sole touches the ground), which can
    differ from what was commanded. `state_index(obs)` turns an observation into a single
    integer in `[0, K*2*K*2)` for tabular agents.

    ## Rewards
    The torso's forward progress during the action, in metres (backward is negative).

    ## Episode End
    Terminates when Henry falls: the torso touches the ground or tilts more than
    `FALL_ANGLE_RAD`. Truncation is left to the `TimeLimit` wrapper that `gymnasium.make`
    adds (`max_episode_steps=200` decisions for `Henry-v0`).

    ## Starting State
    Both feet planted under the hip. `reset(options=...)` accepts:
    * `{"state": [r_ext, r_down, l_ext, l_down]}`: any discrete state with a foot down,
    * `{"pose": "left_foot_up"}` (also `"right_foot_up"`, `"standing"`),
    * `{"pose": "random"}`: a random legal state drawn from the env's `np_random`.

    ## Arguments
    * `extension_levels` (K, odd, >= 3, default 5): levels of foot extension.
    * `step_length_m` (default 0.07): distance between two extension levels.
    * `decision_steps` (default 36): control steps (1/60 s each) per action (0.6 s).
    * `spec`, `pushes`, `measure_work`, `render_mode`: see `HenryEnv` (field overrides,
      scheduled pushes, `info["positive_work_j"]`).

    ## Version History
    * v0: first release.
    """

    ACTIONS = Action

    def __init__(
        self,
        extension_levels: int = 5,
        step_length_m: float = 0.07,
        decision_steps: int = 36,
        spec: HenrySpec | Mapping[str, Any] | None = None,
        render_mode: str | None = None,
        pushes: Sequence[Push] = (),
        measure_work: bool = False,
    ) -> None:
        super().__init__(spec, render_mode, pushes, measure_work)
        if (not isinstance(extension_levels, int) or isinstance(extension_levels, bool)
                or extension_levels < 3 or extension_levels % 2 == 0):
            raise HenryEnvError(
                f"extension_levels must be an odd whole number >= 3 (so one level is under "
                f"the hip), got {extension_levels!r}"
            )
        if not isinstance(decision_steps, int) or isinstance(decision_steps, bool) \
                or decision_steps < 4:
            raise HenryEnvError(f"decision_steps must be a whole number >= 4, got "
                                f"{decision_steps!r}")
        if not (isinstance(step_length_m, (int, float)) and math.isfinite(step_length_m)
                and step_length_m > 0):
            raise HenryEnvError(f"step_length_m must be a positive number, got "
                                f"{step_length_m!r}")
        spec = self.henry_spec
        half = (extension_levels - 1) // 2
        reach = half * step_length_m
        lifted_limit = spec.lifted_drop_m * math.tan(spec.swing_limit_rad)
        if reach > lifted_limit:
            raise HenryEnvError(
                f"{extension_levels} levels {step_length_m} m apart reach {reach:.3f} m, beyond "
                f"the swing range of a lifted foot ({lifted_limit:.3f} m); use fewer levels or "
                "a shorter step_length_m"
            )
        self.extension_levels = extension_levels
        self.step_length_m = float(step_length_m)
        self.decision_steps = decision_steps
        self._half = half
        self._nvec = (extension_levels, 2, extension_levels, 2)
        self.observation_space = spaces.MultiDiscrete(list(self._nvec))
        self.action_space = spaces.Discrete(len(Action))
        # Controller memory: the commanded foot offsets (m) and which feet are meant up.
        self._target_offset = [0.0, 0.0]
        self._lifted = [False, False]
        self._obs = np.zeros(4, dtype=np.int64)

    # -- state encoding ---------------------------------------------------------------

    @property
    def n_states(self) -> int:
        """Number of distinct observations (the size of a tabular agent's state axis)."""
        return int(np.prod(self._nvec))

    def state_index(self, obs: np.ndarray | Sequence[int]) -> int:
        """One integer per observation: `np.ravel_multi_index(obs, [K, 2, K, 2])`."""
        return int(np.ravel_multi_index(tuple(int(v) for v in obs), self._nvec))

    def _level(self, offset_m: float) -> int:
        level = round(offset_m / self.step_length_m) + self._half
        return min(max(level, 0), self.extension_levels - 1)

    def _observe(self, state: Sequence[float]) -> np.ndarray:
        obs = self._obs
        obs[0] = self._level(state[11])
        obs[1] = 1 if state[12] > 0.5 else 0
        obs[2] = self._level(state[17])
        obs[3] = 1 if state[18] > 0.5 else 0
        return obs.copy()

    # -- legality ---------------------------------------------------------------------

    def legal_action_mask(self, obs: np.ndarray | Sequence[int] | None = None) -> np.ndarray:
        """Bool mask over `Action` for `obs` (the current observation by default)."""
        o = self._obs if obs is None else obs
        return discrete_action_mask(o, self.extension_levels)

    def action_masks(self) -> np.ndarray:
        """sb3-contrib's MaskablePPO convention: bool mask for the current observation."""
        return self.legal_action_mask()

    # -- gymnasium API ------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        state = self._start_state(options)
        r_level, r_down, l_level, l_down = state
        pose = Pose(
            right=LegPose((r_level - self._half) * self.step_length_m, lifted=not r_down),
            left=LegPose((l_level - self._half) * self.step_length_m, lifted=not l_down),
        )
        self._reset_world(pose)
        self._target_offset = [pose.right.foot_offset_m, pose.left.foot_offset_m]
        self._lifted = [pose.right.lifted, pose.left.lifted]
        obs = self._observe(self.world.read_state())
        return obs, self._info(illegal=False, terms=None)

    def _start_state(self, options: Mapping[str, Any] | None) -> tuple[int, int, int, int]:
        center = self._half
        if not options:
            return (center, 1, center, 1)
        if not isinstance(options, Mapping):
            raise HenryEnvError(f"reset options must be a dict, got {type(options).__name__}")
        unknown = set(options) - {"state", "pose"}
        if unknown:
            raise HenryEnvError(f"unknown reset option(s) {sorted(unknown)}; "
                                "use 'state' or 'pose'")
        if "state" in options and "pose" in options:
            raise HenryEnvError("give either reset option 'state' or 'pose', not both")
        if "state" in options:
            return self._checked_state(options["state"])
        pose = options["pose"]
        named = {
            "standing": (center, 1, center, 1),
            "left_foot_up": (center, 1, center, 0),
            "right_foot_up": (center, 0, center, 1),
        }
        if pose == "random":
            states = legal_start_states(self.extension_levels)
            return states[int(self.np_random.integers(len(states)))]
        if pose not in named:
            raise HenryEnvError(f"unknown pose {pose!r}; use one of {[*named, 'random']}")
        return named[pose]

    def _checked_state(self, value: Any) -> tuple[int, int, int, int]:
        try:
            state = tuple(int(v) for v in value)
            exact = all(float(v) == int(v) for v in value)
        except (TypeError, ValueError) as error:
            raise HenryEnvError(f"reset state must be four whole numbers, got {value!r}") \
                from error
        if len(state) != 4 or not exact:
            raise HenryEnvError(f"reset state must be four whole numbers "
                                f"[r_ext, r_down, l_ext, l_down], got {value!r}")
        if state not in legal_start_states(self.extension_levels):
            raise HenryEnvError(
                f"reset state {list(state)} is not a valid start: extensions must be in "
                f"0..{self.extension_levels - 1}, contacts 0 or 1, and at least one foot down"
            )
        return state[0], state[1], state[2], state[3]

    def step(self, action: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        action = self._checked_action(action)
        mask = self.legal_action_mask()
        legal = bool(mask[action])
        start = self.world.read_state()
        plan = self._plan(Action(action)) if legal else self._hold()
        terminated = False
        world = self.world
        state = start
        work_before = world.positive_work_j
        try:
            for step in range(self.decision_steps):
                self._control_step(*plan(step / self.decision_steps))
                state = world.read_state()
                if self._fallen(state):
                    terminated = True
                    break
        except PhysicsDivergedError as error:
            raise PhysicsDivergedError(f"{error} (during action {Action(action).name})") \
                from error
        reward = state[0] - start[0]
        obs = self._observe(state)
        info = self._info(illegal=not legal, terms={"progress": reward})
        if world.measure_work:
            info["positive_work_j"] = world.positive_work_j - work_before
        return obs, reward, terminated, False, info

    def _checked_action(self, action: Any) -> int:
        if isinstance(action, (bool, np.bool_)):
            raise HenryEnvError(f"action must be an integer in [0, {len(Action)}), got {action!r}")
        try:
            value = int(action)
            exact = float(action) == value
        except (TypeError, ValueError, OverflowError) as error:
            raise HenryEnvError(
                f"action must be an integer in [0, {len(Action)}), got {action!r}"
            ) from error
        if not exact or not 0 <= value < len(Action):
            raise HenryEnvError(f"action must be an integer in [0, {len(Action)}), got {action!r}")
        return value

    def _info(self, illegal: bool, terms: dict[str, float] | None) -> dict[str, Any]:
        info: dict[str, Any] = {
            "action_mask": self.legal_action_mask().astype(np.int8),
            "illegal_action": illegal,
            "distance_m": self.distance_m,
            "time_s": self.world.time_s,
        }
        if terms is not None:
            info["reward_terms"] = terms
        return info

    # -- motion primitives -------------------------------------------------------------

    def _commands(self, offsets: Sequence[float], drops: Sequence[float]
                  ) -> tuple[LegCommand, LegCommand]:
        return (
            LegCommand(math.atan2(offsets[RIGHT], drops[RIGHT]), drops[RIGHT]),
            LegCommand(math.atan2(offsets[LEFT], drops[LEFT]), drops[LEFT]),
        )

    def _drop(self, lifted: bool) -> float:
        spec = self.henry_spec
        return spec.lifted_drop_m if lifted else spec.stand_drop_m

    def _drops(self) -> list[float]:
        return [self._drop(self._lifted[RIGHT]), self._drop(self._lifted[LEFT])]

    def _hold(self) -> Any:
        commands = self._commands(self._target_offset, self._drops())
        return lambda u: commands

    def _plan(self, action: Action) -> Any:
        """A function of decision progress u in [0, 1) giving the servo commands."""
        leg = ACTION_LEG[action]
        other = 1 - leg
        offsets = list(self._target_offset)
        drops_before = self._drops()
        observed_offset = (int(self._obs[2 * leg]) - self._half) * self.step_length_m
        if action in (Action.LIFT_RIGHT, Action.LIFT_LEFT):
            self._lifted[leg] = True
            return self._interpolation(offsets, offsets, drops_before, LIFT_WINDOW, LIFT_WINDOW)
        if action in (Action.RIGHT_FORWARD, Action.LEFT_FORWARD,
                      Action.RIGHT_BACKWARD, Action.LEFT_BACKWARD):
            direction = 1 if action in (Action.RIGHT_FORWARD, Action.LEFT_FORWARD) else -1
            self._lifted[leg] = True
            end = list(offsets)
            end[leg] = observed_offset + direction * self.step_length_m
            self._target_offset = end
            return self._interpolation(offsets, end, drops_before, MOVE_WINDOW, MOVE_WINDOW)
        # Put down, then shift the weight onto the planted foot.
        self._lifted[leg] = False
        other_offset = (int(self._obs[2 * other]) - self._half) * self.step_length_m
        reach = self._half * self.step_length_m
        shift = min(max(observed_offset, other_offset - reach), other_offset + reach)
        end = [0.0, 0.0]
        end[leg] = observed_offset - shift
        end[other] = other_offset - shift
        self._target_offset = end
        return self._interpolation(offsets, end, drops_before, LOWER_WINDOW, SHIFT_WINDOW)

    def _interpolation(self, start: list[float], end: list[float], drops_before: list[float],
                       drop_window: tuple[float, float], offset_window: tuple[float, float]
                       ) -> Any:
        """Foot depths move to their new targets during `drop_window` of the decision and
        foot offsets during `offset_window` (each a (start, length) pair), along smoothsteps."""
        drops_after = self._drops()

        def plan(u: float) -> tuple[LegCommand, LegCommand]:
            k_drop = window_progress(u, drop_window)
            k_offset = window_progress(u, offset_window)
            drops = [a + (b - a) * k_drop for a, b in zip(drops_before, drops_after, strict=True)]
            offsets = [a + (b - a) * k_offset for a, b in zip(start, end, strict=True)]
            return self._commands(offsets, drops)

        return plan


def discrete_action_mask(obs: np.ndarray | Sequence[int], extension_levels: int) -> np.ndarray:
    """Which `Action`s are legal in discrete state `obs` (see `HenryDiscreteEnv`)."""
    r_level, r_down, l_level, l_down = (int(v) for v in obs)
    front = extension_levels - 1
    mask = np.zeros(len(Action), dtype=bool)
    both_down = bool(r_down) and bool(l_down)
    mask[Action.LIFT_RIGHT] = both_down
    mask[Action.LIFT_LEFT] = both_down
    right_up = not r_down
    left_up = not l_down
    mask[Action.RIGHT_FORWARD] = right_up and r_level < front
    mask[Action.RIGHT_BACKWARD] = right_up and r_level > 0
    mask[Action.LEFT_FORWARD] = left_up and l_level < front
    mask[Action.LEFT_BACKWARD] = left_up and l_level > 0
    mask[Action.PUT_DOWN_RIGHT] = right_up
    mask[Action.PUT_DOWN_LEFT] = left_up
    return mask


def legal_start_states(extension_levels: int) -> list[tuple[int, int, int, int]]:
    """Every discrete state Henry can be started in: any extensions, at least one foot down."""
    return [
        (right, right_down, left, left_down)
        for right in range(extension_levels) for right_down in (0, 1)
        for left in range(extension_levels) for left_down in (0, 1)
        if right_down or left_down
    ]


OBSERVATION_FIELDS: tuple[str, ...] = (
    "torso_height_m", "torso_angle_rad", "torso_vx_m_s", "torso_vy_m_s",
    "torso_angular_velocity_rad_s",
    "right_swing_rad", "right_swing_rate_rad_s", "right_length_m", "right_length_rate_m_s",
    "right_foot_contact",
    "left_swing_rad", "left_swing_rate_rad_s", "left_length_m", "left_length_rate_m_s",
    "left_foot_contact",
)
"""Names of the continuous observation's entries, in order."""

_OBS_SOURCE = [STATE_FIELDS.index(name) for name in OBSERVATION_FIELDS]

ACTION_FIELDS: tuple[str, ...] = ("right_swing", "right_extension", "left_swing",
                                  "left_extension")
"""Names of the continuous action's entries, in order."""


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

    ## Episode End
    Terminates when Henry falls (torso touches the ground or tilts more than
    `FALL_ANGLE_RAD`). `gymnasium.make` truncates after 1000 steps (16.7 s).

    ## Arguments
    `forward_reward_weight` (10.0), `ctrl_cost_weight` (0.01), `fall_penalty` (1.0),
    `walking_reward` (False), `flight_cost` (10.0), `slip_cost` (10.0),
    `frame_skip` (1: control steps of 1/60 s per env step); `spec`, `pushes`,
    `measure_work`, `render_mode`: see `HenryEnv`.

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
    ) -> None:
        super().__init__(spec, render_mode, pushes, measure_work)
        if not isinstance(walking_reward, (bool, np.bool_)):
            raise HenryEnvError(f"walking_reward must be True or False, got {walking_reward!r}")
        for name, value in (("forward_reward_weight", forward_reward_weight),
                            ("ctrl_cost_weight", ctrl_cost_weight),
                            ("fall_penalty", fall_penalty), ("flight_cost", flight_cost),
                            ("slip_cost", slip_cost)):
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
        obs = np.array([state[i] for i in _OBS_SOURCE], dtype=np.float32)
        return np.clip(obs, self._low, self._high, out=obs)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self._reset_world(self._start_pose(options))
        state = self.world.read_state()
        self._last_x = state[0]
        return self._observe(state), {"distance_m": 0.0, "time_s": self.world.time_s}

    def _start_pose(self, options: Mapping[str, Any] | None) -> Pose:
        if not options:
            return Pose()
        if not isinstance(options, Mapping):
            raise HenryEnvError(f"reset options must be a dict, got {type(options).__name__}")
        unknown = set(options) - {"pose"}
        if unknown:
            raise HenryEnvError(f"unknown reset option(s) {sorted(unknown)}; use 'pose'")
        pose = options["pose"]
        reach = 0.5 * self.henry_spec.max_foot_offset_m
        if pose == "standing":
            return Pose()
        if pose == "left_foot_up":
            return Pose(left=LegPose(0.0, lifted=True))
        if pose == "right_foot_up":
            return Pose(right=LegPose(0.0, lifted=True))
        if pose == "random":
            rng = self.np_random
            lifted = int(rng.integers(3))  # 0: right up, 1: left up, 2: both down
            return Pose(
                right=LegPose(float(rng.uniform(-reach, reach)), lifted=lifted == 0),
                left=LegPose(float(rng.uniform(-reach, reach)), lifted=lifted == 1),
            )
        if isinstance(pose, Pose):
            return pose
        raise HenryEnvError(
            f"unknown pose {pose!r}; use 'standing', 'left_foot_up', 'right_foot_up', "
            "'random' or a walker.sim.world.Pose"
        )

    def _commands_for(self, values: Sequence[float]) -> tuple[LegCommand, LegCommand]:
        swing, stand, lift = self._swing_scale, self._stand_drop, self._lift
        a0, a1, a2, a3 = (-1.0 if v < -1.0 else (1.0 if v > 1.0 else v) for v in values)
        return (LegCommand(a0 * swing, stand + a1 * lift),
                LegCommand(a2 * swing, stand + a3 * lift))

    def step(self, action: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        try:
            array = np.asarray(action, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise HenryEnvError(f"action must be 4 numbers in [-1, 1], got {action!r}") \
                from error
        if array.shape != (4,):
            raise HenryEnvError(
                f"action must have shape (4,) [right_swing, right_extension, left_swing, "
                f"left_extension], got shape {array.shape}"
            )
        values = array.tolist()
        # One sum catches any NaN or infinity (inf - inf is NaN too).
        if not math.isfinite(values[0] + values[1] + values[2] + values[3]):
            raise HenryEnvError(f"action must be finite, got {values}")
        commands = self._commands_for(values)
        world = self.world
        x_before = self._last_x
        work_before = world.positive_work_j
        for _ in range(self.frame_skip):
            self._control_step(*commands)
        state = world.read_state()
        self._last_x = state[0]
        fell = self._fallen(state)
        forward = self.forward_reward_weight * (state[0] - x_before) / self.dt
        control = -self.ctrl_cost_weight * sum(v * v for v in values)
        fall = -self.fall_penalty if fell else 0.0
        terms = {"forward": forward, "control": control, "fall": fall}
        if self.walking_reward:
            terms["flight"] = -self.flight_cost if state[12] + state[18] < 0.5 else 0.0
            terms["slip"] = -self.slip_cost * self._sole_slip_m_s(state)
        info = {
            "reward_terms": terms,
            "distance_m": state[0] - self._start_x,
            "time_s": world.time_s,
            "x_velocity_m_s": (state[0] - x_before) / self.dt,
        }
        if world.measure_work:
            info["positive_work_j"] = world.positive_work_j - work_before
        return self._observe(state), sum(terms.values()), fell, False, info

    def _sole_slip_m_s(self, state: Sequence[float]) -> float:
        """Summed |horizontal ankle velocity| of the feet on the ground (0 when planted).

        The ankle is `length` along the leg from the hip, which sits `torso_height_m / 2`
        below the torso's centre; its velocity follows from the sensed rates."""
        angle, omega = state[2], state[5]
        half = 0.5 * self.henry_spec.torso_height_m
        hip_vx = state[3] + omega * half * math.cos(angle)
        slip = 0.0
        for base in (7, 13):
            if state[base + 5] > 0.5:
                leg_angle = angle + state[base]
                leg_rate = omega + state[base + 1]
                length, length_rate = state[base + 2], state[base + 3]
                slip += abs(hip_vx + length_rate * math.sin(leg_angle)
                            + length * math.cos(leg_angle) * leg_rate)
        return slip
