"""Seeing Henry: the live training window, policy playback, races and gait videos.

Everything here draws through one path: a *lane* is an env with a policy (or a learning
agent) whose Henry is sampled every few control steps (1/60 s each) by an observer the env
calls inside `step`, so a discrete action's 0.6 s of motion shows as motion. Frames go to a
`Window`, to a `VideoWriter`, or to both at once.

Keys in every window: space pause/resume, `.` one step while paused, `f` fast-forward
(draw only every 10th episode), `+`/`-` epsilon, `[`/`]` simulation speed, `s` save a
checkpoint, Esc or closing the window to save and quit.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import envs
from agents.base import Agent, Batch, Learner, act_one
from envs.gait import GaitMeter, attach, detach
from walker.app.policies import PolicyError, checkpoint_env, learner_kind, load_policy, make_env
from walker.app.train import EpisodeResult, LoopState
from walker.draw.renderer import (
    DEFAULT_SIZE,
    LANE_COLORS,
    DisplayUnavailableError,
    QRow,
    Renderer,
    Scene,
    Window,
    display_available,
)
from walker.draw.video import VideoError, VideoWriter, read_frames, write_video

CONTROL_HZ = 60
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
LEGEND = "space pause  . step  f fast  +/- epsilon  [/] speed  s save  Esc quit"


def frame_stride(fps: float) -> int:
    """Control steps between two frames at `fps`."""
    if not 1 <= fps <= CONTROL_HZ:
        raise VideoError(f"fps must be between 1 and {CONTROL_HZ}, got {fps}")
    return max(1, round(CONTROL_HZ / fps))


def require_display() -> None:
    if not display_available():
        raise DisplayUnavailableError(
            "this command needs a display (DISPLAY is not set); record a video instead with "
            "'walker record POLICY --out gait.mp4', or run it under xvfb-run"
        )


def _henry(env: Any) -> envs.HenryEnv:
    base = env.unwrapped
    if not isinstance(base, envs.HenryEnv):
        raise PolicyError("only Henry's envs can be drawn")
    return base


def _qrows(agent: Any, base: envs.HenryEnv, obs: Any, chosen: int | None) -> list[QRow]:
    """The article's state-action table for the current state, when the agent has one."""
    q = getattr(agent, "q", None)
    encoder = getattr(agent, "encoder", None)
    if q is None or encoder is None or not isinstance(base, envs.HenryDiscreteEnv):
        return []
    state = encoder.index(obs)
    legal = base.legal_action_mask(np.asarray(obs))
    return [QRow(envs.Action(int(a)).name, float(q[state, a]), int(a) == chosen)
            for a in np.flatnonzero(legal)]


def _hud(base: envs.HenryEnv, episode: int, step: int | None, episode_return: float,
         epsilon: float | None, best_distance_m: float) -> dict[str, Any]:
    """The HUD lines every lane shows, in order."""
    distance, time_s = base.distance_m, base.world.time_s
    hud: dict[str, Any] = {"episode": episode}
    if step is not None:
        hud["step"] = step
    hud.update({"time": f"{time_s:.1f} s", "distance": f"{distance:+.3f} m",
                "speed": f"{distance / time_s if time_s else 0.0:.3f} m/s",
                "return": f"{episode_return:.3f}"})
    if epsilon is not None:
        hud["epsilon"] = f"{float(epsilon):.3f}"
    if math.isfinite(best_distance_m):
        hud["best distance"] = f"{best_distance_m:.3f} m"
    return hud


