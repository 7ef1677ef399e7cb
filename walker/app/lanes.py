"""Lanes: robots on screen, each an env with a policy or a learning agent, run side by side.

A lane steps its own env through the same `Collector` training uses (a vector env of one,
wrapped in a `FrameSampler`), learns from the batch when it is a learning lane, and turns
the frames of each step into scenes. `run_lanes` steps every lane once per tick and draws
their scenes into a window and/or a video; keys are read between env steps.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

import envs
from agents.base import Agent, Learner, RunPlan
from agents.collect import Collector
from walker.app.controls import LEGEND, Controls
from walker.app.options import OptionsError, config_from_words
from walker.app.policies import PolicyError, checkpoint_env, learner_kind, load_policy, make_env
from walker.app.scenes import (
    Frame,
    FrameSampler,
    action_names,
    chosen_action,
    frame_stride,
    hud,
    qrows,
    step_frames,
)
from walker.app.train import ResetOptions
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

    @classmethod
    def open(cls, label: str, env: gym.Env[Any, Any], agent: Agent, *, fps: float,
             learn: bool = False, color: tuple[int, int, int] = LANE_COLORS[0],
             options: dict[str, Any] | None = None) -> Lane:
        """A lane on `env` (one of Henry's), sampled at `fps`, starting episodes with
        `options` (say, a pose)."""
        sampled: gym.Env[Any, Any] = FrameSampler(env, frame_stride(fps))
        if options:
            sampled = ResetOptions(sampled, options)
        vector_env = gym.vector.SyncVectorEnv(
            [lambda: sampled], autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
        return cls(label, agent, Collector(vector_env, agent, explore=learn),
                   action_names(env), learn, color)

    @property
    def distance_m(self) -> float:
        """How far Henry is in the current episode."""
        return 0.0 if self.frame is None else self.frame.distance_m

    def start(self, seed: int | None) -> None:
        infos = self.collector.reset(seed=seed)
        self._add(infos["frames"][0].frames, self._rows(None), 0.0)

    def _rows(self, chosen: int | None) -> list[QRow]:
        collector = self.collector
        mask = None if collector.masks is None else collector.masks[0]
        return qrows(self.agent, self.names, collector.obs[0], mask, chosen)

    def _add(self, frames: Sequence[Frame], rows: list[QRow], episode_return: float) -> None:
        """Scenes of `frames`, showing the return the episode had when they began."""
        epsilon = getattr(self.agent, "epsilon", None) if self.learn else None
        for frame in frames:
            self.scenes.append(Scene(
                frame.geometry, frame.start_x_m, self.label, self.color,
                hud(frame, self.episode, None, episode_return, epsilon, self.best_distance_m),
                rows, list(self.returns), episode=self.episode))
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
        frames, started = step_frames(step)
        self._add(frames, rows, episode_return)
        if not step.ended:
            return False
        end = step.ended[0]
        self.returns.append(end.episode_return)
        self.best_distance_m = max(self.best_distance_m, float(end.info["distance_m"]))
        self.episode += 1
        self._add(started, self._rows(None), 0.0)
        return True

    def close(self) -> None:
        self.collector.vector_env.close()


def open_lanes(specs: Sequence[str], env_id: str | None, env_kwargs: dict[str, Any],
               seed: int, fps: float, learn_specs: Sequence[str] = (),
               options: dict[str, Any] | None = None) -> list[Lane]:
    """A lane per POLICY in `specs`, then a learning lane per agent in `learn_specs`."""
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
        if learning:
            agent: Agent = learner_from_spec(spec, env, seed + index)
        else:
            agent = load_policy(spec, env, seed + index, lane_env_id, lane_kwargs)
        color = LANE_COLORS[index % len(LANE_COLORS)]
        lanes.append(Lane.open(spec if not learning else f"learning {spec}", env, agent,
                               fps=fps, learn=learning, color=color, options=options))
    return lanes


def learner_from_spec(spec: str, env: Any, seed: int) -> Learner:
    """A learning lane's agent from `AGENT [OPTIONS]`, the options named as for
    `walker train AGENT`, e.g. `qlearning --alpha 0.3 --epsilon-end 0.01`."""
    name, _, options = spec.strip().partition(" ")
    if ":" in name:
        raise PolicyError(f"learning lane {spec!r}: give options as for walker train, e.g. "
                          "--learn 'qlearning --epsilon-end 0.01'")
    kind = learner_kind(name)
    try:
        config = config_from_words(kind.config_cls, options, f"learning lane {name!r}")
    except OptionsError as error:
        raise PolicyError(str(error)) from error
    return kind.build(env.observation_space, env.action_space, config, seed, RunPlan())


def run_lanes(lanes: Sequence[Lane], *, seconds: float | None, fps: float,
              size: tuple[int, int], window: Window | None, writer: VideoWriter | None,
              seed: int = 0, finish_m: float | None = None,
              max_frames: int | None = None) -> None:
    """Run lanes side by side, one env step each per tick, drawing the frames they sampled
    into the window and/or the video until `seconds` of simulated time pass."""
    renderer = Renderer(size, lanes=len(lanes))
    learning = next((lane.agent for lane in lanes if lane.learn), None)
    controls = Controls(window, learning)
    for index, lane in enumerate(lanes):
        lane.start(seed + index)
    frames = 0
    budget = None if seconds is None else round(seconds * fps)
    if max_frames is not None:
        budget = max_frames if budget is None else min(budget, max_frames)
    try:
        while True:
            frames = _draw_tick(lanes, renderer, controls, writer, frames, budget, finish_m)
            if (controls.quit or (budget is not None and frames >= budget)
                    or (finish_m is not None
                        and any(lane.distance_m >= finish_m for lane in lanes))):
                break
            for lane in lanes:
                lane.step()
    finally:
        for lane in lanes:
            lane.close()


def _draw_tick(lanes: Sequence[Lane], renderer: Renderer, controls: Controls,
               writer: VideoWriter | None, frames: int, budget: int | None,
               finish_m: float | None) -> int:
    """Draw the scenes the lanes sampled on their last step, side by side; a lane with
    fewer (a continuous env samples one frame every few steps) holds its latest one."""
    count = max(len(lane.scenes) for lane in lanes)
    places = {id(lane): place for place, lane in
              enumerate(sorted(lanes, key=lambda lane: -lane.distance_m), 1)}
    for i in range(count):
        scenes = []
        for lane in lanes:
            scene = lane.scenes[min(i, len(lane.scenes) - 1)] if lane.scenes else lane.held
            assert scene is not None, "every lane samples a frame when it starts"
            if len(lanes) > 1:
                scene = dataclasses.replace(scene, hud={**scene.hud, "place": places[id(lane)]})
            scenes.append(dataclasses.replace(scene, finish_x_m=finish_m))
        if controls.window is not None and not controls.fast:
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
        if lane.scenes:
            lane.held = lane.scenes[-1]
        lane.scenes.clear()
    return frames
