"""Speed, measured side by side with a peer in one run and quoted as ratios (`walker speed`).

Every benchmark times each contender in several interleaved rounds and keeps each one's
best round, so a background hiccup on a 2-core machine does not decide a ratio. Nothing here
is asserted in tests; the README quotes the figures with the command that produced them.

* `physics`: raw pymunk stepping of Henry's space, `HenryWorld.step`, the continuous env,
  the discrete env (decisions), and gymnasium's BipedalWalker-v3.
* `train`: the Q-learning training loop against bare env stepping with the same actions.
* `render`: an rgb_array frame of Henry against one of BipedalWalker-v3, and a four-lane
  1280x720 race frame (HUD text changing every frame, as in a race).
* `agents`: PPO and DQN training throughput against Stable-Baselines3 with matched settings.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import gymnasium as gym
import numpy as np

import envs
from agents.base import act_one
from agents.baselines import RandomPolicy
from walker.app.tables import format_table
from walker.sim.world import HenryWorld, LegCommand


@dataclass
class Timing:
    name: str
    unit: str
    count: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    @property
    def micros(self) -> float:
        return self.seconds / self.count * 1e6


def best_of(
    rounds: int, contenders: dict[str, tuple[str, int, Callable[[], None]]]
) -> dict[str, Timing]:
    """Run each contender `rounds` times, interleaved; keep each one's fastest round."""
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, (_, _, run) in contenders.items():
            started = time.perf_counter()
            run()
            elapsed = time.perf_counter() - started
            best[name] = min(best.get(name, float("inf")), elapsed)
    return {
        name: Timing(name, unit, count, best[name]) for name, (unit, count, _) in contenders.items()
    }


def has_box2d() -> bool:
    return importlib.util.find_spec("Box2D") is not None


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


def physics(steps: int = 3000, decisions: int = 150, rounds: int = 3) -> tuple[str, dict[str, Any]]:
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, size=(steps, 4)).astype(np.float32)

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

    continuous_env = _stepping(envs.CONTINUOUS_ID, actions[:steps])

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
            _stepping("BipedalWalker-v3", actions[:steps]),
        )
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


def training_loop(steps: int = 2000, rounds: int = 5) -> tuple[str, dict[str, Any]]:
    """The shared training loop with Q-learning against bare stepping with the same actions."""
    from agents.qlearning import QLearning
    from walker.app.train import TrainConfig, train

    def make() -> gym.Env[Any, Any]:
        return gym.make(envs.DISCRETE_ID)

    probe = make()
    recorded: list[int] = []

    class Recorder:
        def on_start(self, loop: Any) -> None:
            return None

        def on_step(self, loop: Any) -> None:
            recorded.append(int(np.asarray(loop.actions)[0]))

        def on_episode(self, loop: Any, result: Any) -> None:
            return None

        def close(self, loop: Any) -> None:
            return None

    def loop_run(hooks: tuple[Recorder, ...] = ()) -> None:
        agent = QLearning(probe.observation_space, probe.action_space, seed=0)
        train(
            agent,
            make,
            TrainConfig(steps=steps, seed=0, progress=False, final_eval=False),
            hooks=hooks,
        )

    # The seeded agent takes the same actions on every run: record them once, then time
    # the loop as `walker train` runs it, without the recording hook.
    loop_run((Recorder(),))
    actions = list(recorded)

    def bare() -> None:
        env = make()
        env.reset(seed=0)
        for action in actions:
            _, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                env.reset()
        env.close()

    timings = best_of(
        rounds,
        {
            "training loop (Q-learning)": ("decisions", steps, loop_run),
            "bare env stepping, same actions": ("decisions", steps, bare),
        },
    )
    loop_t = timings["training loop (Q-learning)"]
    bare_t = timings["bare env stepping, same actions"]
    overhead = loop_t.seconds / bare_t.seconds - 1.0
    rows = [[t.name, f"{t.rate:,.0f}", f"{t.micros:.0f}"] for t in timings.values()]
    text = "\n".join(
        [
            format_table(["what", "decisions/s", "us each"], rows),
            "",
            f"training loop time / bare env time: {1 + overhead:.3f}x (the loop adds "
            f"{overhead:.1%}; goal: at most 10%)",
        ]
    )
    return text, {
        "decisions_per_s": loop_t.rate,
        "bare_decisions_per_s": bare_t.rate,
        "loop_overhead": overhead,
    }


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
    if "BipedalWalker-v3 rgb_array 600x400" in timings:
        ratio = timings["BipedalWalker-v3 rgb_array 600x400"].micros / (henry_ms * 1000)
        lines.append(f"BipedalWalker-v3 frame cost / Henry's: {ratio:.2f}x")
        figures["bipedal_over_henry"] = ratio
    return "\n".join(lines), figures