class _Controls:
    """Key handling shared by the playback, race and training windows."""

    def __init__(self, window: Window | None, agent: Any = None) -> None:
        self.window = window
        self.agent = agent
        self.paused = False
        self.step_once = False
        self.fast = False
        self.speed_index = SPEEDS.index(1.0)
        self.quit = False
        self.save = False
        self.messages: list[str] = []

    @property
    def speed(self) -> float:
        return SPEEDS[self.speed_index]

    def log(self, message: str) -> None:
        self.messages.append(message)
        print(f"[window] {message}", file=sys.stderr, flush=True)

    def handle(self, keys: Sequence[str]) -> None:
        for key in keys:
            if key in ("escape", "quit"):
                self.quit = True
            elif key == " ":
                self.paused = not self.paused
            elif key == ".":
                self.paused = True
                self.step_once = True
            elif key == "f":
                self.fast = not self.fast
                self.log(f"fast-forward {'on' if self.fast else 'off'}")
            elif key in ("+", "=", "-") and self.agent is not None and hasattr(
                    self.agent, "epsilon_override"):
                current = float(self.agent.epsilon)
                value = min(1.0, current + 0.05) if key != "-" else max(0.0, current - 0.05)
                self.agent.epsilon_override = round(value, 4)
                self.log(f"epsilon set to {value:.2f}")
            elif key in ("[", "]"):
                step = 1 if key == "]" else -1
                self.speed_index = min(max(self.speed_index + step, 0), len(SPEEDS) - 1)
                self.log(f"simulation speed x{self.speed:g}")
            elif key == "s":
                self.save = True
                self.log("checkpoint requested")

    def show(self, surface: Any) -> None:
        """Show a frame at the chosen speed, then wait here while paused (events pumped)."""
        if self.window is None:
            return
        self.handle(self.window.show(surface, CONTROL_HZ * self.speed))
        while self.paused and not self.quit and not self.step_once:
            time.sleep(0.02)
            self.handle(self.window.show(surface))


@dataclass
class Lane:
    """One robot on screen: an env, who drives it, and what to show about it."""

    label: str
    env: Any
    agent: Agent
    learn: bool = False
    color: tuple[int, int, int] = LANE_COLORS[0]
    obs: Any = None
    info: dict[str, Any] = field(default_factory=dict)
    episode: int = 1
    episode_return: float = 0.0
    returns: list[float] = field(default_factory=list)
    best_distance_m: float = -math.inf
    last_action: int | None = None
    samples: list[Scene] = field(default_factory=list)
    gait: GaitMeter | None = None
    """Measures this episode's gait for the HUD (attached at every reset)."""

    @property
    def base(self) -> envs.HenryEnv:
        return _henry(self.env)

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        self.obs, self.info = self.env.reset(seed=seed, options=options)
        self.agent.reset()
        self.episode_return = 0.0
        if self.gait is not None:
            detach(self.env, self.gait)
        self.gait = attach(self.env)

    def scene(self, extra: dict[str, Any] | None = None) -> Scene:
        base = self.base
        epsilon = getattr(self.agent, "epsilon", None) if self.learn else None
        hud = _hud(base, self.episode, None, self.episode_return, epsilon,
                   self.best_distance_m)
        if self.gait is not None:
            gait = self.gait.metrics()
            if gait.duration_s > 0:
                hud["flight"] = f"{gait.flight_share:.0%}"
                hud["footfalls"] = f"{gait.footfalls_right} R, {gait.footfalls_left} L"
        hud.update(extra or {})
        return Scene(base.world.geometry(), base.start_x_m, self.label, self.color, hud,
                     _qrows(self.agent, base, self.obs, self.last_action), list(self.returns))

    def step(self) -> bool:
        """One env step (one discrete action or one control step); True when it ended."""
        action = act_one(self.agent, self.obs, self.info, explore=self.learn)
        self.last_action = int(action) if np.ndim(action) == 0 else None
        next_obs, reward, terminated, truncated, next_info = self.env.step(action)
        if self.learn:
            learner: Learner = self.agent  # type: ignore[assignment]
            masks = self.info.get("action_mask")
            next_masks = next_info.get("action_mask")
            learner.learn(Batch(
                np.asarray(self.obs)[None], np.asarray(action)[None],
                np.array([float(reward)]), np.asarray(next_obs)[None],
                np.array([terminated]), np.array([truncated]),
                None if masks is None else np.asarray(masks, dtype=bool)[None],
                None if next_masks is None else np.asarray(next_masks, dtype=bool)[None],
            ))
        self.episode_return += float(reward)
        self.obs, self.info = next_obs, next_info
        if terminated or truncated:
            self.returns.append(self.episode_return)
            self.best_distance_m = max(self.best_distance_m, self.base.distance_m)
            self.episode += 1
            return True
        return False


def _lanes_for(specs: Sequence[str], env_id: str | None, env_kwargs: dict[str, Any],
               seed: int, learn_specs: Sequence[str] = ()) -> list[Lane]:
    lanes = []
    for index, spec in enumerate([*specs, *learn_specs]):
        learning = index >= len(specs)
        lane_env_id, lane_kwargs = env_id, dict(env_kwargs)
        if lane_env_id is None and not learning:
            found = checkpoint_env(spec)
            if found:
                lane_env_id, saved = found
                lane_kwargs = {**saved, **lane_kwargs}
        lane_env_id = lane_env_id or envs.DISCRETE_ID
        env = make_env(lane_env_id, lane_kwargs)
        _henry(env)
        if learning:
            agent: Agent = _learner_from_spec(spec, env, seed + index)
        else:
            agent = load_policy(spec, env, seed + index, lane_env_id, lane_kwargs)
        color = LANE_COLORS[index % len(LANE_COLORS)]
        lanes.append(Lane(spec if not learning else f"learning {spec}", env, agent, learning,
                          color))
    return lanes


