"""PPO: GAE and masked categoricals against hand-computed values, config checks, checkpoints,
determinism, and learning runs on CartPole-v1 and Pendulum-v1.

`train_agent` and `greedy_return` are the small training loop and evaluation the learning
tests use (test_dqn.py uses them too); the loop collects through `agents.collect.Collector`,
the collector `walker train` uses.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch

import envs  # noqa: F401  (registers Henry-v0)
from agents.actor_critic import (
    ILLEGAL_LOGIT,
    ActorCritic,
    categorical_entropy,
    log_softmax,
    masked_logits,
    sample_categorical,
)
from agents.base import Agent, Batch, Learner, RunPlan
from agents.checkpoint import CheckpointError
from agents.collect import Collector
from agents.ppo import PPO, PPOConfig
from agents.rollout import RolloutBuffer, RunningMeanStd, compute_gae

# -- the training loop the learning tests use -------------------------------------------------


def train_agent(
    agent: Any,
    env_id: str,
    n_envs: int,
    total_steps: int,
    seed: int,
    env_kwargs: dict[str, Any] | None = None,
    every: int = 0,
    callback: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Train `agent` for `total_steps` env steps on `n_envs` copies of `env_id` through the
    collector `walker train` uses, calling `callback(steps)` every `every` env steps if given.

    Returns the returns of the episodes finished while training and whether any action the
    agent took was illegal (for envs that report `info["illegal_action"]`).
    """
    envs_ = gym.vector.SyncVectorEnv(
        [lambda: gym.make(env_id, **(env_kwargs or {})) for _ in range(n_envs)],
        autoreset_mode=gym.vector.AutoresetMode.SAME_STEP,
    )
    collector = Collector(envs_, agent)
    collector.reset(seed=seed)
    episode_returns: list[float] = []
    illegal = 0
    for steps in range(n_envs, total_steps + n_envs, n_envs):
        step = collector.step()
        agent.learn(step.batch)
        for end in step.ended:
            episode_returns.append(end.episode_return)
            illegal += end.illegal_actions
        if callback is not None and steps % every < n_envs:
            callback(steps)
    illegal += int(collector.illegal.sum())  # in episodes still running
    envs_.close()
    return {"episode_returns": episode_returns, "illegal": illegal > 0}


def greedy_return(agent: Any, env_id: str, episodes: int, seed: int) -> float:
    """Mean return of `episodes` greedy (`explore=False`) episodes, seeds seed, seed+1, ..."""
    env = gym.make(env_id)
    returns = []
    for episode in range(episodes):
        obs, info = env.reset(seed=seed + episode)
        total, done = 0.0, False
        while not done:
            mask = info.get("action_mask")
            action = agent.act(obs[None], None if mask is None else mask[None].astype(bool))[0]
            obs, reward, terminated, truncated, info = env.step(action)
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    env.close()
    return float(np.mean(returns))


def cartpole() -> gym.Env[Any, Any]:
    return gym.make("CartPole-v1")


def pendulum() -> gym.Env[Any, Any]:
    return gym.make("Pendulum-v1")


# -- GAE --------------------------------------------------------------------------------------


def test_gae_bootstraps_on_truncation_but_not_on_termination() -> None:
    # Two envs, three steps, gamma 0.9, lambda 0.5. Env 0 is truncated at step 1, env 1
    # terminates at step 1; both start a new episode at step 2.
    rewards = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    values = np.array([[0.5, 0.5], [1.0, 1.0], [2.0, 2.0]])
    # V of the observation each step led to: the next step's value within an episode,
    # V(final obs) = 4 for the truncated step, anything (100) for the terminated one, and
    # V(last next obs) = 3 after the rollout.
    next_values = np.array([[1.0, 1.0], [4.0, 100.0], [3.0, 3.0]])
    terminated = np.array([[False, False], [False, True], [False, False]])
    truncated = np.array([[False, False], [True, False], [False, False]])
    advantages, returns = compute_gae(
        rewards, values, next_values, terminated, truncated, gamma=0.9, gae_lambda=0.5
    )
    # Step 2 (both):  3 + 0.9 * 3 - 2 = 3.7
    # Env 0, step 1 (truncated): 2 + 0.9 * 4 - 1 = 4.6; nothing flows back across the end.
    # Env 0, step 0: (1 + 0.9 * 1 - 0.5) + 0.9 * 0.5 * 4.6 = 1.4 + 2.07 = 3.47
    # Env 1, step 1 (terminated): 2 + 0 - 1 = 1.0
    # Env 1, step 0: 1.4 + 0.45 * 1.0 = 1.85
    np.testing.assert_allclose(advantages, [[3.47, 1.85], [4.6, 1.0], [3.7, 3.7]])
    np.testing.assert_allclose(returns, advantages + values)


