"""Window verbs refuse at once, in one line pointing to `walker record`, when no window can
be shown: a display variable naming no server (SDL would silently draw off screen), or an
off-screen SDL driver (named as the reason, not "DISPLAY is not set")."""

from pathlib import Path

import pytest

from walker.app.cli import main

WINDOW_VERBS = [
    ["watch", "hardcoded", "--seconds", "1"],
    ["race", "hardcoded", "random", "--window", "--seconds", "1"],
    ["train", "qlearning", "--watch", "--steps", "50", "--out", "run"],
]


def _silent_display():
    for number in range(90, 200):
        if not Path(f"/tmp/.X11-unix/X{number}").exists():
            return f":{number}"
    pytest.skip("every display number from :90 to :199 is taken")


def run(capsys, argv):
    try:
        code = main(argv)
    except SystemExit as stop:
        code = stop.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize("argv", WINDOW_VERBS, ids=lambda argv: argv[0])
def test_a_display_with_no_server_is_refused_in_one_line(argv, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    name = _silent_display()
    monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", name)
    code, err = run(capsys, argv)
    assert code == 2
    assert err == (
        f"walker: error: this command needs a display (no display server answers on "
        f"DISPLAY={name}); record a video instead with 'walker record POLICY --out gait.mp4', "
        "or run it under xvfb-run\n"
    )
    assert list(tmp_path.iterdir()) == []  # train --watch made no run folder


def test_an_off_screen_driver_is_named_when_display_is_set(capsys, monkeypatch):
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    code, err = run(capsys, ["watch", "hardcoded", "--seconds", "1"])
    assert code == 2
    assert "(SDL_VIDEODRIVER=dummy draws off screen)" in err
    assert "DISPLAY is not set" not in err
