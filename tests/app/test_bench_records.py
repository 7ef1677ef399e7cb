"""The bench's results log: strict JSON both ways, and no damaged record ever used."""

import json
import math
import os
import sys

import pytest

from walker.app.bench.records import (
    GAIT_MEASURES,
    BenchLogError,
    ConditionRecord,
    append_record,
    cut_torn_line,
    decode_record,
    encode_record,
    read_log,
    record_problem,
    usable_records,
)
from walker.app.bench.tasks import EpisodeTask
from walker.app.core.conditions import DRAW_COLUMNS
from walker.app.core.machine import code_digest

TASK = EpisodeTask("Henry-v0", "hardcoded", "hardcoded", 1, "standard", 2)


def _episode(**changes):
    episode = {
        "distance_m": 1.0,
        "speed_m_s": 0.02,
        "speed_until_fall_m_s": 0.02,
        "fell": False,
        "time_to_fall_s": math.nan,
        "steps": 200,
        "positive_work_j": 3.0,
        "cost_of_transport": math.nan,
        "illegal_share": 0.0,
        **{name: 0.5 for name in GAIT_MEASURES},
        "footfalls": 12,
        "gait": "walk",
        "reset_seed": 7,
        **{name: math.nan for name in DRAW_COLUMNS},
        "friction_factor": 0.9,
    }
    episode.update(changes)
    return episode


def _record(**changes):
    record = {
        "key": TASK.key,
        "env_id": TASK.env_id,
        "agent": TASK.agent,
        "condition": TASK.condition,
        "seed": TASK.seed,
        "episodes": [_episode(), _episode()],
        "checkpoint": None,
        "code": "now",
    }
    record.update(changes)
    return record


def test_a_record_is_strict_json_and_nan_comes_back():
    line = encode_record(_record())
    assert "NaN" not in line and line.endswith("\n") and line.count("\n") == 1
    strict = json.loads(line, parse_constant=lambda name: pytest.fail(f"bare {name}"))
    assert strict["episodes"][0]["time_to_fall_s"] is None
    assert strict["episodes"][0]["push_n_s"] is None
    back = decode_record(line)
    assert math.isnan(back["episodes"][0]["time_to_fall_s"])
    assert math.isnan(back["episodes"][0]["push_n_s"])
    assert back["episodes"][0]["distance_m"] == 1.0
    assert record_problem(back, TASK) is None
    typed = ConditionRecord.from_dict(back)
    assert typed.episodes[0].gait == "walk" and typed.episodes[0].reset_seed == 7
    assert typed.episodes[0].drawn["friction_factor"] == 0.9
    assert json.loads(encode_record(typed.to_dict())) == json.loads(encode_record(back))


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ({k: v for k, v in _record().items() if k != "episodes"}, 'it has no "episodes" list'),
        (_record(episodes=[]), "it has 0 episodes, not 2"),
        (
            _record(episodes=[_episode(speed_m_s="fast"), _episode()]),
            "its episode 1 has \"speed_m_s\": 'fast', not a number",
        ),
        (
            _record(episodes=[_episode(), _episode(steps=-3)]),
            'its episode 2 has "steps": -3, not a whole number',
        ),
        (
            _record(episodes=[_episode(fell="no"), _episode()]),
            "its episode 1 has \"fell\": 'no', not true or false",
        ),
        (
            _record(episodes=[_episode(), _episode(gait=None)]),
            'its episode 2 has "gait": None, not a label',
        ),
        (
            _record(episodes=[_episode(bump_height_m="high"), _episode()]),
            "its episode 1 has \"bump_height_m\": 'high', not a number",
        ),
        (_record(seed=True), 'its "seed" is True, not 1'),
        (_record(checkpoint="abc"), "it was played with another checkpoint"),
        ([1, 2], "it is list, not a record"),
    ],
)
def test_a_record_that_does_not_validate_says_why(record, problem):
    assert record_problem(record, TASK) == problem


def test_usable_records_are_typed_and_the_rest_named(tmp_path):
    log = tmp_path / "results.jsonl"
    other = EpisodeTask("Henry-v0", "hardcoded", "hardcoded", 2, "standard", 2)
    replayed = EpisodeTask("Henry-v0", "hardcoded", "hardcoded", 3, "standard", 2, "digest")
    old_code = EpisodeTask("Henry-v0", "hardcoded", "hardcoded", 4, "standard", 2)
    lines = [
        encode_record(_record()),
        encode_record(_record(key=other.key, seed=2, episodes=[])),
        encode_record(_record(key=replayed.key, seed=3)),
        encode_record(_record(key=old_code.key, seed=4, code="then")),
    ]
    log.write_text("".join(lines), encoding="utf-8")
    saved, todo, reasons, stale = usable_records(
        read_log(log), [TASK, other, replayed, old_code], code="now"
    )
    assert list(saved) == [TASK.key] and isinstance(saved[TASK.key], ConditionRecord)
    assert saved[TASK.key].code == "now"
    assert todo == [other, replayed, old_code]
    assert reasons == [f"{other.key}: it has 0 episodes, not 2"]  # another checkpoint: no word
    assert stale == 1  # played by other code: counted apart