def _learner_from_spec(spec: str, env: Any, seed: int) -> Learner:
    """`qlearning` or `qlearning:alpha=0.3,epsilon_end=0.01` (epsilon_* set the schedule)."""
    import dataclasses

    name, _, settings = spec.partition(":")
    kind = learner_kind(name)
    config = kind.config_cls()
    for item in filter(None, settings.split(",")):
        key, _, raw = item.partition("=")
        try:
            value: Any = float(raw) if "." in raw or "e" in raw.lower() else int(raw)
        except ValueError as error:
            raise PolicyError(f"bad setting {item!r} in {spec!r}: expected KEY=NUMBER") \
                from error
        if key.startswith("epsilon_") and hasattr(config, "epsilon"):
            inner = key.removeprefix("epsilon_")
            config = dataclasses.replace(
                config, epsilon=dataclasses.replace(config.epsilon, **{inner: value}))
        else:
            try:
                config = dataclasses.replace(config, **{key: value})
            except TypeError as error:
                raise PolicyError(f"{name} has no setting {key!r}") from error
    return kind.build(env.observation_space, env.action_space, config, seed)


def run_lanes(lanes: Sequence[Lane], *, seconds: float | None, fps: float,
              size: tuple[int, int], window: Window | None, writer: VideoWriter | None,
              seed: int = 0, options: dict[str, Any] | None = None,
              finish_m: float | None = None, max_frames: int | None = None) -> None:
    """Run lanes side by side, one env step each per tick, drawing every `stride` control
    steps into the window and/or the video until `seconds` of simulated time pass."""
    stride = frame_stride(fps)
    renderer = Renderer(size, lanes=len(lanes))
    controls = _Controls(window, lanes[0].agent if lanes and lanes[0].learn else None)
    for index, lane in enumerate(lanes):
        lane.reset(seed + index, options)
        counter = {"n": 0}

        def sample(lane: Lane = lane, counter: dict[str, int] = counter) -> None:
            counter["n"] += 1
            if counter["n"] % stride == 0:
                lane.samples.append(lane.scene())

        lane.base.control_step_observers.append(sample)
        lane.samples.append(lane.scene())
    frames = 0
    budget = None if seconds is None else round(seconds * fps)
    if max_frames is not None:
        budget = max_frames if budget is None else min(budget, max_frames)
    try:
        while not controls.quit and (budget is None or frames < budget):
            for lane in lanes:
                if lane.step():
                    lane.samples.append(lane.scene())
                    lane.reset(seed + lane.episode * 997, options)
            count = max(len(lane.samples) for lane in lanes)
            leaderboard = sorted(lanes, key=lambda lane: -lane.base.distance_m)
            for i in range(count):
                scenes = []
                for lane in lanes:
                    scene = lane.samples[min(i, len(lane.samples) - 1)]
                    if len(lanes) > 1:
                        scene.hud = {**scene.hud,
                                     "place": leaderboard.index(lane) + 1}
                    scene.finish_x_m = finish_m
                    scenes.append(scene)
                if window is not None and not controls.fast:
                    scenes[-1].hud = {**scenes[-1].hud, "keys": LEGEND}
                surface = renderer.draw(scenes)
                if writer is not None:
                    writer.append(renderer.frame())
                controls.show(surface)
                frames += 1
                if controls.quit or (budget is not None and frames >= budget):
                    break
            controls.step_once = False
            for lane in lanes:
                lane.samples.clear()
            if finish_m is not None and any(lane.base.distance_m >= finish_m
                                            for lane in lanes):
                break
    finally:
        for lane in lanes:
            lane.base.control_step_observers.clear()


