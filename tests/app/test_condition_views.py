"""`walker watch` and `walker record` with `--condition`: the episode `walker bench` plays."""

import gymnasium as gym
import pytest

import envs  # noqa: F401
from agents.walking import WalkingController
from walker.app.bench.tasks import EPISODE_SEED_BASE
from walker.app.cli import main
from walker.app.core.conditions import CONDITIONS
from walker.app.core.learners import PolicyError
from walker.app.viewing.lanes import open_lanes, run_lanes
from walker.app.viewing.playback import _start, race
from walker.draw.video import read_frames


def test_a_condition_starts_the_benchs_episode_of_that_seed():
    start = _start("bumps", 3, None, {})
    draw = CONDITIONS["bumps"].draw(3)
    assert start.world == draw.env_kwargs() and start.world["spec"]["bump_height_m"] > 0
    assert start.options == draw.options()
    assert (start.seed, start.same) == (EPISODE_SEED_BASE + 3000, True)
    plain = _start(None, 3, "left_foot_up", {})
    assert plain == (None, {"pose": "left_foot_up"}, 3, False)


def test_the_lane_walks_the_benchs_world_step_for_step():
    # The controller on the forward push drawn for seed 2 (4.4 N*s at 4.2 s): the lane
    # (world, start options, reset seed) and the bench's own episode are at the same place
    # after 5 s, pushed. The lane's 250 frames begin with the reset: the last is step 249.
    start = _start("push_forward", 2, None, {})
    (lane,) = open_lanes(
        ["hardcoded"],
        "HenryContinuous-v0",
        {},
        2,
        50.0,
        options=start.options,
        world=start.world,
    )
    try:
        run_lanes(
            [lane],
            seconds=5.0,
            fps=50.0,
            size=(200, 100),
            window=None,
            writer=None,
            seed=start.seed,
            same_start=start.same,
        )
        shown = lane.distance_m
    finally:
        lane.close()
    assert CONDITIONS["push_forward"].draw(2).values["push_time_s"] < 4.9
    assert shown == pytest.approx(_bench_distance("push_forward", 2, 249), abs=1e-9)


def _bench_distance(condition, seed, steps):
    """Where the controller is after `steps` steps of the bench's episode of `seed`."""
    draw = CONDITIONS[condition].draw(seed)
    env = gym.make("HenryContinuous-v0", **draw.env_kwargs())
    controller = WalkingController.for_env(env)
    obs, info = env.reset(seed=EPISODE_SEED_BASE + 1000 * seed, options=draw.options())
    for _ in range(steps):
        obs, _, _, _, info = env.step(controller.act(obs[None])[0])
    return info["distance_m"]


def test_a_race_on_a_condition_puts_every_lane_on_the_benchs_course():
    # Two controllers race on the forward push drawn for seed 2: both are pushed alike and
    # are where the bench's episode is after 5 s, so the race is a tie on its course.
    run = {"env_id": "HenryContinuous-v0", "seed": 2, "seconds": 5.0, "fps": 50.0}
    board = race(
        ["hardcoded", "hardcoded"], size=(300, 200), window=False, **run, condition="push_forward"
    )
    expected = f"{_bench_distance('push_forward', 2, 249):+.3f} m"
    rows = [line for line in board.splitlines() if "hardcoded" in line]
    assert len(rows) == 2 and all(row.endswith(expected) for row in rows), board
    plain = race(["hardcoded"], size=(300, 200), window=False, **run)
    assert not plain.splitlines()[-1].endswith(expected)  # no push, another course


def test_a_checkpoint_is_recorded_in_a_world_it_was_not_trained_in(tmp_path, capsys):
    # ppo-henry-walk was trained without a spec; the bench's worlds are not held against it
    path = tmp_path / "bumps.gif"
    code = main(
        [
            "record",
            "ppo-henry-walk",
            "--condition",
            "bumps",
            "--seed",
            "1",
            "--seconds",
            "1",
            "--fps",
            "10",
            "--out",
            str(path),
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert len(read_frames(path)) == 10


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--race", "hardcoded", "hardcoded", "--condition", "bumps", "--env-arg", "spec={}"],
            "--env-arg spec cannot apply with --condition bumps",
        ),
        (
            [
                "hardcoded",
                "--env",
                "HenryContinuous-v0",
                "--condition",
                "random_start",
                "--pose",
                "standing",
            ],
            "--pose standing cannot apply with --condition random_start",
        ),
        (
            [
                "hardcoded",
                "--env",
                "HenryContinuous-v0",
                "--condition",
                "bumps",
                "--env-arg",
                'spec={"bump_height_m": 0.01}',
            ],
            "--env-arg spec cannot apply with --condition bumps",
        ),
        (
            ["random", "--env", "CartPole-v1", "--condition", "standard"],
            "a bench condition is a world of Henry's envs, not of CartPole-v1",
        ),
    ],
)
def test_a_condition_that_cannot_apply_is_one_line(tmp_path, capsys, argv, message):
    out = tmp_path / "v.mp4"
    code = main(["record", *argv, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1, err
    assert not out.exists()


def test_policyerror_is_what_a_clash_raises():
    with pytest.raises(PolicyError, match="--pose right_foot_up cannot apply"):
        _start("left_foot_up", 0, "right_foot_up", None)
