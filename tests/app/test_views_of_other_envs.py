"""The views (windows, videos, races, training clips) draw Henry's envs; any other env is
refused in one sentence before anything is written, saying whether it renders pictures."""

import pytest

from walker.app.cli import main


def run(capsys, argv):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as stop:
        code = stop.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "what", "renders"),
    [
        (
            ["record", "random", "--env", "CartPole-v1", "--seconds", "1", "--out", "cp.mp4"],
            "walker record, race and watch",
            "its own rgb_array frames are not shown by these views",
        ),
        (
            ["race", "random", "hardcoded", "--env", "Dungeon-v0", "--out", "race.mp4"],
            "walker record, race and watch",
            "it renders no pictures",
        ),
        (
            ["train", "dqn", "--env", "CartPole-v1", "--record", "x.mp4", "--out", "d"],
            "--watch, --record and --record-every",
            "its own rgb_array frames are not shown by these views",
        ),
        (
            ["train", "qlearning", "--env", "Dungeon-v0", "--record-every", "1", "--out", "d"],
            "--watch, --record and --record-every",
            "it renders no pictures",
        ),
    ],
)
def test_an_env_the_views_cannot_draw_is_refused_before_anything_is_written(
    argv, what, renders, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    code, err = run(capsys, argv)
    env_id = argv[argv.index("--env") + 1]
    assert code == 2
    assert err == (
        f"walker: error: {what} draw only Henry's envs (Henry-v0, HenryContinuous-v0), not "
        f"{env_id} ({renders}); use 'walker eval' to measure it\n"
    )
    assert list(tmp_path.iterdir()) == []  # no run folder, no video
    # And the retry is refused the same way, not sent to resume a run that never was.
    assert run(capsys, argv) == (code, err)
