"""Watching training: the live training window and the periodic clips of the greedy policy.

`TrainingView` is a hook: env 0 of the run is wrapped in a `FrameSampler` (another env,
made to render rgb_array pictures, in a `PictureSampler`), so every step's
frames reach the view through the step's infos, whether the envs run in this process
(`--vector sync`) or in workers (`--vector async`). After each env step the view draws
them with the learning panels (each episode's speed against the hard-coded gait's, and a
tabular agent's whole Q-table), reads the keys, waits while paused, and asks the run to
save or stop through what `on_step` returns. Pushes from a mouse drag and the stand-up key
go to env 0 through a queue its `Nudges` wrapper reads (a multiprocessing queue, so it
reaches a worker process too). `ClipRecorder` records a short greedy clip every N episodes.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from agents.base import Learner
from walker.app.core.compare import hardcoded_reference
from walker.app.core.evaluation import EpisodeResult
from walker.app.core.learners import PolicyError
from walker.app.core.policies import make_env
from walker.app.core.runfiles import CLIPS_NAME, MONTAGE_NAME, WINDOW_LOG_NAME
from walker.app.training.config import TrainConfig
from walker.app.training.hooks import Hook, Request, RunView
from walker.app.viewing.controls import Controls, window_title
from walker.app.viewing.lanes import Lane, run_lanes
from walker.app.viewing.mind import MindTrace
from walker.app.viewing.overlays import (
    PUSH,
    STAND_UP,
    drag_pushes,
    extension_levels,
    fit,
    pushes_of,
    qtable_view,
    speed_curve,
)
from walker.app.viewing.rates import CONTROL_HZ
from walker.app.viewing.scenes import (
    Frame,
    KeptOpen,
    action_names,
    chosen_action,
    drawn_env,
    feed_footfalls,
    footfall_history,
    frame_stride,
    hud,
    qrows,
    require_display,
    require_drawable,
    sampled_hz,
    step_frames,
    watched_env,
)
from walker.draw.footfalls import FootfallWindow
from walker.draw.panels import Panels
from walker.draw.renderer import (
    DEFAULT_SIZE,
    LANE_COLORS,
    WINDOW_SIZE,
    QRow,
    Renderer,
    Scene,
    Window,
)
from walker.draw.video import VideoWriter, read_frames, write_video
from walker.files import atomic_write_text

FAST_DRAWS_EVERY = 10
"""In fast-forward, only every this many episodes is drawn."""


class TrainingView(Hook):
    """The live training window (and/or a recording of it): draws env 0 as it trains."""

    def __init__(
        self,
        agent: Learner,
        folder: Path,
        names: tuple[str, ...] | None,
        window: bool,
        record: Path | None,
        fps: float = 30.0,
        fast: bool = False,
        speed: float = 1.0,
        levels: int | None = None,
        reference_m_s: float | None = None,
        hz: float | None = CONTROL_HZ,
    ) -> None:
        if window:
            require_display()
        self.agent = agent
        self.folder = folder
        self.names = names
        self.levels = levels
        """The discrete Henry's extension levels, for the Q-table heat map (None: none)."""
        self.reference_m_s = reference_m_s
        self.speeds: list[float] = []
        """Every finished episode's speed, for the speed panel."""
        self.window = Window(WINDOW_SIZE, window_title("training")) if window else None
        self.writer = VideoWriter(record, fps) if record is not None else None
        # Off screen the video is the only view: the speed time-lapses it instead. `hz`:
        # how often env 0 can be sampled a simulated second (`sampled_hz`).
        self.stride = (
            frame_stride(CONTROL_HZ, 1.0, hz)
            if self.window is not None
            else frame_stride(fps, max(1.0, speed), hz)
        )
        self.controls = Controls(self.window, agent, fast=fast, speed=speed)
        self.renderer = Renderer(WINDOW_SIZE)
        self.inbox: Any = multiprocessing.get_context().Queue()
        """Pushes and stand-ups for env 0 (read by its `Nudges` wrapper)."""
        self.skipped = 0
        self.episode = 1
        """Env 0's episode, the one drawn."""
        self.footfalls = footfall_history()
        self.footfalls_episode = 0
        self.mind = MindTrace.of(agent, names)
        """A network agent's actions, critic or Q-values over env 0's episode."""

    def on_step(self, run: RunView) -> Request:
        step = run.last_step
        assert step is not None
        self.controls.step_once = False  # '.' advanced one step; pause again
        env0_ended = any(end.env_index == 0 for end in step.ended)
        self._follow_mind(step.batch, env0_ended)
        if self.controls.fast and run.episodes % FAST_DRAWS_EVERY:
            self.skipped += 1
            if self.skipped % 10 == 0:
                self.controls.poll()  # stay responsive while skipping
            self.episode += env0_ended
            return self._requests()
        batch = step.batch
        mask = None if batch.masks is None else batch.masks[0]
        obs = np.asarray(batch.obs)[0]
        chosen = chosen_action(batch.actions)
        rows = qrows(self.agent, self.names, obs, mask, chosen)
        panels = Panels(
            speed_curve(self.speeds, self.reference_m_s),
            qtable_view(self.agent, self.levels, obs, chosen),
        )
        if self.mind is not None:
            mind = self.mind.panels()
            panels.actions, panels.value, panels.bars = mind.actions, mind.value, mind.bars
        frames, started = step_frames(step)
        for frame in frames:
            self._draw(run, frame, rows, panels)
        self.episode += env0_ended
        for frame in started:
            self._draw(run, frame, rows, panels)
        self._nudge(step)
        return self._requests()

    def _follow_mind(self, batch: Any, ended: bool) -> None:
        """What the agent's networks say about env 0's step (from the batch the run
        collected); a new episode starts its traces again."""
        if self.mind is None:
            return
        mask = None if batch.masks is None else batch.masks[0]
        next_mask = None if batch.next_masks is None else batch.next_masks[0]
        self.mind.observe(
            np.asarray(batch.obs)[0],
            mask,
            chosen_action(batch.actions),
            float(batch.rewards[0]),
            np.asarray(batch.next_obs)[0],
            next_mask,
        )
        if ended:
            self.mind.start(None, None)  # the next step's batch brings its first state

    def _nudge(self, step: Any) -> None:
        """Send the window's pushes and stand-up to env 0; log the pushes it carried out."""
        for _, impulse in drag_pushes(self.window, self.renderer):
            self.inbox.put((PUSH, impulse))
        if self.controls.stand_up:
            self.controls.stand_up = False
            self.inbox.put((STAND_UP, None))
        ended = [end.info for end in step.ended if end.env_index == 0]
        infos = {"push": [step.infos.get("push", [None])[0], *(i.get("push") for i in ended)]}
        for push in pushes_of(infos):
            self.controls.log(push.describe())

    def on_episode(self, run: RunView, result: EpisodeResult) -> None:
        if result.speed_m_s is not None:
            self.speeds.append(result.speed_m_s)

    def _draw(self, run: RunView, frame: Frame, rows: list[QRow], panels: Panels) -> None:
        strip: FootfallWindow | None = None
        if frame.geometry is not None:
            strip = feed_footfalls(self.footfalls, frame, self.footfalls_episode != self.episode)
        self.footfalls_episode = self.episode
        if self.controls.quit or self.controls.skip_frame():
            return
        if not self.controls.footfalls:
            strip = None
        lines = hud(
            frame,
            run.episodes + 1,
            run.steps,
            run.current_return,
            run.agent.hud().get("epsilon"),
            run.best_distance_m,
        )
        if self.window is not None:
            lines["sim speed"] = f"x{self.controls.speed:g}"
            if self.controls.timelapse > 1:
                lines["time-lapse"] = f"x{self.controls.timelapse}"
        fit(self.renderer, self.window)
        surface = self.renderer.draw(
            [
                Scene(
                    frame.geometry,
                    frame.start_x_m,
                    "training",
                    LANE_COLORS[0],
                    lines,
                    rows,
                    (),
                    episode=self.episode,
                    footfalls=strip,
                    picture=frame.picture,
                )
            ],
            panels,
        )
        if self.writer is not None:
            self.writer.append(self.renderer.frame())
        self.controls.show(surface)

    def _requests(self) -> Request:
        request = Request.NOTHING
        if self.controls.quit or (self.window is not None and self.window.closed):
            request |= Request.STOP
        if self.controls.save:
            self.controls.save = False
            request |= Request.SAVE
        return request

    def close(self, run: RunView) -> None:
        if self.window is not None:
            self.window.close()
        if self.writer is not None:
            if run.stopped or self.writer.frames > 0:
                self.writer.close()
            else:
                self.writer.abort()
        if self.controls.messages:
            atomic_write_text(
                self.folder / WINDOW_LOG_NAME, "\n".join(self.controls.messages) + "\n"
            )


