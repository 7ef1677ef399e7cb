"""`walker bench`: bad input refused before any work, reports, resuming, crashes, workers, Ray."""

import csv
import json

import pytest

from walker.app.bench import benchmark
from walker.app.bench.benchmark import read_records, run_bench
from walker.app.cli import main
from walker.app.core.conditions import CONDITIONS, ConditionError, select_conditions
from walker.app.core.sweep import Backend


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def metrics(records):
    """What must not depend on where or how often a task ran (as text: NaN != NaN)."""
    return {r.key: json.dumps([e.to_dict() for e in r.episodes], sort_keys=True) for r in records}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nosuchagent"], "unknown agent 'nosuchagent'"),
        (["--conditions", "standard", "wet"], "unknown condition 'wet'"),
        (
            ["qlearning-henry", "--env", "HenryContinuous-v0"],
            "was trained on Henry-v0, not on HenryContinuous-v0",
        ),
        (["ppo", "--env", "Henry-v0"], "no pretrained ppo policy for Henry-v0"),
        (
            ["qlearning", "--env", "HenryContinuous-v0", "--train-steps", "10"],
            "qlearning cannot train on HenryContinuous-v0",
        ),
        (["hardcoded", "--env", "CartPole-v1"], "--env must be one of Henry's envs"),
        (["hardcoded", "--ray", "127.0.0.1:1"], "cannot reach a Ray cluster at 127.0.0.1:1"),
        (
            ["hardcoded", "--seeds", "2", "--first-seed", "999999999"],
            "--first-seed must be at most 999,999,998 with --seeds 2: training draws its worlds",
        ),
    ],
)
def test_bad_input_is_one_sentence_before_any_work(tmp_path, capsys, argv, message):
    if "--ray" in argv:
        pytest.importorskip("ray")
    out = tmp_path / "bench"
    code, text, err = run(capsys, "bench", *argv, "--out", str(out))
    assert code == 2 and text == ""
    assert err.startswith("walker: error: ") and message in err and err.count("\n") == 1
    assert not out.exists()


def test_zero_seeds_and_an_unwritable_out_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--seeds", "0", "--out", str(tmp_path / "b")])
    assert exit_info.value.code == 2
    assert "--seeds: seeds must be from 1 to 10000" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, _, err = run(capsys, "bench", "hardcoded", "--out", str(blocker / "bench"))
    assert code == 2 and "cannot" in err and str(blocker) in err and err.count("\n") == 1


def test_conditions_are_named_distributions():
    assert [c.name for c in select_conditions(["push", "standard"])] == [
        "standard",
        "push_forward",
        "push_backward",
    ]
    assert len(select_conditions([])) == len(CONDITIONS) == 11
    with pytest.raises(ConditionError, match="unknown condition 'ice'"):
        select_conditions(["ice"])
    # --fixed: the old point conditions, no nudge.
    assert CONDITIONS["friction_low"].draw(0, fixed=True).env_kwargs() == {
        "spec": {"ground_friction": 0.5}
    }
    assert CONDITIONS["heavy"].draw(3, fixed=True).env_kwargs()["spec"][
        "torso_mass_kg"
    ] == pytest.approx(3.6)
    assert CONDITIONS["push_backward"].draw(0, fixed=True).pushes == ((4.0, -4.0),)
    assert CONDITIONS["left_foot_up"].draw(0, fixed=True).options() == {"pose": "left_foot_up"}
    assert CONDITIONS["standard"].draw(0, fixed=True).options() is None


def test_a_seed_draws_the_same_world_for_every_agent_and_seeds_differ():
    push = CONDITIONS["push_forward"]
    draws = [push.draw(seed) for seed in range(20)]
    assert push.draw(7) == draws[7]  # a function of (seed, condition) alone
    times = [d.values["push_time_s"] for d in draws]
    sizes = [d.values["push_n_s"] for d in draws]
    assert len(set(times)) == 20 and min(times) >= 3.0 and max(times) <= 5.0
    assert min(sizes) >= 3.0 and max(sizes) <= 5.0 and max(sizes) - min(sizes) > 1.0
    assert draws[0].pushes == ((times[0], sizes[0]),)
    # Every condition nudges the start, within the documented sizes.
    for condition in CONDITIONS.values():
        nudge = condition.draw(1).options()["perturb"]
        assert abs(nudge["torso_velocity_m_s"]) <= 0.15
        assert abs(nudge["right_swing_rad"]) <= 0.08
        assert abs(nudge["left_extension_m"]) <= 0.008
    # Two conditions with the same seed draw independently.
    assert (
        CONDITIONS["standard"].draw(1).values["start_torso_velocity_m_s"]
        != CONDITIONS["heavy"].draw(1).values["start_torso_velocity_m_s"]
    )


