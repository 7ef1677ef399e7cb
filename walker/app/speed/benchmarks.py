"""Speed, measured side by side with a peer in one run and quoted as ratios (`walker speed`).

Every benchmark times each contender in several interleaved rounds and keeps each one's
best round, so a background hiccup on a 2-core machine does not decide a ratio. Nothing here
is asserted in tests; the README quotes the figures with the command that produced them.

* `physics`: raw pymunk stepping of Henry's space, `HenryWorld.step`, the continuous env,
  the discrete env (decisions), and gymnasium's BipedalWalker-v3.
* `train`: the Q-learning training loop against bare env stepping with the same actions,
  and on Taxi-v4 against an inline loop doing the same Q-learning (`loop_cost.py`).
* `render`: an rgb_array frame of Henry against one of BipedalWalker-v3, and a four-lane
  1280x720 race frame (HUD text changing every frame, as in a race).
* `agents`: PPO and DQN training throughput against Stable-Baselines3 with matched settings,
  and `curves`: their greedy return after the same budget (both in `speed/peers.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import gymnasium as gym
import numpy as np

import envs
from agents.base import act_one
from agents.baselines import RandomPolicy
from walker.app.core.tables import format_table
from walker.app.speed import BENCHMARK_NAMES, loop_cost
from walker.app.speed.peers import agents, curves
from walker.app.speed.timing import best_of, has_box2d
from walker.sim.world import HenryWorld, LegCommand

if TYPE_CHECKING:
    from walker.app.training.hooks import Hook, RunView


def _stepping(env_id: str, actions: np.ndarray) -> Callable[[], None]:
    """A timed body that steps `env_id` (unwrapped, seed 0) through `actions`, resetting on a
    fall, so Henry's env and its peer run the same loop."""
    env = gym.make(env_id).unwrapped
    env.reset(seed=0)

    def run() -> None:
        for action in actions:
            _, _, terminated, _, _ = env.step(action)
            if terminated:
                env.reset()

    return run


def _physics_contenders(
    actions: np.ndarray, decisions: int
) -> dict[str, tuple[str, int, Callable[[], None]]]:
    """Raw pymunk, HenryWorld, both Henry envs and BipedalWalker-v3 (when installed), each
    stepped `len(actions)` times (the discrete env: `decisions` decisions)."""
    steps = len(actions)
    world = HenryWorld()
    space, dt, substeps = world.space, world.spec.physics_dt_s, world.spec.substeps

    def raw() -> None:
        for _ in range(steps):
            for _ in range(substeps):
                space.step(dt)

    stand = LegCommand(0.0, world.spec.stand_drop_m)

    def world_step() -> None:
        for _ in range(steps):
            world.step(stand, stand)
            world.read_state()

    continuous_env = _stepping(envs.CONTINUOUS_ID, actions)

    discrete = gym.make(envs.DISCRETE_ID).unwrapped
    policy = RandomPolicy(discrete.action_space, seed=0)
    state: dict[str, Any] = {}
    state["obs"], state["info"] = discrete.reset(seed=0)

    def discrete_env() -> None:
        obs, info = state["obs"], state["info"]
        for _ in range(decisions):
            obs, _, terminated, _, info = discrete.step(act_one(policy, obs, info))
            if terminated:
                obs, info = discrete.reset()
        state["obs"], state["info"] = obs, info

    contenders: dict[str, tuple[str, int, Callable[[], None]]] = {
        "raw pymunk (10 substeps)": ("control steps", steps, raw),
        "HenryWorld.step + read_state": ("control steps", steps, world_step),
        "HenryContinuous-v0": ("env steps", steps, continuous_env),
        "Henry-v0": ("decisions", decisions, discrete_env),
    }
    if has_box2d():
        contenders["BipedalWalker-v3"] = (
            "env steps",
            steps,
            _stepping("BipedalWalker-v3", actions),
        )
    return contenders


def physics(steps: int = 3000, decisions: int = 150, rounds: int = 3) -> tuple[str, dict[str, Any]]:
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, size=(steps, 4)).astype(np.float32)
    contenders = _physics_contenders(actions, decisions)
    timings = best_of(rounds, contenders)
    rows = [[t.name, t.unit, f"{t.rate:,.0f}", f"{t.micros:.1f}"] for t in timings.values()]
    raw_t = timings["raw pymunk (10 substeps)"]
    cont = timings["HenryContinuous-v0"]
    figures: dict[str, Any] = {name: t.rate for name, t in timings.items()}
    lines = [format_table(["what", "unit", "per second", "us each"], rows), ""]
    ratio_raw = cont.micros / raw_t.micros
    figures["continuous_cost_over_raw_pymunk"] = ratio_raw
    lines.append(
        f"continuous env step cost / raw pymunk stepping it does: {ratio_raw:.2f}x "
        "(goal: at most 1.1x)"
    )
    if "BipedalWalker-v3" in timings:
        ratio_bipedal = cont.rate / timings["BipedalWalker-v3"].rate
        figures["continuous_over_bipedal"] = ratio_bipedal
        lines.append(
            f"continuous env steps/s / BipedalWalker-v3 steps/s: {ratio_bipedal:.2f}x "
            "(goal: at least 2x)"
        )
    else:
        lines.append(
            "BipedalWalker-v3 not measured: install the bench extra (scripts/setup.sh bench)"
        )
    return "\n".join(lines), figures


