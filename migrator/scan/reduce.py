"""Remove the parts of a module that cannot hold a finding, before LibCST sees it.

LibCST's metadata passes (scope, qualified names, positions) cost time in
proportion to the whole module, though a legacy call usually sits in one
function of a thousand-line file.  Every finding the Python scanner makes lies
in a statement whose text mentions something the catalog knows (the byte
prefilter's words), an OpenAI client, a response field or a legacy status, and
the names it resolves come from imports or from such statements.  So top-level
statements and class members that mention none of these, nor a name that an
interesting import or statement binds (``FT`` of ``from openai import FineTune as
FT``), are removed (imports are always kept; a class member becomes ``pass`` so
the class body stays valid).  Columns of everything kept are unchanged and a line map gives back the
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


_STORE_OP = r"(?:[-+*/%&|^@]|//|\*\*|<<|>>)?=(?!=)"
_SELF_STORE = re.compile(rf"\bself\.(\w+)\s*{_STORE_OP}")


def dull_statements(source: str, lines: list[str], catalog: Catalog, extra: tuple[str, ...] = (),
                    assignments: bool = True) -> tuple[ast.Module, list[tuple[int, int, bool]]] | None:
    """The statements of a module that cannot hold a finding, or None.

    Small modules too: ``ast`` parses a 200-line module in about a millisecond,
    while LibCST's metadata passes over it cost tens (measured: the 100 candidate
    files of the 1M-line benchmark scan in half the time when all are reduced).

    Returns the ``ast`` tree and ``(first, last, is_class_member)`` 1-based line spans,
    in source order: top-level statements (imports excepted) and members of interesting
    classes that mention nothing interesting and own their lines.  ``fix`` punches the
    same spans out as holes (migrator/fix/holes.py); its ``extra`` words (the old
    names of ``--model-map``) are interesting too.

    The names that interesting imports bind make their uses interesting, and with
    ``assignments`` so do the names interesting statements store, word for word.
    ``fix`` passes ``assignments=False``: it ties assigned names scope-exactly itself.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    rx = _interesting(catalog)
    hot = {i for i, line in enumerate(lines, 1) if rx.search(line) or any(w in line for w in extra)}
    # A name an interesting statement binds makes its uses interesting: `from openai
    # import FineTune as FT` then `FT.create()`, `ft = openai.FineTune` then
    # `ft.list()`, and so on along a chain of such names.
    names: set[str] = set()
    while new := _bound_by(tree.body, hot, rx, assignments) - names:
        names |= new
        word = re.compile(rf"\b(?:{'|'.join(map(re.escape, sorted(names)))})\b")
        hot |= {i for i, line in enumerate(lines, 1) if i not in hot and word.search(line)}
    # ``self.ft = openai.FineTune`` is followed only if it is the one binding of
    # ``self.ft`` (migrator/attribute_aliases.py): every other binding must stay in view.
    stored = {m.group(1) for i in hot for m in _SELF_STORE.finditer(lines[i - 1])}
    if stored:
        rebinding = re.compile(rf"\.\s*(?:{'|'.join(map(re.escape, sorted(stored)))})\s*{_STORE_OP}")
        hot |= {i for i, line in enumerate(lines, 1) if rebinding.search(line)}
    drop: list[tuple[int, int, bool]] = []
    _collect(tree.body, hot, drop, in_class=False)
    return (tree, sorted(drop)) if drop else None


def statement_span(node: ast.stmt) -> tuple[int, int]:
    """The 1-based first and last line of ``node``, its decorators included."""
    decorators = getattr(node, "decorator_list", ())
    return min([node.lineno, *(d.lineno for d in decorators)]), node.end_lineno or node.lineno


def _bound_by(body: list[ast.stmt], hot: set[int], rx: re.Pattern[str], assignments: bool) -> set[str]:
    """The names bound by the module- and class-level statements that touch ``hot`` lines.

    An import counts only for what it imports from something interesting (``import
    os; import openai as oa`` on one line binds ``oa``, not ``os``).  Functions and
    classes bind nothing here: the scanner follows no return value or class attribute,
    and what they bind inside stays inside.
    """
    names: set[str] = set()
    for node in body:
        first, last = statement_span(node)
        if isinstance(node, ast.ClassDef):
            names |= _bound_by(node.body, hot, rx, assignments)
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not any(first <= n <= last for n in hot):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            module = getattr(node, "module", None) or ""
            names |= {(a.asname or a.name).split(".")[0] for a in node.names
                      if a.name != "*" and (rx.search(module) or rx.search(a.name))}
            continue
        if not assignments:
            continue
        todo: list[ast.AST] = [node]
        while todo:
            n = todo.pop()
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                names.add(n.id)
            elif not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                todo.extend(ast.iter_child_nodes(n))
    return names


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