def test_rollout_buffer_next_values_use_final_values_where_truncated() -> None:
    buffer = RolloutBuffer(
        n_steps=3, n_envs=2, features=1, action_shape=(), action_dtype=np.int64, n_actions=2
    )
    buffer.values[:] = [[0.5, 0.5], [1.0, 1.0], [2.0, 2.0]]
    buffer.truncated[1, 0] = True
    buffer.final_values[1, 0] = 4.0
    next_values = buffer.next_values(np.array([3.0, 3.0], dtype=np.float32))
    np.testing.assert_allclose(next_values, [[1.0, 1.0], [4.0, 2.0], [3.0, 3.0]])


def test_truncated_step_records_the_value_of_the_final_observation() -> None:
    env = cartpole()
    agent = PPO(
        env.observation_space,
        env.action_space,
        PPOConfig(n_steps=8, batch_size=4, normalize_obs=False),
        seed=0,
        plan=RunPlan(n_envs=2),
    )
    obs = np.zeros((2, 4), dtype=np.float32)
    final = np.full((2, 4), 0.3, dtype=np.float32)
    actions = agent.act(obs, explore=True)
    agent.learn(
        Batch(obs, actions, np.ones(2), final, np.array([False, True]), np.array([True, True]))
    )
    expected = agent.net.value(torch.from_numpy(final[:1])).detach().numpy()
    np.testing.assert_allclose(agent.buffer.final_values[0, 0], expected[0], rtol=1e-6)
    assert agent.buffer.final_values[0, 1] == 0.0  # terminated and truncated: no bootstrap


# -- masked categorical -----------------------------------------------------------------------


def test_masked_sampling_never_draws_an_illegal_action() -> None:
    rng = np.random.default_rng(0)
    # The illegal actions have by far the highest logits, so only the mask keeps them out.
    logits = np.tile(np.array([50.0, 0.0, 50.0, -1.0], dtype=np.float32), (20_000, 1))
    masks = np.tile([False, True, False, True], (20_000, 1))
    log_p = log_softmax(np.where(masks, logits, ILLEGAL_LOGIT))
    drawn = sample_categorical(log_p, rng.random(log_p.shape, dtype=np.float32))
    assert set(drawn.tolist()) == {1, 3}
    # And the legal ones come at their softmax frequencies: e^0 / (e^0 + e^-1) = 0.731.
    assert abs(float((drawn == 1).mean()) - 1 / (1 + math.exp(-1))) < 0.015
    # Even uniforms of exactly 0 (log 0 = -inf) cannot hand the draw to an illegal action.
    one_legal = log_softmax(np.where([[False, False, True, False]], logits[:1], ILLEGAL_LOGIT))
    assert sample_categorical(one_legal, np.zeros((1, 4), dtype=np.float32)).tolist() == [2]
    # numpy's log-softmax is torch's.
    np.testing.assert_allclose(
        log_p[:1],
        torch.log_softmax(
            masked_logits(torch.from_numpy(logits[:1]), torch.from_numpy(masks[:1])), -1
        ).numpy(),
        rtol=1e-6,
    )


def test_masked_log_prob_and_entropy_cover_legal_actions_only() -> None:
    logits = torch.tensor([[0.3, 2.0, -0.7, 1.1]])
    masks = torch.tensor([[True, False, True, True]])
    log_p = torch.log_softmax(masked_logits(logits, masks), dim=-1)
    assert log_p[0, 1] < ILLEGAL_LOGIT / 2  # an illegal action is -inf-ish
    legal = torch.tensor([0.3, -0.7, 1.1])
    p = torch.softmax(legal, dim=0)
    np.testing.assert_allclose(log_p[0, [0, 2, 3]].numpy(), torch.log(p).numpy(), rtol=1e-6)
    entropy = categorical_entropy(log_p)
    assert torch.isfinite(entropy).all()
    np.testing.assert_allclose(entropy.item(), float(-(p * p.log()).sum()), rtol=1e-6)


def test_evaluate_applies_masks_stored_with_the_rollout() -> None:
    net = ActorCritic(3, gym.spaces.Discrete(4), (8,), 0.0, torch.Generator().manual_seed(0))
    features = torch.randn(5, 3)
    masks = torch.tensor([[True, False, True, False]]).repeat(5, 1)
    log_prob, entropy, _ = net.evaluate(features, torch.zeros(5, dtype=torch.int64), masks)
    assert (entropy <= math.log(2) + 1e-6).all()  # two legal actions at most ln 2
    illegal_log_prob, _, _ = net.evaluate(features, torch.ones(5, dtype=torch.int64), masks)
    assert (illegal_log_prob < -1e7).all()
    assert (log_prob > -10).all()