def test_each_drawn_condition_reaches_the_world_it_names():
    import gymnasium as gym

    import envs

    draws = {name: c.draw(4) for name, c in CONDITIONS.items()}
    built = {
        name: gym.make("HenryContinuous-v0", **d.env_kwargs()).unwrapped
        for name, d in draws.items()
    }
    spec = {name: env.henry_spec for name, env in built.items()}
    default = spec["standard"]
    assert spec["friction_low"].ground_friction == pytest.approx(
        draws["friction_low"].values["friction_factor"] * default.ground_friction
    )
    assert 0.4 <= draws["friction_low"].values["friction_factor"] <= 0.6
    assert spec["light"].torso_mass_kg == pytest.approx(
        draws["light"].values["torso_mass_factor"] * default.torso_mass_kg
    )
    weak = draws["weak"].values["strength_factor"]
    assert spec["weak"].hip_max_torque_nm == pytest.approx(weak * default.hip_max_torque_nm)
    assert spec["weak"].leg_max_force_n == pytest.approx(weak * default.leg_max_force_n)
    assert spec["bumps"].bump_height_m == draws["bumps"].values["bump_height_m"]
    assert spec["bumps"].bump_start_m == draws["bumps"].values["bump_start_m"]
    assert built["push_forward"].pushes == draws["push_forward"].pushes
    obs, _ = built["left_foot_up"].reset(seed=0, options=draws["left_foot_up"].options())
    assert obs[list(envs.OBSERVATION_FIELDS).index("left_foot_contact")] == 0.0


def test_bench_writes_its_table_files_and_plots(tmp_path, capsys):
    out = tmp_path / "bench"
    code, text, _ = run(
        capsys,
        "bench",
        "hardcoded",
        "qlearning-henry",
        "--env",
        "Henry-v0",
        "--conditions",
        "standard",
        "left_foot_up",
        "--seeds",
        "2",
        "--workers",
        "1",
        "--out",
        str(out),
        "--no-progress",
    )
    assert code == 0
    rows = {
        tuple(cell.strip() for cell in line.split("|")[1:3]): line
        for line in text.splitlines()
        if line.startswith("| ") and "---" not in line
    }
    # The article's failure case: the hard-coded gait is stuck with the left foot up (every
    # action it tries is illegal), the learned one walks on: it beats it on every seed pair.
    assert "100%" in rows[("left_foot_up", "hardcoded")].split("|")[-2]
    assert "1.00 [1.00, 1.00]" in rows[("left_foot_up", "qlearning-henry")]
    assert "| standard | random |" in text  # the score's other end is always there
    for name in (
        "bench.md",
        "episodes.csv",
        "bench.json",
        "bench_iqm.png",
        "bench_robustness_Henry-v0.png",
        "footfalls_Henry-v0.png",
        "results.jsonl",
    ):
        assert (out / name).stat().st_size > 0, name
    assert str(out / "footfalls_Henry-v0.png") in text.split("\nresults:")[1]
    assert (out / "bench.md").read_text().startswith(text.split("\nresults:")[0].strip()[:60])
    with (out / "episodes.csv").open() as file:
        episodes = list(csv.DictReader(file))
    assert len(episodes) == 3 * 2 * 2  # hardcoded, random (always there), qlearning
    summary = json.loads((out / "bench.json").read_text())["summary"]
    learned = next(
        s for s in summary if s["agent"] == "qlearning-henry" and s["condition"] == "standard"
    )
    assert learned["score_iqm"]["value"] > 1.5 and learned["fall_rate"] == 0.0
    # The gait of every episode comes along: the learned walk keeps a foot on the ground.
    gait = next(e for e in episodes if e["agent"] == "qlearning-henry")
    assert 0.0 <= float(gait["alternation"]) <= 1.0 and float(gait["flight_share"]) < 0.05
    assert float(gait["stride_length_m"]) > 0 and float(gait["cost_of_transport"]) > 0


