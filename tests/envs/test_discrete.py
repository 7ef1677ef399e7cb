import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers the ids)
from agents.base import act_one
from agents.baselines import HardcodedGait, RandomPolicy
from envs import Action, HenryEnvError, discrete_action_mask, legal_start_states

K = 5
M = K // 2


def predicted_next_state(state, action):
    """The discrete model the physics is designed to realise (see HenryDiscreteEnv)."""
    r, rd, l, ld = state  # noqa: E741
    a = Action(action)
    if a == Action.LIFT_RIGHT:
        return (r, 0, l, 1)
    if a == Action.LIFT_LEFT:
        return (r, 1, l, 0)
    if a == Action.RIGHT_FORWARD:
        return (r + 1, 0, l, ld)
    if a == Action.RIGHT_BACKWARD:
        return (r - 1, 0, l, ld)
    if a == Action.LEFT_FORWARD:
        return (r, rd, l + 1, 0)
    if a == Action.LEFT_BACKWARD:
        return (r, rd, l - 1, 0)
    cr, cl = r - M, l - M
    if a == Action.PUT_DOWN_RIGHT:
        shift = min(max(cr, cl - M), cl + M)
    else:
        shift = min(max(cl, cr - M), cr + M)
    return (cr - shift + M, 1, cl - shift + M, 1)


def test_spaces_and_encoding():
    env = gym.make("Henry-v0")
    assert env.observation_space == gym.spaces.MultiDiscrete([K, 2, K, 2])
    assert env.action_space == gym.spaces.Discrete(8)
    obs, _info = env.reset(seed=0)
    assert tuple(obs) == (M, 1, M, 1)
    base = env.unwrapped
    assert base.n_states == K * 2 * K * 2
    indices = {base.state_index(s) for s in legal_start_states(K)}
    assert len(indices) == len(legal_start_states(K))
    assert all(0 <= i < base.n_states for i in indices)


def test_masks_come_from_one_function_in_both_conventions():
    env = gym.make("Henry-v0")
    obs, info = env.reset(seed=0, options={"pose": "left_foot_up"})
    assert info["action_mask"].dtype == np.int8
    assert env.unwrapped.action_masks().dtype == bool
    np.testing.assert_array_equal(info["action_mask"].astype(bool), env.unwrapped.action_masks())
    np.testing.assert_array_equal(env.unwrapped.action_masks(), discrete_action_mask(obs, K))
    legal = {Action(a).name for a in np.flatnonzero(info["action_mask"])}
    assert legal == {"LEFT_FORWARD", "LEFT_BACKWARD", "PUT_DOWN_LEFT"}


def test_every_legal_action_does_what_the_model_says_and_illegal_ones_hold_still():
    """Masks agree with what the physics can do, over random legal play from random starts."""
    env = gym.make("Henry-v0")
    rng = np.random.default_rng(0)
    checked = 0
    for episode in range(12):
        obs, info = env.reset(seed=episode, options={"pose": "random"})
        for _ in range(20):
            mask = info["action_mask"].astype(bool)
            if rng.random() < 0.2:  # an illegal action: flagged, no-op, still costs time
                action = int(rng.choice(np.flatnonzero(~mask)))
                before_time = info.get("time_s", 0.0)
                next_obs, reward, terminated, _, info = env.step(action)
                assert info["illegal_action"]
                assert tuple(next_obs) == tuple(obs)
                assert abs(reward) < 0.005
                assert info["time_s"] > before_time
            else:
                action = int(rng.choice(np.flatnonzero(mask)))
                expected = predicted_next_state(tuple(int(v) for v in obs), action)
                next_obs, reward, terminated, _, info = env.step(action)
                assert not info["illegal_action"]
                assert not terminated
                assert tuple(int(v) for v in next_obs) == expected, Action(action).name
                checked += 1
            obs = next_obs
    assert checked > 150


def test_payoff_comes_when_the_foot_is_put_down():
    env = gym.make("Henry-v0")
    env.reset(seed=0)
    rewards = [
        env.step(a)[1]
        for a in (
            Action.LIFT_RIGHT,
            Action.RIGHT_FORWARD,
            Action.RIGHT_FORWARD,
            Action.PUT_DOWN_RIGHT,
        )
    ]
    assert max(abs(r) for r in rewards[:3]) < 0.005  # carrying the foot earns nothing
    assert rewards[3] == pytest.approx(2 * env.unwrapped.step_length_m, abs=0.01)


def test_reward_is_forward_progress_of_the_torso():
    env = gym.make("Henry-v0")
    env.reset(seed=0)
    total = 0.0
    for action in HardcodedGait.SEQUENCE:
        _, reward, _, _, info = env.step(action)
        assert info["reward_terms"]["progress"] == reward
        total += reward
    assert info["distance_m"] == pytest.approx(total, abs=1e-9)


def test_hardcoded_gait_walks_forward():
    env = gym.make("Henry-v0")
    gait = HardcodedGait()
    obs, info = env.reset(seed=0)
    gait.reset()
    terminated = truncated = False
    while not (terminated or truncated):
        obs, _, terminated, truncated, info = env.step(act_one(gait, obs, info))
    assert truncated and not terminated
    # 200 decisions = 33 gait cycles of about 7 cm each.
    assert info["distance_m"] > 2.0
    assert gait.failure is None


