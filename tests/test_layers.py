"""The house's layers, read from the code's own imports (those inside functions included).

Top to bottom: an import never runs up a layer, modules never import each other in a circle, and
the development tools in dev/ are never imported by the product.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Top to bottom. dev/ sits above everything: it may use the product, the product never uses it.
LAYERS = (
    "dev",
    "bot",
    "jobs",
    "handlers",
    "flows",
    "school",
    "runtime",
    "rules",
    "storage",
    "media",
    "catalogue",
)

# Imports allowed to run up a layer: none (dev/ adds its commands itself, bot/added_commands.py).
ALLOWED_UP: set[tuple[str, str]] = set()


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for layer in LAYERS:
        base = ROOT / layer
        if not base.is_dir():
            continue
        for path in base.rglob("*.py"):
            if "migrations" in path.parts:
                continue
            found[_module_of(path)] = path
    return found


def _resolve(name: str) -> str | None:
    """The project module an import names (a package's name resolves to its __init__)."""
    modules = _modules()
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


@cache
def _imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in _modules().items():
        targets: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            for name in names:
                target = _resolve(name)
                if target and target != module:
                    targets.add(target)
        graph[module] = targets
    return graph


def _rank(module: str) -> int:
    return LAYERS.index(module.split(".")[0])


def test_no_import_runs_up_a_layer() -> None:
    up = {
        (module, target)
        for module, targets in _imports().items()
        for target in targets
        if _rank(target) < _rank(module)
    }
    assert up - ALLOWED_UP == set()


def _circles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[frozenset[str]] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.add(top)
                if top == node:
                    break
            if len(component) > 1:
                found.add(frozenset(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_circles() -> None:
    circles = _circles(_imports())
    assert circles == set()


def test_the_circle_finder_sees_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(graph) == {frozenset({"a", "b", "c"})}


def test_the_product_never_imports_the_development_tools() -> None:
    probe = (
        "import sys\n"
        "import bot, bot.webhook, bot.commands, bot.cli, jobs.queue, jobs.cron, handlers.router\n"
        "bot.cli.main.list_commands(None)\n"
        "import flows.desk\n"
        "flows.desk.desk\n"
        "loaded = sorted(m for m in sys.modules if m == 'dev' or m.startswith('dev.'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def _statement_lists(tree: ast.AST) -> list[list[ast.stmt]]:
    return [
        value
        for node in ast.walk(tree)
        for field in ("body", "orelse", "finalbody")
        if isinstance(value := getattr(node, field, None), list)
        and value
        and isinstance(value[0], ast.stmt)
    ]


def unexplained_imports(source: str) -> list[int]:
    """Lines of imports inside functions with no comment on their line or on the line above
    (a run of imports one after another shares the comment above the first)."""
    tree = ast.parse(source)
    lines = source.splitlines()
    inside = {
        id(node)
        for function in ast.walk(tree)
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
        for node in ast.walk(function)
        if isinstance(node, (ast.Import, ast.ImportFrom))
    }
    found = []
    for statements in _statement_lists(tree):
        for i, node in enumerate(statements):
            if id(node) not in inside:
                continue
            first = i
            while first > 0 and isinstance(statements[first - 1], (ast.Import, ast.ImportFrom)):
                first -= 1
            above = lines[statements[first].lineno - 2].strip()
            own = lines[node.lineno - 1 : node.end_lineno]
            if not above.startswith("#") and not any("#" in line for line in own):
                found.append(node.lineno)
    return sorted(found)


def test_every_import_inside_a_function_says_why() -> None:
    unexplained = {}
    for path in _modules().values():
        if path.relative_to(ROOT).parts[0] == "dev":
            continue
        lines = unexplained_imports(path.read_text(encoding="utf-8"))
        if lines:
            unexplained[path.relative_to(ROOT).as_posix()] = lines
    assert unexplained == {}


def test_the_import_check_sees_an_unexplained_import() -> None:
    source = (
        "import os\n"
        "def a():\n"
        "    import json\n"
        "def b():\n"
        "    # Heavy: only when asked.\n"
        "    import json\n"
        "    import csv\n"
        "def c():\n"
        "    if True:\n"
        "        import json  # only here\n"
        "    else:\n"
        "        import csv\n"
        "    x = 1\n"
        "    import re\n"
    )
    assert unexplained_imports(source) == [3, 12, 14]
