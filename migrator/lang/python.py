"""A Python module on the standard ``ast``: names resolved by scope, positions, string tokens.

The scanner must find what the codemods rewrite, with the same name resolution
LibCST gives them (``import openai as oa``, ``from openai import FineTune as FT``,
``ft = openai.FineTune``, a default that flows into ``model=``), but a LibCST parse
plus its scope and qualified-name passes cost a hundred times what CPython's own
parser does on the same file.  :class:`Module` gives the scanner those answers on
an ``ast`` tree:

- scopes as Python (and LibCST) define them: module, class, function, lambda and
  comprehension; a name assigned anywhere in a function is local to all of it,
  class bodies are skipped by the functions nested in them, ``global`` and
  ``nonlocal`` redirect;
- :meth:`Module.qualified_names`: what a dotted expression names through the imports
  in view (``oa.FineTune.create`` → ``openai.FineTune.create``), by the longest
  bound prefix, as LibCST's ``QualifiedNameProvider`` answers;
- :meth:`Module.span`: 1-based line and character columns (``ast`` counts UTF-8
  bytes);
- :meth:`Module.string_parts`: the tokens of an implicitly concatenated string,
  each with its own text and span, since ``"text-" "davinci"`` is two strings to
  the reader and one constant to ``ast``.
"""

from __future__ import annotations

import ast
import gc
import io
import re
import tokenize
import warnings
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Iterable, Iterator, NamedTuple, Protocol

from migrator.lang.text import line_starts, word_offsets

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
STRINGS = (ast.Constant, ast.JoinedStr)
# Load/Store/Del markers and operators: nodes to ast, nothing to a rule or a scope.
# What parsing a source may raise: a syntax error, a NUL byte, nesting deeper than CPython takes.
PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError)
CONTEXTS = (ast.expr_context, ast.operator, ast.boolop, ast.cmpop, ast.unaryop)
# One string token (prefix, quotes and body), to tell it from an implicit concatenation.
_PREFIX = re.compile(r"[rRbBuUfF]*")
_BODIES = {q: re.compile(rf"(?:[^{q[0]}\\]|\\.|{q[0]}(?!{q[1:]}))*" if len(q) == 3 else rf"(?:[^{q}\\\n]|\\.)*",
                         re.DOTALL)
           for q in ('"""', "'''", '"', "'")}


class Span(NamedTuple):
    """1-based lines and character columns, the end exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


class QualifiedName(NamedTuple):
    name: str
    imported: bool  # named through an import (else a local assignment or a builtin)


@dataclass(eq=False)
class Binding:
    """One assignment of a name in a scope; ``node`` is the ``ast.Name``/``ast.arg``
    stored to, the import statement, or the function or class defined."""

    name: str
    node: ast.AST
    scope: "Scope"
    imported: str | None = None  # for an import: the dotted name the bound name stands for


@dataclass(eq=False)
class Scope:
    kind: str  # "module", "class", "function" or "comprehension"
    node: ast.AST
    parent: "Scope | None"
    prefix: str  # how LibCST prefixes the qualified names of locals: "f.<locals>", "C"
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    redirected: dict[str, "Scope"] = field(default_factory=dict)  # global / nonlocal names

    def bind(self, binding: Binding) -> None:
        self.bindings.setdefault(binding.name, []).append(binding)

    def qualify(self, name: str) -> str:
        """``name`` as LibCST names a local of this scope: ``f.<locals>.x``, ``C.x``."""
        return f"{self.prefix}.{name}" if self.prefix else name

    def lookup(self, name: str) -> list[Binding]:
        """The assignments ``name`` refers to from this scope (not flow-sensitive)."""
        if name in self.redirected:
            return self.redirected[name].lookup(name)
        if name in self.bindings:
            return self.bindings[name]
        parent = self.parent
        while parent is not None and parent.kind == "class" and self.kind != "class":
            parent = parent.parent  # a function does not see its class's body
        return parent.lookup(name) if parent is not None else []


def full_name(node: ast.AST) -> str | None:
    """``a.b.c`` for a dotted expression; a call or subscript is named by what it calls or indexes."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = full_name(node.value)
        return f"{inner}.{node.attr}" if inner is not None else None
    if isinstance(node, ast.Call):
        return full_name(node.func)
    if isinstance(node, ast.Subscript):
        return full_name(node.value)
    return None


