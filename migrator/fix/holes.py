"""Punch the statements no codemod can touch out of a large module, and put them back.

Each codemod resolves LibCST scope and qualified-name metadata over the whole
module, which costs seconds on a large file whose one legacy call sits in one
function.  The dull statements (migrator/fix/dull.py:
no catalog word, client, response field, status or model argument in them) cannot
be changed by a codemod either, so each run of them is replaced by a one-line
placeholder before the codemods run and restored byte for byte afterwards.

A dull statement can still steer a codemod through scope: ``session =
requests.Session()`` makes ``session.post(...)`` an HTTP call, ``view = job`` makes
``view["hyperparams"]`` a legacy response, a function that reads ``params`` means
the dict is not only a ``**params``.  So a statement that binds a name the kept code
reads, or reads a name the kept code binds, stays (until nothing more changes).
Names count where Python resolves them, as LibCST's scope analysis does: a
function's parameters and local variables are its own, only the names it reads
without binding (or declares ``global``) reach the module, so a method's local
``missing`` does not tie it to a module-level ``missing``.

The placeholders carry a random nonce, so they cannot collide with the user's code;
if a codemod's output lost or duplicated one, the caller falls back to the whole
module.
"""

from __future__ import annotations

import ast
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from migrator.catalog import Catalog
from migrator.fix.dull import LINE, dull_statements, statement_span

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_TYPING = ("typing", "typing_extensions")
# typing calls whose string arguments LibCST's scope analysis reads as type hints.
_HINT_CALLS = frozenset({"cast", "TypeVar", "NewType"})


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
    try:
        spans = _unbound([(first, last) for first, last, _ in found if first > first_line], tree)
    except RecursionError:  # scopes nested too deep to follow: transform the whole module
        return None
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
    hints = _Hints.of(tree)
    nodes: dict[tuple[int, int], ast.stmt] = {}
    for node in _candidates(tree.body):
        nodes.setdefault(statement_span(node), node)  # a one-line class before its member
    names = {span: _names(nodes[span], hints) for span in spans}
    total_bound: Counter[str] = Counter()
    total_used: Counter[str] = Counter()
    for node in tree.body:
        bound, _, used = _names(node, hints)
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


def _names(node: ast.stmt, hints: _Hints) -> tuple[Counter[str], set[str], Counter[str]]:
    """(names bound, names imported, names read) by ``node`` in the namespace it runs in.

    That namespace is the module's or a class body's (the two are not told apart: a
    name is a name).  Names local to a function, lambda or comprehension inside
    ``node`` do not count; the names such a scope reads without binding them do, as
    Python (and LibCST's scope analysis) resolves them there, and so do the names it
    declares ``global``.
    """
    scope = _Scope("level")
    scope.walk([(node, _NEVER, None)], hints)
    scope.bound.update(scope.global_bound)
    scope.used.update(scope.global_used)
    return scope.bound, scope.imported, scope.used


@dataclass
class _Hints:
    """Where LibCST reads names out of strings: the typing names a module imports."""

    names: dict[str, str]  # local name -> name in typing
    star: bool  # ``from typing import *``: any subscripted name may be one

    @classmethod
    def of(cls, tree: ast.Module) -> _Hints:
        names: dict[str, str] = {}
        star = False
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in _TYPING:
                for alias in node.names:
                    star |= alias.name == "*"
                    names[alias.asname or alias.name] = alias.name
        return cls(names, star)

    def hint_args(self, call: ast.Call) -> list[ast.AST]:
        """The arguments of ``call`` that are type hints (``cast``'s first, ``TypeVar``'s others)."""
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else self.names.get(getattr(func, "id", None))
        if name not in _HINT_CALLS:
            return []
        args = [*call.args, *(k.value for k in call.keywords)]
        return args[:1] if name == "cast" else args[1:]

    def is_hint(self, subscript: ast.Subscript) -> bool:
        return isinstance(subscript.value, ast.Name) and (self.star or subscript.value.id in self.names)


# Positions (line, column) for LibCST's order of bindings and reads within a scope.
_ALWAYS = (0, 0)  # a parameter: bound before anything in the body runs
_NEVER = (float("inf"), 0)  # a binding LibCST does not order (a match capture): it covers no read
_LAST = (float("inf"), 1)  # a comprehension's element: read after all its targets are bound
_UNPLACED = (-1, 0)  # a name out of a string: no binding covers it