def test_the_footfall_diagram_replays_each_agents_standard_seed_0_episode(tmp_path, monkeypatch):
    drawn = []
    original = benchmark.plot_footfalls

    def keeping(path, records, *args):
        drawn.append((path, records))
        return original(path, records, *args)

    monkeypatch.setattr(benchmark, "plot_footfalls", keeping)
    result = run_bench(
        agents=["hardcoded", "random"],
        env_id="HenryContinuous-v0",
        conditions=["push_forward"],
        seeds=2,
        out=tmp_path,
        progress=False,
    )
    [(path, records)] = drawn
    assert path == tmp_path / "footfalls_HenryContinuous-v0.png" and path in result.files
    assert path.stat().st_size > 0
    assert [r.label for r in records] == ["hardcoded", "random"]
    for record in records:
        [played] = [
            r
            for r in result.records
            if r.agent == record.label and r.condition == "standard" and r.seed == 0
        ]
        episode = played.episodes[0]
        # The very episode the bench scored: same gait, stride and fall.
        assert record.metrics.gait == episode.gait
        assert record.metrics.stride_length_m == pytest.approx(episode.stride_length_m, nan_ok=True)
        assert record.metrics.flight_share == pytest.approx(episode.flight_share, nan_ok=True)
        assert record.fell == episode.fell


def test_an_interrupted_bench_resumes_without_computing_anything_twice(
    tmp_path, monkeypatch, capsys
):
    out = tmp_path / "bench"
    kwargs = dict(
        agents=["hardcoded", "random"],
        env_id="HenryContinuous-v0",
        conditions=["random_start"],
        seeds=3,
        out=out,
        progress=False,
    )
    first = run_bench(**kwargs)
    log = out / "results.jsonl"
    lines = log.read_text().splitlines()
    assert len(lines) == len(first.records) == 2 * 2 * 3  # random_start and the standard
    # Interrupted: the last two records never made it, and the one before is cut in half.
    log.write_text("\n".join(lines[:-3]) + "\n" + lines[-3][:25])
    played = []
    original = benchmark.play_condition

    def counting(task, shared):
        played.append(task.key)
        return original(task, shared)

    monkeypatch.setattr(benchmark, "play_condition", counting)
    second = run_bench(**kwargs)
    assert sorted(played) == sorted(json.loads(line)["key"] for line in lines[-3:])
    assert metrics(second.records) == metrics(first.records)
    assert len(log.read_text().splitlines()) == len(lines)
    played.clear()
    run_bench(**kwargs)
    assert played == []
    with pytest.raises(benchmark.BenchError, match="resume it with those"):
        run_bench(**{**kwargs, "episodes": 2})
    # After an upgrade (the controller, the env or the bench changed) nothing is reused.
    capsys.readouterr()
    monkeypatch.setattr(benchmark, "code_digest", lambda: "another version")
    run_bench(**kwargs)
    assert sorted(played) == sorted(json.loads(line)["key"] for line in lines)
    err = capsys.readouterr().err
    assert "12 saved result(s) were played by another version of Henry's code" in err
    played.clear()
    run_bench(**kwargs)
    assert played == []


def test_a_crashing_task_is_named_and_loses_no_other_result(tmp_path, capsys, monkeypatch):
    original = benchmark.play_condition

    def crash_on_seed_one(task, shared):
        if task.seed == 1 and task.agent == "random" and task.condition == "left_foot_up":
            raise FloatingPointError("the physics diverged")
        return original(task, shared)

    monkeypatch.setattr(benchmark, "play_condition", crash_on_seed_one)
    out = tmp_path / "bench"
    code, text, err = run(
        capsys,
        "bench",
        "random",
        "--env",
        "HenryContinuous-v0",
        "--conditions",
        "left_foot_up",
        "--seeds",
        "2",
        "--workers",
        "1",
        "--out",
        str(out),
        "--no-progress",
    )
    assert code == 1
    assert (
        "task (agent random, seed 1, condition left_foot_up) on HenryContinuous-v0 "
        "failed: FloatingPointError: the physics diverged" in err
    )
    saved = read_records(out / "results.jsonl")
    assert len(saved) == 2 * 2 * 2 - 1
    assert "HenryContinuous-v0/random/left_foot_up/seed1" not in saved
    assert "| left_foot_up | random |" in text


