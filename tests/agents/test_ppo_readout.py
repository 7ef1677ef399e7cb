"""PPO's readout: what its own networks say about an observation, for the live window."""

from __future__ import annotations

import numpy as np
import torch
from gymnasium import spaces

from agents.ppo import PPO, PPOConfig


def box_agent(**config: object) -> PPO:
    obs_space = spaces.Box(-1.0, 1.0, (5,), dtype=np.float32)
    act_space = spaces.Box(-1.0, 1.0, (3,), dtype=np.float32)
    return PPO(obs_space, act_space, PPOConfig(n_steps=8, batch_size=8, **config), seed=3)


def test_box_readout_is_the_torch_networks_forward_pass_and_the_greedy_action() -> None:
    agent = box_agent(log_std_init=-0.7)
    obs = np.random.default_rng(0).uniform(-1, 1, (4, 5)).astype(np.float32)
    agent.obs_rms.update(obs.astype(np.float64) * 3.0)  # normalisation in play
    readout = agent.readout(obs)
    features = torch.from_numpy(agent._features(agent.encoder.encode(obs)))
    with torch.no_grad():
        means = agent.net.actor(features).numpy()
        values = agent.net.critic(features)[:, 0].numpy()
    assert readout.means is not None and readout.stds is not None
    assert np.allclose(readout.means, means, atol=1e-5)
    assert np.allclose(readout.values, values, atol=1e-5)
    assert np.allclose(readout.stds, np.exp(-0.7), atol=1e-6) and readout.stds.shape == (4, 3)
    assert readout.probabilities is None
    assert np.allclose(agent.act(obs), np.clip(readout.means, -1, 1), atol=1e-6)


def test_readout_draws_nothing_and_records_nothing() -> None:
    agent = box_agent()
    obs = np.zeros((1, 5), dtype=np.float32)
    state = agent.generator.get_state()
    agent.readout(obs)
    assert torch.equal(agent.generator.get_state(), state)
    assert agent._pending is None


def test_discrete_readout_gives_probabilities_with_illegal_actions_at_zero() -> None:
    agent = PPO(
        spaces.MultiDiscrete([5, 2, 5, 2]),
        spaces.Discrete(4),
        PPOConfig(n_steps=8, batch_size=8),
        seed=1,
    )
    obs = np.array([[0, 1, 2, 1], [4, 0, 0, 1]])
    masks = np.array([[True, False, True, True], [False, True, False, False]])
    readout = agent.readout(obs, masks)
    assert readout.means is None and readout.probabilities is not None
    assert np.allclose(readout.probabilities.sum(axis=1), 1.0)
    assert np.all(readout.probabilities[~masks] < 1e-6)
    greedy = agent.act(obs, masks)
    assert np.array_equal(greedy, readout.probabilities.argmax(axis=1))


def test_critic_rewards_follow_reward_normalisation() -> None:
    plain = box_agent()
    rewards = np.array([1.0, -2.0])
    assert np.array_equal(plain.critic_rewards(rewards), rewards)
    scaled = box_agent(normalize_reward=True)
    scaled.return_rms.update(np.array([0.0, 4.0, -4.0, 8.0]))
    expected = rewards / scaled.return_rms.std
    assert np.allclose(scaled.critic_rewards(rewards), expected)
    assert scaled.return_rms.count == 4  # the statistics are read, not updated
