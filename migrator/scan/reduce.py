"""Blank out the parts of a large module that cannot hold a finding, before LibCST sees it.

LibCST's metadata passes (scope, qualified names, positions) cost time in
proportion to the whole module, though a legacy call usually sits in one
function of a thousand-line file.  Every finding the Python scanner makes lies
in a statement whose text mentions something the catalog knows (the byte
prefilter's words), an OpenAI client, a response field or a legacy status, and
the names it resolves come from imports or from such statements.  So top-level
statements and class members that mention none of these are blanked out
(imports are always kept; a class member becomes ``pass`` so the class body stays
valid).  Columns of everything kept are unchanged and a line map gives back the
original line numbers, so the findings are exactly those of the full module: tests/scan/test_reduce.py and
bench/bench_scan.py compare both.

``ast`` (CPython's C parser) finds statement spans cheaply; where it cannot
parse the source, the source is returned unchanged and LibCST decides.
"""

from __future__ import annotations

import ast
import functools
import re

from migrator.catalog import Catalog
from migrator.scan import prefilter

# Lines as Python's tokenizer counts them (str.splitlines also splits on \f and \x1c).
LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")
# Below this many lines a module is parsed whole: the saving would not pay for ast.
MIN_LINES = 200


@functools.lru_cache(maxsize=8)
def _interesting(catalog: Catalog) -> re.Pattern[str]:
    code = prefilter.patterns(catalog)["code"].pattern.decode()
    fields = "|".join(re.escape(f) for f in catalog.response_fields)
    statuses = "|".join(re.escape(s) for s in catalog.statuses["legacy_only"])
    # model=/engine= arguments: a constant holding a legacy model may flow into one.
    return re.compile(rf"{code}|(?i:openai)|\b(?:{fields})\b|[\"'](?:{statuses})[\"']"
                      r"|\b(?:model|engine)\s*=")


def reduce_source(source: str, catalog: Catalog) -> tuple[str, list[int] | None]:
    """``source`` without the statements that cannot matter, and where its lines came from.

    Returns ``(reduced, origin)``: ``origin[k]`` is the 1-based line of ``source`` that
    line ``k + 1`` of ``reduced`` came from, or ``origin`` is None when nothing was
    removed.  Dropped lines are removed rather than blanked: LibCST keeps every
    blank line as a node that each metadata pass visits.
    """
    lines = LINE.findall(source)
    dull = dull_statements(source, lines, catalog)
    if not dull:
        return source, None
    tree, drop = dull
    replaced: dict[int, str | None] = {}
    # Blank and comment lines between top-level statements go too (inside a statement
    # they may belong to a string, so those stay).
    inside = {i for first, last in map(statement_span, tree.body) for i in range(first, last + 1)}
    for i, line in enumerate(lines, 1):
        if i not in inside and (not line.strip() or line.lstrip().startswith("#")):
            replaced[i] = None
    for first, last, needs_pass in drop:
        for i in range(first, last + 1):
            replaced[i] = None
        if needs_pass:
            indent = re.match(r"[ \t]*", lines[first - 1]).group()
            replaced[first] = f"{indent}pass{_ending(lines[first - 1])}"
    out: list[str] = []
    origin: list[int] = []
    for i, line in enumerate(lines, 1):
        line = replaced.get(i, line)
        if line is not None:
            out.append(line)
            origin.append(i)
    return "".join(out), origin


def dull_statements(source: str, lines: list[str], catalog: Catalog, extra: tuple[str, ...] = ()
                    ) -> tuple[ast.Module, list[tuple[int, int, bool]]] | None:
    """The statements of a large module that cannot hold a finding, or None.

    Returns the ``ast`` tree and ``(first, last, is_class_member)`` 1-based line spans,
    in source order: top-level statements (imports excepted) and members of interesting
    classes that mention nothing interesting and own their lines.  ``fix`` punches the
    same spans out as holes (migrator/fix/holes.py); its ``extra`` words (the old
    names of ``--model-map``) are interesting too.
    """
    if len(lines) < MIN_LINES:
        return None
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    rx = _interesting(catalog)
    hot = {i for i, line in enumerate(lines, 1) if rx.search(line) or any(w in line for w in extra)}
    drop: list[tuple[int, int, bool]] = []
    _collect(tree.body, hot, drop, in_class=False)
    return (tree, sorted(drop)) if drop else None


def statement_span(node: ast.stmt) -> tuple[int, int]:
    """The 1-based first and last line of ``node``, its decorators included."""
    decorators = getattr(node, "decorator_list", ())
    return min([node.lineno, *(d.lineno for d in decorators)]), node.end_lineno or node.lineno


def _collect(body: list[ast.stmt], hot: set[int], drop: list[tuple[int, int, bool]], in_class: bool) -> None:
    spans = [statement_span(node) for node in body]
    for i, node in enumerate(body):
        first, last = spans[i]
        shares_line = (i > 0 and spans[i - 1][1] >= first) or (i + 1 < len(body) and spans[i + 1][0] <= last)
        if isinstance(node, (ast.Import, ast.ImportFrom)) or shares_line:
            continue
        if not any(first <= n <= last for n in hot):
            drop.append((first, last, in_class))
        elif isinstance(node, ast.ClassDef):
            _collect(node.body, hot, drop, in_class=True)


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")):]
