"""Fail when modules of the packages import each other in a circle (module-level imports; `if TYPE_CHECKING:`
blocks are types only and do not count). Usage: python .ci/import_cycles.py [package ...]"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def module_name(path: Path, base: Path) -> str:
    """The dotted name of `path`, relative to the folder its top-level package sits in."""
    parts = list(path.relative_to(base).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def top_level_imports(tree: ast.Module, here: str, is_package: bool) -> list[str]:
    """Absolute names imported when the module runs (not inside functions or TYPE_CHECKING blocks)."""
    found: list[str] = []

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                found.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = here.split(".") if is_package else here.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                if not here.startswith(base + "."):  # a module's own parent package is initialised already
                    found.append(base)
                found.extend(f"{base}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If) and not _is_type_checking(node):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)

    visit(tree.body)
    return found


def graph(packages: list[str]) -> dict[str, set[str]]:
    files = {
        module_name(p, (ROOT / pkg).parent): p
        for pkg in packages
        for p in (ROOT / pkg).rglob("*.py")
        if "versions" not in p.parts
    }
    edges: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        for target in top_level_imports(tree, name, path.name == "__init__.py"):
            if target in files and target != name:
                edges[name].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(edges):
        if v not in index:
            connect(v)
    return found


def main(argv: list[str]) -> int:
    packages = argv or ["bot", "connectors", "clients/python/countersign"]
    edges = graph(packages)
    found = cycles(edges)
    for component in found:
        print(f"import cycle among {len(component)} modules: {', '.join(component)}", file=sys.stderr)
    if found:
        return 1
    print(f"no import cycles among {len(edges)} modules of {', '.join(packages)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