def record_policy(spec: str, out: str | Path, seconds: float = 10.0, fps: float = 30.0,
                  size: tuple[int, int] = DEFAULT_SIZE, env_id: str | None = None,
                  env_kwargs: dict[str, Any] | None = None, seed: int = 0,
                  pose: str | None = None) -> Path:
    """Write an mp4/gif of `seconds` of simulated time of POLICY walking."""
    lanes = _lanes_for([spec], env_id, env_kwargs or {}, seed)
    with VideoWriter(out, fps) as writer:
        run_lanes(lanes, seconds=seconds, fps=fps, size=size, window=None, writer=writer,
                  seed=seed, options={"pose": pose} if pose else None)
    return Path(out)


def race(specs: Sequence[str], *, learn_specs: Sequence[str] = (), seconds: float = 30.0,
         fps: float = 30.0, size: tuple[int, int] | None = None, env_id: str | None = None,
         env_kwargs: dict[str, Any] | None = None, seed: int = 0, window: bool = True,
         out: str | Path | None = None, finish_m: float | None = None) -> str:
    """Several policies (and/or learning agents) side by side; returns the leaderboard."""
    if not specs and not learn_specs:
        raise PolicyError("a race needs at least one policy")
    if window:
        require_display()
    lanes = _lanes_for(specs, env_id, env_kwargs or {}, seed, learn_specs)
    height = max(DEFAULT_SIZE[1], 200 * len(lanes))
    size = size or (DEFAULT_SIZE[0] + 200, height + height % 2)
    shown = Window(size, "Henry: race") if window else None
    writer = VideoWriter(out, fps) if out is not None else None
    try:
        run_lanes(lanes, seconds=seconds, fps=fps, size=size, window=shown, writer=writer,
                  seed=seed, finish_m=finish_m)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    finally:
        if shown is not None:
            shown.close()
    if writer is not None:
        writer.close()
    ranking = sorted(lanes, key=lambda lane: -lane.base.distance_m)
    lines = ["place  policy  distance (current episode)"]
    lines += [f"{place}.  {lane.label}  {lane.base.distance_m:+.3f} m"
              for place, lane in enumerate(ranking, 1)]
    if out is not None:
        lines.append(f"video: {out}")
    return "\n".join(lines)


def watch_policy(spec: str, *, seconds: float | None = None, env_id: str | None = None,
                 env_kwargs: dict[str, Any] | None = None, seed: int = 0,
                 pose: str | None = None, record: str | Path | None = None) -> None:
    """Play POLICY in a window (and optionally write the same frames to a video)."""
    require_display()
    lanes = _lanes_for([spec], env_id, env_kwargs or {}, seed)
    window = Window(DEFAULT_SIZE, f"Henry: {spec}")
    writer = VideoWriter(record, 30) if record is not None else None
    try:
        run_lanes(lanes, seconds=seconds, fps=CONTROL_HZ if writer is None else 30,
                  size=DEFAULT_SIZE, window=window, writer=writer, seed=seed,
                  options={"pose": pose} if pose else None)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    finally:
        window.close()
    if writer is not None:
        writer.close()


# -- training hooks ------------------------------------------------------------------------