@dataclass
class _Scope:
    """The names one scope binds and reads, and what it leaves to the enclosing ones.

    ``kind``: "level" (the statement's own namespace: the module or a class body
    directly in it), "function" (a def or lambda), "class" (a class body inside a
    function) or "comprehension".

    LibCST (whose scope analysis the codemods read) resolves a read in a function or
    comprehension to the scope's own binding only when one came before it (in its
    visiting order, roughly the text's); otherwise to the enclosing scope, even when
    the name is bound later in the same scope (``use(x)`` then ``x = ...`` in a loop).
    So each such read keeps its position, and each name the position from which its
    first binding counts: a read not covered by one is left to the enclosing scope.
    """

    kind: str
    bound: Counter[str] = field(default_factory=Counter)
    # At level every read; elsewhere the reads left by nested scopes, resolved by name alone.
    used: Counter[str] = field(default_factory=Counter)
    reads: list[tuple[str, tuple[float, int]]] = field(default_factory=list)  # not at level: own reads
    covers: dict[str, tuple[float, int]] = field(default_factory=dict)  # not at level: first binding
    imported: set[str] = field(default_factory=set)  # at level only; elsewhere imports bind
    declared_global: set[str] = field(default_factory=set)
    declared_nonlocal: set[str] = field(default_factory=set)
    walrus: Counter[str] = field(default_factory=Counter)  # bound in the nearest non-comprehension scope
    global_bound: Counter[str] = field(default_factory=Counter)  # through ``global``, here or deeper
    global_used: Counter[str] = field(default_factory=Counter)

    def bind(self, name: str, cover: tuple[float, int]) -> None:
        self.bound[name] += 1
        if cover < self.covers.get(name, _NEVER):
            self.covers[name] = cover

    def read(self, name: str, at: tuple[float, int]) -> None:
        if self.kind == "level":
            self.used[name] += 1
        else:
            self.reads.append((name, at))

    def walk(self, items: Iterable[tuple[ast.AST, tuple[float, int], tuple[float, int] | None]],
             hints: _Hints) -> None:
        """Record the names of the nodes in ``items``, which run in this scope, and of the scopes they open.

        Each item is ``(node, cover, at)``: a name ``node`` binds counts from ``cover``
        (a statement's own end unless given), ``at`` overrides where it reads.
        """
        stack = list(items)
        while stack:
            n, cover, at = stack.pop()
            if isinstance(n, ast.stmt):
                cover = _end(n) if at is None else _NEVER
            if isinstance(n, ast.Name):
                if not isinstance(n.ctx, ast.Store):  # LibCST counts a ``del`` as a read
                    self.read(n.id, at or (n.lineno, n.col_offset))
                if isinstance(n.ctx, ast.Store) or (isinstance(n.ctx, ast.Del) and self.kind == "level"):
                    self.bind(n.id, cover)
                continue
            if isinstance(n, ast.NamedExpr) and isinstance(n.target, ast.Name):
                if self.kind == "comprehension":
                    self.walrus[n.target.id] += 1
                else:
                    self.bind(n.target.id, _end(n) if at is None else _NEVER)
                stack.append((n.value, cover, at))
                continue
            children: list[ast.AST] = []
            if isinstance(n, ast.Global):
                self.declared_global.update(n.names)
            elif isinstance(n, ast.Nonlocal):
                self.declared_nonlocal.update(n.names)
            elif isinstance(n, (ast.Import, ast.ImportFrom)):
                for alias in n.names:
                    name = (alias.asname or alias.name).split(".")[0]
                    if name == "*":
                        continue
                    if self.kind == "level":
                        self.imported.add(name)
                    else:
                        self.bind(name, cover)
            elif isinstance(n, (*_FUNCTIONS, ast.Lambda)):
                children = self._function(n, cover, hints)
            elif isinstance(n, ast.ClassDef):
                self.bind(n.name, cover)
                children = [*n.decorator_list, *n.bases, *n.keywords, *getattr(n, "type_params", ())]
                if self.kind == "level":
                    children += n.body  # a class body in the statement's namespace is that namespace
                else:
                    self._nested("class", [(s, _NEVER, None) for s in n.body], hints)
            elif isinstance(n, _COMPREHENSIONS):
                stack.append((n.generators[0].iter, cover, at))  # evaluated in the enclosing scope
                self._comprehension(n, hints)
            elif isinstance(n, (ast.For, ast.AsyncFor)):
                stack.append((n.target, _end(n.target) if at is None else _NEVER, at))
                children = [n.iter, *n.body, *n.orelse]
            elif isinstance(n, (ast.With, ast.AsyncWith)):
                for item in n.items:
                    if item.optional_vars is not None:
                        stack.append((item.optional_vars, _end(item.optional_vars) if at is None else _NEVER, at))
                children = [*(item.context_expr for item in n.items), *n.body]
            elif isinstance(n, ast.AnnAssign):
                stack.extend((h, _NEVER, _UNPLACED) for h in _string_hints(n.annotation))
                children = list(ast.iter_child_nodes(n))
            elif isinstance(n, ast.ExceptHandler):
                if n.name:
                    self.bind(n.name, (n.body[0].lineno, n.body[0].col_offset) if at is None else _NEVER)
                children = list(ast.iter_child_nodes(n))
            elif isinstance(n, (ast.MatchAs, ast.MatchStar, ast.MatchMapping)):
                name = n.rest if isinstance(n, ast.MatchMapping) else n.name
                if name:
                    self.bind(name, _NEVER)  # LibCST does not count a capture as bound before a read
                children = list(ast.iter_child_nodes(n))
            else:
                if isinstance(n, ast.Call):
                    for arg in hints.hint_args(n):
                        stack.extend((h, _NEVER, _UNPLACED) for h in _string_hints(arg))
                elif isinstance(n, ast.Subscript) and hints.is_hint(n):
                    stack.extend((h, _NEVER, _UNPLACED) for h in _string_hints(n.slice))
                children = list(ast.iter_child_nodes(n))
            stack.extend((child, cover, at) for child in children)

    def _function(self, n: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, cover: tuple[float, int],
                  hints: _Hints) -> list[ast.AST]:
        """Open the scope of ``n``; return its parts that run in this one (decorators, defaults, annotations)."""
        a = n.args
        params = [*a.posonlyargs, *a.args, *([a.vararg] if a.vararg else ()), *a.kwonlyargs,
                  *([a.kwarg] if a.kwarg else ())]
        outer: list[ast.AST] = [*a.defaults, *(d for d in a.kw_defaults if d is not None)]
        if isinstance(n, ast.Lambda):
            body: list[ast.AST] = [n.body]
        else:
            self.bind(n.name, cover)
            body = list(n.body)
            outer += [*n.decorator_list, *getattr(n, "type_params", ())]
            for annotation in [*(p.annotation for p in params), n.returns]:
                if annotation is not None:
                    outer.append(annotation)
                    # names out of a string hint are read from nowhere in particular, as elsewhere
                    self.walk([(h, _NEVER, _UNPLACED) for h in _string_hints(annotation)], hints)
        inner = _Scope("function")
        for p in params:
            inner.bind(p.arg, _ALWAYS)
        inner.walk([(node, _NEVER, None) for node in body], hints)
        self._take(inner)
        return outer

    def _comprehension(self, n: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp,
                       hints: _Hints) -> None:
        """Open the scope of ``n`` (all but its first iterable), in LibCST's order.

        The first target is bound before the rest is read; the others only once all
        the ``for``s and ``if``s are read, before the element (read last).
        """
        first, *rest = n.generators
        last = rest[-1] if rest else first
        tail = _end([last.iter, *last.ifs][-1])
        items: list[tuple[ast.AST, tuple[float, int], tuple[float, int] | None]] = [
            (first.target, _end(first.target), None), *((x, _NEVER, None) for x in first.ifs)]
        for g in rest:
            items += [(g.target, tail, None), (g.iter, _NEVER, None), *((x, _NEVER, None) for x in g.ifs)]
        items += [(x, _NEVER, _LAST) for x in ([n.key, n.value] if isinstance(n, ast.DictComp) else [n.elt])]
        inner = _Scope("comprehension")
        inner.walk(items, hints)
        self._take(inner)

    def _nested(self, kind: str, items: list[tuple[ast.AST, tuple[float, int], None]], hints: _Hints) -> None:
        inner = _Scope(kind)
        inner.walk(items, hints)
        self._take(inner)

    def _take(self, inner: _Scope) -> None:
        """Take over the names a scope nested in this one leaves to it.

        A function's locals stay in it, and a comprehension's targets.  A class body
        inside a function passes all its reads outward (which of them it binds first
        is not worth knowing).  A ``nonlocal`` name is bound by the enclosing function
        it names, where it is local.
        """
        local = set() if inner.kind == "class" else set(inner.bound)
        local -= inner.declared_global | inner.declared_nonlocal
        for name, at in inner.reads:
            if name in inner.declared_global:
                self.global_used[name] += 1
            elif name not in local or inner.covers.get(name, _NEVER) > at:
                self.used[name] += 1  # this scope resolves it by name
        for name, count in inner.used.items():
            if name in inner.declared_global:
                self.global_used[name] += count
            elif name not in local:
                self.used[name] += count
        for name, count in inner.bound.items():
            if name in inner.declared_global:
                self.global_bound[name] += count
        if self.kind == "comprehension":
            self.walrus.update(inner.walrus)
        else:
            for name, count in inner.walrus.items():
                self.bound[name] += count
                self.covers.setdefault(name, _NEVER)
        self.global_bound.update(inner.global_bound)
        self.global_used.update(inner.global_used)


def _end(node: ast.AST) -> tuple[float, int]:
    return node.end_lineno, node.end_col_offset


def _string_hints(node: ast.AST) -> list[ast.AST]:
    """The strings under ``node`` parsed as code, as LibCST parses a type hint (strings in them too).

    A string ``ast`` cannot parse gives its identifiers as reads, in case LibCST can.
    """
    found: list[ast.AST] = []
    for n in ast.walk(node):
        if isinstance(n, ast.Constant) and isinstance(n.value, (str, bytes)) and n.value:
            try:
                parsed = ast.parse(n.value)
            except (SyntaxError, ValueError, MemoryError, RecursionError):
                text = n.value.decode("latin-1") if isinstance(n.value, bytes) else n.value
                found += [ast.Name(word, ast.Load()) for word in re.findall(r"[^\W\d]\w*", text)]
                continue
            found += [parsed, *_string_hints(parsed)]
    return found


def _indent(line: str) -> str:
    return re.match(r"[ \t]*", line).group()


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")):] or "\n"