def has_sb3() -> bool:
    return importlib.util.find_spec("stable_baselines3") is not None


def _our_training(agent_kind: str, env_id: str, config: Any, steps: int) -> Callable[[], None]:
    from walker.app.policies import learner_kind
    from walker.app.train import TrainConfig, train

    kind = learner_kind(agent_kind)

    def run() -> None:
        probe = gym.make(env_id)
        run_config = TrainConfig(steps=steps, seed=0, progress=False, final_eval=False)
        agent = kind.build(probe.observation_space, probe.action_space, config, 0, run_config.plan)
        probe.close()
        train(agent, lambda: gym.make(env_id), run_config)

    return run


def _sb3_training(
    algorithm: str, env_id: str, kwargs: dict[str, Any], steps: int
) -> Callable[[], None]:
    def run() -> None:
        import stable_baselines3 as sb3
        import torch

        torch.set_num_threads(1)
        from stable_baselines3.common.logger import Logger

        cls = getattr(sb3, algorithm)
        model = cls("MlpPolicy", gym.make(env_id), seed=0, device="cpu", verbose=0, **kwargs)
        # A logger with no outputs: SB3's default makes a folder in /tmp on every run.
        model.set_logger(Logger(folder=None, output_formats=[]))
        model.learn(total_timesteps=steps)

    return run


def agents(rounds: int = 2) -> tuple[str, dict[str, Any]]:
    """PPO and DQN training throughput (env steps per second, updates included) against
    Stable-Baselines3 with the same rollout length, batch, epochs and network."""
    if not has_sb3():
        return ("Stable-Baselines3 is not installed: run scripts/setup.sh bench", {"skipped": True})
    from agents.dqn import DQNConfig
    from agents.ppo import PPOConfig

    ppo_steps = 2 * 2048
    ppo = PPOConfig(
        n_steps=2048,
        batch_size=64,
        n_epochs=10,
        learning_rate=3e-4,
        hidden_sizes=(64, 64),
        normalize_obs=False,
    )
    sb3_ppo = {
        "n_steps": 2048,
        "batch_size": 64,
        "n_epochs": 10,
        "learning_rate": 3e-4,
        "policy_kwargs": {"net_arch": [64, 64]},
    }
    dqn_steps = 10_000
    dqn = DQNConfig(
        learning_rate=1e-4,
        buffer_size=50_000,
        learning_starts=1000,
        batch_size=32,
        train_freq=4,
        gradient_steps=1,
        target_update_interval=1000,
        hidden_sizes=(64, 64),
    )
    sb3_dqn = {
        "learning_rate": 1e-4,
        "buffer_size": 50_000,
        "learning_starts": 1000,
        "batch_size": 32,
        "train_freq": 4,
        "gradient_steps": 1,
        "target_update_interval": 1000,
        "policy_kwargs": {"net_arch": [64, 64]},
    }
    pairs = [
        (
            "PPO",
            envs.CONTINUOUS_ID,
            ppo_steps,
            _our_training("ppo", envs.CONTINUOUS_ID, ppo, ppo_steps),
            _sb3_training("PPO", envs.CONTINUOUS_ID, sb3_ppo, ppo_steps),
        )
    ]
    if has_box2d():
        pairs.append(
            (
                "PPO",
                "BipedalWalker-v3",
                ppo_steps,
                _our_training("ppo", "BipedalWalker-v3", ppo, ppo_steps),
                _sb3_training("PPO", "BipedalWalker-v3", sb3_ppo, ppo_steps),
            )
        )
    pairs.append(
        (
            "DQN",
            "CartPole-v1",
            dqn_steps,
            _our_training("dqn", "CartPole-v1", dqn, dqn_steps),
            _sb3_training("DQN", "CartPole-v1", sb3_dqn, dqn_steps),
        )
    )
    rows, figures = [], {}
    for algorithm, env_id, steps, ours, theirs in pairs:
        timings = best_of(
            rounds, {"ours": ("env steps", steps, ours), "sb3": ("env steps", steps, theirs)}
        )
        ratio = timings["ours"].rate / timings["sb3"].rate
        rows.append(
            [
                algorithm,
                env_id,
                f"{timings['ours'].rate:,.0f}",
                f"{timings['sb3'].rate:,.0f}",
                f"{ratio:.2f}x",
            ]
        )
        figures[f"{algorithm} {env_id}"] = {
            "ours": timings["ours"].rate,
            "sb3": timings["sb3"].rate,
            "ratio": ratio,
        }
    text = "\n".join(
        [
            format_table(["agent", "env", "ours steps/s", "SB3 steps/s", "ours / SB3"], rows),
            "",
            f"PPO: {ppo_steps} steps (2 rollouts of 2048, 10 epochs of 64-sample minibatches, "
            "64x64 MLP); DQN: 10,000 steps (train every 4, batch 32, 64x64 MLP); one env, one "
            "torch thread each (goal: ours at least 1.5x SB3)",
        ]
    )
    return text, figures