def test_act_honours_masks_when_exploring_and_when_greedy() -> None:
    space = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)
    agent = PPO(space, gym.spaces.Discrete(5), PPOConfig(n_steps=16, batch_size=16), seed=1)
    rng = np.random.default_rng(0)
    obs = rng.uniform(-1, 1, (2000, 3)).astype(np.float32)
    masks = rng.random((2000, 5)) < 0.4
    masks[~masks.any(axis=1), 2] = True
    explored = agent.act(obs, masks, explore=True)
    assert masks[np.arange(2000), explored].all()
    greedy = agent.act(obs, masks, explore=False)
    assert masks[np.arange(2000), greedy].all()
    with torch.no_grad():
        logits = agent.net.actor(torch.from_numpy(agent._features(obs))).numpy()
    np.testing.assert_array_equal(greedy, np.where(masks, logits, -np.inf).argmax(axis=1))


def test_numpy_acting_matches_the_torch_networks() -> None:
    # act() runs the networks in numpy; the updates evaluate them in torch. After training
    # (so the shared weights have changed in place) both must agree.
    agent = trained_pendulum_agent(seed=7)
    obs = np.random.default_rng(0).uniform(-1, 1, (16, 3)).astype(np.float32)
    agent.act(obs, explore=True)
    step = agent._pending
    assert step is not None
    with torch.no_grad():
        log_probs, _, values = agent.net.evaluate(
            torch.from_numpy(step.features), torch.from_numpy(step.actions), None
        )
    np.testing.assert_allclose(step.log_probs, log_probs.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(step.values, values.numpy(), rtol=1e-5, atol=1e-5)


# -- configuration and spaces -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("learning_rate", -1e-3, "learning_rate must be a positive number"),
        ("gamma", 1.5, r"gamma must be in \[0, 1\]"),
        ("gae_lambda", -0.1, r"gae_lambda must be in \[0, 1\]"),
        ("n_steps", 0, "n_steps must be a whole number"),
        ("n_epochs", 2.5, "n_epochs must be a whole number"),
        ("clip_range", 0.0, "clip_range must be a positive number"),
        ("target_kl", -0.01, "target_kl must be a positive number or None"),
        ("ent_coef", -0.1, "ent_coef must be a number >= 0"),
        ("hidden_sizes", (), "hidden_sizes must be a non-empty sequence"),
        ("num_threads", 0, "num_threads must be a whole number"),
    ],
)
def test_config_rejects_bad_values(field: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PPOConfig(**{field: value})


def test_config_round_trips_through_a_dict() -> None:
    config = PPOConfig(n_steps=64, hidden_sizes=(32, 16), target_kl=0.02)
    assert PPOConfig.from_dict(config.to_dict()) == config


def test_a_minibatch_must_fit_in_the_rollout_of_the_runs_envs() -> None:
    env = cartpole()
    config = PPOConfig(n_steps=256, batch_size=1024)
    with pytest.raises(ValueError, match=r"batch_size \(1024\) must not exceed the rollout"):
        PPO(env.observation_space, env.action_space, config)
    agent = PPO(env.observation_space, env.action_space, config, plan=RunPlan(n_envs=4))
    assert agent.buffer.values.shape == (256, 4)
    with pytest.raises(ValueError, match="n_envs must be a whole number"):
        PPO(env.observation_space, env.action_space, plan=RunPlan(n_envs=0))


def test_unsupported_spaces_are_refused() -> None:
    box = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
    with pytest.raises(TypeError, match="Discrete or Box action space"):
        PPO(box, gym.spaces.MultiBinary(3))
    with pytest.raises(ValueError, match="bounded Box"):
        PPO(box, gym.spaces.Box(-np.inf, np.inf, (2,), np.float32))
    with pytest.raises(TypeError, match="observations must be"):
        PPO(gym.spaces.Text(5), gym.spaces.Discrete(2))


def test_agent_fits_the_protocols_and_checks_its_inputs() -> None:
    env = cartpole()
    agent = PPO(env.observation_space, env.action_space, PPOConfig(n_steps=8, batch_size=8))
    assert isinstance(agent, Agent)
    assert isinstance(agent, Learner)
    with pytest.raises(ValueError, match="shape"):
        agent.act(np.zeros(4, dtype=np.float32))  # the env axis is missing
    obs = np.zeros((2, 4), dtype=np.float32)
    two_rows = Batch(
        obs, np.zeros(2, dtype=np.int64), np.zeros(2), obs, np.zeros(2, bool), np.zeros(2, bool)
    )
    with pytest.raises(ValueError, match="n_envs=1"):
        agent.learn(two_rows)
    continuous = PPO(pendulum().observation_space, pendulum().action_space)
    with pytest.raises(ValueError, match="masks apply only"):
        continuous.act(np.zeros((1, 3), dtype=np.float32), np.ones((1, 2), dtype=bool))


def test_greedy_box_action_is_the_mean_clipped_to_the_space() -> None:
    env = pendulum()
    agent = PPO(env.observation_space, env.action_space, seed=0)
    with torch.no_grad():
        agent.net.actor._layers[-1][1].fill_(5.0)  # push every mean far beyond 2
    obs = np.zeros((3, 3), dtype=np.float32)
    np.testing.assert_array_equal(agent.act(obs, explore=False), np.full((3, 1), 2.0))
    sampled = agent.act(obs, explore=True)
    assert (sampled <= 2.0).all()
    assert agent._pending is not None
    assert (agent._pending.actions > 2.0).any()  # the rollout keeps the unclipped sample


def test_running_mean_std_matches_numpy_over_batches() -> None:
    rng = np.random.default_rng(0)
    data = rng.normal(3.0, 2.0, (1000, 2))
    stats = RunningMeanStd((2,))
    for start in range(0, 1000, 7):
        stats.update(data[start : start + 7])
    np.testing.assert_allclose(stats.mean, data.mean(axis=0))
    np.testing.assert_allclose(stats.var, data.var(axis=0))
    assert stats.count == 1000


def test_learning_rate_anneals_with_progress() -> None:
    env = cartpole()
    config = PPOConfig(anneal_lr=True, learning_rate=1e-3)
    agent = PPO(env.observation_space, env.action_space, config, plan=RunPlan(total_steps=1000))
    agent.steps = 250
    assert agent.learning_rate == pytest.approx(7.5e-4)
    agent.set_progress(0.5)
    assert agent.learning_rate == pytest.approx(5e-4)
    assert agent.hud()["learning rate"] == pytest.approx(5e-4)


# -- checkpoints and determinism --------------------------------------------------------------


def trained_pendulum_agent(seed: int, steps: int = 192) -> PPO:
    env = pendulum()
    config = PPOConfig(n_steps=32, batch_size=32, n_epochs=2, normalize_reward=True)
    agent = PPO(env.observation_space, env.action_space, config, seed=seed, plan=RunPlan(2))
    train_agent(agent, "Pendulum-v1", 2, steps, seed=seed)
    return agent


def test_same_seed_gives_identical_weights_and_another_seed_does_not() -> None:
    first, second = trained_pendulum_agent(3), trained_pendulum_agent(3)
    other = trained_pendulum_agent(4)
    assert first.updates == 3
    for name, tensor in first.net.state_dict().items():
        torch.testing.assert_close(tensor, second.net.state_dict()[name], rtol=0, atol=0)
    np.testing.assert_array_equal(first.obs_rms.mean, second.obs_rms.mean)
    assert not torch.equal(first.net.log_std, other.net.log_std)


def test_save_and_load_give_identical_actions(tmp_path: Path) -> None:
    agent = trained_pendulum_agent(5)
    assert agent.obs_rms.count > 0
    path = agent.save(tmp_path / "ppo.pt", {"env_id": "Pendulum-v1"})
    loaded = PPO.load(path, pendulum().observation_space, pendulum().action_space)
    assert loaded.metadata == {"env_id": "Pendulum-v1"}
    np.testing.assert_array_equal(loaded.obs_rms.mean, agent.obs_rms.mean)
    np.testing.assert_array_equal(loaded.obs_rms.var, agent.obs_rms.var)
    assert loaded.return_rms.count == agent.return_rms.count
    obs = np.random.default_rng(0).uniform(-8, 8, (50, 3)).astype(np.float32)
    np.testing.assert_array_equal(loaded.act(obs), agent.act(obs))
    # The random state travels too: exploring draws the same actions.
    np.testing.assert_array_equal(loaded.act(obs, explore=True), agent.act(obs, explore=True))
    # Without the spaces, the recorded ones are used.
    assert PPO.load(path).observation_space == agent.observation_space


def test_save_and_load_discrete_agent_with_masks(tmp_path: Path) -> None:
    env = gym.make("Henry-v0")
    config = PPOConfig(n_steps=32, batch_size=16, n_epochs=1)
    agent = PPO(env.observation_space, env.action_space, config, seed=0)
    result = train_agent(agent, "Henry-v0", 1, 64, seed=0, env_kwargs={"max_episode_steps": 10})
    assert not result["illegal"]
    assert len(result["episode_returns"]) >= 6  # truncated episodes' final masks were used
    assert agent.updates == 2
    loaded = PPO.load(agent.save(tmp_path / "henry.pt", {"env_id": "Henry-v0"}))
    obs = np.array([[2, 1, 2, 1], [0, 0, 3, 1], [4, 1, 1, 0]])
    masks = np.array(
        [[1, 1, 0, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0, 1, 0], [0, 0, 0, 0, 1, 1, 0, 1]], dtype=bool
    )
    np.testing.assert_array_equal(loaded.act(obs, masks), agent.act(obs, masks))


def test_load_refuses_another_agent_kind_and_other_spaces(tmp_path: Path) -> None:
    from agents.dqn import DQN

    env = cartpole()
    dqn_path = DQN(env.observation_space, env.action_space).save(tmp_path / "dqn.pt", {})
    with pytest.raises(CheckpointError, match="'dqn' agent, not a 'ppo' agent"):
        PPO.load(dqn_path)
    ppo_path = PPO(env.observation_space, env.action_space).save(tmp_path / "ppo.pt", {})
    with pytest.raises(CheckpointError, match="trained on the observation space"):
        PPO.load(ppo_path, gym.spaces.Box(-1.0, 1.0, (5,), np.float32), env.action_space)
    with pytest.raises(CheckpointError, match="trained on the action space"):
        PPO.load(ppo_path, env.observation_space, gym.spaces.Discrete(3))


def test_load_refuses_a_damaged_file(tmp_path: Path) -> None:
    env = cartpole()
    path = PPO(env.observation_space, env.action_space).save(tmp_path / "ppo.pt", {})
    data = path.read_bytes()
    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="damaged"):
        PPO.load(damaged)
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError):
        PPO.load(garbage)


