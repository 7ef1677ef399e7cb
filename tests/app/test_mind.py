"""The PPO and DQN panels' data: read from the agent's own forward passes, step by step."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces

from agents.baselines import RandomPolicy
from agents.dqn import DQN
from agents.ppo import PPO, PPOConfig
from walker.app.viewing.mind import MindTrace


def henry_like_ppo(**config: object) -> PPO:
    obs_space = spaces.Box(-5.0, 5.0, (15,), dtype=np.float32)
    act_space = spaces.Box(-1.0, 1.0, (4,), dtype=np.float32)
    return PPO(obs_space, act_space, PPOConfig(n_steps=8, batch_size=8, **config), seed=0)


def test_ppo_trace_holds_what_its_networks_said_at_each_step() -> None:
    agent = henry_like_ppo(gamma=0.9, log_std_init=-1.0)
    trace = MindTrace.of(agent, None)
    assert trace is not None
    rng = np.random.default_rng(0)
    observations = rng.normal(size=(4, 15)).astype(np.float32)
    rewards = [1.0, 2.0, 0.5]
    trace.start(observations[0], None)
    for t, reward in enumerate(rewards):
        trace.observe(observations[t], None, None, reward, observations[t + 1], None)
    actions, value = trace.actions(), trace.value()
    assert actions is not None and value is not None
    features = torch.from_numpy(agent._features(agent.encoder.encode(observations[:3])))
    with torch.no_grad():  # the torch networks, not the numpy copy the trace used
        assert np.allclose(actions.means, agent.net.actor(features).numpy(), atol=1e-5)
        assert np.allclose(value.values, agent.net.critic(features)[:, 0].numpy(), atol=1e-5)
    assert np.allclose(actions.stds, np.exp(-1.0))
    assert actions.names == ["R swing", "R ext", "L swing", "L ext"]
    g = 0.9
    assert value.received == pytest.approx([1.0 + g * 2.0 + g * g * 0.5, 2.0 + g * 0.5, 0.5])
    assert value.settled == 0  # three steps are far inside gamma 0.9's horizon
    # Training changes the networks; the next steps show the changed networks' outputs.
    with torch.no_grad():
        agent.net.critic.biases[-1].add_(10.0)
    trace.observe(observations[3], None, None, 0.0, observations[3], None)
    later = trace.value()
    assert later is not None
    assert later.values[-1] == pytest.approx(float(agent.readout(observations[3:4]).values[0]))
    assert later.values[-1] - value.values[-1] > 5.0
    trace.start(observations[0], None)  # a new episode starts the traces again
    assert trace.value().values.size == 0  # type: ignore[union-attr]


def test_received_returns_settle_after_the_discounts_horizon_and_traces_grow() -> None:
    agent = henry_like_ppo(gamma=0.5)
    trace = MindTrace.of(agent, None)
    assert trace is not None
    obs = np.zeros(15, dtype=np.float32)
    trace.start(obs, None)
    for _ in range(1500):  # past the first allocation
        trace.observe(obs, None, None, 1.0, obs, None)
    value = trace.value()
    assert value is not None and len(value.values) == 1500
    # 0.5 ** 5 < 0.05: all but the last five steps are settled, and sum to about 2.
    assert value.settled == 1500 - 5
    assert np.allclose(value.received[: value.settled], 2.0, atol=0.07)


def test_dqn_bars_are_its_q_values_for_the_current_state() -> None:
    agent = DQN(spaces.MultiDiscrete([5, 2, 5, 2]), spaces.Discrete(8), seed=0)
    names = [f"action {a}" for a in range(8)]
    trace = MindTrace.of(agent, names)
    assert trace is not None
    obs, next_obs = np.array([2, 1, 2, 1]), np.array([3, 0, 2, 1])
    mask = np.array([1, 0, 1, 1, 0, 0, 1, 0], dtype=bool)
    trace.start(obs, mask)
    trace.observe(obs, mask, 2, 0.1, next_obs, mask)
    bars = trace.bars
    assert bars is not None and bars.chosen == 2 and list(bars.names) == names
    assert np.allclose(bars.values, agent.q_values(next_obs[None])[0])
    assert np.array_equal(bars.legal, mask)
    assert trace.actions() is None and trace.value() is None


def test_discrete_ppo_shows_probabilities_and_its_critic() -> None:
    agent = PPO(
        spaces.MultiDiscrete([5, 2, 5, 2]), spaces.Discrete(8), PPOConfig(n_steps=8, batch_size=8)
    )
    trace = MindTrace.of(agent, None)
    assert trace is not None
    obs = np.array([2, 1, 2, 1])
    mask = np.array([1, 1, 0, 0, 0, 0, 0, 0], dtype=bool)
    trace.start(obs, mask)
    trace.observe(obs, mask, 0, 0.2, obs, mask)
    assert trace.bars is not None and trace.bars.values.sum() == pytest.approx(1.0)
    assert trace.bars.values[~mask].max() < 1e-6
    assert trace.actions() is None and trace.value() is not None


def test_agents_without_networks_have_no_trace() -> None:
    space = spaces.Discrete(3)
    assert MindTrace.of(RandomPolicy(space, seed=0), None) is None
