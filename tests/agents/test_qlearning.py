import gymnasium as gym
import numpy as np
import pytest
import torch

import envs  # noqa: F401
from agents.base import Batch, act_one
from agents.checkpoint import CheckpointError
from agents.collect import Collector
from agents.qlearning import QLearning
from agents.qlearning_config import EpsilonSchedule, QLearningConfig


def batch(obs, action, reward, next_obs, terminated=False, truncated=False, next_mask=None):
    return Batch(
        np.array([obs]),
        np.array([action]),
        np.array([reward]),
        np.array([next_obs]),
        np.array([terminated]),
        np.array([truncated]),
        None,
        None if next_mask is None else np.array([next_mask], dtype=bool),
    )


def small_agent(**config):
    return QLearning(
        gym.spaces.Discrete(3),
        gym.spaces.Discrete(2),
        QLearningConfig(initial_q=0.0, **config),
        seed=0,
    )


def test_bellman_update_matches_a_hand_computation():
    agent = small_agent(alpha=0.5, gamma=0.9)
    agent.q[1] = [2.0, 4.0]
    agent.q[0, 1] = 1.0
    agent.learn(batch(0, 1, 3.0, 1))
    # 1 + 0.5 * (3 + 0.9 * 4 - 1) = 3.8
    assert agent.q[0, 1] == pytest.approx(3.8)


def test_no_bootstrap_on_termination_but_bootstrap_on_truncation():
    agent = small_agent(alpha=1.0, gamma=0.9)
    agent.q[1] = [5.0, 5.0]
    agent.learn(batch(0, 0, 1.0, 1, terminated=True))
    assert agent.q[0, 0] == pytest.approx(1.0)
    agent.learn(batch(0, 1, 1.0, 1, truncated=True))
    assert agent.q[0, 1] == pytest.approx(1.0 + 0.9 * 5.0)


def test_max_in_the_target_is_over_legal_next_actions_only():
    agent = small_agent(alpha=1.0, gamma=1.0)
    agent.q[1] = [10.0, 2.0]
    agent.learn(batch(0, 0, 0.0, 1, next_mask=[False, True]))
    assert agent.q[0, 0] == pytest.approx(2.0)


def test_greedy_and_random_choices_respect_the_mask():
    agent = QLearning(
        gym.spaces.Discrete(1),
        gym.spaces.Discrete(4),
        QLearningConfig(epsilon=EpsilonSchedule("constant", 1.0, 1.0, 1)),
        seed=1,
    )
    agent.q[0] = [9.0, 1.0, 0.0, 5.0]
    mask = np.array([[False, True, True, False]])
    explored = {int(agent.act(np.array([0]), mask, explore=True)[0]) for _ in range(200)}
    assert explored == {1, 2}
    assert int(agent.act(np.array([0]), mask, explore=False)[0]) == 1


def test_ties_are_broken_at_random_not_by_index():
    agent = small_agent()
    picks = {int(agent.act(np.array([0]), None, explore=False)[0]) for _ in range(100)}
    assert picks == {0, 1}


@pytest.mark.parametrize(
    ("schedule", "step", "expected"),
    [
        (EpsilonSchedule("constant", 0.3, 0.3, 10), 1000, 0.3),
        (EpsilonSchedule("linear", 1.0, 0.1, 100), 50, 0.55),
        (EpsilonSchedule("linear", 1.0, 0.1, 100), 500, 0.1),
        (EpsilonSchedule("exponential", 1.0, 0.01, 100), 50, 0.1),
        (EpsilonSchedule("exponential", 1.0, 0.01, 100), 10_000, 0.01),
    ],
)
def test_epsilon_schedules(schedule, step, expected):
    assert schedule.value(step) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": 1.5}, "alpha"),
        ({"gamma": -0.1}, "gamma"),
        ({"initial_q": float("nan")}, "initial_q"),
    ],
)
def test_bad_hyperparameters_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        QLearningConfig(**kwargs)


def test_bad_schedules_raise():
    with pytest.raises(ValueError, match="kind"):
        EpsilonSchedule("cosine")
    with pytest.raises(ValueError, match="must not exceed"):
        EpsilonSchedule("linear", 0.1, 0.5)
    with pytest.raises(ValueError, match="decay_steps"):
        EpsilonSchedule("linear", 1.0, 0.1, 0)


def test_unsupported_spaces_raise():
    with pytest.raises(TypeError, match="Discrete or MultiDiscrete observation"):
        QLearning(gym.spaces.Box(-1, 1, (2,)), gym.spaces.Discrete(2))
    with pytest.raises(TypeError, match="Discrete action space"):
        QLearning(gym.spaces.Discrete(2), gym.spaces.Box(-1, 1, (2,)))


def test_save_load_round_trip_and_resume(tmp_path):
    env = gym.make("Henry-v0")
    agent = QLearning(env.observation_space, env.action_space, seed=3)
    agent.q[:] = np.random.default_rng(0).normal(size=agent.q.shape)
    agent.steps = 1234
    path = agent.save(tmp_path / "q.pt", {"env_id": "Henry-v0", "env_kwargs": {}})
    loaded = QLearning.load(path, env.observation_space, env.action_space)
    np.testing.assert_array_equal(loaded.q, agent.q)
    assert loaded.steps == 1234 and loaded.epsilon == agent.epsilon
    # The random generator is restored too, so a resumed run continues identically.
    obs = np.array([[2, 1, 2, 1]])
    assert [int(loaded.act(obs, None, True)[0]) for _ in range(20)] == [
        int(agent.act(obs, None, True)[0]) for _ in range(20)
    ]


