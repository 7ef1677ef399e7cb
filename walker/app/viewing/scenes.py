"""From a running env to what the window draws: sampled frames, the HUD, scenes.

A watched env is wrapped in a `FrameSampler`: every few control steps (1/60 s each) it
samples Henry's geometry into a `Frame`, and hands the frames of each step out with the
step's info (`info["frames"]`), so a discrete action's 0.6 s of motion shows as motion. The
frames travel with the infos through any vector env, in this process or in a worker, and
the window turns them into `Scene`s with the HUD lines every lane shares.

Any other env is drawn from its own pictures: made with `render_mode="rgb_array"`
(`drawn_env`), it is wrapped in a `PictureSampler`, which renders a `Frame` holding the
picture every few env steps and at each episode's end, handed out the same way. An env
whose render modes do not include rgb_array is refused (`require_drawable`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import gymnasium as gym
import numpy as np

import envs
from agents.collect import Step
from envs.gait import GaitMeter, GaitMetrics, attach, detach
from walker.app.core.learners import PolicyError
from walker.app.viewing.overlays import Nudges
from walker.app.viewing.rates import CONTROL_HZ
from walker.draw.footfalls import ContactHistory, FootfallWindow
from walker.draw.renderer import DisplayUnavailableError, QRow, Scene
from walker.draw.video import VideoError
from walker.draw.window import display_problem
from walker.sim.world import Geometry


def frame_stride(fps: float, speed: float = 1.0, hz: float | None = CONTROL_HZ) -> int:
    """Steps between two frames at `fps`, time-lapsed `speed` times (a video at `speed` 4
    shows 4 s of simulated time per second), for an env sampled `hz` times a simulated
    second (Henry's control steps; see `sampled_hz`; None: one frame per step at speed 1)."""
    if not 1 <= fps <= CONTROL_HZ:
        raise VideoError(f"fps must be between 1 and {CONTROL_HZ}, got {fps}")
    if not (math.isfinite(speed) and 1 <= speed <= 64):
        raise VideoError(f"--speed must be between 1 and 64 (times real time), got {speed}")
    return max(1, round((fps if hz is None else hz) * speed / fps))


def sampled_hz(env: gym.Env[Any, Any]) -> float | None:
    """How many times a simulated second `env`'s frames can be sampled: Henry's control
    steps, or another env's steps at its declared `render_fps` (None if it declares none:
    its clock is unknown)."""
    if isinstance(env.unwrapped, envs.HenryEnv):
        return CONTROL_HZ
    fps = env.metadata.get("render_fps")
    return float(fps) if isinstance(fps, (int, float)) and 0 < fps < math.inf else None


def require_display() -> None:
    """Refuse, in one sentence saying why, a window where none can be opened: no display,
    one that does not answer (SDL would draw off screen and show nothing), or an
    off-screen SDL driver."""
    problem = display_problem()
    if problem is not None:
        raise DisplayUnavailableError(
            f"this command needs a display ({problem}); record a video instead with "
            "'walker record POLICY --out gait.mp4', or run it under xvfb-run"
        )


def require_drawable(env: gym.Env[Any, Any], what: str) -> str | None:
    """The render mode the views need `env` made with (None for Henry's envs, which they
    draw themselves; "rgb_array" for an env that renders pictures), or a `PolicyError`
    (one sentence, raised before anything is written) for an env that renders none."""
    if isinstance(env.unwrapped, envs.HenryEnv):
        return None
    modes = list(env.metadata.get("render_modes") or [])
    if "rgb_array" in modes:
        return "rgb_array"
    env_id = env.spec.id if env.spec is not None else type(env.unwrapped).__name__
    renders = f"it renders only {', '.join(map(str, modes))}" if modes else "it renders nothing"
    raise PolicyError(
        f"{what} draw Henry's envs and envs that render rgb_array pictures, not {env_id} "
        f"({renders}); use 'walker eval' to measure it"
    )


def drawn_env(env_id: str, env_kwargs: dict[str, Any], what: str) -> gym.Env[Any, Any]:
    """Env `env_id` made for the views to draw (`require_drawable` says how, or refuses)."""
    # Imported here: policies loads torch, and the window keys' legend (`walker watch
    # --help`) imports this module.
    from walker.app.core.policies import make_env

    env = make_env(env_id, env_kwargs)
    try:
        mode = require_drawable(env, what)
    except BaseException:
        env.close()
        raise
    if mode is None:
        return env
    env.close()
    return make_env(env_id, env_kwargs, render_mode=mode)


def henry_of(env: gym.Env[Any, Any]) -> envs.HenryEnv:
    """The Henry env inside `env`'s wrappers, or a PolicyError for other envs."""
    base = env.unwrapped
    if not isinstance(base, envs.HenryEnv):
        raise PolicyError("only Henry's envs can be drawn")
    return base


def action_names(env: gym.Env[Any, Any]) -> tuple[str, ...] | None:
    """The article's action names for the discrete Henry (None for envs without them)."""
    if isinstance(env.unwrapped, envs.HenryDiscreteEnv):
        return tuple(action.name for action in envs.Action)
    return None


class Frame(NamedTuple):
    """Henry at one instant, as drawn (or another env's own picture of itself)."""

    geometry: Geometry | None
    """Henry's body (None for another env, whose `picture` is drawn instead)."""
    start_x_m: float
    """Where the torso started this episode (the distance marks count from here)."""
    distance_m: float
    time_s: float
    gait: GaitMetrics | None = None
    """The episode's gait so far (`envs.gait`), for the HUD."""
    contacts: tuple[tuple[bool, bool], ...] = ()
    """(right, left) foot switches at each control step since the previous frame of the
    episode, for the footfall strip."""
    picture: np.ndarray | None = None
    """Another env's rgb_array render (HxWx3 uint8) at this instant."""
    steps: int = 0
    """Another env's steps in this episode so far (for its HUD)."""


class Frames:
    """The frames of one env step (an object, so vector envs pass it through as one)."""

    def __init__(self, frames: Sequence[Frame]) -> None:
        self.frames = tuple(frames)


class FrameSampler(gym.Wrapper[Any, Any, Any, Any]):
    """Samples a `Frame` every `stride` control steps of a Henry env into `info["frames"]`;
    `reset` adds the start frame the same way."""

    def __init__(self, env: gym.Env[Any, Any], stride: int) -> None:
        super().__init__(env)
        self.base = henry_of(env)
        self.stride = stride
        self.count = 0
        self.frames: list[Frame] = []
        self.base.control_step_observers.append(self._sample)
        self.gait: GaitMeter | None = None
        self.contacts: list[tuple[bool, bool]] = []

    def _frame(self) -> Frame:
        base = self.base
        gait = self.gait.metrics() if self.gait is not None else None
        contacts, self.contacts = tuple(self.contacts), []
        return Frame(
            base.world.geometry(),
            base.start_x_m,
            base.distance_m,
            base.world.time_s,
            gait,
            contacts,
        )

    def _sample(self) -> None:
        self.count += 1
        self.contacts.append(self.base.world.foot_contacts())
        if self.count % self.stride == 0:
            self.frames.append(self._frame())

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(seed=seed, options=options)
        if self.gait is not None:
            detach(self.base, self.gait)
        self.gait = attach(self.base)  # measures the new episode from its start
        self.contacts = []
        return obs, {**info, "frames": Frames([self._frame()])}

    def step(self, action: Any) -> tuple[Any, Any, bool, bool, dict[str, Any]]:
        self.frames = []
        obs, reward, terminated, truncated, info = self.env.step(action)
        return obs, reward, terminated, truncated, {**info, "frames": Frames(self.frames)}

    def close(self) -> None:
        """Stop sampling Henry (the env may be watched again, see `KeptOpen`), and close."""
        if self._sample in self.base.control_step_observers:
            self.base.control_step_observers.remove(self._sample)
        if self.gait is not None:
            detach(self.base, self.gait)
            self.gait = None
        super().close()


class PictureSampler(gym.Wrapper[Any, Any, Any, Any]):
    """Renders a `Frame` of an env made with `render_mode="rgb_array"` every `stride` env
    steps of an episode, and at its last step, into `info["frames"]`; `reset` adds the
    start frame the same way. Time is the episode's steps at the env's `render_fps`."""

    def __init__(self, env: gym.Env[Any, Any], stride: int) -> None:
        super().__init__(env)
        self.stride = stride
        hz = sampled_hz(env)
        self.dt_s = math.nan if hz is None else 1.0 / hz
        self.steps = 0

    def _frame(self) -> Frame:
        picture = np.asarray(self.env.render())
        if picture.dtype != np.uint8 or picture.ndim != 3 or picture.shape[2] not in (3, 4):
            raise PolicyError(
                f"{self.env.spec.id if self.env.spec else 'the env'} rendered no rgb_array "
                f"picture (got {picture.dtype} {picture.shape}), so it cannot be drawn"
            )
        steps = self.steps
        return Frame(None, 0.0, 0.0, steps * self.dt_s, picture=picture[..., :3], steps=steps)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(seed=seed, options=options)
        self.steps = 0
        return obs, {**info, "frames": Frames([self._frame()])}

    def step(self, action: Any) -> tuple[Any, Any, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.steps += 1
        ended = terminated or truncated
        frames = [self._frame()] if ended or self.steps % self.stride == 0 else []
        return obs, reward, terminated, truncated, {**info, "frames": Frames(frames)}


class KeptOpen(gym.Wrapper[Any, Any, Any, Any]):
    """An env watched again and again (say, for a clip every N episodes) while a window is
    open: `close` leaves it open, `really_close` closes it. An env's own close may quit
    pygame altogether (CartPole's does), which would take the window with it."""

    def close(self) -> None:
        pass

    def really_close(self) -> None:
        self.env.close()


def watched_env(env: gym.Env[Any, Any], stride: int, inbox: Any) -> gym.Env[Any, Any]:
    """`env` as the views watch it: Henry's frames sampled every `stride` control steps
    and pushes taken from `inbox` (`Nudges`), or another env's pictures every `stride`
    steps."""
    if isinstance(env.unwrapped, envs.HenryEnv):
        return FrameSampler(Nudges(env, inbox), stride)
    return PictureSampler(env, stride)


def footfall_history() -> ContactHistory:
    """The last few seconds of a drawn Henry's foot contacts, one sample per control step."""
    return ContactHistory(1.0 / CONTROL_HZ)


def feed_footfalls(history: ContactHistory, frame: Frame, new_episode: bool) -> FootfallWindow:
    """Add `frame`'s contacts to `history` (emptied first when the frame begins a new
    episode) and return the strip's window as of this frame."""
    if new_episode:
        history.clear(frame.time_s - len(frame.contacts) * history.dt_s)
    history.extend(frame.contacts, frame.time_s)
    return history.window()


def step_frames(step: Step, env_index: int = 0) -> tuple[list[Frame], list[Frame]]:
    """(frames of the step just taken, start frames of an episode it began) of one env."""
    for end in step.ended:
        if end.env_index == env_index:
            started = step.infos["frames"][env_index].frames if "frames" in step.infos else ()
            return list(end.info["frames"].frames), list(started)
    return list(step.infos["frames"][env_index].frames), []


def qrows(
    agent: Any, names: Sequence[str] | None, obs: Any, mask: Any, chosen: int | None
) -> list[QRow]:
    """The article's state-action table for the current state, when the agent has one."""
    q = getattr(agent, "q", None)
    encoder = getattr(agent, "encoder", None)
    if q is None or encoder is None or names is None or obs is None:
        return []
    state = encoder.index(obs)
    legal = np.ones(len(names), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    return [
        QRow(names[int(a)], float(q[state, a]), int(a) == chosen) for a in np.flatnonzero(legal)
    ]


def chosen_action(actions: Any, env_index: int = 0) -> int | None:
    """The discrete action env `env_index` took (None for Box actions)."""
    action = np.asarray(actions)[env_index]
    return int(action) if action.ndim == 0 else None


def hud(
    frame: Frame,
    episode: int,
    step: int | None,
    episode_return: float,
    epsilon: float | None,
    best_distance_m: float,
) -> dict[str, Any]:
    """The HUD lines every lane shows, in order."""
    distance, time_s = frame.distance_m, frame.time_s
    lines: dict[str, Any] = {"episode": episode}
    if step is not None:
        lines["step"] = step
    if frame.geometry is None:  # another env's picture: no distance, no gait
        if math.isfinite(time_s):
            lines["time"] = f"{time_s:.2f} s"
        lines["return"] = f"{episode_return:.3f}"
        lines["steps"] = frame.steps
        if epsilon is not None:
            lines["epsilon"] = f"{float(epsilon):.3f}"
        return lines
    lines.update(
        {
            "time": f"{time_s:.1f} s",
            "distance": f"{distance:+.3f} m",
            "speed": f"{distance / time_s if time_s else 0.0:.3f} m/s",
            "return": f"{episode_return:.3f}",
        }
    )
    if epsilon is not None:
        lines["epsilon"] = f"{float(epsilon):.3f}"
    if math.isfinite(best_distance_m):
        lines["best distance"] = f"{best_distance_m:.3f} m"
    gait = frame.gait
    if gait is not None and gait.duration_s > 0:
        lines["flight"] = f"{gait.flight_share:.0%}"
        lines["footfalls"] = f"{gait.footfalls_right} R, {gait.footfalls_left} L"
    return lines


def scene_at(scenes: Sequence[Scene], held: Scene | None, index: int) -> Scene:
    """A lane's `index`-th scene of this tick, or its latest one if it has fewer (`held`:
    the one drawn last, when it sampled none)."""
    scene = scenes[min(index, len(scenes) - 1)] if scenes else held
    assert scene is not None, "every lane samples a frame when it starts"
    return scene
