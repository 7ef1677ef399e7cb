"""`Henry-v0`: the article's Henry, four numbers of state and eight actions.

The state is `[right foot extension, right foot on ground, left foot extension, left foot
on ground]`; the actions lift a foot, move a lifted foot forward or backward, or put it
down. Which are legal depends on the state (`discrete_action_mask`). Each action is a motion
from `envs.motions` that the physics carries out over a fixed number of control steps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, SupportsFloat

import numpy as np
from gymnasium import spaces

from envs.base import HenryEnv, HenryEnvError, Push, start_perturbation
from envs.motions import Action, FootTargets, Stride, hold_motion, plan_motion
from walker.sim.body import LegPose, Pose
from walker.sim.spec import HenrySpec
from walker.sim.world import FlatState, PhysicsDivergedError

DEFAULT_STEP_LENGTH_M = 0.07
"""Distance between two extension levels when the env is not told (and they fit)."""


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
    * `{"pose": "random"}`: a random legal state drawn from the env's `np_random`,
    * `{"perturb": {...}}`, alone or with one of the above: a small nudge to the start
      (hip angles, leg extensions, torso velocity; see `envs.base.StartPerturbation`).

    ## Arguments
    * `extension_levels` (K, odd, >= 3, default 5): levels of foot extension.
    * `step_length_m`: distance between two extension levels. By default 0.07 m, or less
      when more levels are asked for than 0.07 m apart would fit in a lifted foot's swing
      range (`extension_levels=7` gives levels about 0.055 m apart).
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
        step_length_m: float | None = None,
        decision_steps: int = 36,
        spec: HenrySpec | Mapping[str, Any] | None = None,
        render_mode: str | None = None,
        pushes: Sequence[Push] = (),
        measure_work: bool = False,
    ) -> None:
        super().__init__(spec, render_mode, pushes, measure_work)
        if (
            not isinstance(extension_levels, int)
            or isinstance(extension_levels, bool)
            or extension_levels < 3
            or extension_levels % 2 == 0
        ):
            raise HenryEnvError(
                f"extension_levels must be an odd whole number >= 3 (so one level is under "
                f"the hip), got {extension_levels!r}"
            )
        if (
            not isinstance(decision_steps, int)
            or isinstance(decision_steps, bool)
            or decision_steps < 4
        ):
            raise HenryEnvError(
                f"decision_steps must be a whole number >= 4, got {decision_steps!r}"
            )
        spec = self.henry_spec
        half = (extension_levels - 1) // 2
        lifted_limit = spec.lifted_drop_m * math.tan(spec.swing_limit_rad)
        if step_length_m is None:
            step_length_m = min(DEFAULT_STEP_LENGTH_M, lifted_limit / half)
        if not (
            isinstance(step_length_m, (int, float))
            and not isinstance(step_length_m, bool)
            and math.isfinite(step_length_m)
            and step_length_m > 0
        ):
            raise HenryEnvError(f"step_length_m must be a positive number, got {step_length_m!r}")
        reach = half * step_length_m
        if reach > lifted_limit:
            raise HenryEnvError(
                f"{extension_levels} levels {step_length_m} m apart reach {reach:.3f} m, beyond "
                f"the swing range of a lifted foot ({lifted_limit:.3f} m); use fewer levels or "
                "a shorter step_length_m"
            )
        self.extension_levels = extension_levels
        self.step_length_m = float(step_length_m)
        self.decision_steps = decision_steps
        self.dt = decision_steps * spec.control_dt_s
        """Simulated seconds one action lasts (as `dt` is for the continuous env's step)."""
        self._half = half
        self._nvec = (extension_levels, 2, extension_levels, 2)
        self.observation_space = spaces.MultiDiscrete(list(self._nvec))
        self.action_space = spaces.Discrete(len(Action))
        self._stride = Stride.for_spec(spec, self.step_length_m, half * self.step_length_m)
        self._targets = FootTargets((0.0, 0.0), (False, False))
        """Where the controller holds the feet between actions."""
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

    def _observe(self, state: FlatState) -> np.ndarray:
        obs = self._obs
        obs[0] = self._level(state.right_foot_offset_m)
        obs[1] = 1 if state.right_foot_contact > 0.5 else 0
        obs[2] = self._level(state.left_foot_offset_m)
        obs[3] = 1 if state.left_foot_contact > 0.5 else 0
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
        self._reset_world(pose, start_perturbation(options))
        self._targets = FootTargets(
            (pose.right.foot_offset_m, pose.left.foot_offset_m),
            (pose.right.lifted, pose.left.lifted),
        )
        obs = self._observe(self.world.read_state())
        return obs, self._info(illegal=False, terms=None)

    def _start_state(self, options: Mapping[str, Any] | None) -> tuple[int, int, int, int]:
        center = self._half
        if not options:
            return (center, 1, center, 1)
        if not isinstance(options, Mapping):
            raise HenryEnvError(f"reset options must be a dict, got {type(options).__name__}")
        unknown = set(options) - {"state", "pose", "perturb"}
        if unknown:
            raise HenryEnvError(
                f"unknown reset option(s) {sorted(unknown, key=repr)}; "
                "use 'state', 'pose' or 'perturb'"
            )
        if "state" in options and "pose" in options:
            raise HenryEnvError("give either reset option 'state' or 'pose', not both")
        if "state" in options:
            return self._checked_state(options["state"])
        if "pose" not in options:
            return (center, 1, center, 1)
        pose = options["pose"]
        named = {
            "standing": (center, 1, center, 1),
            "left_foot_up": (center, 1, center, 0),
            "right_foot_up": (center, 0, center, 1),
        }
        if not isinstance(pose, str) or pose not in {*named, "random"}:
            raise HenryEnvError(f"unknown pose {pose!r}; use one of {[*named, 'random']}")
        if pose == "random":
            states = legal_start_states(self.extension_levels)
            return states[int(self.np_random.integers(len(states)))]
        return named[pose]

    def _checked_state(self, value: Any) -> tuple[int, int, int, int]:
        try:
            state = tuple(int(v) for v in value)
            exact = all(float(v) == int(v) for v in value)
        except (TypeError, ValueError, OverflowError) as error:
            raise HenryEnvError(f"reset state must be four whole numbers, got {value!r}") from error
        if len(state) != 4 or not exact:
            raise HenryEnvError(
                f"reset state must be four whole numbers "
                f"[r_ext, r_down, l_ext, l_down], got {value!r}"
            )
        for start in legal_start_states(self.extension_levels):
            if start == state:
                return start
        raise HenryEnvError(
            f"reset state {list(state)} is not a valid start: extensions must be in "
            f"0..{self.extension_levels - 1}, contacts 0 or 1, and at least one foot down"
        )

    def step(self, action: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        action = self._checked_action(action)
        self._refuse_after_fall()
        mask = self.legal_action_mask()
        legal = bool(mask[action])
        start = self.world.read_state()
        if legal:
            motion, self._targets = plan_motion(
                self._targets, Action(action), self._stride, self._sensed_offsets()
            )
        else:
            motion = hold_motion(self._targets, self._stride)
        terminated = False
        world = self.world
        state = start
        work_before = world.positive_work_j
        try:
            for step in range(self.decision_steps):
                self._control_step(*motion.commands(step / self.decision_steps))
                state = world.read_state()
                if self._fallen(state):
                    terminated = True
                    break
        except PhysicsDivergedError as error:
            raise PhysicsDivergedError(f"{error} (during action {Action(action).name})") from error
        reward = state.torso_x_m - start.torso_x_m
        obs = self._observe(state)
        info = self._info(illegal=not legal, terms={"progress": reward})
        if world.measure_work:
            info["positive_work_j"] = world.positive_work_j - work_before
        self._episode_over = terminated
        return obs, reward, terminated, False, info

    def _checked_action(self, action: Any) -> int:
        """The action as an int: Python and numpy integers (a 0-d integer array too) are
        actions; bools, floats such as 1.0 and strings such as "3" are not."""
        if isinstance(action, np.ndarray) and action.ndim == 0:
            action = action[()]
        if isinstance(action, (int, np.integer)) and not isinstance(action, (bool, np.bool_)):
            value = int(action)
            if 0 <= value < len(Action):
                return value
        raise HenryEnvError(
            f"action must be an integer in [0, {len(Action)}), got {action!r} "
            f"({type(action).__name__})"
        )

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

    def _sensed_offsets(self) -> tuple[float, float]:
        """The feet's offsets as the observation quantises them (m)."""
        obs, half, step = self._obs, self._half, self.step_length_m
        return ((int(obs[0]) - half) * step, (int(obs[2]) - half) * step)


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
        for right in range(extension_levels)
        for right_down in (0, 1)
        for left in range(extension_levels)
        for left_down in (0, 1)
        if right_down or left_down
    ]