@pytest.mark.slow
def test_numbers_do_not_depend_on_the_worker_count(tmp_path):
    kwargs = dict(
        agents=["hardcoded", "random", "ppo"],
        env_id="HenryContinuous-v0",
        conditions=["standard", "random_start"],
        seeds=2,
        progress=False,
    )
    alone = run_bench(**kwargs, out=tmp_path / "one", backend=Backend(workers=1))
    pooled = run_bench(**kwargs, out=tmp_path / "two", backend=Backend(workers=2))
    assert metrics(alone.records) == metrics(pooled.records)
    assert (tmp_path / "one" / "bench.md").read_text() == (
        tmp_path / "two" / "bench.md"
    ).read_text()


@pytest.mark.slow
def test_learning_agents_train_once_per_seed_and_train_the_same_anywhere(tmp_path):
    kwargs = dict(
        agents=["qlearning"],
        env_id="Henry-v0",
        conditions=["standard"],
        seeds=2,
        train_steps=40,  # a few updates: what is checked is where and how often it trains
        progress=False,
    )
    alone = run_bench(**kwargs, out=tmp_path / "one", backend=Backend(workers=1))
    pooled = run_bench(**kwargs, out=tmp_path / "two", backend=Backend(workers=2))
    for seed in (0, 1):
        name = f"checkpoints/Henry-v0-qlearning-seed{seed}.pt"
        assert (tmp_path / "one" / name).exists() and (tmp_path / "two" / name).exists()
    assert metrics(alone.records) == metrics(pooled.records)
    speeds = [r.episodes[0].speed_m_s for r in alone.records if r.agent == "qlearning"]
    assert len(speeds) == 2


@pytest.mark.slow
@pytest.mark.xdist_group("ray")  # one local Ray at a time, on one test worker
def test_ray_gives_the_same_numbers_and_files(tmp_path, local_ray):
    kwargs = dict(
        agents=["random", "ppo-henry-continuous"],
        env_id="HenryContinuous-v0",
        conditions=["random_start"],
        seeds=3,
        progress=False,
    )
    here = run_bench(**kwargs, out=tmp_path / "here", backend=Backend(workers=1))
    on_ray = run_bench(**kwargs, out=tmp_path / "ray", backend=Backend(ray=True))
    assert metrics(on_ray.records) == metrics(here.records)
    assert not on_ray.failures
    assert (tmp_path / "ray" / "bench.md").read_text() == (
        tmp_path / "here" / "bench.md"
    ).read_text()


def test_speed_benchmarks_moved_to_walker_speed(capsys):
    code, _, err = run(capsys, "speed", "nosuch")
    assert code == 2 and "unknown benchmark(s) nosuch; choose from physics" in err


def test_a_fall_walks_at_zero_so_a_faller_never_scores_as_a_win():
    from walker.app.bench.tasks import EpisodeTask, play_condition

    task = EpisodeTask(
        env_id="HenryContinuous-v0",
        agent="random",
        policy="random",
        seed=0,
        condition="standard",
        episodes=1,
    )
    record = play_condition(task, {})
    (episode,) = record.episodes
    assert episode.fell is True
    assert episode.speed_m_s == 0.0
    assert episode.speed_until_fall_m_s != 0.0


def test_ppo_on_the_continuous_henry_means_the_pretrained_walk():
    from walker.app.bench.roster import pretrained_policies

    found = pretrained_policies()
    assert found[("HenryContinuous-v0", "ppo")].stem == "ppo-henry-walk"
    assert found[("Henry-v0", "dqn")].stem == "dqn-henry"


