"""No import cycles in sync/ and workers/, and every module imports on its own.

The graph counts every import a module makes: at module level, inside functions (lazy
imports still tie two modules together) and under ``if TYPE_CHECKING:`` (the type
checker follows those). An import of a package's submodule is an edge to the submodule,
not to the package. Alembic's migration scripts (folders without ``__init__.py``) are
loaded by path, not imported, and are left out.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("sync", "workers")


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    kind: str  # "module", "function" or "type-checking"

    def __str__(self) -> str:
        return f"{self.source} → {self.target} ({self.kind} import, line {self.line})"


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every importable module of the packages: dotted name → file."""
    out: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            folders = path.relative_to(root).parent
            if any(
                not (root / p / "__init__.py").is_file() for p in [folders, *folders.parents][:-1]
            ):
                continue  # not in a package: a script (alembic migrations)
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[tuple[ast.Import | ast.ImportFrom, str]]:
    """Each import statement with where it runs: module level, in a function, or only
    for the type checker."""

    def walk(node: ast.AST, kind: str) -> Iterator[tuple[ast.Import | ast.ImportFrom, str]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, kind
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                yield from walk(child, "type-checking" if kind == "type-checking" else "function")
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    yield from walk(ast.Module(body=[stmt], type_ignores=[]), "type-checking")
                for stmt in child.orelse:
                    yield from walk(ast.Module(body=[stmt], type_ignores=[]), kind)
            else:
                yield from walk(child, kind)

    yield from walk(tree, "module")


def _known(name: str, known: dict[str, Path]) -> str | None:
    """`name` or its nearest enclosing module that is one of ours."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def graph(known: dict[str, Path] | None = None) -> list[Edge]:
    """Every import from one of our modules to another."""
    known = modules() if known is None else known
    edges: list[Edge] = []
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node, kind in _imports(tree):
            targets: list[str | None] = []
            if isinstance(node, ast.Import):
                targets = [_known(alias.name, known) for alias in node.names]
            else:
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                if node.level:
                    base = f"{base}.{node.module}" if node.module else base
                else:
                    base = node.module or ""
                targets = [
                    _known(f"{base}.{alias.name}", known)
                    if f"{base}.{alias.name}" in known
                    else _known(base, known)
                    for alias in node.names
                ]
            for target in dict.fromkeys(targets):
                if target is not None and target != name:
                    edges.append(Edge(name, target, node.lineno, kind))
    return edges


def cycles(edges: list[Edge]) -> list[tuple[set[str], list[Edge]]]:
    """Each strongly connected group of modules (Tarjan), with one shortest cycle through
    it (fixing that cycle may leave others in the group)."""
    out_edges: dict[str, list[Edge]] = {}
    for edge in edges:
        out_edges.setdefault(edge.source, []).append(edge)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def connect(start: str) -> None:
        # iterative Tarjan: the graph is deep enough to trouble the recursion limit
        work = [(start, iter(out_edges.get(start, [])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for edge in children:
                if edge.target not in index:
                    index[edge.target] = low[edge.target] = len(index)
                    stack.append(edge.target)
                    on_stack.add(edge.target)
                    work.append((edge.target, iter(out_edges.get(edge.target, []))))
                    break
                if edge.target in on_stack:
                    low[node] = min(low[node], index[edge.target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(group)

    for node in sorted(out_edges):
        if node not in index:
            connect(node)

    found = []
    for group in groups:
        start = min(group)
        # breadth first from start back to start, inside the group: a shortest cycle
        paths: dict[str, list[Edge]] = {start: []}
        queue = [start]
        cycle: list[Edge] | None = None
        while queue and cycle is None:
            node = queue.pop(0)
            for edge in out_edges.get(node, []):
                if edge.target not in group:
                    continue
                if edge.target == start:
                    cycle = [*paths[node], edge]
                    break
                if edge.target not in paths:
                    paths[edge.target] = [*paths[node], edge]
                    queue.append(edge.target)
        assert cycle is not None
        found.append((group, cycle))
    return sorted(found, key=lambda g: min(g[0]))


def describe(found: list[tuple[set[str], list[Edge]]]) -> str:
    return "\n\n".join(
        f"cycle {i}: "
        + " → ".join([c[0].source, *(e.target for e in c)])
        + "\n"
        + "\n".join(f"    {e}" for e in c)
        + (f"\n  (one of the cycles among {', '.join(sorted(g))})" if len(g) > len(c) else "")
        for i, (g, c) in enumerate(found, 1)
    )


def test_the_graph_sees_every_kind_of_import(tmp_path: Path) -> None:
    """The checker itself: a module-level, a lazy, a relative and a type-checking import
    each make an edge, and a cycle through them is found."""
    for rel, text in {
        "sync/__init__.py": "",
        "sync/a.py": "from sync import b\n",
        "sync/b.py": "def f():\n    from .c import thing\n",
        "sync/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sync.a\n",
        "sync/d.py": "import sync.a\n",
        "workers/__init__.py": "",
    }.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    edges = graph(modules(tmp_path))
    assert {(e.source, e.target, e.kind) for e in edges} == {
        ("sync.a", "sync.b", "module"),
        ("sync.b", "sync.c", "function"),
        ("sync.c", "sync.a", "type-checking"),
        ("sync.d", "sync.a", "module"),
    }
    [(group, cycle)] = cycles(edges)
    assert group == {"sync.a", "sync.b", "sync.c"}
    assert [e.source for e in cycle] == ["sync.a", "sync.b", "sync.c"]


def test_no_import_cycles() -> None:
    found = cycles(graph())
    assert not found, f"{len(found)} import cycle(s):\n\n{describe(found)}"


#: run in a fresh interpreter: each module imported with none of ours loaded before it
ALONE = """
import importlib, sys, traceback
ours = lambda m: m.split(".")[0] in ("sync", "workers")
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if ours(m)]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except BaseException:
        failed.append(name + ":\\n" + traceback.format_exc(limit=-4))
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_each_module_imports_on_its_own() -> None:
    """A module that only imports after another has been imported hides a cycle (or a
    missing import); `__main__` modules run the program and are left out."""
    names = [n for n in modules() if not n.endswith("__main__")]
    done = subprocess.run(
        [sys.executable, "-c", ALONE, *names], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr


if __name__ == "__main__":
    print(describe(cycles(graph())) or "no cycles")
