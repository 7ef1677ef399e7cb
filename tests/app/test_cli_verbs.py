"""The command line's frame: every verb is a module with `add_parser` and `run`, building the
parser loads none of the heavy libraries, and errors a user can fix are one line."""

import json
import subprocess
import sys

import pytest

from walker.app import cli
from walker.app.cli import qtable
from walker.app.core.learners import learner_kinds
from walker.errors import InputError, OutputError, UnavailableError, WalkerError

HEAVY = ("torch", "matplotlib", "ray", "pygame")
LOADED_BY_ENVS = ("gymnasium", "pymunk", "numpy")
"""What `import envs` loads: naming envs, agents and conditions in a parser needs none of it."""

PROBE = """
import json, sys
from walker.app.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy} if m in sys.modules)))
"""


def heavy_imports(*argv: str, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    """The `heavy` libraries a fresh interpreter has imported after `walker ARGV`."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=heavy), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_probe_sees_a_heavy_import():
    # `walker qtable` with a missing checkpoint loads torch before it refuses the file.
    assert "torch" in heavy_imports("qtable", "no-such-checkpoint.pt")


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["bench", "--help"],
        ["train", "ppo", "--help"],
        ["train", "dqn", "--help"],
        ["record", "--help"],
        ["watch", "--help"],
        ["speed", "--help"],
    ],
)
def test_asking_for_help_loads_no_heavy_library(argv):
    # Not even gymnasium, pymunk or numpy: with them `walker --help` took up to 0.55 s here,
    # without them 0.16-0.22 s.
    assert heavy_imports(*argv, heavy=HEAVY + LOADED_BY_ENVS) == []


def test_every_verb_is_a_module_with_its_parser_and_run():
    parser = cli.build_parser()
    names = {verb.__name__.rsplit(".", 1)[1] for verb in cli.VERBS}
    assert names == {
        "demo",
        "train",
        "eval",
        "qtable",
        "experiment",
        "watch",
        "race",
        "record",
        "bench",
        "speed",
    }
    for verb in cli.VERBS:
        assert callable(verb.add_parser) and callable(verb.run)
    args = parser.parse_args(["qtable", "x.pt"])
    assert args.run is qtable.run


def test_each_learner_kind_names_its_agent_class_and_config():
    for name, kind in learner_kinds().items():
        agent = kind.agent_class()
        assert agent.kind == name
        assert agent.config_type is kind.config_cls


@pytest.mark.parametrize(
    "error",
    [
        WalkerError("something to fix"),
        InputError("bad input"),
        OutputError("cannot write runs/x: read-only"),
        UnavailableError("no display"),
    ],
)
def test_a_walker_error_is_one_line_and_exit_status_2(monkeypatch, capsys, error):
    def fail(args):
        raise error

    monkeypatch.setattr(qtable, "run", fail)
    assert cli.main(["qtable", "x.pt"]) == 2
    assert capsys.readouterr().err == f"walker: error: {error}\n"


def test_any_other_error_is_a_bug_and_keeps_its_traceback(monkeypatch):
    def fail(args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(qtable, "run", fail)
    with pytest.raises(ZeroDivisionError):
        cli.main(["qtable", "x.pt"])
