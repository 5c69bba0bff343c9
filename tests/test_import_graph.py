"""The package's modules import each other without a circle, and no project import hides inside a function.

The graph is read from the source with `ast`: an import at module level (inside `if TYPE_CHECKING:` or a
`try:` too) is an edge, and importing `a.b.c` also runs the packages `a.b` and `a` (an edge to each package
that is not one of the importer's own). A circle found here is one that only an import inside a function or a
TYPE_CHECKING block kept alive; the imports inside functions are listed apart and refused unless allowed below.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("complaints", "workflows")

# (module, imported module): imports deliberately left inside a function, each with its reason
LAZY = {
    # the PDF library (fpdf2 and its fonts) is loaded only by the one call that makes a PDF
    ("complaints.letters", "complaints.letters.pdf"): "fpdf2 is heavy and only PDF letters need it",
}


def _modules(root: Path = ROOT) -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, modules) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join([*package, *([base] if base else [])])
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]


def _imports(node: ast.AST, in_function: bool = False):
    """Every import statement under `node`, with whether it sits inside a function."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, in_function
        yield from _imports(
            child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        )


def import_graph(root: Path = ROOT) -> tuple[dict[str, set[str]], list[tuple[str, int, str]]]:
    """(module -> the modules its module-level imports run, [(module, line, target) of function-level imports])."""
    modules = _modules(root)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    inner: list[tuple[str, int, str]] = []
    for name, path in modules.items():
        own = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 2)}
        for node, in_function in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            for target in _targets(node, name, path.name == "__init__.py", modules):
                if target.split(".")[0] not in PACKAGES:
                    continue
                if in_function:
                    inner.append((name, node.lineno, target))
                    continue
                parts = target.split(".")
                implied = {".".join(parts[:i]) for i in range(1, len(parts))} - own
                graph[name].update(m for m in {target, *implied} if m in modules and m != name)
    return graph, inner


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circle_in_the_package():
    graph, _ = import_graph()
    assert "complaints.services.transitions" in graph["complaints.services.routing"]  # the graph is read
    assert cycles(graph) == []


def test_no_project_import_inside_a_function():
    _, inner = import_graph()
    refused = [f"{module}:{line} imports {target}" for module, line, target in inner if (module, target) not in LAZY]
    assert refused == []


def test_the_checks_find_a_circle_and_a_hidden_import(tmp_path):
    """The same checks over a small made-up package: a circle through a package's __init__ and one kept
    alive by an import inside a function are both found."""
    package = tmp_path / "complaints"
    (package / "sub").mkdir(parents=True)
    (tmp_path / "workflows").mkdir()
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from .b import B\n")
    (package / "sub" / "b.py").write_text("from complaints.a import A\nB = 1\n")
    (package / "a.py").write_text("from complaints.sub.c import C\nA = 1\n")  # runs sub/__init__, which runs b
    (package / "sub" / "c.py").write_text("C = 1\n")
    (package / "d.py").write_text("def f():\n    from complaints.a import A\n    return A\n")
    graph, inner = import_graph(tmp_path)
    assert cycles(graph) == [["complaints.a", "complaints.sub", "complaints.sub.b"]]
    assert inner == [("complaints.d", 2, "complaints.a")]
