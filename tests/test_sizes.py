"""The app stays readable in pieces: no module of `walker/app` over 400 lines, no function
over 60."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "walker" / "app"

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def long_modules() -> list[str]:
    found = []
    for path in sorted(APP.rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            found.append(f"{path.relative_to(ROOT)}: {lines} lines")
    return found


def long_functions() -> dict[str, int]:
    found = {}
    for path in sorted(APP.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno is not None
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found[f"{path.relative_to(ROOT).as_posix()}:{node.name}"] = length
    return found


def test_no_app_module_is_over_400_lines():
    assert long_modules() == []


def test_no_app_function_is_over_60_lines():
    assert long_functions() == {}