class TrainingView:
    """The live training window (and/or a recording of it): draws env 0 as it trains."""

    def __init__(self, agent: Learner, folder: Path, window: bool, record: Path | None,
                 fps: float = 30.0, fast: bool = False, speed: float = 1.0) -> None:
        if window:
            require_display()
        self.agent = agent
        self.folder = folder
        self.window = Window(DEFAULT_SIZE, "Henry: training") if window else None
        self.writer = VideoWriter(record, fps) if record is not None else None
        self.stride = frame_stride(fps if self.window is None else CONTROL_HZ)
        self.controls = _Controls(self.window, agent)
        self.controls.fast = fast
        self.controls.speed_index = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - speed))
        self.renderer = Renderer(DEFAULT_SIZE)
        self.loop: LoopState | None = None
        self.base: envs.HenryEnv | None = None
        self.counter = 0

    def on_start(self, loop: LoopState) -> None:
        self.loop = loop
        vec = loop.vector_env
        if not hasattr(vec, "envs"):
            raise PolicyError("--watch and --record need --vector sync")
        self.base = _henry(vec.envs[0])
        self.base.control_step_observers.append(self._draw)

    def _scene(self) -> Scene:
        assert self.loop is not None and self.base is not None
        loop, base = self.loop, self.base
        hud = _hud(base, loop.episodes + 1, loop.steps, loop.current_return,
                   self.agent.hud().get("epsilon"), loop.best_distance_m)
        if self.window is not None:
            hud["sim speed"] = f"x{self.controls.speed:g}"
            hud["keys"] = LEGEND
        chosen = None if loop.actions is None else int(np.asarray(loop.actions)[0])
        obs = None if loop.obs is None else np.asarray(loop.obs)[0]
        rows = _qrows(self.agent, base, obs, chosen) if obs is not None else []
        return Scene(base.world.geometry(), base.start_x_m, "training", LANE_COLORS[0], hud,
                     rows, list(loop.returns))

    def _draw(self) -> None:
        assert self.loop is not None
        self.counter += 1
        if self.counter % self.stride:
            return
        drawing = not self.controls.fast or self.loop.episodes % 10 == 0
        if not drawing:
            if self.window is not None and self.counter % 30 == 0:
                self.controls.handle(self.window.poll())  # stay responsive while skipping
            self._apply()
            return
        surface = self.renderer.draw([self._scene()])
        if self.writer is not None:
            self.writer.append(self.renderer.frame())
        self.controls.show(surface)
        self._apply()

    def _apply(self) -> None:
        assert self.loop is not None
        if self.controls.quit:
            self.loop.stop_requested = True
        if self.controls.save:
            self.controls.save = False
            self.loop.save_requested = True

    def on_step(self, loop: LoopState) -> None:
        if self.controls.step_once:
            self.controls.step_once = False  # '.' advanced one action; pause again
        if self.window is not None and self.window.closed:
            loop.stop_requested = True

    def on_episode(self, loop: LoopState, result: EpisodeResult) -> None:
        return None

    def close(self, loop: LoopState) -> None:
        if self.base is not None:
            self.base.control_step_observers.clear()
        if self.window is not None:
            self.window.close()
        if self.writer is not None:
            if loop.stop_requested or self.writer.frames > 0:
                self.writer.close()
            else:
                self.writer.abort()
        if self.controls.messages:
            from walker.files import atomic_write_text

            atomic_write_text(self.folder / "window_events.log",
                              "\n".join(self.controls.messages) + "\n")


class ClipRecorder:
    """Every N episodes, a short clip of the greedy policy; a montage of all at the end."""

    def __init__(self, agent: Learner, env_id: str, env_kwargs: dict[str, Any], folder: Path,
                 every: int, seconds: float = 6.0, fps: float = 30.0, seed: int = 0) -> None:
        if every < 1:
            raise PolicyError(f"--record-every must be >= 1, got {every}")
        self.agent = agent
        self.env_id = env_id
        self.env_kwargs = env_kwargs
        self.folder = folder / "clips"
        self.every = every
        self.seconds = seconds
        self.fps = fps
        self.seed = seed
        self.clips: list[Path] = []

    def on_start(self, loop: LoopState) -> None:
        return None

    def on_step(self, loop: LoopState) -> None:
        return None

    def on_episode(self, loop: LoopState, result: EpisodeResult) -> None:
        if loop.episodes % self.every == 0:
            self.clips.append(self._clip(f"episode {loop.episodes}", loop.episodes))

    def _clip(self, label: str, episode: int) -> Path:
        env = make_env(self.env_id, self.env_kwargs)
        lane = Lane(f"greedy policy after {label}", env, self.agent, learn=False)
        path = self.folder / f"episode_{episode:05d}.mp4"
        with VideoWriter(path, self.fps) as writer:
            run_lanes([lane], seconds=self.seconds, fps=self.fps, size=DEFAULT_SIZE,
                      window=None, writer=writer, seed=self.seed)
        env.close()
        return path

    def close(self, loop: LoopState) -> None:
        if not self.clips:
            return
        frames: list[np.ndarray] = []
        for clip in self.clips:
            frames.extend(read_frames(clip))
        write_video(self.folder.parent / "montage.mp4", frames, self.fps)


def training_hooks(env_id: str, env_kwargs: dict[str, Any], agent: Learner, folder: Path, *,
                   watch: bool, record: Path | None, record_every: int, seed: int,
                   fast: bool = False, speed: float = 1.0) -> list[Any]:
    hooks: list[Any] = []
    if watch or record is not None:
        if record is not None and not watch:
            raise PolicyError("--record goes with --watch (it writes what the window shows); "
                              "use --record-every for clips without a window")
        hooks.append(TrainingView(agent, folder, window=watch, record=record, fast=fast,
                                  speed=speed))
    if record_every:
        hooks.append(ClipRecorder(agent, env_id, env_kwargs, folder, record_every, seed=seed))
    return hooks
