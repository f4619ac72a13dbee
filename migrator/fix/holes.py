"""Punch the statements no codemod can touch out of a large module, and put them back.

Each codemod resolves LibCST scope and qualified-name metadata over the whole
module, which costs seconds on a large file whose one legacy call sits in one
function.  The statements the scan would not even parse (migrator/scan/reduce.py:
no catalog word, client, response field, status or model argument in them) cannot
be changed by a codemod either, so each run of them is replaced by a one-line
placeholder before the codemods run and restored byte for byte afterwards.

A dull statement can still steer a codemod through scope: ``session =
requests.Session()`` makes ``session.post(...)`` an HTTP call, ``view = job`` makes
``view["hyperparams"]`` a legacy response, a function that reads ``params`` means
the dict is not only a ``**params``.  So a statement that binds a name the kept code
reads, or reads a name the kept code binds, stays (until nothing more changes).

The placeholders carry a random nonce, so they cannot collide with the user's code;
if a codemod's output lost or duplicated one, the caller falls back to the whole
module.
"""

from __future__ import annotations

import ast
import re
import secrets
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from migrator.catalog import Catalog
from migrator.scan.reduce import LINE, dull_statements, statement_span

# Scopes whose own bindings do not land in the enclosing namespace.
_INNER_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp, ast.SetComp,
                 ast.DictComp, ast.GeneratorExp)


@dataclass(frozen=True)
class Punched:
    """A module with holes, and the text each hole stands for."""

    source: str
    holes: dict[str, str]  # placeholder line (with its line ending) -> original text

    def restore(self, code: str) -> str | None:
        """``code`` with every hole filled back, or None unless each placeholder is there exactly once."""
        lines = LINE.findall(code)
        seen: Counter[str] = Counter()
        for i, line in enumerate(lines):
            original = self.holes.get(line)
            if original is not None:
                lines[i] = original
                seen[line] += 1
        if len(seen) != len(self.holes) or any(n != 1 for n in seen.values()):
            return None
        return "".join(lines)


def punch(source: str, catalog: Catalog, extra: tuple[str, ...] = ()) -> Punched | None:
    """``source`` with its dull statements replaced by placeholders, or None if none are.

    ``extra``: more interesting words (the old names of ``--model-map``).
    """
    lines = LINE.findall(source)
    dull = dull_statements(source, lines, catalog, extra)
    if dull is None:
        return None
    tree, found = dull
    # The first statement stays: a docstring or `from __future__` must remain first, and
    # import insertion looks for the docstring.
    first_line = statement_span(tree.body[0])[0]
    spans = _unbound([(first, last) for first, last, _ in found if first > first_line], tree)
    nonce = secrets.token_hex(6)
    holes: dict[str, str] = {}
    out: list[str] = []
    cursor = 1
    for first, last in _runs(spans, lines):
        original = "".join(lines[first - 1:last])
        if not original.endswith(("\n", "\r")):
            break  # a last statement without a newline: not worth the special case
        out.extend(lines[cursor - 1:first - 1])
        indent = re.match(r"[ \t]*", lines[first - 1]).group()
        placeholder = f"{indent}__ft_migrate_hole_{nonce}_{len(holes)}__ = 0{_ending(lines[last - 1])}"
        holes[placeholder] = original
        out.append(placeholder)
        cursor = last + 1
    if not holes:
        return None
    out.extend(lines[cursor - 1:])
    return Punched("".join(out), holes)


def _runs(spans: list[tuple[int, int]], lines: list[str]) -> Iterable[tuple[int, int]]:
    """Merge spans of sibling statements separated only by blank and comment lines.

    Same indentation and nothing but blank/comment lines between them means no other
    statement lies between, so one placeholder can stand for all of them.
    """
    run: tuple[int, int] | None = None
    for first, last in spans:
        if run is not None and _indent(lines[run[0] - 1]) == _indent(lines[first - 1]) and all(
                not line.strip() or line.lstrip().startswith("#") for line in lines[run[1]:first - 1]):
            run = (run[0], last)
            continue
        if run is not None:
            yield run
        run = (first, last)
    if run is not None:
        yield run


def _unbound(spans: list[tuple[int, int]], tree: ast.Module) -> list[tuple[int, int]]:
    """``spans`` without the statements whose names tie them to the code that stays."""
    nodes: dict[tuple[int, int], ast.stmt] = {}
    for node in _candidates(tree.body):
        nodes.setdefault(statement_span(node), node)  # a one-line class before its member
    names = {span: _names(nodes[span]) for span in spans}
    total_bound: Counter[str] = Counter()
    total_used: Counter[str] = Counter()
    for node in tree.body:
        bound, _, used = _names(node)
        total_bound.update(bound)
        total_used.update(used)
    while True:
        kept_bound, kept_used = Counter(total_bound), Counter(total_used)
        for span in spans:
            kept_bound.subtract(names[span][0])
            kept_used.subtract(names[span][2])
        tied = {span for span in spans
                if any(kept_used[n] > 0 for n in (*names[span][0], *names[span][1]))
                or any(kept_bound[n] > 0 for n in names[span][2])}
        if not tied:
            return spans
        spans = [span for span in spans if span not in tied]


def _candidates(body: list[ast.stmt]) -> Iterable[ast.stmt]:
    for node in body:
        yield node
        if isinstance(node, ast.ClassDef):
            yield from _candidates(node.body)


def _names(node: ast.stmt) -> tuple[Counter[str], set[str], Counter[str]]:
    """(names bound, names imported, names read) by ``node`` in its own namespace.

    Reads anywhere count (a function body may read a global); bindings inside nested
    functions, classes and comprehensions do not, except ``global`` ones.
    """
    bound: Counter[str] = Counter()
    imported: set[str] = set()
    used: Counter[str] = Counter()
    stack: list[tuple[ast.AST, bool]] = [(node, True)]
    while stack:
        n, level = stack.pop()
        if isinstance(n, ast.Name):
            if isinstance(n.ctx, ast.Load):
                used[n.id] += 1
            elif level:
                bound[n.id] += 1
        elif isinstance(n, ast.Global):
            bound.update(n.names)
        elif level and isinstance(n, (ast.Import, ast.ImportFrom)):
            imported.update((a.asname or a.name).split(".")[0] for a in n.names)
        elif level and isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound[n.name] += 1
        elif level and isinstance(n, ast.ExceptHandler) and n.name:
            bound[n.name] += 1
        inner = level and not isinstance(n, _INNER_SCOPES)
        stack.extend((child, inner) for child in ast.iter_child_nodes(n))
    return bound, imported, used


def _indent(line: str) -> str:
    return re.match(r"[ \t]*", line).group()


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")):] or "\n"