class ClipRecorder(Hook):
    """Every N episodes, a short clip of the greedy policy; a montage of all at the end."""

    def __init__(
        self,
        agent: Learner,
        env_id: str,
        env_kwargs: dict[str, Any],
        folder: Path,
        every: int,
        seconds: float = 6.0,
        fps: float = 30.0,
        seed: int = 0,
    ) -> None:
        if every < 1:
            raise PolicyError(f"--record-every must be >= 1, got {every}")
        self.agent = agent
        self.env_id = env_id
        self.env_kwargs = env_kwargs
        self.folder = folder / CLIPS_NAME
        self.every = every
        self.seconds = seconds
        self.fps = fps
        self.seed = seed
        self.clips: list[Path] = []
        self.env: KeptOpen | None = None
        """The env every clip is played on, made once and closed at the end."""

    def on_episode(self, run: RunView, result: EpisodeResult) -> None:
        if run.episodes % self.every == 0:
            self.clips.append(self._clip(f"episode {run.episodes}", run.episodes))

    def _clip(self, label: str, episode: int) -> Path:
        if self.env is None:
            self.env = KeptOpen(drawn_env(self.env_id, self.env_kwargs, "--record-every"))
        lane = Lane.open(f"greedy policy after {label}", self.env, self.agent, fps=self.fps)
        path = self.folder / f"episode_{episode:05d}.mp4"
        with VideoWriter(path, self.fps) as writer:
            run_lanes(
                [lane],
                seconds=self.seconds,
                fps=self.fps,
                size=DEFAULT_SIZE,
                window=None,
                writer=writer,
                seed=self.seed,
            )
        return path

    def close(self, run: RunView) -> None:
        if self.env is not None:
            self.env.really_close()
        if not self.clips:
            return
        frames: list[np.ndarray] = []
        for clip in self.clips:
            frames.extend(read_frames(clip))
        write_video(self.folder.parent / MONTAGE_NAME, frames, self.fps)