def test_loading_problems_are_one_sentence_errors(tmp_path):
    env = gym.make("Henry-v0")
    agent = QLearning(env.observation_space, env.action_space, seed=0)
    path = agent.save(tmp_path / "q.pt", {"env_id": "Henry-v0"})
    with pytest.raises(CheckpointError, match="Q-table"):
        QLearning.load(path, gym.spaces.Discrete(4), env.action_space)
    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="damaged"):
        QLearning.load(damaged, env.observation_space, env.action_space)
    other = tmp_path / "other.pt"
    torch.save(
        {
            "format": "henry-checkpoint",
            "version": 1,
            "agent": "ppo",
            "config": {},
            "state": {},
            "metadata": {},
        },
        other,
    )
    with pytest.raises(CheckpointError, match="'ppo' agent, not a 'qlearning'"):
        QLearning.load(other, env.observation_space, env.action_space)
    with pytest.raises(CheckpointError, match="does not exist"):
        QLearning.load(tmp_path / "missing.pt", env.observation_space, env.action_space)


def test_save_is_atomic_and_reports_unwritable_paths(tmp_path):
    env = gym.make("Henry-v0")
    agent = QLearning(env.observation_space, env.action_space, seed=0)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CheckpointError, match=r"cannot use .*file as a folder"):
        agent.save(blocker / "q.pt", {})
    target = tmp_path / "q.pt"
    agent.save(target, {})
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def _train_tabular(env, agent, steps, seed=0):
    vector_env = gym.vector.SyncVectorEnv(
        [lambda: env], autoreset_mode=gym.vector.AutoresetMode.SAME_STEP
    )
    collector = Collector(vector_env, agent)
    collector.reset(seed=seed)
    for _ in range(steps):
        agent.learn(collector.step().batch)


def _greedy_return(env, agent, max_steps=100):
    obs, info = env.reset(seed=123)
    total = 0.0
    for _ in range(max_steps):
        obs, reward, terminated, truncated, info = env.step(act_one(agent, obs, info))
        total += reward
        if terminated or truncated:
            break
    return total


def test_solves_cliff_walking_optimally():
    env = gym.make("CliffWalking-v1")
    agent = QLearning(
        env.observation_space,
        env.action_space,
        QLearningConfig(
            alpha=0.5,
            gamma=0.99,
            initial_q=0.0,
            epsilon=EpsilonSchedule("linear", 1.0, 0.1, 20_000),
        ),
        seed=0,
    )
    _train_tabular(env, agent, 30_000)
    assert _greedy_return(env, agent) == -13


def test_solves_deterministic_frozen_lake():
    env = gym.make("FrozenLake-v1", is_slippery=False)
    agent = QLearning(
        env.observation_space,
        env.action_space,
        QLearningConfig(
            alpha=0.5,
            gamma=0.95,
            initial_q=0.0,
            epsilon=EpsilonSchedule("linear", 1.0, 0.05, 5_000),
        ),
        seed=0,
    )
    _train_tabular(env, agent, 8_000)
    assert _greedy_return(env, agent) == 1.0


def test_greedy_breaks_ties_among_the_legal_best_only():
    agent = QLearning(gym.spaces.Discrete(1), gym.spaces.Discrete(4), seed=0)
    agent.q[0] = [5.0, 5.0, 1.0, 3.0]
    assert {agent.greedy(0, [False, True, True, True]) for _ in range(50)} == {1}
    assert {agent.greedy(0, None) for _ in range(100)} == {0, 1}
    agent.q[0] = [9.0, 3.0, 3.0, 1.0]
    assert {agent.greedy(0, np.array([False, True, True, True])) for _ in range(100)} == {1, 2}


def test_a_mask_changed_in_place_is_checked_again():
    # Masks are checked once where `learn` and then `act` get the same array; one whose flags
    # changed since is checked and read afresh.
    agent = QLearning(
        gym.spaces.Discrete(2),
        gym.spaces.Discrete(3),
        QLearningConfig(initial_q=0.0, epsilon=EpsilonSchedule("constant", 0.0, 0.0, 1)),
        seed=0,
    )
    agent.q[1] = [1.0, 2.0, 3.0]
    mask = np.array([[True, True, False]])
    agent.learn(Batch(*(np.array([x]) for x in (0, 0, 0.0, 1, False, False)), None, mask))
    assert agent.q[0, 0] == pytest.approx(0.5 * 0.9 * 2.0)
    assert int(agent.act(np.array([1]), mask)[0]) == 1
    mask[0] = [True, False, False]
    assert int(agent.act(np.array([1]), mask)[0]) == 0
    mask[0] = False
    with pytest.raises(ValueError, match="no action"):
        agent.act(np.array([1]), mask)


def test_states_seen_counts_the_visited_states_through_learning_and_loading(tmp_path):
    env = gym.make("Taxi-v4")
    agent = QLearning(env.observation_space, env.action_space, seed=0)
    _train_tabular(env, agent, 500)
    visited = int(np.count_nonzero(agent.visits.any(axis=1)))
    assert agent.hud()["states_seen"] == visited > 1
    path = agent.save(tmp_path / "q.pt", {"env_id": "Taxi-v4"})
    loaded = QLearning.load(path, env.observation_space, env.action_space)
    assert loaded.hud()["states_seen"] == visited
    _train_tabular(env, loaded, 500, seed=1)
    assert loaded.hud()["states_seen"] == int(np.count_nonzero(loaded.visits.any(axis=1)))