def test_learn_accepts_steps_it_did_not_sample() -> None:
    env = cartpole()
    agent = PPO(
        env.observation_space,
        env.action_space,
        PPOConfig(n_steps=4, batch_size=4, n_epochs=1),
        seed=0,
    )
    obs = np.zeros((1, 4), dtype=np.float32)
    metrics: dict[str, float] = {}
    for _ in range(4):  # learn without act: the actions are evaluated under the policy
        metrics = agent.learn(
            Batch(obs, np.array([1]), np.ones(1), obs, np.zeros(1, bool), np.zeros(1, bool))
        )
    assert agent.updates == 1
    assert math.isfinite(metrics["policy_loss"])


# -- learning ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_ppo_balances_cartpole() -> None:
    env = cartpole()
    # SB3's defaults. One seed suffices where every seed passes with room: seeds 0-5 all
    # scored 500, so a CPU whose floats send seed 0 elsewhere still balances.
    agent = PPO(env.observation_space, env.action_space, PPOConfig(), seed=0)
    start = time.perf_counter()
    train_agent(agent, "CartPole-v1", 1, 40_000, seed=0)
    elapsed = time.perf_counter() - start
    score = greedy_return(agent, "CartPole-v1", 10, seed=1000)
    print(f"PPO CartPole-v1: greedy return {score:.1f} after 40k steps in {elapsed:.1f} s")
    assert score >= 475


@pytest.mark.slow
def test_ppo_swings_up_pendulum() -> None:
    env = pendulum()
    config = PPOConfig(n_steps=256, batch_size=128, gamma=0.95, learning_rate=1e-3, anneal_lr=True)
    agent = PPO(env.observation_space, env.action_space, config, seed=0, plan=RunPlan(8, 200_000))
    start = time.perf_counter()
    train_agent(agent, "Pendulum-v1", 8, 200_000, seed=0)
    elapsed = time.perf_counter() - start
    # 20 episodes: a swing-up from rest costs far more than a start near the top, so a
    # handful of episodes says more about the starts drawn than about the policy. Seeds
    # 0-3 scored -158 to -182, well clear of the bar whatever seed 0's floats do elsewhere.
    score = greedy_return(agent, "Pendulum-v1", 20, seed=1000)
    print(f"PPO Pendulum-v1: greedy return {score:.1f} after 200k steps in {elapsed:.1f} s")
    assert score >= -250
