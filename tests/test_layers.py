"""The layering of ../shared/DESIGN.md, checked by parsing imports.

physics (walker.sim, walker.files) < drawing (walker.draw) < envs < agents < app (walker.app).
A module may import only from its own layer or lower ones; agents never import pymunk or
pygame directly.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LAYER_OF_PACKAGE = {
    "walker.sim": 0,
    "walker.files": 0,
    "walker.draw": 1,
    "envs": 2,
    "agents": 3,
    "walker.app": 4,
    "walker.__main__": 4,
}


def layer_of(module: str) -> int | None:
    for package, layer in sorted(LAYER_OF_PACKAGE.items(), key=lambda kv: -len(kv[0])):
        if module == package or module.startswith(package + "."):
            return layer
    return None


def imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def project_modules():
    for folder in ("walker", "envs", "agents"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).with_suffix("")
            parts = list(relative.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts), path


def test_every_module_has_a_layer():
    unplaced = [
        name for name, _ in project_modules() if name != "walker" and layer_of(name) is None
    ]
    assert unplaced == []


def test_no_module_imports_a_higher_layer():
    wrong = []
    for name, path in project_modules():
        own = layer_of(name)
        if own is None:
            continue
        for imported in imports(path):
            other = layer_of(imported)
            if other is not None and other > own:
                wrong.append(f"{name} (layer {own}) imports {imported} (layer {other})")
    assert wrong == []


def test_agents_never_touch_pymunk_or_pygame():
    wrong = []
    for name, path in project_modules():
        if name.startswith("agents"):
            for imported in imports(path):
                if imported.split(".")[0] in ("pymunk", "pygame"):
                    wrong.append(f"{name} imports {imported}")
    assert wrong == []