def compose(outer: Callable[[Any], Any], inner: Callable[[], Any]) -> Callable[[], Any]:
    """`lambda: outer(inner())`, picklable for async vector envs when both parts are."""
    return partial(_call_composed, outer, inner)


def _call_composed(outer: Callable[[Any], Any], inner: Callable[[], Any]) -> Any:
    return outer(inner())


def training_hooks(
    agent: Learner, run: TrainConfig, make_train_env: Callable[..., gym.Env[Any, Any]]
) -> tuple[list[Hook], Callable[[], gym.Env[Any, Any]] | None]:
    """The hooks `run` asks for (`watch`, `record`, `record_every`; `run.env` and `run.out`
    set), and how to make env 0 of the run for the window (None without one): by
    `make_train_env`, given the render mode the views need, and watched (`watched_env`)."""
    assert run.env is not None and run.out is not None
    hooks: list[Hook] = []
    make_first_env = None
    if run.watch or run.record is not None:
        probe = make_env(run.env, run.env_kwargs)
        try:
            render_mode = require_drawable(probe, "--watch, --record and --record-every")
            names = action_names(probe)
            levels = extension_levels(probe)
            hz = sampled_hz(probe)
        finally:
            probe.close()
        reference = hardcoded_reference(run.env, run.env_kwargs)
        view = TrainingView(
            agent,
            run.out,
            names,
            window=run.watch,
            record=run.record,
            fast=run.watch_fast,
            speed=run.watch_speed,
            levels=levels,
            reference_m_s=reference.speed_m_s if reference else None,
            hz=hz,
        )
        hooks.append(view)
        # Partials, not bound methods: async vector envs pickle them to their workers.
        make_first_env = compose(
            partial(watched_env, stride=view.stride, inbox=view.inbox),
            partial(make_train_env, render_mode=render_mode),
        )
    if run.record_every:
        hooks.append(
            ClipRecorder(agent, run.env, run.env_kwargs, run.out, run.record_every, seed=run.seed)
        )
    return hooks, make_first_env
