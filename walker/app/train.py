"""The training loop every learning agent shares, and greedy evaluation.

`train` steps a Gymnasium vector env (one env by default), asks the agent for actions,
hands each step to `agent.learn` as a `Batch`, and keeps the books: per-episode metrics,
periodic greedy evaluation, checkpoints, a progress bar, and Ctrl-C handling (save, then
stop cleanly). Anything that wants to watch or steer training (the live window, video
clips) plugs in as a `Hook`.

Vector envs run with `AutoresetMode.SAME_STEP`: when an episode ends, the step returns the
next episode's first observation and the final one arrives in `info["final_obs"]`, so every
transition the agent learns from is real (no dummy step after a reset).
"""

from __future__ import annotations

import json
import math
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import gymnasium as gym
import numpy as np

from agents.base import Agent, Batch, Learner, act_one
from walker.files import atomic_write_text, ensure_writable_dir


class TrainError(ValueError):
    """A training run was configured in a way that cannot work."""


class ResetOptions(gym.Wrapper[Any, Any, Any, Any]):
    """Pass fixed `options` to every `reset` (vector envs reset without options)."""

    def __init__(self, env: gym.Env[Any, Any], options: dict[str, Any]) -> None:
        super().__init__(env)
        self.options = dict(options)

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        merged = {**self.options, **(options or {})}
        return self.env.reset(seed=seed, options=merged or None)


