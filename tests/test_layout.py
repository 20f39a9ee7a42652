"""The shape of the code, checked so later work cannot quietly undo it: no import cycle among the modules of
``bot/``, ``index/`` and ``app.py``; no module in ``bot/`` over 300 lines; the benchmarks import nothing from
the tests. Read from the source with :mod:`ast`; nothing is imported."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "index")
MAX_LINES = 300


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    """Every module of the packages and app.py, by dotted name."""
    found = {"app": ROOT / "app.py"}
    for package in PACKAGES:
        found.update({_module_name(p): p for p in sorted((ROOT / package).rglob("*.py"))})
    return found


def _top_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The imports at a module's level: not those inside functions (run later, if ever). Those under
    ``if TYPE_CHECKING:`` count: a cycle that only the type checker sees is still one module knowing another."""
    found: list[ast.Import | ast.ImportFrom] = []

    def walk(nodes) -> None:
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found.append(node)
            walk(ast.iter_child_nodes(node))

    walk(tree.body)
    return found


def _imported(name: str, path: Path, node: ast.Import | ast.ImportFrom, modules: dict[str, Path]) -> set[str]:
    """The modules among ``modules`` that ``node`` (in module ``name`` at ``path``) imports: ``from a import b``
    is the module ``a.b`` when there is one, else ``a``; relative imports are resolved."""
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join(package + ([base] if base else []))
        targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
    found = set()
    for target in targets:
        while target and target not in modules:  # `import bot.x.y` where only bot.x is ours: the closest module
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {
        name: set().union(*(_imported(name, path, node, modules)
                            for node in _top_level_imports(ast.parse(path.read_text(encoding="utf-8")))))
        for name, path in modules.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected component of more than one module (Tarjan), as a path that
    ends where it starts."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_cycle_in(graph, component) for component in components]


def _cycle_in(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """A shortest cycle through the component's first module (breadth-first)."""
    start, members = component[0], set(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for other in sorted(graph[node] & members):
            if other == start:
                return paths[node] + [start]
            if other not in paths:
                paths[other] = paths[node] + [other]
                queue.append(other)
    raise AssertionError(f"no cycle through {start}")  # pragma: no cover - a component of two or more has one


def test_no_import_cycle():
    graph = import_graph()
    found = cycles(graph)
    assert not found, (
        "import cycles among bot/, index/ and app.py (module-level imports, `if TYPE_CHECKING:` ones included; "
        "move what both sides need into a module of their own):\n" + "\n".join("  " + " → ".join(cycle) for cycle in found)
    )


def test_the_cycle_finder_finds_cycles_and_resolves_relative_imports():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    modules = {"bot": Path("bot/__init__.py"), "bot.x": Path("bot/x.py"), "bot.y": Path("bot/y.py")}
    tree = ast.parse("from . import y\nfrom .y import thing\nimport bot.x.z\nif TYPE_CHECKING:\n    from bot import x\n"
                     "def f():\n    import bot.y\n")
    got = [_imported("bot.x", Path("bot/x.py"), node, modules) for node in _top_level_imports(tree)]
    assert got == [{"bot.y"}, {"bot.y"}, set(), set()]
    got = [_imported("bot", Path("bot/__init__.py"), node, modules) for node in _top_level_imports(ast.parse("from .x import a"))]
    assert got == [{"bot.x"}]


def test_no_module_in_bot_is_over_300_lines():
    sizes = {p.relative_to(ROOT).as_posix(): len(p.read_text(encoding="utf-8").splitlines()) for p in (ROOT / "bot").rglob("*.py")}
    over = sorted((n, path) for path, n in sizes.items() if n > MAX_LINES)
    assert not over, f"modules in bot/ over {MAX_LINES} lines (split them by job):\n" + "\n".join(
        f"  {path}: {n} lines" for n, path in reversed(over)
    )


def _absolute_imports(tree: ast.Module) -> list[tuple[int, str]]:
    """Every absolute import in a module, in a function or not, as (line, module)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            found.append((node.lineno, node.module or ""))
    return found


def test_benchmarks_import_nothing_from_the_tests():
    found = [
        f"  {path.relative_to(ROOT).as_posix()}:{line}: {name}"
        for path in sorted((ROOT / "benchmarks").rglob("*.py"))
        for line, name in _absolute_imports(ast.parse(path.read_text(encoding="utf-8")))
        if name == "tests" or name.startswith("tests.")
    ]
    assert not found, "benchmarks/ imports from tests/ (move what it needs into the package, e.g. index/testing.py):\n" + "\n".join(found)
