"""The collector: final observations and masks patched in under same-step autoreset, episode
books (returns, lengths, illegal actions, final info), the agent reset per ended env, and
PPO's explicit use of the step it drew (`Batch.acted`)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers Henry-v0)
from agents.base import Batch
from agents.baselines import RandomPolicy
from agents.collect import Collector
from agents.ppo import PPO, PPOConfig


class CountingEnv(gym.Env[np.ndarray, int]):
    """Observation = steps taken in this episode; ends (terminated) after `length` steps;
    reward 1 per step; action 1 is illegal (reported, not refused); a mask in every info."""

    observation_space = gym.spaces.Box(0.0, 100.0, (1,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, length: int = 3) -> None:
        self.length = length
        self.t = 0

    def _info(self, illegal: bool = False) -> dict[str, Any]:
        # The mask changes on the last step, so a patched final mask is told apart.
        mask = np.array([True, self.t < self.length], dtype=np.int8)
        return {"action_mask": mask, "illegal_action": illegal, "t": self.t}

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.t = 0
        return np.array([0.0], np.float32), self._info()

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        self.t += 1
        return (
            np.array([float(self.t)], np.float32),
            1.0,
            self.t >= self.length,
            False,
            self._info(illegal=action == 1),
        )


class Scripted:
    """Plays a fixed action per step and remembers the resets it got."""

    def __init__(self, actions: list[int]) -> None:
        self.actions = actions
        self.resets: list[int | None] = []

    def reset(self, env_index: int | None = None) -> None:
        self.resets.append(env_index)

    def act(
        self, obs: np.ndarray, masks: np.ndarray | None = None, explore: bool = False
    ) -> np.ndarray:
        return np.full(len(obs), self.actions.pop(0))


def vector(lengths: list[int], mode: Any = gym.vector.AutoresetMode.SAME_STEP) -> Any:
    return gym.vector.SyncVectorEnv(
        [lambda n=n: CountingEnv(n) for n in lengths], autoreset_mode=mode
    )


def test_final_observations_masks_and_books_are_patched_in_where_episodes_end() -> None:
    agent = Scripted([0, 1, 0, 0])
    collector = Collector(vector([2, 3]), agent)
    collector.reset(seed=0)
    assert agent.resets == [None]
    first = collector.step()
    assert first.ended == ()
    second = collector.step()
    # Env 0 ended on its 2nd step: next_obs is its final obs (2), not the reset one (0).
    assert second.batch.next_obs[:, 0].tolist() == [2.0, 2.0]
    assert second.batch.terminated.tolist() == [True, False]
    assert second.batch.next_masks is not None
    assert second.batch.next_masks.tolist() == [[True, False], [True, True]]
    assert collector.obs[:, 0].tolist() == [0.0, 2.0]  # acting goes on from the reset
    assert collector.masks is not None and collector.masks[0].tolist() == [True, True]
    (end,) = second.ended
    assert (end.env_index, end.episode_return, end.length, end.terminated) == (0, 2.0, 2, True)
    assert end.illegal_actions == 1 and end.info["t"] == 2
    assert agent.resets == [None]  # it may still learn from the ended step
    third = collector.step()
    assert agent.resets == [None, 0]  # forgotten before acting in the next episode
    assert [e.env_index for e in third.ended] == [1]
    assert third.ended[0].illegal_actions == 1 and third.ended[0].length == 3
    assert collector.returns.tolist() == [1.0, 0.0]
    assert collector.lengths.tolist() == [1, 0]
    assert third.batch.acted


def test_the_collector_needs_same_step_autoreset() -> None:
    with pytest.raises(ValueError, match="SAME_STEP"):
        Collector(vector([2], gym.vector.AutoresetMode.NEXT_STEP), Scripted([]))


def test_a_greedy_collector_does_not_claim_its_actions_were_drawn() -> None:
    env = vector([2])
    collector = Collector(env, RandomPolicy(env.single_action_space, 0), explore=False)
    collector.reset(seed=0)
    assert not collector.step().batch.acted


def test_ppo_uses_the_step_it_drew_only_when_the_batch_says_so() -> None:
    env = gym.make("CartPole-v1")
    agent = PPO(
        env.observation_space,
        env.action_space,
        PPOConfig(n_steps=4, batch_size=4, n_epochs=1),
        seed=0,
    )
    obs = np.zeros((1, 4), dtype=np.float32)
    rows = (np.ones(1), obs, np.zeros(1, bool), np.zeros(1, bool))
    with pytest.raises(ValueError, match="no such call is pending"):
        agent.learn(Batch(obs, np.array([0]), *rows, acted=True))
    actions = agent.act(obs, explore=True)
    drawn = agent._pending
    agent.learn(Batch(obs, actions, *rows, acted=True))
    assert drawn is not None
    np.testing.assert_array_equal(agent.buffer.log_probs[0], drawn.log_probs)
    # The same observations and actions without `acted` are evaluated afresh, not matched.
    agent.act(obs, explore=True)
    agent.learn(Batch(obs, actions, *rows))
    assert agent._pending is None


def _steps_of(vector_env: Any, agent: Any, count: int) -> list[Any]:
    collector = Collector(vector_env, agent)
    collector.reset(seed=[4])
    steps = []
    for _ in range(count):
        step = collector.step()
        agent.learn(step.batch)
        steps.append((step, collector.returns.copy(), collector.lengths.copy()))
    return steps


@pytest.mark.parametrize(("env_id", "limit", "count"), [("Taxi-v4", 30, 600), ("Henry-v0", 5, 40)])
def test_one_env_is_collected_alike_through_either_vector_env(
    env_id: str, limit: int, count: int
) -> None:
    """One env has fast paths (the env as a `SingleVectorEnv`, the running return added as a
    number): every batch, episode end and running count is what gymnasium's SyncVectorEnv
    of one gives with the same agent and seeds."""
    from agents.qlearning import QLearning
    from envs.vector import SingleVectorEnv

    def make() -> gym.Env[Any, Any]:
        return gym.make(env_id, max_episode_steps=limit)

    def agent() -> QLearning:
        probe = make()
        return QLearning(probe.observation_space, probe.action_space, seed=2)

    sync = gym.vector.SyncVectorEnv([make], autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
    ours, theirs = _steps_of(SingleVectorEnv(make), agent(), count), _steps_of(sync, agent(), count)
    ended = 0
    for (mine, returns, lengths), (gyms, their_returns, their_lengths) in zip(
        ours, theirs, strict=True
    ):
        for field, value in mine.batch._asdict().items():
            other = getattr(gyms.batch, field)
            if isinstance(other, np.ndarray):
                assert value.dtype == other.dtype and value.shape == other.shape, field
            np.testing.assert_array_equal(value, other, err_msg=field)
        assert [end[:5] for end in mine.ended] == [end[:5] for end in gyms.ended]
        assert [sorted(end.info) for end in mine.ended] == [sorted(end.info) for end in gyms.ended]
        assert sorted(mine.infos) == sorted(gyms.infos)
        assert returns.tolist() == their_returns.tolist()
        assert lengths.tolist() == their_lengths.tolist()
        ended += len(mine.ended)
    assert ended >= 5  # final observations, masks and books were compared too


def test_one_env_keeps_its_running_return_as_the_sum_of_its_rewards() -> None:
    collector = Collector(vector([4]), Scripted([0, 1, 0, 0, 1, 1, 0, 0]))
    collector.reset(seed=0)
    total = 0.0
    for _ in range(8):
        step = collector.step()
        total += float(step.batch.rewards[0])
        if step.ended:
            assert step.ended[0].episode_return == total
            total = 0.0
        assert collector.returns.tolist() == [total]
