"""Anyone's agent on the bench: a real Stable-Baselines3 model, py: policies, the Python API
and the README's example of it, and the robustness curves from the command line."""

import csv
import json
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest

from walker.app.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def policy_module(tmp_path, monkeypatch):
    """An importable module of policies for Henry-v0 (the bench imports it by name)."""
    (tmp_path / "henry_policies.py").write_text(
        textwrap.dedent(
            '''
            import numpy as np

            def lift_and_put_down(obs):
                """Lift the right foot when both are down, else put it down: never walks."""
                return 0 if obs[1] == 1 and obs[3] == 1 else 6

            class Breaks:
                """Acts for 30 decisions, then raises."""

                def __init__(self):
                    self.calls = 0

                def reset(self):
                    self.calls = 0

                def act(self, obs):
                    self.calls += 1
                    if self.calls > 30:
                        raise RuntimeError("my policy broke")
                    return 0 if obs[1] == 1 and obs[3] == 1 else 6

            breaks = Breaks()

            def continuous(obs):
                return np.zeros(4, dtype=np.float32)
            '''
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path}")
    return "henry_policies"


@pytest.mark.slow
def test_a_python_function_is_benched_from_the_command_line(tmp_path, capsys, policy_module):
    out = tmp_path / "b"
    code, text, err = run(
        capsys,
        "bench",
        f"py:{policy_module}:lift_and_put_down",
        "--env",
        "Henry-v0",
        "--conditions",
        "standard",
        "--seeds",
        "2",
        "--workers",
        "1",
        "--out",
        str(out),
        "--no-progress",
    )
    assert code == 0, err
    assert f"| standard | py:{policy_module}:lift_and_put_down |" in text
    summary = json.loads((out / "bench.json").read_text())["summary"]
    mine = next(s for s in summary if s["agent"].startswith("py:"))
    assert abs(mine["speed_m_s"]["value"]) < 0.005  # lifting and lowering one foot goes nowhere


@pytest.mark.slow
def test_a_py_agent_that_raises_is_a_named_task_error(tmp_path, capsys, policy_module):
    code, _, err = run(
        capsys,
        "bench",
        f"py:{policy_module}:breaks",
        "--env",
        "Henry-v0",
        "--conditions",
        "standard",
        "--seeds",
        "2",
        "--workers",
        "1",
        "--out",
        str(tmp_path / "b"),
        "--no-progress",
    )
    assert code == 1
    for seed in (0, 1):
        assert (
            f"task (agent py:{policy_module}:breaks, seed {seed}, condition standard) on "
            "Henry-v0 failed: RuntimeError: my policy broke" in err
        )


@pytest.mark.parametrize(
    ("agent", "env", "message"),
    [
        ("py:{m}:continuous", "Henry-v0", "does not fit the env: it returned"),
        ("py:{m}:nothing", "Henry-v0", "henry_policies has no nothing"),
        ("py:no_such_module_here:f", "Henry-v0", "cannot import no_such_module_here"),
    ],
)
def test_a_foreign_agent_that_cannot_run_is_one_sentence(
    tmp_path, capsys, policy_module, agent, env, message
):
    out = tmp_path / "b"
    code, _, err = run(
        capsys, "bench", agent.format(m=policy_module), "--env", env, "--out", str(out)
    )
    assert code == 2
    assert message in err and err.count("\n") == 1
    assert not (out / "results.jsonl").exists()


@pytest.mark.slow
def test_a_stable_baselines3_model_trained_here_is_benched(tmp_path, capsys):
    import gymnasium as gym
    from stable_baselines3 import PPO

    import envs  # noqa: F401

    model = PPO("MlpPolicy", gym.make("HenryContinuous-v0"), n_steps=512, seed=0, device="cpu")
    model.learn(2048)
    path = tmp_path / "model.zip"
    model.save(path)
    out = tmp_path / "b"
    code, _, err = run(
        capsys,
        "bench",
        f"sb3:{path}",
        "hardcoded",
        "--env",
        "HenryContinuous-v0",
        "--conditions",
        "standard",
        "--seeds",
        "2",
        "--workers",
        "1",
        "--out",
        str(out),
        "--no-progress",
    )
    assert code == 0, err
    with (out / "episodes.csv").open() as file:
        rows = [r for r in csv.DictReader(file) if r["agent"] == f"sb3:{path}"]
    assert len(rows) == 2
    # The bench acted with predict(deterministic=True): replaying it gives the same distance.
    env = gym.make("HenryContinuous-v0", measure_work=True)
    reset = {
        "perturb": {
            k[len("start_") :]: float(v) for k, v in rows[0].items() if k.startswith("start_")
        }
    }
    obs, info = env.reset(seed=int(rows[0]["reset_seed"]), options=reset)
    done = False
    while not done:
        action, _ = model.predict(obs, deterministic=True)
        obs, _, terminated, truncated, info = env.step(action)
        done = terminated or truncated
    assert info["distance_m"] == pytest.approx(float(rows[0]["distance_m"]), abs=1e-9)
    # On the discrete Henry its spaces do not fit: one sentence, no work.
    code, _, err = run(
        capsys, "bench", f"sb3:{path}", "--env", "Henry-v0", "--out", str(tmp_path / "c")
    )
    assert code == 2 and "was made for the observation space Box" in err


def _readme_example():
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- bench-api-example -->\s*```python\n(.*?)```", text, re.S)
    assert found, "the README's Python bench example is marked <!-- bench-api-example -->"
    return found.group(1)


@pytest.mark.slow
def test_the_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    exec(compile(_readme_example(), "README example", "exec"), {"__name__": "__example__"})
    printed = capsys.readouterr().out
    assert "stand-still" in printed and "hardcoded" in printed
    assert (tmp_path / "runs" / "mine" / "bench.md").exists()


@pytest.mark.slow
def test_the_python_api_returns_typed_summaries_and_writes_only_when_asked(tmp_path):
    from walker import bench

    def still(obs):
        return np.zeros(4, dtype=np.float32)

    result = bench.run(
        {"still": still}, env_id="HenryContinuous-v0", conditions=["standard"], seeds=2
    )
    assert result.files == []
    assert all(isinstance(s, bench.Summary) for s in result.summaries)
    mine = next(s for s in result.summaries if s.agent == "still")
    assert mine.speed.value < 0.05 and mine.gait
    written = bench.run(
        {"still": still},
        env_id="HenryContinuous-v0",
        conditions=["standard"],
        seeds=2,
        out=tmp_path / "o",
    )
    assert (tmp_path / "o" / "bench.md").exists()
    assert [s.to_dict() for s in written.summaries] == [s.to_dict() for s in result.summaries]
    with pytest.raises(bench.BenchError, match="cannot be sent to worker processes"):
        bench.run({"l": lambda obs: np.zeros(4)}, env_id="HenryContinuous-v0", workers=2)


@pytest.mark.slow
def test_the_push_curve_writes_its_files_and_the_largest_push_survived(tmp_path, capsys):
    out = tmp_path / "curve"
    code, text, err = run(
        capsys,
        "bench",
        "hardcoded",
        "--env",
        "HenryContinuous-v0",
        "--curve",
        "push",
        "--seeds",
        "2",
        "--out",
        str(out),
        "--no-progress",
    )
    assert code == 0, err
    for name in ("curve_push.png", "curve_push.csv", "curve_push_survival.csv", "episodes.csv"):
        assert (out / name).stat().st_size > 0
    with (out / "curve_push.csv").open() as file:
        rows = list(csv.DictReader(file))
    levels = {float(r["push_n_s"]) for r in rows if r["agent"] == "hardcoded"}
    assert max(levels) >= 10 and min(levels) <= -10 and 0.0 in levels
    mild = next(r for r in rows if r["agent"] == "hardcoded" and float(r["push_n_s"]) == 0)
    assert float(mild["fall_rate"]) == 0.0  # the controller walks from nudged starts
    assert "harshest forward push survived" in text and "| HenryContinuous-v0 | hardcoded |" in text
    saved = json.loads((out / "bench.json").read_text())
    assert saved["machine"]["cores"] >= 1 and saved["largest_survived"]


@pytest.mark.slow
def test_the_bench_labels_the_learned_walk_and_the_controllers_walk_both_walks():
    """Over five nudged starts (not one episode), most seeds of the pretrained learned walk
    (residual PPO on the controller) and of the controller take walking strides: at least
    0.6 of an animal's at their Froude numbers, a foot always down."""
    from walker import bench

    result = bench.run(["ppo"], env_id="HenryContinuous-v0", conditions=["standard"], seeds=5)
    rows = {s.agent: s for s in result.summaries}
    for agent in ("ppo", "hardcoded"):
        verdict = rows[agent].gait
        assert verdict == "walk" or re.fullmatch(r"walk [45]/5", verdict), (agent, verdict)
        assert rows[agent].extra["stride_ratio"] >= 0.6, agent