def _greedy_return(predict: Callable[[np.ndarray], Any], env_id: str, episodes: int) -> float:
    env = gym.make(env_id)
    total = 0.0
    for episode in range(episodes):
        obs, _ = env.reset(seed=50_000 + episode)
        done = False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(predict(obs))
            total += float(reward)
            done = terminated or truncated
    env.close()
    return total / episodes


def _sb3_action(model: Any, obs: np.ndarray) -> int:
    return int(model.predict(obs, deterministic=True)[0])


def curves(seeds: int = 3, episodes: int = 10) -> tuple[str, dict[str, Any]]:
    """Learning per env step against SB3: the greedy return after the same budget, with the
    same settings, over several seeds."""
    if not has_sb3():
        return ("Stable-Baselines3 is not installed: run scripts/setup.sh bench", {"skipped": True})
    import stable_baselines3 as sb3
    import torch
    from stable_baselines3.common.logger import Logger

    from agents.dqn import DQNConfig
    from agents.ppo import PPOConfig
    from walker.app.policies import learner_kind
    from walker.app.train import TrainConfig, train

    torch.set_num_threads(1)
    cases = [
        (
            "PPO",
            "ppo",
            "CartPole-v1",
            30_000,
            PPOConfig(
                n_steps=1024, batch_size=64, n_epochs=10, learning_rate=3e-4, normalize_obs=False
            ),
            {"n_steps": 1024, "batch_size": 64, "n_epochs": 10, "learning_rate": 3e-4},
        ),
        (
            "DQN",
            "dqn",
            "CartPole-v1",
            30_000,
            DQNConfig(
                learning_rate=1e-3,
                buffer_size=50_000,
                learning_starts=1000,
                batch_size=64,
                train_freq=4,
                target_update_interval=500,
                exploration_fraction=0.2,
            ),
            {
                "learning_rate": 1e-3,
                "buffer_size": 50_000,
                "learning_starts": 1000,
                "batch_size": 64,
                "train_freq": 4,
                "target_update_interval": 500,
                "exploration_fraction": 0.2,
            },
        ),
    ]
    rows, figures = [], {}
    for label, kind_name, env_id, steps, config, sb3_kwargs in cases:
        ours, theirs = [], []
        kind = learner_kind(kind_name)
        for seed in range(seeds):
            probe = gym.make(env_id)
            run_config = TrainConfig(steps=steps, seed=seed, progress=False, final_eval=False)
            agent = kind.build(
                probe.observation_space, probe.action_space, config, seed, run_config.plan
            )
            probe.close()
            train(agent, partial(gym.make, env_id), run_config)
            ours.append(_greedy_return(partial(act_one, agent), env_id, episodes))
            model = getattr(sb3, label)(
                "MlpPolicy", gym.make(env_id), seed=seed, device="cpu", verbose=0, **sb3_kwargs
            )
            model.set_logger(Logger(folder=None, output_formats=[]))
            model.learn(total_timesteps=steps)
            theirs.append(_greedy_return(partial(_sb3_action, model), env_id, episodes))
        rows.append(
            [
                label,
                env_id,
                f"{steps:,}",
                f"{np.mean(ours):.1f}",
                f"{np.mean(theirs):.1f}",
                " ".join(f"{v:.0f}" for v in ours),
                " ".join(f"{v:.0f}" for v in theirs),
            ]
        )
        figures[f"{label} {env_id}"] = {"ours": ours, "sb3": theirs, "steps": steps}
    text = "\n".join(
        [
            format_table(
                ["agent", "env", "steps", "ours mean", "SB3 mean", "ours per seed", "SB3 per seed"],
                rows,
            ),
            "",
            f"greedy return over {episodes} episodes after the same budget and settings, "
            f"seeds 0-{seeds - 1}",
        ]
    )
    return text, figures


BENCHMARKS: dict[str, Callable[[], tuple[str, dict[str, Any]]]] = {
    "physics": physics,
    "train": training_loop,
    "render": render,
    "agents": agents,
    "curves": curves,
}