def training_loop(
    steps: int = 2000, rounds: int = 5, taxi_steps: int = 20_000
) -> tuple[str, dict[str, Any]]:
    """The shared training loop with Q-learning against bare stepping with the same actions
    on Henry-v0, and on Taxi-v4 (where the loop's own cost shows) against an inline loop."""
    loop_run = _qlearning_training(steps)
    # The seeded agent takes the same actions on every run: record them once, then time
    # the loop as `walker train` runs it, without the recording hook.
    actions = _recorded_actions(loop_run)
    timings = best_of(
        rounds,
        {
            "training loop (Q-learning)": ("decisions", steps, lambda: loop_run(())),
            "bare env stepping, same actions": ("decisions", steps, _bare_stepping(actions)),
            **loop_cost.taxi_contenders(taxi_steps),
        },
    )
    loop_t = timings["training loop (Q-learning)"]
    bare_t = timings["bare env stepping, same actions"]
    overhead = loop_t.seconds / bare_t.seconds - 1.0
    taxi_ratio = timings[loop_cost.LOOP].rate / timings[loop_cost.INLINE].rate
    rows = [[t.name, t.unit, f"{t.rate:,.0f}", f"{t.micros:.1f}"] for t in timings.values()]
    text = "\n".join(
        [
            format_table(["what", "unit", "per second", "us each"], rows),
            "",
            f"training loop time / bare env time: {1 + overhead:.3f}x (the loop adds "
            f"{overhead:.1%}; goal: at most 10%)",
            f"walker train steps/s / inline loop steps/s on Taxi-v4: {taxi_ratio:.2f} "
            f"(goal: at least {loop_cost.GOAL})",
        ]
    )
    return text, {
        "decisions_per_s": loop_t.rate,
        "bare_decisions_per_s": bare_t.rate,
        "loop_overhead": overhead,
        "taxi_steps_per_s": timings[loop_cost.LOOP].rate,
        "taxi_inline_steps_per_s": timings[loop_cost.INLINE].rate,
        "taxi_loop_over_inline": taxi_ratio,
    }


def _discrete_env() -> gym.Env[Any, Any]:
    return gym.make(envs.DISCRETE_ID)


def _qlearning_training(steps: int) -> Callable[[Sequence[Hook]], None]:
    """A body that trains a new seed-0 Q-learning agent on Henry-v0 for `steps` decisions
    with `walker train`'s loop and the given hooks."""
    from agents.qlearning import QLearning
    from walker.app.training.loop import TrainConfig, train

    probe = _discrete_env()

    def loop_run(hooks: Sequence[Hook]) -> None:
        agent = QLearning(probe.observation_space, probe.action_space, seed=0)
        train(
            agent,
            _discrete_env,
            TrainConfig(steps=steps, seed=0, progress=False, final_eval=False),
            hooks=hooks,
        )

    return loop_run


def _recorded_actions(loop_run: Callable[[Sequence[Hook]], None]) -> list[int]:
    """The actions env 0 took in one run of `loop_run`."""
    from walker.app.training.hooks import Hook

    recorded: list[int] = []

    class Recorder(Hook):
        def on_step(self, run: RunView) -> None:
            recorded.append(int(np.asarray(run.actions)[0]))

    loop_run((Recorder(),))
    return recorded


def _bare_stepping(actions: list[int]) -> Callable[[], None]:
    """A body that steps a fresh Henry-v0 (seed 0) through `actions`, resetting at an
    episode's end, with no learning or bookkeeping."""

    def bare() -> None:
        env = _discrete_env()
        env.reset(seed=0)
        for action in actions:
            _, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                env.reset()
        env.close()

    return bare


RACE_FRAME = "race 4 lanes 1280x720"


def race_frames(frames: int) -> Callable[[], None]:
    """Draw and grab `frames` four-lane race frames of Henrys taking random legal steps."""
    from walker.draw.renderer import LANE_COLORS, Renderer, Scene, race_size

    rng = np.random.default_rng(0)
    walks = []
    for lane in range(4):
        env = gym.make(envs.DISCRETE_ID)
        _, info = env.reset(seed=lane)
        henry: envs.HenryEnv = env.unwrapped  # type: ignore[assignment]
        geometries = []
        for _ in range(40):
            legal = np.flatnonzero(info["action_mask"])
            _, _, terminated, truncated, info = env.step(int(rng.choice(legal)))
            if terminated or truncated:
                _, info = env.reset(seed=lane)
            geometries.append(henry.world.geometry())
        walks.append(geometries)
        env.close()
    renderer = Renderer(race_size(4), lanes=4)

    def draw() -> None:
        for i in range(frames):
            scenes = [
                Scene(
                    walk[i % len(walk)],
                    0.0,
                    f"lane {lane}",
                    LANE_COLORS[lane],
                    {
                        "episode": 1 + i // 100,
                        "time": f"{i / 30:.1f} s",
                        "distance": f"{0.001 * i:+.3f} m",
                        "place": lane + 1,
                    },
                    episode=i // 100,
                )
                for lane, walk in enumerate(walks)
            ]
            renderer.draw(scenes)
            renderer.frame()

    return draw


