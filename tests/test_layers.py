"""The layering of ../shared/DESIGN.md, checked by parsing imports.

physics (walker.sim, walker.files, walker.errors) < drawing (walker.draw) < envs < agents <
app (walker.app). A module may import only from its own layer or lower ones; agents never
import pymunk or pygame directly. Inside the app the feature packages have an order of their
own: core < viewing < training < bench, speed, experiments (siblings: none imports another) <
cli. And no two app modules import each other, however indirectly.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LAYER_OF_PACKAGE = {
    "walker.sim": 0,
    "walker.files": 0,
    "walker.errors": 0,
    "walker.envids": 0,
    "walker.draw": 1,
    "envs": 2,
    "agents": 3,
    "walker.app": 4,
    "walker.__main__": 4,
    "walker.bench": 4,
}


RANK_OF_APP_PACKAGE = {
    "walker.app.core": 0,
    "walker.app.viewing": 1,
    "walker.app.training": 2,
    "walker.app.bench": 3,
    "walker.app.speed": 3,
    "walker.app.experiments": 3,
    "walker.app.cli": 4,
}


def app_package_of(module: str) -> str | None:
    for package in RANK_OF_APP_PACKAGE:
        if module == package or module.startswith(package + "."):
            return package
    return None


def layer_of(module: str) -> int | None:
    for package, layer in sorted(LAYER_OF_PACKAGE.items(), key=lambda kv: -len(kv[0])):
        if module == package or module.startswith(package + "."):
            return layer
    return None


def imports(path: Path):
    """Every module `path` imports, at its top or inside a function (`from P import m` yields
    `P.m` too, in case `m` is a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            for alias in node.names:
                yield f"{node.module}.{alias.name}"


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


def test_every_app_module_is_in_a_feature_package():
    loose = [
        name
        for name, _ in project_modules()
        if name.startswith("walker.app.") and app_package_of(name) is None
    ]
    assert loose == []


def test_app_packages_import_only_lower_ones():
    wrong = []
    for name, path in project_modules():
        own = app_package_of(name)
        if own is None:
            continue
        for imported in imports(path):
            other = app_package_of(imported)
            if other is None or other == own:
                continue
            if RANK_OF_APP_PACKAGE[other] >= RANK_OF_APP_PACKAGE[own]:
                wrong.append(f"{name} ({own}) imports {imported} ({other})")
    assert wrong == []


def app_import_graph() -> dict[str, set[str]]:
    modules = dict(project_modules())
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        if name.startswith("walker.app"):
            graph[name] = {
                imported
                for imported in imports(path)
                if imported in modules and imported.startswith("walker.app") and imported != name
            }
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for after in sorted(graph.get(node, ())):
            if after not in index:
                visit(after)
                low[node] = min(low[node], low[after])
            elif after in stack:
                low[node] = min(low[node], index[after])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_among_app_modules():
    assert cycles(app_import_graph()) == []
