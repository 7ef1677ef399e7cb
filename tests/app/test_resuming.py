"""A resumed run continues the checkpoint's counts and refuses hyperparameters it cannot apply."""

import gymnasium as gym
import pytest

import envs  # noqa: F401
from agents.qlearning import QLearning
from agents.qlearning_config import QLearningConfig
from walker.app.core.checks import ArgumentValueError
from walker.app.training.resuming import (
    flatten_config,
    read_resume_point,
    refuse_agent_changes,
    setting_changes,
)


@pytest.fixture
def checkpoint(tmp_path):
    env = gym.make("Henry-v0")
    agent = QLearning(env.observation_space, env.action_space, QLearningConfig(alpha=0.3), 0)
    agent.steps = 700  # the agent's own counter, larger than an old checkpoint's segment
    path = tmp_path / "run" / "checkpoint.pt"
    path.parent.mkdir()
    agent.save(
        path, {"env_id": "Henry-v0", "env_kwargs": {}, "trained_steps": 300, "trained_episodes": 4}
    )
    return path


def test_the_resume_point_holds_the_total_counts(checkpoint):
    point = read_resume_point(checkpoint, "qlearning")
    assert (point.steps, point.episodes, point.env_id) == (700, 4, "Henry-v0")
    assert point.agent_config["alpha"] == 0.3
    assert point.run_folder is None  # no config.json beside it: not a run folder
    (checkpoint.parent / "config.json").write_text("{}")
    assert point.run_folder == checkpoint.parent


def test_changed_hyperparameters_are_refused_saying_why(checkpoint):
    saved = read_resume_point(checkpoint, "qlearning").agent_config
    refuse_agent_changes(saved, {"alpha": 0.3}, checkpoint)  # the same value is fine
    with pytest.raises(ArgumentValueError) as error:
        refuse_agent_changes(saved, {"alpha": 0.2}, checkpoint)
    assert str(error.value) == (
        f"--alpha 0.2 cannot apply with --resume: {checkpoint} was trained with alpha=0.3 and "
        "its agent continues as it was built; drop --alpha, or start a new run with another "
        "--out to train with it"
    )
    new_end = 0.4 if flatten_config(saved)["epsilon_end"] == 0.5 else 0.5
    with pytest.raises(ArgumentValueError, match=f"^--epsilon-end {new_end} cannot apply"):
        refuse_agent_changes(saved, {"epsilon_end": new_end}, checkpoint)


def test_setting_changes_list_old_and_new():
    recorded = {"steps": 200, "eval_every": 0, "seed": 1}
    assert setting_changes(
        recorded,
        {"steps": 500, "eval_every": 0, "seed": 1},
        ("steps", "eval_every", "seed", "vector"),
    ) == {"steps": [200, 500]}