TRAINING_FRAME = "PPO training window 960x540, speed panel"
MIND_FRAME = "PPO training window 960x540, + action and critic panels"


def training_frames(frames: int, mind: bool) -> Callable[[], None]:
    """Draw and grab `frames` frames of PPO's training window on the continuous Henry: the
    lane and the speed panel, and with `mind` the action and critic panels of a 1000-step
    episode too (`walker.app.viewing.mind`)."""
    from agents.ppo import PPO
    from walker.app.viewing.mind import MindTrace
    from walker.draw.panels import Panels, SpeedCurve
    from walker.draw.renderer import LANE_COLORS, WINDOW_SIZE, Renderer, Scene

    env = gym.make(envs.CONTINUOUS_ID)
    obs, _ = env.reset(seed=0)
    agent = PPO(env.observation_space, env.action_space, seed=0)
    trace = MindTrace(agent, None)
    trace.start(obs, None)
    henry: envs.HenryEnv = env.unwrapped  # type: ignore[assignment]
    geometries = []
    for _ in range(1000):
        next_obs, reward, terminated, truncated, _ = env.step(agent.act(obs[None], None, True)[0])
        trace.observe(obs, None, None, float(reward), next_obs, None)
        obs = next_obs if not (terminated or truncated) else env.reset(seed=0)[0]
        geometries.append(henry.world.geometry())
    env.close()
    speeds = list(np.random.default_rng(0).uniform(0.0, 1.0, 300))
    hud = {"episode": 3, "step": 12345, "time": "3.2 s", "distance": "+1.234 m"}
    renderer = Renderer(WINDOW_SIZE)

    def draw() -> None:
        for i in range(frames):
            panels = Panels(SpeedCurve(speeds, 0.5))
            if mind:
                panels.actions, panels.value = trace.actions(), trace.value()
            scene = Scene(geometries[i % 1000], 0.0, "training", LANE_COLORS[0], hud)
            renderer.draw([scene], panels)
            renderer.frame()

    return draw


def render(frames: int = 300, rounds: int = 3) -> tuple[str, dict[str, Any]]:
    henry = gym.make(envs.DISCRETE_ID, render_mode="rgb_array")
    henry.reset(seed=0)

    def frames_of(env: gym.Env[Any, Any]) -> Callable[[], None]:
        def draw() -> None:
            for _ in range(frames):
                env.render()

        return draw

    contenders: dict[str, tuple[str, int, Callable[[], None]]] = {
        "Henry-v0 rgb_array 600x400": ("frames", frames, frames_of(henry)),
        RACE_FRAME: ("frames", frames, race_frames(frames)),
        TRAINING_FRAME: ("frames", frames // 3, training_frames(frames // 3, mind=False)),
        MIND_FRAME: ("frames", frames // 3, training_frames(frames // 3, mind=True)),
    }
    if has_box2d():
        bipedal = gym.make("BipedalWalker-v3", render_mode="rgb_array")
        bipedal.reset(seed=0)
        contenders["BipedalWalker-v3 rgb_array 600x400"] = ("frames", frames, frames_of(bipedal))
    timings = best_of(rounds, contenders)
    rows = [[t.name, f"{t.micros / 1000:.3f}", f"{t.rate:,.0f}"] for t in timings.values()]
    figures: dict[str, Any] = {name: t.micros / 1000 for name, t in timings.items()}
    lines = [format_table(["what", "ms per frame", "frames/s"], rows), ""]
    henry_ms = timings["Henry-v0 rgb_array 600x400"].micros / 1000
    lines.append(f"Henry frame cost: {henry_ms:.3f} ms (goal: at most 1 ms)")
    race_ms = timings[RACE_FRAME].micros / 1000
    lines.append(f"4-lane race frame cost: {race_ms:.3f} ms (goal: at most 4 ms)")
    mind_ratio = timings[MIND_FRAME].micros / timings[TRAINING_FRAME].micros
    lines.append(
        f"PPO's action and critic panels: {mind_ratio:.2f}x the frame (goal: at most 1.5x)"
    )
    figures["mind_over_training_frame"] = mind_ratio
    if "BipedalWalker-v3 rgb_array 600x400" in timings:
        ratio = timings["BipedalWalker-v3 rgb_array 600x400"].micros / (henry_ms * 1000)
        lines.append(f"BipedalWalker-v3 frame cost / Henry's: {ratio:.2f}x")
        figures["bipedal_over_henry"] = ratio
    return "\n".join(lines), figures


BENCHMARKS: dict[str, Callable[[], tuple[str, dict[str, Any]]]] = dict(
    zip(BENCHMARK_NAMES, (physics, training_loop, render, agents, curves), strict=True)
)
