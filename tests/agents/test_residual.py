"""Residual PPO: the policy corrects the walking controller (`agents.residual`)."""

import dataclasses
import importlib.util
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

import envs
from agents.base import Batch, RunPlan
from agents.checkpoint import CheckpointError, load_checkpoint
from agents.ppo import AGENT_KIND, PPO, PPOConfig
from agents.residual import ResidualError, check_residual_env
from agents.walking import WalkingConfig, WalkingController


def _agent(n_envs=1, seed=0, **config):
    env = gym.make(envs.CONTINUOUS_ID)
    values = {"residual": "walking", "n_steps": 32, "batch_size": 32, **config}
    agent = PPO(env.observation_space, env.action_space, PPOConfig(**values), seed, RunPlan(n_envs))
    return agent, env


def _rollout(agent, env, steps, explore=False):
    obs, _ = env.reset(seed=4)
    agent.reset()
    seen, acted = [], []
    for _ in range(steps):
        action = agent.act(obs[None], explore=explore)[0]
        seen.append(obs)
        acted.append(action)
        obs, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            break
    return np.array(seen), np.array(acted)


def test_the_env_gets_the_controllers_action_plus_the_scaled_correction():
    agent, env = _agent(residual_scale=0.4)
    with torch.no_grad():  # a policy that asks for a large correction
        agent.net.actor.biases[-1].copy_(torch.tensor([0.5, -0.5, 2.0, 0.0]))
    controller = WalkingController.for_env(env)
    seen, acted = _rollout(agent, env, 120)
    proposals = np.array([controller.act(obs[None])[0] for obs in seen])
    means = agent.readout(seen).means  # the readout previews: the controller is unchanged
    corrections = np.clip(agent.net.actor.forward_numpy(agent._features(_raw(agent, seen))), -1, 1)
    expected = np.clip(proposals + 0.4 * corrections, -1.0, 1.0)
    np.testing.assert_allclose(acted, expected, atol=1e-6)
    assert means is not None and means.shape == acted.shape
    assert np.abs(acted - proposals).max() > 0.3  # the correction really moved the servos


def _raw(agent, seen):
    controller = WalkingController.for_env(gym.make(envs.CONTINUOUS_ID))
    proposals = np.array([controller.act(obs[None])[0] for obs in seen])
    return np.concatenate([agent.encoder.encode(seen), proposals], axis=1)


def test_a_new_residual_policy_starts_at_the_controllers_gait():
    agent, env = _agent()
    controller = WalkingController.for_env(env)
    seen, acted = _rollout(agent, env, 300)
    proposals = np.array([controller.act(obs[None])[0] for obs in seen])
    # The actor's last layer starts near zero (gain 0.01), so corrections are tiny; how
    # long the episode lasts is the physics' business, a second of it is enough to compare.
    assert len(seen) >= 60
    assert np.abs(acted - proposals).max() < 0.3 * 0.05


def test_preview_and_readout_leave_the_controllers_memory_alone():
    agent, env = _agent()
    _seen, acted = _rollout(agent, env, 80)
    again_agent, again_env = _agent()
    obs, _ = again_env.reset(seed=4)
    again_agent.reset()
    for index, expected in enumerate(acted):
        again_agent.readout(obs[None])  # looks, and must not step the controller
        again_agent.residual.controller.preview(obs[None])
        action = again_agent.act(obs[None])[0]
        np.testing.assert_array_equal(action, expected, err_msg=f"step {index}")
        obs = again_env.step(action)[0]


def test_a_saved_residual_policy_plays_the_same_with_the_controller_it_was_saved_with(tmp_path):
    slow = dataclasses.asdict(WalkingConfig(swing_rate_rad_s=2.0))
    agent, env = _agent()
    agent.residual.controller = WalkingController.for_env(env, WalkingConfig(**slow))
    with torch.no_grad():
        agent.net.actor.biases[-1].copy_(torch.tensor([0.2, 0.1, -0.2, 0.0]))
    path = agent.save(tmp_path / "residual.pt", {"env_id": envs.CONTINUOUS_ID})
    _, before = _rollout(agent, env, 150)
    loaded = PPO.load(path, env.observation_space, env.action_space)
    assert loaded.residual is not None
    assert loaded.residual.controller_config() == slow
    _, after = _rollout(loaded, env, 150)
    np.testing.assert_array_equal(after, before)