@dataclass
class TrainConfig:
    """What to train on, for how long, and where the run's files go."""

    steps: int | None = 10_000
    """Stop after this many environment steps (all envs together); None for no limit."""
    episodes: int | None = None
    """Stop after this many finished episodes; None for no limit."""
    seed: int = 0
    """Seeds the envs (seed, seed + 1, ...) and, through the caller, the agent."""
    num_envs: int = 1
    """Environments stepped together."""
    vector: str = "sync"
    """`sync` (one process) or `async` (one process per env)."""
    reset_options: dict[str, Any] = field(default_factory=dict)
    """Options for every training reset, e.g. {"pose": "random"} for random start states."""
    eval_every: int = 0
    """Greedy evaluation every this many steps (0: only at the end)."""
    eval_episodes: int = 1
    """Episodes per evaluation (greedy, from the standard start)."""
    eval_max_steps: int | None = None
    """Cap on the length of each periodic evaluation episode (None: the env's time limit).
    The final evaluation always plays full episodes."""
    checkpoint_every: int = 0
    """Save a checkpoint every this many steps (0: only at the end and on Ctrl-C)."""
    out: Path | None = None
    """The run folder; None writes nothing."""
    progress: bool = True
    """Show a progress bar."""
    final_eval: bool = True
    """Play full greedy episodes at the end (benchmarks that time training turn it off)."""

    def __post_init__(self) -> None:
        if self.steps is None and self.episodes is None:
            raise TrainError("give a budget: steps or episodes (or both)")
        for name in ("steps", "episodes"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise TrainError(f"{name} must be a whole number >= 1, got {value!r}")
        if not isinstance(self.num_envs, int) or self.num_envs < 1:
            raise TrainError(f"num_envs must be a whole number >= 1, got {self.num_envs!r}")
        if self.vector not in ("sync", "async"):
            raise TrainError(f"vector must be 'sync' or 'async', got {self.vector!r}")
        for name in ("eval_every", "checkpoint_every"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise TrainError(f"{name} must be a whole number >= 0, got {value!r}")
        if not isinstance(self.eval_episodes, int) or self.eval_episodes < 1:
            raise TrainError(f"eval_episodes must be >= 1, got {self.eval_episodes!r}")


@dataclass
class EpisodeResult:
    """One finished episode."""

    episode_return: float
    length: int
    distance_m: float | None = None
    time_s: float | None = None
    terminated: bool = False
    illegal_actions: int = 0

    @property
    def speed_m_s(self) -> float | None:
        if self.distance_m is None or not self.time_s:
            return None
        return self.distance_m / self.time_s


@dataclass
class LoopState:
    """What hooks can see (and, for a few fields, change) while training runs."""

    agent: Learner
    config: TrainConfig
    steps: int = 0
    episodes: int = 0
    started: float = field(default_factory=time.perf_counter)
    returns: deque[float] = field(default_factory=lambda: deque(maxlen=100))
    distances: deque[float] = field(default_factory=lambda: deque(maxlen=100))
    best_distance_m: float = -math.inf
    last_eval: dict[str, float] | None = None
    stop_requested: bool = False
    """A hook sets this to end training after the current step (it is then saved)."""
    save_requested: bool = False
    """A hook sets this to save a checkpoint after the current step."""
    obs: Any = None
    actions: Any = None
    """The actions being carried out (set before each vector step)."""
    infos: dict[str, Any] = field(default_factory=dict)
    current_return: float = 0.0
    vector_env: Any = None

    @property
    def recent_return(self) -> float:
        return float(np.mean(self.returns)) if self.returns else math.nan

    @property
    def recent_distance(self) -> float:
        return float(np.mean(self.distances)) if self.distances else math.nan


class Hook(Protocol):
    """Something that watches training: the live window, the video clip recorder..."""

    def on_start(self, loop: LoopState) -> None:
        """Called once the vector env exists (`loop.vector_env`), before the first step."""

    def on_step(self, loop: LoopState) -> None:
        """Called after every training step."""

    def on_episode(self, loop: LoopState, result: EpisodeResult) -> None:
        """Called when an episode of env 0 or any other env ends."""

    def close(self, loop: LoopState) -> None:
        """Called once when training ends, however it ends."""


@dataclass
class TrainResult:
    """How a training run ended."""

    steps: int
    episodes: int
    seconds: float
    interrupted: bool
    checkpoint: Path | None
    evaluations: list[dict[str, float]]
    episode_log: list[dict[str, Any]]


def _masks(infos: dict[str, Any], n_envs: int) -> np.ndarray | None:
    if "action_mask" not in infos:
        return None
    return np.asarray(infos["action_mask"]).astype(bool).reshape(n_envs, -1)


def make_vector_env(make_env: Callable[[], gym.Env[Any, Any]], config: TrainConfig
                    ) -> gym.vector.VectorEnv[Any, Any, Any]:
    factories = [make_env] * config.num_envs
    if config.reset_options:
        options = config.reset_options
        factories = [lambda: ResetOptions(make_env(), options)] * config.num_envs
    mode = gym.vector.AutoresetMode.SAME_STEP
    if config.vector == "async":
        return gym.vector.AsyncVectorEnv(factories, autoreset_mode=mode)
    return gym.vector.SyncVectorEnv(factories, autoreset_mode=mode)


def run_episode(env: gym.Env[Any, Any], agent: Agent, seed: int | None = None,
                options: dict[str, Any] | None = None, max_steps: int | None = None,
                explore: bool = False,
                on_step: Callable[[Any, dict[str, Any]], bool | None] | None = None
                ) -> EpisodeResult:
    """Play one episode; `on_step(obs, info)` may return True to stop early."""
    obs, info = env.reset(seed=seed, options=options)
    agent.reset()
    total, steps, illegal = 0.0, 0, 0
    terminated = truncated = False
    while not (terminated or truncated):
        action = act_one(agent, obs, info, explore)
        obs, reward, terminated, truncated, info = env.step(action)
        total += float(reward)
        steps += 1
        illegal += int(bool(info.get("illegal_action", False)))
        if on_step is not None and on_step(obs, info):
            break
        if max_steps is not None and steps >= max_steps:
            break
    return EpisodeResult(total, steps, info.get("distance_m"), info.get("time_s"),
                         bool(terminated), illegal)


def evaluate(make_env: Callable[[], gym.Env[Any, Any]], agent: Agent, episodes: int = 1,
             seed: int = 10_000, options: dict[str, Any] | None = None,
             max_steps: int | None = None) -> dict[str, float]:
    """Greedy episodes; mean return, length, distance and speed."""
    env = make_env()
    try:
        results = [run_episode(env, agent, seed + i, options, max_steps)
                   for i in range(episodes)]
    finally:
        env.close()
    summary = {
        "return": float(np.mean([r.episode_return for r in results])),
        "length": float(np.mean([r.length for r in results])),
        "falls": float(np.mean([r.terminated for r in results])),
    }
    if all(r.speed_m_s is not None for r in results):
        summary["distance_m"] = float(np.mean([r.distance_m for r in results]))
        summary["speed_m_s"] = float(np.mean([r.speed_m_s for r in results]))
    return summary


def train(agent: Learner, make_env: Callable[[], gym.Env[Any, Any]], config: TrainConfig,
          metadata: dict[str, Any] | None = None, hooks: Sequence[Hook] = (),
          make_eval_env: Callable[[], gym.Env[Any, Any]] | None = None) -> TrainResult:
    """Train `agent` on envs from `make_env` until the budget is spent or it is stopped."""
    metadata = dict(metadata or {})
    out = ensure_writable_dir(config.out) if config.out is not None else None
    checkpoint_path = out / "checkpoint.pt" if out is not None else None
    make_eval_env = make_eval_env or make_env
    loop = LoopState(agent=agent, config=config)
    evaluations: list[dict[str, float]] = []
    episode_log: list[dict[str, Any]] = []
    n = config.num_envs
    vec = make_vector_env(make_env, config)
    loop.vector_env = vec
    bar = _progress_bar(config)
    interrupted = False
    saved: Path | None = None

    def save() -> Path | None:
        if checkpoint_path is None:
            return None
        meta = {**metadata, "trained_steps": loop.steps, "trained_episodes": loop.episodes}
        path = agent.save(checkpoint_path, meta)
        _write_logs(out, episode_log, evaluations)
        return path

    eval_seconds = [0.0]

    def run_eval(final: bool = False) -> None:
        started = time.perf_counter()
        summary = evaluate(make_eval_env, agent, config.eval_episodes,
                           max_steps=None if final else config.eval_max_steps)
        summary["step"] = float(loop.steps)
        # Wall time spent training so far, evaluations excluded.
        summary["train_seconds"] = started - loop.started - eval_seconds[0]
        eval_seconds[0] += time.perf_counter() - started
        evaluations.append(summary)
        loop.last_eval = summary

    try:
        obs, infos = vec.reset(seed=[config.seed + i for i in range(n)])  # type: ignore[arg-type]
        loop.obs, loop.infos = obs, infos
        for hook in hooks:
            hook.on_start(loop)
        returns = np.zeros(n)
        lengths = np.zeros(n, dtype=np.int64)
        illegal = np.zeros(n, dtype=np.int64)
        set_progress = getattr(agent, "set_progress", None)
        while not _budget_spent(loop, config):
            if set_progress is not None and config.steps:
                set_progress(loop.steps / config.steps)  # learning-rate annealing and the like
            masks = _masks(infos, n)
            actions = agent.act(obs, masks, explore=True)
            loop.actions = actions
            next_obs, rewards, terminated, truncated, next_infos = vec.step(actions)
            done = np.logical_or(terminated, truncated)
            real_next = next_obs
            next_masks = _masks(next_infos, n)
            final_infos: dict[str, Any] = {}
            if done.any():
                real_next = np.array(next_obs, copy=True)
                final_infos = next_infos.get("final_info", {})
                for i in np.flatnonzero(done):
                    real_next[i] = next_infos["final_obs"][i]
                if next_masks is not None and "action_mask" in final_infos:
                    next_masks = next_masks.copy()
                    final_masks = _masks(final_infos, n)
                    assert final_masks is not None
                    next_masks[done] = final_masks[done]
            metrics = agent.learn(Batch(obs, actions, np.asarray(rewards, dtype=np.float64),
                                        real_next, np.asarray(terminated, dtype=bool),
                                        np.asarray(truncated, dtype=bool), masks, next_masks))
            returns += rewards
            lengths += 1
            if "illegal_action" in next_infos:
                illegal += np.asarray(next_infos["illegal_action"], dtype=np.int64) * ~done
            loop.steps += n
            loop.current_return = float(returns[0])
            for i in np.flatnonzero(done):
                final = {key: value[i] for key, value in final_infos.items()
                         if not key.startswith("_") and isinstance(value, np.ndarray)}
                result = EpisodeResult(
                    float(returns[i]), int(lengths[i]),
                    float(final["distance_m"]) if "distance_m" in final else None,
                    float(final["time_s"]) if "time_s" in final else None,
                    bool(terminated[i]),
                    int(illegal[i]) + int(bool(final.get("illegal_action", False))),
                )
                loop.episodes += 1
                loop.returns.append(result.episode_return)
                if result.distance_m is not None:
                    loop.distances.append(result.distance_m)
                    loop.best_distance_m = max(loop.best_distance_m, result.distance_m)
                row = {"episode": loop.episodes, "step": loop.steps, "env": int(i),
                       **{k: v for k, v in asdict(result).items() if v is not None},
                       **{k: _plain(v) for k, v in agent.hud().items()},
                       **{k: v for k, v in metrics.items()}}
                if result.speed_m_s is not None:
                    row["speed_m_s"] = result.speed_m_s
                episode_log.append(row)
                returns[i], lengths[i], illegal[i] = 0.0, 0, 0
                agent.reset(int(i))
                for hook in hooks:
                    hook.on_episode(loop, result)
            obs, infos = next_obs, next_infos
            loop.obs, loop.infos = obs, infos
            for hook in hooks:
                hook.on_step(loop)
            if config.eval_every and loop.steps % config.eval_every < n:
                run_eval()
            if loop.save_requested or (config.checkpoint_every
                                       and loop.steps % config.checkpoint_every < n):
                loop.save_requested = False
                saved = save()
            if bar is not None:
                bar.update(n if config.steps is not None else int(done.sum()))
                bar.set_postfix(_postfix(loop), refresh=False)
            if loop.stop_requested:
                break
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if bar is not None:
            bar.close()
        try:
            vec.close(terminate=interrupted) if config.vector == "async" else vec.close()
        except Exception:  # workers may already be gone after Ctrl-C
            if not interrupted:
                raise
        for hook in hooks:
            hook.close(loop)
    # A final greedy evaluation, unless Ctrl-C asked to stop now or one just ran.
    if not interrupted and config.final_eval:
        if evaluations and evaluations[-1]["step"] == loop.steps:
            evaluations.pop()  # replaced by a full-length one
        run_eval(final=True)
    saved = save() or saved
    return TrainResult(loop.steps, loop.episodes, time.perf_counter() - loop.started,
                       interrupted, saved, evaluations, episode_log)


class TensorBoardLog:
    """Episode metrics and greedy evaluations as TensorBoard scalars (needs `tensorboard`)."""

    def __init__(self, folder: Path) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as error:
            raise TrainError("--tensorboard needs the tensorboard package: "
                             ".venv/bin/pip install tensorboard") from error
        self.writer = SummaryWriter(log_dir=str(folder))
        self.evaluations_seen = 0

    def on_start(self, loop: LoopState) -> None:
        return None

    def on_step(self, loop: LoopState) -> None:
        if loop.last_eval is not None and loop.last_eval.get("step") != self.evaluations_seen:
            self.evaluations_seen = int(loop.last_eval["step"])
            for key, value in loop.last_eval.items():
                if key != "step":
                    self.writer.add_scalar(f"eval/{key}", value, loop.steps)

    def on_episode(self, loop: LoopState, result: EpisodeResult) -> None:
        self.writer.add_scalar("episode/return", result.episode_return, loop.steps)
        self.writer.add_scalar("episode/length", result.length, loop.steps)
        if result.speed_m_s is not None:
            self.writer.add_scalar("episode/speed_m_s", result.speed_m_s, loop.steps)
        for key, value in loop.agent.hud().items():
            if isinstance(value, (int, float)):
                self.writer.add_scalar(f"agent/{key}", value, loop.steps)

    def close(self, loop: LoopState) -> None:
        self.writer.close()


def _budget_spent(loop: LoopState, config: TrainConfig) -> bool:
    if config.steps is not None and loop.steps >= config.steps:
        return True
    return config.episodes is not None and loop.episodes >= config.episodes


def _progress_bar(config: TrainConfig) -> Any:
    if not config.progress:
        return None
    from tqdm import tqdm

    if config.steps is not None:
        return tqdm(total=config.steps, unit="step", dynamic_ncols=True, mininterval=0.5)
    return tqdm(total=config.episodes, unit="episode", dynamic_ncols=True, mininterval=0.5)


def _postfix(loop: LoopState) -> dict[str, str]:
    postfix = {"episodes": str(loop.episodes)}
    hud = loop.agent.hud()
    if "epsilon" in hud:
        postfix["eps"] = f"{hud['epsilon']:.3f}"
    if loop.returns:
        postfix["return"] = f"{loop.recent_return:.3g}"
    if loop.distances:
        postfix["dist"] = f"{loop.recent_distance:.2f}m"
    return postfix


def _plain(value: Any) -> Any:
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


def _write_logs(out: Path | None, episodes: list[dict[str, Any]],
                evaluations: list[dict[str, float]]) -> None:
    if out is None:
        return
    atomic_write_text(out / "metrics.jsonl",
                      "".join(json.dumps(row) + "\n" for row in episodes) or "\n")
    atomic_write_text(out / "eval.jsonl",
                      "".join(json.dumps(row) + "\n" for row in evaluations) or "\n")