def test_the_code_digest_is_of_the_source_and_changes_with_it(monkeypatch, tmp_path):
    digest = code_digest()
    assert len(digest) == 16 and digest == code_digest()
    fake = tmp_path / "envs"
    fake.mkdir()
    (fake / "__init__.py").write_text("X = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "envs")
    code_digest.cache_clear()
    try:
        changed = code_digest()
        (fake / "__init__.py").write_text("X = 2\n", encoding="utf-8")
        code_digest.cache_clear()
        assert len({digest, changed, code_digest()}) == 3
    finally:
        code_digest.cache_clear()


# Plays and trains what a bench does, every kind of policy, in a fresh interpreter, and
# prints the loaded modules whose file the code digest leaves out.
_BENCH_WORK = """
import sys
from pathlib import Path
from walker.app.bench.tasks import EpisodeTask, TrainTask, play_condition, train_policy
from walker.app.core.conditions import select_conditions
from walker.app.core.machine import showing_only
walk = Path("assets/ppo-henry-walk.pt").read_bytes()
for env_id, policy, condition, checkpoint in [
    ("HenryContinuous-v0", "hardcoded", "push_forward", None),
    ("HenryContinuous-v0", "checkpoint", "bumps", "walk"),
    ("Henry-v0", "random", "random_start", None),
]:
    draw = select_conditions([condition])[0].draw(3)
    task = EpisodeTask(env_id, policy, policy, 3, condition, 1, checkpoint, draw=draw)
    play_condition(task, {"walk": walk})
for env_id, agent in [("Henry-v0", "qlearning"), ("HenryContinuous-v0", "ppo")]:
    trained = train_policy(TrainTask(env_id, agent, 0, 64), {})
    task = EpisodeTask(env_id, agent, "checkpoint", 0, "standard", 1, "mine")
    play_condition(task, {"mine": trained})
root = Path("walker").resolve().parent
for module in list(sys.modules.values()):
    path = Path(getattr(module, "__file__", None) or "/").resolve()
    if path.is_relative_to(root) and showing_only(path.relative_to(root).as_posix()):
        print(module.__name__)
print("played")
"""


@pytest.mark.slow
def test_no_bench_episode_or_training_loads_what_the_code_digest_leaves_out():
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", _BENCH_WORK], cwd=root, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["played"]


WALKER_PARTS = [("draw", "renderer.py"), ("app/cli", "bench.py"), ("sim", "world.py")]


def test_the_code_digest_leaves_out_only_what_shows(monkeypatch, tmp_path):
    # A change to the renderer or the command line keeps the digest; one to the physics
    # changes it.
    fake = tmp_path / "walker"
    for folder, _ in WALKER_PARTS:
        (fake / folder).mkdir(parents=True, exist_ok=True)
    for folder, name in WALKER_PARTS:
        (fake / folder / name).write_text("X = 1\n", encoding="utf-8")
    (fake / "__init__.py").write_text("", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "walker")
    digests = []
    try:
        for part in (None, *WALKER_PARTS):
            if part is not None:
                (fake / part[0] / part[1]).write_text("X = 2\n", encoding="utf-8")
            code_digest.cache_clear()
            digests.append(code_digest())
    finally:
        code_digest.cache_clear()
    assert digests[0] == digests[1] == digests[2] != digests[3]


def test_unreadable_lines_are_listed_and_a_torn_last_line_skipped(tmp_path):
    log = tmp_path / "results.jsonl"
    good = encode_record(_record())
    log.write_bytes(
        b'{"key": "x", "bad": \xff}\n' + b"NaN\n" + b"[1]\n" + good.encode() + b'{"key": "torn'
    )
    found = read_log(log)
    assert list(found.records) == [TASK.key]
    assert found.unreadable == {
        1: "it is not UTF-8 text",
        2: "it is not JSON (NaN is not JSON)",
        3: "it is not a record with a key",
    }
    cut_torn_line(log)
    assert log.read_bytes().endswith(good.encode())


def test_a_folder_or_a_fifo_in_the_logs_place_is_one_sentence(tmp_path):
    folder = tmp_path / "results.jsonl"
    folder.mkdir()
    with pytest.raises(BenchLogError, match=r"results\.jsonl: it is a folder"):
        read_log(folder)
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(BenchLogError, match=r"it is a named pipe \(FIFO\)"):
        read_log(fifo)
    with pytest.raises(BenchLogError, match=r"it is a named pipe \(FIFO\)"):
        append_record(fifo, ConditionRecord.from_dict(_record()))


def test_a_failed_append_says_what_is_kept(tmp_path, monkeypatch):
    log = tmp_path / "results.jsonl"
    append_record(log, ConditionRecord.from_dict(_record()))
    import errno

    from walker import files

    def disk_full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "write", disk_full)
    with pytest.raises(BenchLogError) as error:
        append_record(log, ConditionRecord.from_dict(_record(seed=2)))
    assert str(error.value) == (
        f"cannot write {log}: the disk is full; the previous results.jsonl is unchanged; "
        "the records saved so far are kept, run the same command again to compute the rest"
    )
    assert read_log(log).records[TASK.key]["seed"] == 1