def _retune_script():
    """scripts/retune_residual.py as a module."""
    path = Path(__file__).resolve().parents[2] / "scripts" / "retune_residual.py"
    spec = importlib.util.spec_from_file_location("retune_residual", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_new_residual_policy_learns_beside_the_controller_it_is_given(tmp_path):
    # `residual_controller` sets the controller a new policy starts beside; the checkpoint
    # records it, and retune_residual.py changes it in a copy without touching the weights.
    retune = _retune_script().retune
    agent, env = _agent(residual_controller=" catch_speed_m_s=0 , hurry=2.5,settle_steps=4")
    config = agent.residual.controller_config()
    assert (config["catch_speed_m_s"], config["hurry"], config["settle_steps"]) == (0.0, 2.5, 4)
    assert config["hurry_speed_m_s"] == WalkingConfig().hurry_speed_m_s
    path = agent.save(tmp_path / "residual.pt", {"env_id": envs.CONTINUOUS_ID})
    changes = retune(path, tmp_path / "retuned.pt", ["catch_speed_m_s=0.6", "hurry=2.5"])
    assert changes == {"catch_speed_m_s": [0.0, 0.6]}
    retuned = PPO.load(tmp_path / "retuned.pt", env.observation_space, env.action_space)
    assert retuned.residual.controller_config() == {**config, "catch_speed_m_s": 0.6}
    for mine, theirs in zip(agent.net.parameters(), retuned.net.parameters(), strict=True):
        assert torch.equal(mine, theirs)
    payload = torch.load(tmp_path / "retuned.pt", weights_only=True)
    assert payload["metadata"]["retuned"] == {"catch_speed_m_s": [0.0, 0.6]}


def test_retuning_refuses_a_plain_policy_a_bad_value_and_a_device(tmp_path):
    script = _retune_script()
    main, retune = script.main, script.retune

    env = gym.make(envs.CONTINUOUS_ID)
    plain = PPO(env.observation_space, env.action_space, PPOConfig(n_steps=32, batch_size=32))
    plain_path = plain.save(tmp_path / "plain.pt", {"env_id": envs.CONTINUOUS_ID})
    with pytest.raises(CheckpointError, match="not a residual one"):
        retune(plain_path, tmp_path / "out.pt", ["hurry=2"])
    agent, _ = _agent()
    path = agent.save(tmp_path / "residual.pt", {"env_id": envs.CONTINUOUS_ID})
    with pytest.raises(CheckpointError, match=r"hurry must be .*\[1, 10\]"):
        retune(path, tmp_path / "out.pt", ["hurry=20"])
    assert not (tmp_path / "out.pt").exists()
    (tmp_path / "null").symlink_to("/dev/null")
    assert main([str(path), str(tmp_path / "null"), "hurry=2"]) == 2


def test_training_steps_learn_and_keep_the_env_actions_in_bounds():
    agent, _env = _agent(n_envs=2, seed=1)
    vector = gym.vector.SyncVectorEnv([lambda: gym.make(envs.CONTINUOUS_ID)] * 2)
    obs, _ = vector.reset(seed=[0, 1])
    updates = 0
    for _ in range(64):
        actions = agent.act(obs, explore=True)
        assert actions.shape == (2, 4) and np.all(np.abs(actions) <= 1.0)
        next_obs, rewards, terminated, truncated, _ = vector.step(actions)
        metrics = agent.learn(
            Batch(obs, actions, rewards, next_obs, terminated, truncated, acted=True)
        )
        updates += bool(metrics)
        obs = next_obs
    assert updates == 2 and np.isfinite(agent.last_metrics["policy_loss"])


def test_a_residual_policy_refuses_to_learn_from_another_policys_actions():
    agent, env = _agent()
    obs, _ = env.reset(seed=0)
    actions = np.zeros((1, 4), np.float32)
    batch = Batch(obs[None], actions, np.zeros(1), obs[None], np.zeros(1, bool), np.zeros(1, bool))
    with pytest.raises(ValueError, match="own act"):
        agent.learn(batch)


@pytest.mark.parametrize(
    ("env_id", "kwargs"),
    [(envs.DISCRETE_ID, {}), ("CartPole-v1", {})],
)
def test_a_residual_policy_needs_the_continuous_henry(env_id, kwargs):
    env = gym.make(env_id, **kwargs)
    with pytest.raises(ResidualError, match="HenryContinuous-v0"):
        PPO(env.observation_space, env.action_space, PPOConfig(residual="walking"))


def test_another_geometry_or_frame_skip_is_refused_before_training():
    check_residual_env(gym.make(envs.CONTINUOUS_ID, spec={"bump_height_m": 0.02}))
    for kwargs in ({"frame_skip": 2}, {"spec": {"swing_limit_rad": 0.4}}):
        with pytest.raises(ResidualError, match="standard geometry"):
            check_residual_env(gym.make(envs.CONTINUOUS_ID, **kwargs))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"residual": "running"}, "residual must be"),
        ({"residual": "walking", "residual_scale": 0.0}, "residual_scale"),
        ({"residual": "walking", "residual_scale": float("nan")}, "residual_scale"),
        ({"residual": "walking", "residual_scale": 3.0}, "residual_scale"),
        ({"residual_controller": "hurry=2"}, "give residual too"),
        ({"residual": "walking", "residual_controller": "speed=2"}, "NAME one of step_swing"),
        ({"residual": "walking", "residual_controller": "hurry"}, "not NAME=VALUE"),
        ({"residual": "walking", "residual_controller": "hurry=fast"}, "hurry must be a number"),
        ({"residual": "walking", "residual_controller": "settle_steps=2.5"}, "whole number"),
        ({"residual": "walking", "residual_controller": "hurry=0.5"}, r"hurry must be .*\[1, 10\]"),
        ({"residual": "walking", "residual_controller": 3}, "must be a string"),
    ],
)
def test_bad_residual_settings_are_refused(values, message):
    with pytest.raises(ValueError, match=message):
        PPOConfig(**values)


