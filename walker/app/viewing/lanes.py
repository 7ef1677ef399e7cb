"""Lanes: robots on screen, each an env with a policy or a learning agent, run side by side.

A lane steps its own env through the same `Collector` training uses (a vector env of one,
wrapped in a `FrameSampler`, or a `PictureSampler` for an env that is not Henry's), learns
from the batch when it is a learning lane, and turns the frames of each step into scenes.
`run_lanes` steps every lane once per tick and draws their scenes into a window and/or a
video; keys are read between env steps.
"""

from __future__ import annotations

import dataclasses
import math
import queue
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

import envs
from agents.base import Agent, Learner
from agents.collect import Collector
from walker.app.core.learners import PolicyError
from walker.app.core.policies import ResetOptions, checkpoint_env, load_policy
from walker.app.viewing.controls import Controls
from walker.app.viewing.learning import learner_from_spec as learner_from_spec
from walker.app.viewing.mind import MindTrace
from walker.app.viewing.overlays import PUSH, STAND_UP, drag_pushes, fit, pushes_of
from walker.app.viewing.scenes import (
    Frame,
    action_names,
    chosen_action,
    drawn_env,
    feed_footfalls,
    footfall_history,
    frame_stride,
    hud,
    qrows,
    sampled_hz,
    scene_at,
    step_frames,
    watched_env,
)
from walker.draw.footfalls import ContactHistory
from walker.draw.panels import Panels
from walker.draw.renderer import LANE_COLORS, QRow, Renderer, Scene, Window
from walker.draw.video import VideoWriter


@dataclass
class Lane:
    """One robot on screen: who drives it, its collector, and what to show about it."""

    label: str
    agent: Agent
    collector: Collector
    names: tuple[str, ...] | None
    """The env's action names, for the Q-table rows (None: no rows)."""
    learn: bool = False
    color: tuple[int, int, int] = LANE_COLORS[0]
    episode: int = 1
    returns: list[float] = field(default_factory=list)
    best_distance_m: float = -math.inf
    frame: Frame | None = None
    """The latest frame sampled."""
    scenes: list[Scene] = field(default_factory=list)
    """Scenes sampled since the last draw."""
    held: Scene | None = None
    """The scene drawn last, shown again while the lane samples nothing new."""
    inbox: queue.SimpleQueue[tuple[str, Any]] = field(default_factory=queue.SimpleQueue)
    """Pushes and stand-ups for the env (see `walker.app.viewing.Nudges`)."""
    events: list[str] = field(default_factory=list)
    """What happened to Henry since the last look (pushes carried out), for the log."""
    footfalls: ContactHistory = field(default_factory=footfall_history)
    """The last seconds of foot contacts, for the footfall strip."""
    footfalls_episode: int = 0
    """The episode `footfalls` holds."""
    mind: MindTrace | None = None
    """What a network agent's networks said over the episode, for its panels."""
    henry: bool = True
    """Whether the lane draws Henry (False: another env's own pictures)."""

    @classmethod
    def open(
        cls,
        label: str,
        env: gym.Env[Any, Any],
        agent: Agent,
        *,
        fps: float,
        learn: bool = False,
        color: tuple[int, int, int] = LANE_COLORS[0],
        options: dict[str, Any] | None = None,
        speed: float = 1.0,
        mind: bool = False,
    ) -> Lane:
        """A lane on `env` (Henry's, or one `drawn_env` made), sampled at `fps` (time-lapsed
        `speed` times), starting episodes with `options` (say, a pose); with `mind`, a
        network agent's panels are followed too (`walker.app.viewing.mind`)."""
        inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        stride = frame_stride(fps, speed, sampled_hz(env))
        sampled: gym.Env[Any, Any] = watched_env(env, stride, inbox)
        if options:
            sampled = ResetOptions(sampled, options)
        vector_env = gym.vector.SyncVectorEnv(
            [lambda: sampled], autoreset_mode=gym.vector.AutoresetMode.SAME_STEP
        )
        return cls(
            label,
            agent,
            Collector(vector_env, agent, explore=learn),
            action_names(env),
            learn,
            color,
            inbox=inbox,
            mind=MindTrace.of(agent, action_names(env)) if mind else None,
            henry=isinstance(env.unwrapped, envs.HenryEnv),
        )

    def push(self, impulse_n_s: float) -> None:
        """Push Henry (N*s, + forward) as his next step begins."""
        self.inbox.put((PUSH, impulse_n_s))

    def stand_up(self) -> None:
        """End this episode after the next step and start the next one on both feet."""
        self.inbox.put((STAND_UP, None))

    @property
    def distance_m(self) -> float:
        """How far Henry is in the current episode."""
        return 0.0 if self.frame is None else self.frame.distance_m

    @property
    def score(self) -> float:
        """What a race ranks the lane by: Henry's distance in the current episode, or in
        another env the current episode's return so far."""
        return self.distance_m if self.henry else float(self.collector.returns[0])

    def start(self, seed: int | None) -> None:
        infos = self.collector.reset(seed=seed)
        self._start_mind()
        self._add(infos["frames"][0].frames, self._rows(None), 0.0)

    def _start_mind(self) -> None:
        if self.mind is not None:
            masks = self.collector.masks
            self.mind.start(self.collector.obs[0], None if masks is None else masks[0])

    def panels(self) -> Panels | None:
        """The network agent's panels as of its last step (None without them)."""
        return None if self.mind is None else self.mind.panels()

    def _rows(self, chosen: int | None) -> list[QRow]:
        collector = self.collector
        mask = None if collector.masks is None else collector.masks[0]
        return qrows(self.agent, self.names, collector.obs[0], mask, chosen)

    def _add(self, frames: Sequence[Frame], rows: list[QRow], episode_return: float) -> None:
        """Scenes of `frames`, showing the return the episode had when they began."""
        epsilon = getattr(self.agent, "epsilon", None) if self.learn else None
        for frame in frames:
            new_episode = self.footfalls_episode != self.episode
            strip = feed_footfalls(self.footfalls, frame, new_episode) if self.henry else None
            self.footfalls_episode = self.episode
            self.scenes.append(
                Scene(
                    frame.geometry,
                    frame.start_x_m,
                    self.label,
                    self.color,
                    hud(frame, self.episode, None, episode_return, epsilon, self.best_distance_m),
                    rows,
                    list(self.returns),
                    episode=self.episode,
                    footfalls=strip,
                    picture=frame.picture,
                )
            )
            self.frame = frame

    def step(self) -> bool:
        """One env step (one discrete action or one control step); True when it ended."""
        episode_return = float(self.collector.returns[0])
        step = self.collector.step()
        if self.learn:
            learner: Learner = self.agent  # type: ignore[assignment]
            learner.learn(step.batch)
        chosen = chosen_action(step.batch.actions)
        batch = step.batch
        mask = None if batch.masks is None else batch.masks[0]
        rows = qrows(self.agent, self.names, batch.obs[0], mask, chosen)
        if self.mind is not None:
            next_mask = None if batch.next_masks is None else batch.next_masks[0]
            self.mind.observe(
                batch.obs[0], mask, chosen, float(batch.rewards[0]), batch.next_obs[0], next_mask
            )
        frames, started = step_frames(step)
        ended_infos = [end.info for end in step.ended]
        for push in pushes_of(step.infos) + [
            p for info in ended_infos for p in pushes_of({"push": [info.get("push")]})
        ]:
            self.events.append(f"{self.label}: {push.describe()}")
        if not self.henry:  # a frame per step at most: show the return after it
            episode_return += float(step.batch.rewards[0])
        self._add(frames, rows, episode_return)
        if not step.ended:
            return False
        end = step.ended[0]
        self.returns.append(end.episode_return)
        if "distance_m" in end.info:
            self.best_distance_m = max(self.best_distance_m, float(end.info["distance_m"]))
        self.episode += 1
        self._start_mind()
        self._add(started, self._rows(None), 0.0)
        return True

    def close(self) -> None:
        self.collector.vector_env.close()