def test_hardcoded_gait_fails_from_left_foot_up_and_says_so():
    env = gym.make("Henry-v0")
    gait = HardcodedGait()
    obs, info = env.reset(seed=0, options={"pose": "left_foot_up"})
    gait.reset()
    for _ in range(12):
        obs, _, _, _, info = env.step(act_one(gait, obs, info))
        assert info["illegal_action"]
    assert abs(info["distance_m"]) < 0.01
    assert "LIFT_RIGHT is not legal" in gait.failure


def test_random_policy_only_takes_legal_actions():
    env = gym.make("Henry-v0")
    policy = RandomPolicy(env.action_space, seed=0)
    obs, info = env.reset(seed=0)
    for _ in range(30):
        obs, _, terminated, _, info = env.step(act_one(policy, obs, info))
        assert not info["illegal_action"]
        assert not terminated


def test_masks_reach_agents_through_a_vector_env():
    vec = gym.vector.SyncVectorEnv([lambda: gym.make("Henry-v0") for _ in range(2)])
    try:
        obs, info = vec.reset(seed=[1, 2])
        assert obs.shape == (2, 4)
        assert info["action_mask"].shape == (2, 8)
        obs, _reward, _terminated, _truncated, info = vec.step(np.array([0, 1]))
        assert tuple(obs[0]) == (M, 0, M, 1)
        assert tuple(obs[1]) == (M, 1, M, 0)
    finally:
        vec.close()


def test_numpy_integer_actions_are_accepted():
    env = gym.make("Henry-v0").unwrapped
    env.reset(seed=0)
    assert tuple(env.step(np.int64(0))[0]) == (M, 0, M, 1)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"pose": "flying"}, "unknown pose"),
        ({"state": [2, 0, 2, 0]}, "at least one foot down"),
        ({"state": [9, 1, 2, 1]}, "not a valid start"),
        ({"state": [2, 1, 2]}, "four whole numbers"),
        ({"state": "up"}, "four whole numbers"),
        ({"state": [2, 1, 2, 1], "pose": "random"}, "not both"),
        ({"speed": 3}, "unknown reset option"),
    ],
)
def test_bad_reset_options_raise(options, message):
    env = gym.make("Henry-v0")
    with pytest.raises(HenryEnvError, match=message):
        env.reset(seed=0, options=options)


def test_every_start_state_can_be_set_and_held():
    env = gym.make("Henry-v0").unwrapped
    for state in legal_start_states(K):
        obs, info = env.reset(seed=0, options={"state": list(state)})
        assert tuple(obs) == state
        illegal = int(np.flatnonzero(info["action_mask"] == 0)[0])
        obs, _, terminated, _, _ = env.step(illegal)
        assert tuple(obs) == state and not terminated


def test_random_pose_draws_from_the_env_seed():
    env = gym.make("Henry-v0")
    first = [tuple(env.reset(seed=s, options={"pose": "random"})[0]) for s in range(6)]
    again = [tuple(env.reset(seed=s, options={"pose": "random"})[0]) for s in range(6)]
    assert first == again
    assert len(set(first)) > 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"extension_levels": 4}, "odd whole number"),
        ({"extension_levels": 1}, "odd whole number"),
        ({"extension_levels": 9, "step_length_m": 0.07}, "beyond the swing range"),
        ({"step_length_m": -0.1}, "positive number"),
        ({"decision_steps": 2}, "decision_steps"),
        ({"render_mode": "ascii"}, "render_mode"),
        ({"spec": {"torso_mas_kg": 2}}, "unknown HenrySpec field"),
        ({"spec": 3}, "HenrySpec"),
    ],
)
@pytest.mark.filterwarnings("ignore:.*not in the possible render_modes:UserWarning")  # gymnasium's
def test_bad_constructor_arguments_raise(kwargs, message):
    with pytest.raises(HenryEnvError, match=message):
        gym.make("Henry-v0", **kwargs)


def test_more_levels_than_fit_at_the_default_step_get_a_shorter_step():
    five = gym.make("Henry-v0").unwrapped
    seven = gym.make("Henry-v0", extension_levels=7).unwrapped
    assert five.step_length_m == 0.07
    reach = seven.henry_spec.lifted_drop_m * np.tan(seven.henry_spec.swing_limit_rad)
    assert seven.step_length_m == pytest.approx(reach / 3)
    obs, _ = seven.reset(seed=0)
    assert tuple(obs) == (3, 1, 3, 1)


def test_other_level_counts_work():
    env = gym.make("Henry-v0", extension_levels=3, step_length_m=0.1)
    obs, _ = env.reset(seed=0)
    assert tuple(obs) == (1, 1, 1, 1)
    env.step(Action.LIFT_RIGHT)
    obs, *_ = env.step(Action.RIGHT_FORWARD)
    assert tuple(obs) == (2, 0, 1, 1)


@pytest.mark.parametrize("action", ["3", 1.0, np.float32(2.0), np.array(1.0), [1]])
def test_actions_must_be_integers(action):
    env = gym.make("Henry-v0").unwrapped
    env.reset(seed=0)
    with pytest.raises(HenryEnvError, match=r"action must be an integer in \[0, 8\), got"):
        env.step(action)


@pytest.mark.parametrize("action", [np.int8(0), np.uint64(0), np.array(0), 0])
def test_every_kind_of_integer_is_an_action(action):
    env = gym.make("Henry-v0").unwrapped
    env.reset(seed=0)
    assert tuple(env.step(action)[0]) == (M, 0, M, 1)
