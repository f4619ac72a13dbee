"""The statements of a module that cannot hold a finding, for ``fix`` to leave out.

LibCST's metadata passes (scope, qualified names, positions) cost time in
proportion to the whole module, though a legacy call usually sits in one
function of a thousand-line file.  Every site a codemod rewrites lies in a
statement whose text mentions something the catalog knows (the byte prefilter's
words), an OpenAI client, a response field or a legacy status, and the names it
resolves come from imports or from such statements.  So top-level statements and
class members that mention none of these, nor a name that an interesting import
or statement binds (``FT`` of ``from openai import FineTune as FT``), are dull:
:mod:`migrator.fix.holes` punches them out before LibCST sees the module.

``ast`` (CPython's C parser) finds statement spans cheaply; where it cannot
parse the source, nothing is dull and LibCST decides.
"""

from __future__ import annotations

import ast
import bisect
import re

from migrator.catalog import Catalog
from migrator.lang.python import PARSE_ERRORS
from migrator.lang.text import line_starts, word_offsets
from migrator.scan import prefilter

# Lines as Python's tokenizer counts them (str.splitlines also splits on \f and \x1c).
LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")


_STORE_OP = r"(?:[-+*/%&|^@]|//|\*\*|<<|>>)?=(?!=)"
_SELF_STORE = re.compile(rf"\bself\.(\w+)\s*{_STORE_OP}")


def dull_statements(source: str, lines: list[str], catalog: Catalog, extra: tuple[str, ...] = ()
                    ) -> tuple[ast.Module, list[tuple[int, int, bool]]] | None:
    """The statements of a module that cannot hold a finding, or None.

    Small modules too: ``ast`` parses a 200-line module in about a millisecond,
    while LibCST's metadata passes over it cost tens.

    Returns the ``ast`` tree and ``(first, last, is_class_member)`` 1-based line spans,
    in source order: top-level statements (imports excepted) and members of interesting
    classes that mention nothing interesting and own their lines.  ``extra`` words (the
    old names of ``--model-map``) are interesting too.

    The names that interesting imports bind make their uses interesting; names that
    assignments bind are tied scope-exactly by :mod:`migrator.fix.holes` itself.
    """
    try:
        tree = ast.parse(source)
    except PARSE_ERRORS:
        return None
    rx = prefilter.statement_matcher(catalog)
    starts = line_starts(source)
    hot = {bisect.bisect_right(starts, at) for at in rx.offsets(source)}
    hot |= {i for i, line in enumerate(lines, 1) if any(w in line for w in extra)}
    # A name an interesting statement binds makes its uses interesting: `from openai
    # import FineTune as FT` then `FT.create()`, `ft = openai.FineTune` then
    # `ft.list()`, and so on along a chain of such names.
    names: set[str] = set()
    while new := _bound_by(tree.body, hot, rx) - names:
        names |= new
        hot |= {bisect.bisect_right(starts, at) for at in word_offsets(source, new)}
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


def _bound_by(body: list[ast.stmt], hot: set[int], rx: prefilter.StatementMatcher) -> set[str]:
    """The names imported by the module- and class-level imports that touch ``hot`` lines.

    An import counts only for what it imports from something interesting (``import
    os; import openai as oa`` on one line binds ``oa``, not ``os``).
    """
    names: set[str] = set()
    for node in body:
        if isinstance(node, ast.ClassDef):
            names |= _bound_by(node.body, hot, rx)
            continue
        first, last = statement_span(node)
        if not isinstance(node, (ast.Import, ast.ImportFrom)) or not any(first <= n <= last for n in hot):
            continue
        module = getattr(node, "module", None) or ""
        names |= {(a.asname or a.name).split(".")[0] for a in node.names
                  if a.name != "*" and (rx.search(module) or rx.search(a.name))}
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