def open_lanes(
    specs: Sequence[str],
    env_id: str | None,
    env_kwargs: dict[str, Any],
    seed: int,
    fps: float,
    learn_specs: Sequence[str] = (),
    options: dict[str, Any] | None = None,
    speed: float = 1.0,
    mind: bool = False,
    world: dict[str, Any] | None = None,
) -> list[Lane]:
    """A lane per POLICY in `specs`, then a learning lane per agent in `learn_specs`
    (`mind`: following network agents' panels, see `Lane.open`).

    Every lane runs on one env: `env_id`, or else the env the checkpoints among `specs` were
    trained on (Henry-v0 when there are none), so the lanes' clocks tick alike. `world`: env
    arguments a bench condition drew, laid over the lanes' and not held against checkpoints."""
    trained_on = {spec: checkpoint_env(spec) for spec in specs}
    ids = sorted({found[0] for found in trained_on.values() if found})
    if env_id is None and len(ids) > 1:
        raise PolicyError(
            f"the policies were trained on different envs ({', '.join(ids)}); a race "
            "runs on one: give --env"
        )
    race_env_id = env_id or (ids[0] if ids else envs.DISCRETE_ID)
    if world is not None and race_env_id not in (envs.DISCRETE_ID, envs.CONTINUOUS_ID):
        raise PolicyError(f"a bench condition is a world of Henry's envs, not of {race_env_id}")
    lanes = []
    for index, spec in enumerate([*specs, *learn_specs]):
        learning = index >= len(specs)
        lane_kwargs = dict(env_kwargs)
        found = None if learning or env_id is not None else trained_on[spec]
        if found:
            lane_kwargs = {**found[1], **lane_kwargs}
        lane_env_id = race_env_id
        env = drawn_env(lane_env_id, lane_kwargs | (world or {}), "walker record, race and watch")
        if learning:
            agent: Agent = learner_from_spec(spec, env, seed + index)
        else:
            agent = load_policy(spec, env, seed + index, lane_env_id, lane_kwargs)
        color = LANE_COLORS[index % len(LANE_COLORS)]
        lanes.append(
            Lane.open(
                spec if not learning else f"learning {spec}",
                env,
                agent,
                fps=fps,
                learn=learning,
                color=color,
                options=options,
                speed=speed,
                mind=mind,
            )
        )
    return lanes