def _parse(source: str) -> ast.Module:
    """``ast.parse`` without its warnings, and without the cyclic garbage collector running
    over and over while it allocates a node per token (none of which form a cycle)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        with warnings.catch_warnings():  # "invalid escape sequence" and the like are not ours to say
            warnings.simplefilter("ignore")
            return ast.parse(source)
    finally:
        if collecting:
            gc.enable()


class Module:
    """A parsed module with parents, scopes and positions; raises ``SyntaxError`` if it does not parse.

    ``tree`` may be given: the tree of ``source`` with some statements left out
    (:func:`parse_hot`), its positions those of ``source``; and ``starts``, the
    source's :func:`~migrator.lang.text.line_starts` if they are known already; and
    ``unnested_line`` (see :func:`unnested_indentation`), which :func:`parse_hot` finds."""

    def __init__(self, source: str, tree: ast.Module | None = None, starts: list[int] | None = None,
                 unnested_line: int | None = None):
        self.source = source
        self.tree = tree if tree is not None else _parse(source)
        self.ascii = source.isascii()
        self._line_starts = starts
        self.parents: dict[int, ast.AST] = {}
        self.scopes: dict[int, Scope] = {}  # id(node) -> the scope the node is evaluated in
        self.module_scope = Scope("module", self.tree, None, "")
        self._attribute_tables: dict[int, dict[str, list[ast.expr | None]]] = {}
        self.unnested_line = unnested_line  # see unnested_indentation (given by parse_hot)
        self._build()

    # -- positions ------------------------------------------------------------------
    def _column(self, line: int, byte_offset: int) -> int:
        if self.ascii:
            return byte_offset
        starts = self.line_starts()
        text = self.source[starts[line - 1]:starts[line] if line < len(starts) else len(self.source)]
        if text.isascii():
            return byte_offset
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", "replace"))

    def line_starts(self) -> list[int]:
        if self._line_starts is None:
            self._line_starts = line_starts(self.source)
        return self._line_starts

    def span(self, node: ast.AST) -> Span:
        return Span(node.lineno, self._column(node.lineno, node.col_offset) + 1,
                    node.end_lineno, self._column(node.end_lineno, node.end_col_offset) + 1)

    def segment(self, node: ast.AST) -> str:
        """The source text of ``node``."""
        return self.text_between(node.lineno, self._column(node.lineno, node.col_offset),
                                 node.end_lineno, self._column(node.end_lineno, node.end_col_offset))

    def parenthesized(self, node: ast.AST) -> bool:
        """Whether ``node``'s own span starts at ``(`` and ends at its ``)`` (a tuple's)."""
        first, last = node.elts[0], node.elts[-1]  # type: ignore[attr-defined]
        return ((first.lineno, first.col_offset) != (node.lineno, node.col_offset)
                and (last.end_lineno, last.end_col_offset) != (node.end_lineno, node.end_col_offset))

    def text_between(self, line: int, column: int, end_line: int, end_column: int) -> str:
        """Source text between two 1-based line / 0-based character positions."""
        starts = self.line_starts()
        return self.source[starts[line - 1] + column:starts[end_line - 1] + end_column]

    # -- scopes ---------------------------------------------------------------------
    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(id(node))

    def scope_of(self, node: ast.AST) -> Scope:
        return self.scopes.get(id(node), self.module_scope)

    def lookup(self, node: ast.AST, name: str) -> list[Binding]:
        return self.scope_of(node).lookup(name)

    def qualified_names(self, node: ast.AST) -> set[QualifiedName]:
        """What a dotted expression names, as LibCST's ``QualifiedNameProvider`` says.

        The longest dotted prefix bound in view decides; an import gives the name it
        imports plus the rest (``oa.FineTune`` → ``openai.FineTune``), a local
        assignment the local's own prefixed name."""
        name = full_name(node)
        if name is None:
            return set()
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            return {QualifiedName(self.scope_of(node).qualify(name), False)}
        scope = self.scope_of(node)
        prefix: str | None = name
        bindings: list[Binding] = []
        while prefix:
            bindings = scope.lookup(prefix)
            if bindings:
                break
            prefix = prefix.rpartition(".")[0] or None
        out: set[QualifiedName] = set()
        for b in bindings:
            if b.imported is None:
                out.add(QualifiedName(b.scope.qualify(name), False))
                continue
            rest = name[len(b.name):]
            if rest and not rest.startswith("."):
                continue
            out.add(QualifiedName(b.imported + rest, True))
        return out

    def names(self, node: ast.AST) -> set[str]:
        return {q.name for q in self.qualified_names(node)}

    def default_of(self, arg: ast.arg) -> ast.expr | None:
        """The default value of a function parameter, or None."""
        func = self.parent(arg)
        if not isinstance(func, (*FUNCTIONS, ast.Lambda)):
            return None
        args = func.args
        positional = args.posonlyargs + args.args
        if arg in positional:
            k = positional.index(arg) - (len(positional) - len(args.defaults))
            return args.defaults[k] if k >= 0 else None
        if arg in args.kwonlyargs:
            return args.kw_defaults[args.kwonlyargs.index(arg)]
        return None

    def self_attribute_value(self, node: ast.AST) -> ast.expr | None:
        """The one value ``self.<name>`` was bound to in its class's methods, else None.

        Services keep the SDK resource on the object (``self.ft = openai.FineTune`` in
        ``__init__``, ``self.ft.create(...)`` in a method); the attribute is followed when
        every binding of it in the class's methods is that one plain assignment (a second
        assignment, ``+=`` or a tuple target make it unknown), as the codemods follow it."""
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
            return None
        scope = self.scope_of(node.value)
        if scope.kind != "function" or scope.parent is None or scope.parent.kind != "class":
            return None
        method = scope.node
        if not (isinstance(method, FUNCTIONS) and method.args.args and method.args.args[0].arg == node.value.id):
            return None
        bindings = scope.lookup(node.value.id)
        if len(bindings) != 1 or bindings[0].node is not method.args.args[0]:
            return None  # ``self`` rebound in the method
        values = self._self_attributes(scope.parent.node).get(node.attr, [])
        return values[0] if len(values) == 1 else None

    def _self_attributes(self, cls: ast.ClassDef) -> dict[str, list[ast.expr | None]]:
        """Every binding of ``self.<name>`` in the methods of ``cls`` (None: not a plain value)."""
        table = self._attribute_tables.get(id(cls))
        if table is not None:
            return table
        table = self._attribute_tables[id(cls)] = {}
        for method in cls.body:
            if not (isinstance(method, FUNCTIONS) and method.args.args):
                continue
            me = method.args.args[0].arg
            todo: list[ast.AST] = list(method.body)
            while todo:
                stmt = todo.pop()
                if isinstance(stmt, ast.ClassDef):
                    continue  # a nested class has its own self
                if isinstance(stmt, ast.Assign):
                    for t in stmt.targets:
                        _bind_self(me, t, stmt.value if len(stmt.targets) == 1 else None, table)
                elif isinstance(stmt, ast.AugAssign):
                    _bind_self(me, stmt.target, None, table)
                elif isinstance(stmt, ast.AnnAssign):
                    _bind_self(me, stmt.target, stmt.value, table)
                todo.extend(ast.iter_child_nodes(stmt))
        return table

    def _build(self) -> None:
        """One walk: parents, the scope of every node, and every binding."""
        todo: list[tuple[ast.AST, Scope]] = [(self.tree, self.module_scope)]
        parents, scopes = self.parents, self.scopes
        redirecting: list[Scope] = []
        while todo:
            node, scope = todo.pop()
            scopes[id(node)] = scope
            if isinstance(node, (ast.Global, ast.Nonlocal)):
                redirecting.append(scope)
            inner = self._enter(node, scope)
            for child, child_scope in inner:
                parents.setdefault(id(child), node)  # a comprehension's parts already have theirs
                todo.append((child, child_scope))
        for scope in redirecting:  # ``global x; x = ...`` binds the module's x
            for name, target in scope.redirected.items():
                for binding in scope.bindings.pop(name, ()):
                    binding.scope = target
                    target.bind(binding)

    def _enter(self, node: ast.AST, scope: Scope) -> list[tuple[ast.AST, Scope]]:
        """Record what ``node`` binds; its children, each with the scope it is evaluated in."""
        if isinstance(node, FUNCTIONS) or isinstance(node, ast.Lambda):
            name = getattr(node, "name", "<lambda>")
            if not isinstance(node, ast.Lambda):
                scope.bind(Binding(name, node, scope))
            inner = Scope("function", node, scope, scope.qualify(f"{name}.<locals>"))
            args = node.args
            out: list[tuple[ast.AST, Scope]] = [(d, scope) for d in getattr(node, "decorator_list", ())]
            out += [(d, scope) for d in args.defaults + [d for d in args.kw_defaults if d is not None]]
            for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
                if a is not None:
                    inner.bind(Binding(a.arg, a, inner))
                    out.append((a, inner))
                    if a.annotation is not None:
                        out.append((a.annotation, scope))
            if getattr(node, "returns", None) is not None:
                out.append((node.returns, scope))
            body = node.body if isinstance(node.body, list) else [node.body]
            out += [(b, inner) for b in body]
            return out
        if isinstance(node, ast.ClassDef):
            scope.bind(Binding(node.name, node, scope))
            inner = Scope("class", node, scope, scope.qualify(node.name))
            out = [(d, scope) for d in node.decorator_list] + [(b, scope) for b in node.bases]
            out += [(k, scope) for k in node.keywords] + [(b, inner) for b in node.body]
            return out
        if isinstance(node, COMPREHENSIONS):
            inner = Scope("comprehension", node, scope, scope.qualify("<comprehension>"))
            gens = node.generators
            out = [(gens[0].iter, scope)]
            for i, gen in enumerate(gens):
                out.append((gen.target, inner))
                if i:
                    out.append((gen.iter, inner))
                out += [(c, inner) for c in gen.ifs]
                for child in (gen.target, gen.iter, *gen.ifs):
                    self.parents[id(child)] = gen
                self.parents[id(gen)] = node
            elts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            return out + [(e, inner) for e in elts]
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            scope.bind(Binding(node.id, node, scope))
        elif isinstance(node, ast.NamedExpr):
            target = scope
            while target.kind == "comprehension" and target.parent is not None:
                target = target.parent
            target.bind(Binding(node.target.id, node.target, target))
            return [(node.value, scope)]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    scope.bind(Binding(alias.asname, node, scope, alias.name))
                else:
                    parts = alias.name.split(".")
                    for i in range(len(parts), 0, -1):
                        dotted = ".".join(parts[:i])
                        scope.bind(Binding(dotted, node, scope, dotted))
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.name == "*":
                    continue
                real = f"{module}{alias.name}" if module.endswith(".") or not module else f"{module}.{alias.name}"
                scope.bind(Binding(alias.asname or alias.name, node, scope, real))
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            target = self.module_scope if isinstance(node, ast.Global) else scope.parent
            while target is not None and target.kind == "class":
                target = target.parent
            for name in node.names:
                scope.redirected[name] = target or self.module_scope
        elif isinstance(node, ast.ExceptHandler) and node.name:
            scope.bind(Binding(node.name, node, scope))
        return [(child, scope) for child in ast.iter_child_nodes(node) if not isinstance(child, CONTEXTS)]

    # -- strings ----------------------------------------------------------------------
    def string_parts(self, node: ast.Constant | ast.JoinedStr) -> list[tuple[ast.AST, Span, str]]:
        """The string tokens of a literal: ``(node, span, source text)`` each.

        A single token is the node itself; an implicit concatenation is re-tokenised
        and each part parsed on its own (a part is an ``ast.Constant`` or an
        ``ast.JoinedStr`` with no position of its own: use the span given)."""
        text = self.segment(node)
        if single_token(text):
            return [(node, self.span(node), text)]
        out: list[tuple[ast.AST, Span, str]] = []
        start_line, start_col = node.lineno, self._column(node.lineno, node.col_offset)
        for (row, col), (end_row, end_col), token in _string_tokens(text):
            part = ast.parse(token.lstrip() if "\n" not in token else token, mode="eval").body
            line = start_line + row - 1
            column = col + (start_col if row == 1 else 0)
            end_line = start_line + end_row - 1
            end_column = end_col + (start_col if end_row == 1 else 0)
            out.append((part, Span(line, column + 1, end_line, end_column + 1), token))
        return out