# -- through walker bench ------------------------------------------------------------------

BENCH = ["bench", "hardcoded", "--env", "HenryContinuous-v0", "--conditions", "standard"]
BENCH += ["--seeds", "2", "--workers", "1", "--no-progress", "--out"]


def _bench(capsys, out):
    from walker.app.cli import main

    code = main([*BENCH, str(out)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _damage(line, how):
    record = json.loads(line)
    if how == "no episodes":
        del record["episodes"]
    elif how == "no episode":
        record["episodes"] = []
    elif how == "speed fast":
        record["episodes"][0]["speed_m_s"] = "fast"
    return json.dumps(record).encode()


@pytest.mark.parametrize("how", ["not utf-8", "no episodes", "no episode", "speed fast"])
def test_a_damaged_record_is_played_again_and_said_so(tmp_path, capsys, how):
    out = tmp_path / "bench"
    code, _, _ = _bench(capsys, out)
    assert code == 0
    log = out / "results.jsonl"
    lines = log.read_bytes().splitlines()
    assert len(lines) == 4  # the hard-coded gait and the random policy on seeds 0 and 1
    assert b"NaN" not in log.read_bytes()
    first = json.loads(lines[0])
    damaged = b'{"key": "\xff' + lines[0][9:] if how == "not utf-8" else _damage(lines[0], how)
    log.write_bytes(b"\n".join([damaged, *lines[1:]]) + b"\n")
    code, text, err = _bench(capsys, out)
    assert code == 0, err
    assert "Traceback" not in err
    [note] = [line for line in err.splitlines() if "cannot be used" in line]
    why = {
        "not utf-8": "line 1 it is not UTF-8 text",
        "no episodes": f'{first["key"]}: it has no "episodes" list',
        "no episode": f"{first['key']}: it has 0 episodes, not 1",
        "speed fast": f"{first['key']}: its episode 1 has \"speed_m_s\": 'fast', not a number",
    }[how]
    assert note.startswith(f"walker: {log}: 1 saved record(s) cannot be used and their tasks")
    assert why in note
    saved = read_log(log).records
    assert len(saved) == 4
    task = EpisodeTask(
        first["env_id"], first["agent"], first["agent"], first["seed"], first["condition"], 1
    )
    assert record_problem(saved[task.key], task) is None
    assert len(log.read_bytes().splitlines()) == 5  # the damaged line stays, superseded
    assert "(4 results on this process" in text  # no seed silently dropped


def test_a_folder_where_the_log_should_be_is_refused_in_one_sentence(tmp_path, capsys):
    out = tmp_path / "bench"
    (out / "results.jsonl").mkdir(parents=True)
    code, _, err = _bench(capsys, out)
    assert code == 2
    assert err == (
        f"walker: error: cannot write {out / 'results.jsonl'} (in --out): it is a folder, "
        "give a file name\n"
    )


def test_a_bench_of_pretrained_policies_is_named_so_not_train_steps_none(tmp_path):
    from walker.app.bench.benchmark import BenchError, run_bench

    out = tmp_path / "bench"
    out.mkdir()
    (out / "settings.json").write_text(
        '{"format": 2, "episodes": 1, "train_steps": null, "fixed": false, "curve": null}'
    )
    with pytest.raises(BenchError) as error:
        run_bench(["hardcoded"], env_id="Henry-v0", seeds=1, episodes=2, out=out, progress=False)
    assert str(error.value) == (
        f"--out {out} holds a bench with --episodes 1, pretrained policies (no "
        "--train-steps) and drawn conditions (no --fixed); resume it with those or choose "
        "another --out"
    )