def run_lanes(
    lanes: Sequence[Lane],
    *,
    seconds: float | None,
    fps: float,
    size: tuple[int, int],
    window: Window | None,
    writer: VideoWriter | None,
    seed: int = 0,
    finish_m: float | None = None,
    max_frames: int | None = None,
    speed: float = 1.0,
    ghost: Lane | None = None,
    camera: str = "shared",
    footfalls: bool = False,
    same_start: bool = False,
) -> None:
    """Run lanes side by side, one env step each per tick, drawing the frames they sampled
    into the window and/or the video until `seconds` of simulated time pass (the lanes
    sample time-lapsed `speed` times, so that is `seconds / speed` of video). A `ghost`
    lane runs along and is drawn translucent in the first lane. Several lanes share one
    `camera` (`shared`: aligned on their start lines, the leader ahead) or each follows its
    Henry (`follow`); `footfalls` starts with the footfall strip shown (a key toggles it).
    A race with `finish_m` ends when the first Henry crosses the line. Lane i (the ghost
    last) starts from reset seed `seed + i`; with `same_start`, all from `seed`."""
    renderer = Renderer(size, lanes=len(lanes), camera=camera if len(lanes) > 1 else "follow")
    learning = next((lane.agent for lane in lanes if lane.learn), None)
    # Lanes sample `fps` frames per simulated second (`speed` times sparser when
    # time-lapsed): shown at `fps`, the window plays them at `speed` times real time.
    controls = Controls(window, learning, fps=fps, footfalls=footfalls)
    everyone = [*lanes, *([ghost] if ghost is not None else [])]
    for index, lane in enumerate(everyone):
        lane.start(seed if same_start else seed + index)
    frames = 0
    budget = None if seconds is None else round(seconds * fps / speed)
    if max_frames is not None:
        budget = max_frames if budget is None else min(budget, max_frames)
    try:
        while True:
            frames = _draw_tick(lanes, renderer, controls, writer, frames, budget, finish_m, ghost)
            if (
                controls.quit
                or (budget is not None and frames >= budget)
                or (finish_m is not None and any(lane.distance_m >= finish_m for lane in lanes))
            ):
                break
            _nudge(lanes, controls, renderer)
            for lane in everyone:
                lane.step()
                for event in lane.events:
                    controls.log(event)
                lane.events.clear()
    finally:
        for lane in everyone:
            lane.close()


def _nudge(lanes: Sequence[Lane], controls: Controls, renderer: Renderer) -> None:
    """Hand the window's drags and stand-up key to the lanes' envs."""
    for index, impulse in drag_pushes(controls.window, renderer):
        lanes[index].push(impulse)
    if controls.stand_up:
        controls.stand_up = False
        for lane in lanes:
            lane.stand_up()


def _draw_tick(
    lanes: Sequence[Lane],
    renderer: Renderer,
    controls: Controls,
    writer: VideoWriter | None,
    frames: int,
    budget: int | None,
    finish_m: float | None,
    ghost: Lane | None = None,
) -> int:
    """Draw the scenes the lanes sampled on their last step, side by side; a lane with
    fewer (a continuous env samples one frame every few steps) holds its latest one."""
    count = max(len(lane.scenes) for lane in lanes)
    places = {
        id(lane): place for place, lane in enumerate(sorted(lanes, key=lambda lane: -lane.score), 1)
    }
    for i in range(count):
        if controls.skip_frame():
            continue
        scenes = []
        for lane in lanes:
            scene = dataclasses.replace(
                scene_at(lane.scenes, lane.held, i),
                finish_x_m=finish_m,
                place=places[id(lane)] if len(lanes) > 1 else None,
            )
            if not controls.footfalls:
                scene.footfalls = None
            scenes.append(scene)
        if ghost is not None:
            shade = scene_at(ghost.scenes, ghost.held, i)
            scenes[0] = dataclasses.replace(
                scenes[0],
                ghost=shade.geometry,
                ghost_start_x_m=shade.start_x_m,
                ghost_label=ghost.label,
                ghost_color=ghost.color,
            )
        if controls.window is not None and not controls.fast and controls.timelapse > 1:
            scenes[0].hud = {**scenes[0].hud, "time-lapse": f"x{controls.timelapse}"}
        fit(renderer, controls.window)
        surface = renderer.draw(scenes, lanes[0].panels() if len(lanes) == 1 else None)
        if writer is not None:
            writer.append(renderer.frame())
        controls.show(surface)
        frames += 1
        if controls.quit or (budget is not None and frames >= budget):
            break
    controls.step_once = False
    for lane in [*lanes, *([ghost] if ghost is not None else [])]:
        if lane.scenes:
            lane.held = lane.scenes[-1]
        lane.scenes.clear()
    return frames