class Hot(Protocol):
    """What makes a statement worth reading (:class:`migrator.scan.prefilter.StatementMatcher`)."""

    def search(self, text: str) -> bool: ...

    def offsets(self, text: str) -> Iterable[int]: ...


def parse_hot(source: str, hot: Hot) -> Module:
    """``source`` parsed, with only its imports and the top-level statements that match
    ``hot`` (or use a name such a statement or import binds, or assign a name such a
    statement reads) left in the tree.

    A legacy call usually sits in one function of a thousand-line module: the
    scopes and rules then look at that function and the imports, not at the
    other thousand lines.  The whole source is parsed all the same, so a syntax
    error anywhere is still the file's.  Raises ``SyntaxError`` as :class:`Module` does.
    """
    tree = _parse(source)
    starts = line_starts(source)
    unnested = unnested_indentation(tree, source, starts) if "\t" in source and TAB_INDENT.search(source) else None
    body = tree.body
    if len(body) < 2:
        return Module(source, tree, starts, unnested)
    firsts = [min([n.lineno, *(d.lineno for d in getattr(n, "decorator_list", ()))]) for n in body]
    lasts = [n.end_lineno or n.lineno for n in body]
    keep = [isinstance(n, (ast.Import, ast.ImportFrom)) for n in body]

    def mark(offsets: Iterable[int]) -> bool:
        marked = False
        for at in offsets:
            line = bisect_right(starts, at)
            k = bisect_right(firsts, line) - 1
            while k >= 0 and lasts[k] >= line:  # statements sharing the line before it, too
                if not keep[k]:
                    keep[k] = marked = True
                k -= 1
        return marked

    mark(hot.offsets(source))
    names: set[str] = set()
    while True:
        new = _bound_at_top([n for n, kept in zip(body, keep) if kept], hot) - names
        names |= new
        if not new or not mark(word_offsets(source, new)):
            break
    # A value a kept statement reads by name (``prompt=PROMPTS``, ``PROMPTS = [...]`` above):
    # rules look at what such a name was assigned.
    read = {n.id for node, kept in zip(body, keep) if kept for n in ast.walk(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    for k, node in enumerate(body):
        if not keep[k] and isinstance(node, (ast.Assign, ast.AnnAssign)) and _stores(node) & read:
            keep[k] = True
    tree.body = [n for n, kept in zip(body, keep) if kept]
    return Module(source, tree, starts, unnested)


# A line indented with a tab somewhere in its leading whitespace.
TAB_INDENT = re.compile(r"^[ \f]*\t", re.MULTILINE)


def unnested_indentation(tree: ast.Module, source: str, starts: list[int]) -> int | None:
    """The first line of a block whose indentation does not start with that of the line
    opening the block (a ``\t`` block holding a line indented with spaces), else None.

    CPython reads such a file (a tab counts as up to eight columns), LibCST's tokenizer
    does not: fix cannot parse it, so nothing in it is fixable."""
    def indent(lineno: int) -> str:
        end = starts[lineno] if lineno < len(starts) else len(source)
        text = source[starts[lineno - 1]:end]
        return text[:len(text) - len(text.lstrip(" \t\f"))]

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.match_case):
            opener = node.pattern.lineno
        elif isinstance(node, (ast.stmt, ast.ExceptHandler)):
            opener = node.lineno
        else:
            continue
        outer = indent(opener)
        for name in ("body", "orelse", "finalbody"):
            for child in getattr(node, name, ()):
                if isinstance(child, ast.stmt) and child.lineno > opener and not indent(child.lineno).startswith(outer):
                    found.append(child.lineno)
    return min(found, default=None)


def _stores(node: ast.stmt) -> set[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]  # type: ignore[attr-defined]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _bound_at_top(body: list[ast.stmt], hot: Hot) -> set[str]:
    """Names the kept module-level statements bind, and what interesting imports bind:
    their uses elsewhere may be what a rule follows (``FT.list()`` after ``from openai
    import FineTune as FT``, ``ft.list()`` after ``ft = openai.FineTune``)."""
    names: set[str] = set()
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            module = getattr(node, "module", None) or ""
            names |= {(a.asname or a.name).split(".")[0] for a in node.names
                      if a.name != "*" and (hot.search(module) or hot.search(a.name))}
        elif not isinstance(node, (*FUNCTIONS, ast.ClassDef)):
            for n in ast.walk(node):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    names.add(n.id)
    return names


def _bind_self(me: str, target: ast.AST, value: ast.expr | None, table: dict) -> None:
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == me:
        table.setdefault(target.attr, []).append(value)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            _bind_self(me, element, None, table)


def single_token(text: str) -> bool:
    """Whether ``text`` (a string literal's source) is one token, not ``"a" "b"``."""
    prefix = _PREFIX.match(text).end()
    quote = text[prefix:prefix + 3]
    if quote not in ('"""', "'''"):
        quote = text[prefix:prefix + 1]
    body = text[prefix + len(quote):len(text) - len(quote)]
    if len(text) < prefix + 2 * len(quote) or not text.endswith(quote):
        return False
    return _BODIES[quote].fullmatch(body) is not None


def _string_tokens(text: str) -> Iterator[tuple[tuple[int, int], tuple[int, int], str]]:
    """The string tokens of an implicit concatenation, with positions relative to ``text``
    (f-strings are one token before Python 3.12 and several after)."""
    lines = io.StringIO(text).readlines()  # the lines tokenize reads
    opened: tuple[int, int] | None = None
    depth = 0
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        kind = tokenize.tok_name.get(tok.type, "")
        if kind == "STRING" and not depth:
            yield tok.start, tok.end, tok.string
        elif kind == "FSTRING_START":
            opened = opened or tok.start
            depth += 1
        elif kind == "FSTRING_END" and (depth := depth - 1) == 0 and opened is not None:
            (row, col), (end_row, end_col) = opened, tok.end
            if row == end_row:
                token = lines[row - 1][col:end_col]
            else:
                token = lines[row - 1][col:] + "".join(lines[row:end_row - 1]) + lines[end_row - 1][:end_col]
            yield opened, tok.end, token
            opened = None
