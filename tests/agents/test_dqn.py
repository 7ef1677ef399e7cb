"""DQN: the masked Bellman target against hand-computed values, the replay buffer, epsilon,
config checks, checkpoints, determinism, Henry's masked discrete env, and CartPole-v1."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch

import envs  # noqa: F401  (registers Henry-v0)
from agents.base import Agent, Batch, Learner, RunPlan
from agents.checkpoint import CheckpointError
from agents.dqn import DQN, ReplayBuffer, q_targets
from agents.dqn_config import DQNConfig
from agents.ppo import PPO
from tests.agents.test_ppo import greedy_return, train_agent


def cartpole() -> gym.Env[Any, Any]:
    return gym.make("CartPole-v1")


# -- the target -------------------------------------------------------------------------------

REWARDS = torch.tensor([1.0, 2.0, 3.0])
TERMINATED = torch.tensor([False, True, False])
NEXT_Q_TARGET = torch.tensor([[1.0, 5.0, 3.0], [10.0, 10.0, 10.0], [4.0, 2.0, 8.0]])
NEXT_MASKS = torch.tensor([[True, False, True], [True, True, True], [True, True, False]])


def test_target_takes_the_max_over_legal_next_actions_and_stops_at_termination() -> None:
    targets = q_targets(REWARDS, TERMINATED, NEXT_Q_TARGET, 0.9, NEXT_MASKS)
    # Row 0: best legal next value is 3 (5 is illegal): 1 + 0.9 * 3 = 3.7.
    # Row 1: terminated, so the reward alone: 2.
    # Row 2: best legal next value is 4 (8 is illegal): 3 + 0.9 * 4 = 6.6.
    torch.testing.assert_close(targets, torch.tensor([3.7, 2.0, 6.6]))
    unmasked = q_targets(REWARDS, TERMINATED, NEXT_Q_TARGET, 0.9)
    torch.testing.assert_close(unmasked, torch.tensor([5.5, 2.0, 10.2]))


def test_double_dqn_target_chooses_with_the_online_network() -> None:
    next_q_online = torch.tensor([[2.0, 9.0, 1.0], [0.0, 0.0, 0.0], [1.0, 7.0, 9.0]])
    targets = q_targets(REWARDS, TERMINATED, NEXT_Q_TARGET, 0.9, NEXT_MASKS, next_q_online)
    # Row 0: online picks action 0 among the legal {0, 2}; the target values it at 1.
    # Row 2: online picks action 1 among the legal {0, 1}; the target values it at 2.
    torch.testing.assert_close(targets, torch.tensor([1.9, 2.0, 4.8]))


# -- replay, acting, schedules ----------------------------------------------------------------


def test_replay_buffer_wraps_around_and_keeps_masks() -> None:
    buffer = ReplayBuffer(capacity=5, features=2, n_actions=3)
    for step in range(3):
        obs = np.full((2, 2), step, dtype=np.float32)
        masks = np.array([[True, False, True]] * 2)
        buffer.add(obs, np.array([step, step]), np.ones(2), obs + 0.5, np.zeros(2, bool), masks)
    assert buffer.size == 5
    assert buffer.pos == 1
    np.testing.assert_array_equal(buffer.obs[:, 0], [2, 0, 1, 1, 2])  # row 0 overwritten
    sample = buffer.sample(4, np.random.default_rng(0))
    assert sample.next_masks is not None
    assert sample.next_masks.tolist() == [[True, False, True]] * 4


def test_truncated_transition_is_stored_to_be_bootstrapped_from_its_final_obs() -> None:
    env = cartpole()
    agent = DQN(env.observation_space, env.action_space, DQNConfig(learning_starts=1000))
    obs = np.zeros((2, 4), dtype=np.float32)
    final = np.full((2, 4), 0.7, dtype=np.float32)
    agent.learn(
        Batch(
            obs,
            np.array([0, 1]),
            np.ones(2),
            final,
            np.array([False, True]),
            np.array([True, False]),
        )
    )
    assert agent.buffer.terminated[:2].tolist() == [False, True]
    np.testing.assert_array_equal(agent.buffer.next_obs[:2], final)


def test_epsilon_decays_linearly_to_its_floor() -> None:
    env = cartpole()
    config = DQNConfig(
        exploration_fraction=0.5, exploration_initial_eps=1.0, exploration_final_eps=0.1
    )
    agent = DQN(env.observation_space, env.action_space, config, plan=RunPlan(total_steps=1000))
    assert agent.epsilon == 1.0
    agent.steps = 250
    assert agent.epsilon == pytest.approx(0.55)
    agent.steps = 900
    assert agent.epsilon == pytest.approx(0.1)
    assert agent.hud()["epsilon"] == pytest.approx(0.1)


def test_act_picks_legal_actions_greedily_and_when_exploring() -> None:
    space = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)
    agent = DQN(space, gym.spaces.Discrete(5), seed=0)
    rng = np.random.default_rng(1)
    obs = rng.uniform(-1, 1, (3000, 3)).astype(np.float32)
    masks = rng.random((3000, 5)) < 0.4
    masks[~masks.any(axis=1), 4] = True
    greedy = agent.act(obs, masks, explore=False)
    expected = np.where(masks, agent.q_values(obs), -np.inf).argmax(axis=1)
    np.testing.assert_array_equal(greedy, expected)
    assert agent.epsilon == 1.0
    explored = agent.act(obs, masks, explore=True)
    assert masks[np.arange(3000), explored].all()
    assert len(set(explored.tolist())) == 5  # with epsilon 1, every action turns up


def test_hard_and_soft_target_updates() -> None:
    env = cartpole()
    hard = DQN(
        env.observation_space,
        env.action_space,
        DQNConfig(learning_starts=0, batch_size=2, train_freq=1, target_update_interval=3),
        seed=0,
    )
    soft = DQN(
        env.observation_space,
        env.action_space,
        DQNConfig(
            learning_starts=0, batch_size=2, train_freq=1, target_update_interval=1, tau=0.25
        ),
        seed=0,
    )
    obs = np.random.default_rng(0).normal(size=(2, 4)).astype(np.float32)
    batch = Batch(obs, np.array([0, 1]), np.ones(2), obs, np.zeros(2, bool), np.zeros(2, bool))
    hard.learn(batch)  # 2 steps: trained, target untouched
    online = torch.cat([p.flatten() for p in hard.q_net.parameters()])
    target = torch.cat([p.flatten() for p in hard.target_net.parameters()])
    assert not torch.equal(online, target)
    hard.learn(batch)  # 4 steps: one hard update at step 3
    online = torch.cat([p.flatten() for p in hard.q_net.parameters()])
    target = torch.cat([p.flatten() for p in hard.target_net.parameters()])
    assert torch.equal(online, target)

    before = [p.clone() for p in soft.target_net.parameters()]
    soft.learn(batch)  # 2 steps: two soft updates, 1 - 0.75^2 = 0.4375 of the way
    for old, new, online_p in zip(
        before, soft.target_net.parameters(), soft.q_net.parameters(), strict=True
    ):
        torch.testing.assert_close(new, old + 0.4375 * (online_p - old))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("learning_rate", -1e-4, "learning_rate must be a positive number"),
        ("gamma", 1.01, r"gamma must be in \[0, 1\]"),
        ("batch_size", 200_000, "must not exceed buffer_size"),
        ("tau", 0.0, r"tau must be in \(0, 1\]"),
        ("exploration_final_eps", 1.5, r"exploration_final_eps must be in \[0, 1\]"),
        ("learning_starts", -1, "learning_starts must be a whole number >= 0"),
        ("train_freq", 0, "train_freq must be a whole number >= 1"),
        ("max_grad_norm", 0.0, "max_grad_norm must be a positive number or None"),
        ("hidden_sizes", (64, 0), "hidden_sizes must be a non-empty sequence"),
    ],
)
def test_config_rejects_bad_values(field: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DQNConfig(**{field: value})


def test_final_eps_above_initial_is_refused() -> None:
    with pytest.raises(ValueError, match="must not exceed exploration_initial_eps"):
        DQNConfig(exploration_initial_eps=0.1, exploration_final_eps=0.2)


def test_unsupported_spaces_are_refused() -> None:
    with pytest.raises(TypeError, match="Discrete action space"):
        DQN(gym.spaces.Box(-1.0, 1.0, (2,), np.float32), gym.spaces.Box(-1.0, 1.0, (1,)))
    agent = DQN(cartpole().observation_space, cartpole().action_space)
    assert isinstance(agent, Agent)
    assert isinstance(agent, Learner)
    obs = np.zeros((1, 4), dtype=np.float32)
    with pytest.raises(ValueError, match="outside the action space"):
        agent.learn(
            Batch(obs, np.array([2]), np.ones(1), obs, np.zeros(1, bool), np.zeros(1, bool))
        )


# -- Henry's discrete env: MultiDiscrete observations and masks ------------------------------


def test_trains_on_henry_with_one_hot_observations_and_masks() -> None:
    env = gym.make("Henry-v0")
    config = DQNConfig(learning_starts=32, batch_size=16, train_freq=4, target_update_interval=50)
    agent = DQN(env.observation_space, env.action_space, config, seed=0, plan=RunPlan(2, 200))
    assert agent.encoder.features == 5 + 2 + 5 + 2
    result = train_agent(agent, "Henry-v0", 2, 200, seed=0, env_kwargs={"max_episode_steps": 20})
    assert not result["illegal"]
    assert len(result["episode_returns"]) >= 9
    assert agent.gradient_steps > 0
    assert agent.buffer.masked


# -- checkpoints and determinism --------------------------------------------------------------


def trained_cartpole_agent(seed: int, steps: int = 400) -> DQN:
    env = cartpole()
    config = DQNConfig(
        learning_starts=64, batch_size=32, train_freq=2, target_update_interval=100, double_dqn=True
    )
    agent = DQN(env.observation_space, env.action_space, config, seed=seed, plan=RunPlan(2, 1000))
    train_agent(agent, "CartPole-v1", 2, steps, seed=seed)
    return agent


def test_same_seed_gives_identical_weights_and_another_seed_does_not() -> None:
    first, second, other = (trained_cartpole_agent(seed) for seed in (3, 3, 4))
    assert first.gradient_steps > 100
    for name, tensor in first.q_net.state_dict().items():
        torch.testing.assert_close(tensor, second.q_net.state_dict()[name], rtol=0, atol=0)
    assert not torch.equal(
        first.q_net.state_dict()["weights.0"], other.q_net.state_dict()["weights.0"]
    )


def test_save_and_load_give_identical_actions(tmp_path: Path) -> None:
    agent = trained_cartpole_agent(5)
    path = agent.save(tmp_path / "dqn.pt", {"env_id": "CartPole-v1"})
    loaded = DQN.load(path, cartpole().observation_space, cartpole().action_space)
    assert loaded.metadata == {"env_id": "CartPole-v1"}
    assert loaded.steps == agent.steps
    assert loaded.epsilon == agent.epsilon
    obs = np.random.default_rng(0).normal(size=(100, 4)).astype(np.float32)
    np.testing.assert_array_equal(loaded.act(obs), agent.act(obs))
    np.testing.assert_array_equal(loaded.act(obs, explore=True), agent.act(obs, explore=True))
    for name, tensor in agent.target_net.state_dict().items():
        torch.testing.assert_close(loaded.target_net.state_dict()[name], tensor)


def test_load_refuses_another_agent_kind_other_spaces_and_damage(tmp_path: Path) -> None:
    env = cartpole()
    ppo_path = PPO(env.observation_space, env.action_space).save(tmp_path / "ppo.pt", {})
    with pytest.raises(CheckpointError, match="'ppo' agent, not a 'dqn' agent"):
        DQN.load(ppo_path)
    path = DQN(env.observation_space, env.action_space).save(tmp_path / "dqn.pt", {})
    with pytest.raises(CheckpointError, match="trained on the action space"):
        DQN.load(path, env.observation_space, gym.spaces.Discrete(4))
    with pytest.raises(CheckpointError, match="trained on the observation space"):
        DQN.load(path, gym.spaces.MultiDiscrete([5, 2, 5, 2]), env.action_space)
    data = path.read_bytes()
    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes(data[: len(data) // 3])
    with pytest.raises(CheckpointError, match="damaged"):
        DQN.load(damaged)


# -- learning ---------------------------------------------------------------------------------


CARTPOLE_SEEDS = (0, 1, 2)


def best_cartpole_score(seed: int, folder: Path) -> float:
    """Train DQN on CartPole-v1 for 40k steps with RL Zoo's tuned settings (double DQN, a
    64x64 network instead of their 256x256), keep the best greedy checkpoint of the run as
    SB3's EvalCallback does, and score it afresh on 10 episodes it was not picked on."""
    env = cartpole()
    config = DQNConfig(
        learning_rate=2.3e-3,
        batch_size=64,
        buffer_size=100_000,
        learning_starts=1000,
        gamma=0.99,
        target_update_interval=10,
        train_freq=256,
        gradient_steps=128,
        exploration_fraction=0.16,
        exploration_final_eps=0.04,
        hidden_sizes=(64, 64),
        double_dqn=True,
    )
    agent = DQN(
        env.observation_space, env.action_space, config, seed=seed, plan=RunPlan(total_steps=40_000)
    )
    best = {"score": -math.inf}

    def keep_best(steps: int) -> None:
        score = greedy_return(agent, "CartPole-v1", 5, seed=2000)
        if score > best["score"]:
            best["score"] = score
            agent.save(folder / "best.pt", {"env_id": "CartPole-v1", "steps": steps})

    train_agent(agent, "CartPole-v1", 1, 40_000, seed=seed, every=2000, callback=keep_best)
    return greedy_return(DQN.load(folder / "best.pt"), "CartPole-v1", 10, seed=1000)


@pytest.mark.slow
def test_dqn_balances_cartpole(tmp_path: Path) -> None:
    # DQN's greedy policy on CartPole swings between balancing perfectly and failing as
    # training goes on, and which evaluation catches it balancing depends on every float of
    # the run, so one seed's score differs between CPUs. Over 14 seeds on one machine the
    # best checkpoints scored 500 on 11, 487 on 1 and 323-386 on 2, so what holds on any
    # CPU is asserted: every seed learns (10x a random policy's 22) and one of three
    # balances (all three missing 475 is about a 1-in-300 draw).
    start = time.perf_counter()
    scores = [best_cartpole_score(seed, tmp_path) for seed in CARTPOLE_SEEDS]
    print(
        f"DQN CartPole-v1, seeds {CARTPOLE_SEEDS}: best checkpoints score {scores} "
        f"after 40k steps each in {time.perf_counter() - start:.1f} s"
    )
    assert min(scores) >= 250
    assert max(scores) >= 475
