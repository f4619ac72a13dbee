"""No import circles in ``migrator`` and the codemods, not even one dodged by a late import.

The graph is read from the source with ``ast``: every ``import`` a module runs, at
its top or inside a function (an import moved into a function still closes the
circle when the function runs), plus the packages an import runs on the way
(importing ``ft_migrate_codemods._base`` runs ``ft_migrate_codemods/__init__.py``).
Imports under ``if TYPE_CHECKING:`` never run and are left out.  An import inside
a function is there for start-up speed only, and says so in a comment.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"migrator": ROOT / "migrator", "ft_migrate_codemods": ROOT / "codemods"}
# Being rewritten on the standard ast by another change, which settles their late imports.
REWRITTEN = {"migrator/scan/python.py", "migrator/scan/runner.py", "migrator/scan/prefilter.py",
             "migrator/scan/reduce.py"}


def _modules() -> dict[str, Path]:
    out = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = [package, *path.relative_to(folder).with_suffix("").parts]
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


MODULES = _modules()


def _run_imports(tree: ast.AST):
    """The import statements that run, wherever they are, except under ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in _run_imports(ast.Module([child], [])))
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        yield from _run_imports(node)


def _targets(name: str, path: Path, node: ast.Import | ast.ImportFrom) -> set[str]:
    if isinstance(node, ast.Import):
        wanted = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            parts = name.split(".")[:None if path.name == "__init__.py" else -1]
            parts = parts[:len(parts) - node.level + 1]
            base = ".".join([*parts, *([node.module] if node.module else [])])
        wanted = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
    out = set()
    for target in wanted:
        while target not in MODULES and "." in target:
            target = target.rsplit(".", 1)[0]
        if target not in MODULES or target == name:
            continue
        out.add(target)
        parts = target.split(".")
        out |= {p for i in range(1, len(parts)) if (p := ".".join(parts[:i])) in MODULES
                and not f"{name}.".startswith(f"{p}.")}  # a package's own modules are run by it
    return out


def import_graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[name] = set().union(*(_targets(name, path, n) for n in _run_imports(tree)))
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def test_cycles_are_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_a_late_import_counts_and_a_package_is_run_on_the_way(tmp_path):
    tree = ast.parse("def f():\n    from ft_migrate_codemods._base import todo_text\n"
                     "if TYPE_CHECKING:\n    from migrator.shim.translate import Shim\n")
    found = set().union(*(_targets("migrator.fix.cli_lines", MODULES["migrator.fix.cli_lines"], n)
                          for n in _run_imports(tree)))
    assert found == {"ft_migrate_codemods._base", "ft_migrate_codemods"}


def test_no_import_circles():
    assert cycles(import_graph()) == []


def test_an_import_inside_a_function_says_why():
    bare: set[str] = set()
    for name, path in MODULES.items():
        shown = path.relative_to(ROOT).as_posix()
        if shown in REWRITTEN:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for fn in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            body = [n for stmt in fn.body for n in ast.walk(stmt)]
            for node in (n for n in body if isinstance(n, (ast.Import, ast.ImportFrom))):
                above = node.lineno - 2  # the comment may head the group of imports this one is in
                while above >= 0 and (lines[above].strip().startswith(("from ", "import ", ")"))
                                      or not lines[above].strip()):
                    above -= 1
                if "#" not in lines[node.lineno - 1] and not lines[above].strip().startswith("#"):
                    bare.add(f"{shown}:{node.lineno}")
    assert sorted(bare) == []


# The modules of the data part others may read: its package (the tokenizer-backed API,
# loaded on first use) and the helpers that need no extra.
DATA_FACE = {"migrator.data", "migrator.data.conventions", "migrator.data.target", "migrator.data.discover",
             "migrator.data.retrain"}


def test_other_parts_reach_the_data_part_through_its_face():
    reaching = []
    for name, path in MODULES.items():
        if name.startswith("migrator.data"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _run_imports(tree):
            inside = {t for t in _targets(name, path, node) if t.startswith("migrator.data.")} - DATA_FACE
            reaching += [f"{name} -> {t}" for t in sorted(inside)]
    assert reaching == []