def test_the_shipped_walk_plays_beside_the_controller_make_assets_gives_it():
    # scripts/make_assets.sh trains the walk beside one controller (--residual-controller)
    # and retunes the shipped copy (retune_residual.py NAME=VALUE ...): the checkpoint must
    # record both, so the figures the README quotes are the ones a rebuild gives.
    root = Path(__file__).resolve().parents[2]
    script = (root / "scripts" / "make_assets.sh").read_text().replace("\\\n", " ")
    commands = [line for line in script.splitlines() if not line.lstrip().startswith("#")]
    trained = next(line for line in commands if "--residual-controller" in line)
    trained_pairs = trained.split("--residual-controller", 1)[1].split()[0].split(",")
    retune_line = next(line for line in commands if "retune_residual.py" in line)
    retuned_pairs = [word for word in retune_line.split() if "=" in word]
    assert retuned_pairs, "make_assets.sh retunes the shipped walk"

    def pairs(words):
        return {name: float(value) for name, value in (word.split("=") for word in words)}

    before, after = pairs(trained_pairs), pairs(retuned_pairs)
    payload = load_checkpoint(root / "assets" / "ppo-henry-walk.pt", AGENT_KIND)
    assert payload["metadata"]["retuned"] == {
        name: [before.get(name, getattr(WalkingConfig(), name)), value]
        for name, value in after.items()
    }
    plays_beside = payload["state"]["residual_controller"]
    assert {name: plays_beside[name] for name in after} == after
    assert after["hurry_speed_m_s"] < WalkingConfig().hurry_speed_m_s  # its earlier catch step
