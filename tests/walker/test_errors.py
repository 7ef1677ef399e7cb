"""Every exception the project defines derives from `walker.errors.WalkerError`, the one
class the command line catches, and keeps the builtin base callers may rely on."""

import ast
import importlib
from pathlib import Path

from walker.errors import InputError, OutputError, UnavailableError, WalkerError

ROOT = Path(__file__).resolve().parents[2]


def defined_exceptions() -> list[type[Exception]]:
    """Every `Exception` class (not the `KeyboardInterrupt`-like signals) defined in the code."""
    found = []
    for folder in ("walker", "envs", "agents"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names = [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
            if not names:
                continue
            module = importlib.import_module(".".join(parts))
            for name in names:
                value = getattr(module, name)
                if isinstance(value, type) and issubclass(value, Exception):
                    found.append(value)
    return found


def test_every_exception_of_the_project_is_a_walker_error():
    exceptions = defined_exceptions()
    names = {cls.__name__ for cls in exceptions}
    # The search finds what it should: a few from each layer.
    assert {"PolicyError", "CheckpointError", "HenryEnvError", "SpecError"} <= names
    assert {"OutputPathError", "DisplayUnavailableError", "VideoError", "UsageError"} <= names
    assert [cls.__name__ for cls in exceptions if not issubclass(cls, WalkerError)] == []


def test_each_kind_keeps_its_builtin_base():
    assert issubclass(InputError, ValueError)
    assert issubclass(OutputError, OSError)
    assert issubclass(UnavailableError, RuntimeError)
    from agents.checkpoint import CheckpointError
    from walker.files import OutputPathError

    assert issubclass(CheckpointError, ValueError)
    assert issubclass(OutputPathError, OSError)
    error = OutputPathError("cannot write runs/x: read-only")
    assert str(error) == "cannot write runs/x: read-only"