def test_an_episode_is_reproduced_from_its_row_of_episodes_csv(tmp_path):
    """Everything a drawn condition did is in the row: gymnasium.make with the spec
    overrides and the push, reset with the reset seed and the nudge, and the same policy
    walks the same distance."""
    import gymnasium as gym

    from agents.base import act_one
    from walker.app.core.policies import load_policy
    from walker.sim.spec import HenrySpec

    out = tmp_path / "bench"
    run_bench(
        agents=["hardcoded"],
        env_id="HenryContinuous-v0",
        conditions=["push_forward", "weak", "bumps"],
        seeds=1,
        out=out,
        progress=False,
    )
    with (out / "episodes.csv").open() as file:
        rows = [r for r in csv.DictReader(file) if r["agent"] == "hardcoded"]
    default = HenrySpec()
    for row in rows:
        number = {k: float(v) for k, v in row.items() if v and k.endswith(("_s", "_m", "factor"))}
        spec = {}
        if "strength_factor" in number:
            for name in ("hip_max_torque_nm", "leg_max_force_n", "ankle_max_torque_nm"):
                spec[name] = getattr(default, name) * number["strength_factor"]
        if "bump_height_m" in number:
            spec.update(
                bump_height_m=number["bump_height_m"],
                bump_spacing_m=number["bump_spacing_m"],
                bump_start_m=number["bump_start_m"],
                bump_length_m=number["bump_length_m"],
            )
        pushes = [(number["push_time_s"], float(row["push_n_s"]))] if row["push_n_s"] else []
        env = gym.make("HenryContinuous-v0", spec=spec, pushes=pushes)
        nudge = {k[len("start_") :]: float(v) for k, v in row.items() if k.startswith("start_")}
        obs, info = env.reset(seed=int(row["reset_seed"]), options={"perturb": nudge})
        agent = load_policy("hardcoded", env)
        terminated = truncated = False
        while not (terminated or truncated):
            obs, _, terminated, truncated, info = env.step(act_one(agent, obs, info))
        assert info["distance_m"] == pytest.approx(float(row["distance_m"]), abs=1e-9), row[
            "condition"
        ]
        assert terminated == (row["fell"] == "True")


def test_first_seed_plays_the_same_worlds_as_those_seeds_of_a_longer_bench(tmp_path):
    kwargs = dict(agents=["hardcoded"], env_id="HenryContinuous-v0", conditions=["push_forward"])
    held_out = run_bench(**kwargs, seeds=1, first_seed=2, out=tmp_path / "moved", progress=False)
    from_zero = run_bench(**kwargs, seeds=3, out=tmp_path / "zero", progress=False)
    assert {r.seed for r in held_out.records} == {2}
    assert metrics(held_out.records) == metrics([r for r in from_zero.records if r.seed == 2])
    push = {r.condition: r for r in held_out.records if r.agent == "hardcoded"}["push_forward"]
    drawn = CONDITIONS["push_forward"].draw(2).values
    assert push.episodes[0].drawn["push_n_s"] == drawn["push_n_s"] and drawn["push_n_s"] > 0
    assert "1 seeds (2 to 2) x 1 episode(s)" in held_out.report
    assert (tmp_path / "moved" / "footfalls_HenryContinuous-v0.png").is_file()  # seed 2's
    assert "3 seeds x 1 episode(s)" in from_zero.report


def test_a_negative_first_seed_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--first-seed", "-1"])
    assert exit_info.value.code == 2
    assert "--first-seed" in capsys.readouterr().err


def test_fixed_replays_one_episode_per_condition_and_draws_do_not(tmp_path):
    kwargs = dict(
        agents=["hardcoded"],
        env_id="HenryContinuous-v0",
        conditions=["standard"],
        seeds=3,
        progress=False,
    )
    fixed = run_bench(**kwargs, out=tmp_path / "fixed", fixed=True)
    drawn = run_bench(**kwargs, out=tmp_path / "drawn")

    def speeds(result):
        return {r.seed: r.episodes[0].speed_m_s for r in result.records if r.agent == "hardcoded"}

    assert len(set(speeds(fixed).values())) == 1  # the point condition: one episode, replayed
    assert len(set(speeds(drawn).values())) == 3  # three seeds, three worlds
    assert "fixed point conditions (--fixed)" in fixed.report
    with pytest.raises(benchmark.BenchError, match="resume it with those"):
        run_bench(**kwargs, out=tmp_path / "fixed")
