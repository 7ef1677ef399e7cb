"""Anyone's policy as a bench agent: functions, objects with predict/act, spaces that fit."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import envs  # noqa: F401
from walker.app.bench.foreign import (
    ForeignAgent,
    ForeignAgentError,
    check_fits,
    parse_foreign,
)
from walker.app.core.machine import this_machine


def test_agent_names_are_parsed_for_form(tmp_path):
    model = tmp_path / "m.zip"
    model.write_bytes(b"")
    assert parse_foreign(f"sb3:{model}").name is None
    parsed = parse_foreign(f"sb3:{model}:dqn")
    assert (parsed.kind, parsed.target, parsed.name) == ("sb3", str(model), "DQN")
    assert parse_foreign("py:my.mod:policy").target == "my.mod"
    for text, message in [
        ("sb3:model.pt", "sb3:PATH.zip"),
        (f"sb3:{tmp_path}/none.zip", "there is no file"),
        ("py:policy", "py:MODULE:NAME"),
    ]:
        with pytest.raises(ForeignAgentError, match=message):
            parse_foreign(text)


def test_a_function_and_objects_with_predict_or_act_all_act():
    space = spaces.Box(-1, 1, (4,), np.float32)

    class Predictor:
        def predict(self, obs, deterministic=False):
            return np.full(4, 0.5 if deterministic else -0.5), None

    class Actor:
        def act(self, obs):
            return [0.1, 0.2, 0.3, 0.4]

    obs = np.zeros((2, 15), np.float32)
    assert ForeignAgent(lambda o: np.zeros(4), space).act(obs).shape == (2, 4)
    np.testing.assert_allclose(ForeignAgent(Predictor(), space).act(obs)[0], 0.5)
    np.testing.assert_allclose(ForeignAgent(Actor(), space).act(obs)[1], [0.1, 0.2, 0.3, 0.4])
    discrete = ForeignAgent(lambda o: np.int64(3), spaces.Discrete(8))
    assert discrete.act(np.zeros((1, 4))).tolist() == [3]


def test_a_policy_that_does_not_fit_is_refused_in_one_sentence():
    env = gym.make("HenryContinuous-v0")
    check_fits(lambda obs: np.zeros(4), env, "py:m:ok")
    with pytest.raises(
        ForeignAgentError,
        match="py:m:f does not fit the env: it returned an action of shape \\(2,\\)",
    ):
        check_fits(lambda obs: np.zeros(2), env, "py:m:f")

    class Declared:
        observation_space = spaces.Box(-1, 1, (24,), np.float32)
        action_space = spaces.Box(-1, 1, (4,), np.float32)

        def predict(self, obs, deterministic=True):
            return np.zeros(4), None

    with pytest.raises(ForeignAgentError, match="was made for the observation space Box"):
        check_fits(Declared(), env, "sb3:w.zip")
    discrete = gym.make("Henry-v0")
    with pytest.raises(ForeignAgentError, match="one whole number in \\[0, 7\\]"):
        check_fits(lambda obs: 0.5, discrete, "py:m:g")
    with pytest.raises(ForeignAgentError, match="failed on the env's first observation: ZeroDiv"):
        check_fits(lambda obs: 1 / 0, discrete, "py:m:h")


def test_the_machine_is_described():
    machine = this_machine()
    assert machine.cores >= 1 and machine.cpu_model
    assert machine.numpy == np.__version__
    described = machine.describe()
    for part in ("Python", "numpy", "torch", "pymunk", "cores"):
        assert part in described
