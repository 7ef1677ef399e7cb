"""The learning-curve figure and the eval table say what happened, not what is constant."""

import numpy as np
from PIL import Image

from walker.app.core import plots
from walker.app.core.compare import compare_policies


def episodes_of(lengths):
    return [
        {"step": 20 * (i + 1), "episode_return": 0.1 * i, "length": n, "speed_m_s": 0.01 * i}
        for i, n in enumerate(lengths)
    ]


def test_flat_episode_length_panel_is_left_out(tmp_path):
    fixed = plots.learning_curves(tmp_path / "fixed.png", episodes_of([20] * 30), [], "run")
    varied = plots.learning_curves(
        tmp_path / "varied.png", episodes_of([20, 7, 20, 13] * 8), [], "run"
    )
    fixed_h = np.asarray(Image.open(fixed)).shape[0]
    varied_h = np.asarray(Image.open(varied)).shape[0]
    assert varied_h > fixed_h  # one panel more when lengths vary


def test_taxi_terminations_are_not_called_falls():
    table = compare_policies(["random"], env_id="Taxi-v4", episodes=2)
    header = table.splitlines()[1]
    assert "terminated" in header and "falls" not in header


def test_henry_terminations_are_falls():
    table = compare_policies(["hardcoded"], episodes=1)
    assert "falls" in table.splitlines()[1]
