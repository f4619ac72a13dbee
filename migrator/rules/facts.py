"""The facts pass: one walk over a module's ``ast`` tree, in source order, for every rule family.

It keeps what several families need (names by scope, which nodes are already
reported or are docstrings, whether the module imports ``openai`` or uses a client
or the legacy API, where each string token sits) and hands each node to the
families that watch its kind (:class:`migrator.rules.Family`); once the walk is
over, each family finishes in its order and the findings are returned sorted.
"""

from __future__ import annotations

import ast

from migrator.catalog import Catalog
from migrator.findings import Finding
from migrator.lang.python import CONTEXTS, FUNCTIONS, STRINGS, Module, single_token
from migrator.rules import Family
from migrator.scan.cli_lines import PLACEHOLDER  # stands for a non-literal piece of a command or URL
from migrator.scan.common import Span

# Kinds of node handed to the families as they are, and the hook that takes each.
NODE_HOOKS = {ast.Assign: "assign", ast.Subscript: "subscript", ast.Dict: "dict", ast.ClassDef: "class_def"}
Arg = tuple[str | None, ast.expr, str]  # (keyword, value, star: "", "*" or "**"), in source order


def arguments(call: ast.Call) -> list[Arg]:
    """A call's arguments as written, positional and keyword interleaved."""
    args: list[Arg] = [(None, a.value, "*") if isinstance(a, ast.Starred) else (None, a, "") for a in call.args]
    args += [(k.arg, k.value, "" if k.arg else "**") for k in call.keywords]
    if call.keywords and call.args:
        args.sort(key=lambda a: (a[1].lineno, a[1].col_offset))
    return args


class Facts:
    """One module, walked once for ``families`` (each a :class:`~migrator.rules.Family` subclass, in order)."""

    def __init__(self, module: Module, path: str, catalog: Catalog, families: list[type[Family]],
                 links: bool = False):
        self.m = module
        self.path = path
        self.catalog = catalog
        self.links = links  # leave the records migrator.scan.links joins across modules
        self.resource = catalog.sdk.v0.legacy
        self.clients = frozenset(catalog.sdk.v1.clients)
        self.found: dict[tuple, Finding] = {}
        self.handled: set[int] = set()  # ids of nodes already reported or not to report
        self.aliases: set[int] = set()  # ids of Name targets bound to openai.FineTune
        self.uses_openai = False
        self.uses_client = False
        self.uses_legacy_api = False
        self.legacy_calls: dict[int, str] = {}  # id of each legacy fine-tunes SDK call -> its method
        # The parts of implicitly concatenated strings, kept alive (their ids are keys) with their spans.
        self.parts: list[ast.AST] = []
        self.part_spans: dict[int, tuple[Span, str]] = {}
        self._qnames: dict[int, set[str]] = {}
        self.rules = [family(self) for family in families]
        self._by_class = {type(r): r for r in self.rules}

    def rule(self, family: type[Family]) -> Family:
        """The instance of another family, for the few facts one family hands to another."""
        return self._by_class[family]

    def run(self) -> list[Finding]:
        for r in self.rules:
            r.module(self.m.tree)
        self.walk(self.m.tree)
        for r in self.rules:
            r.finish()
        return sorted(self.found.values(), key=Finding.sort_key)

    # -- the walk ----------------------------------------------------------------------
    def walk(self, tree: ast.AST) -> None:
        """Visit every node in source order (a stack, not recursion: ``1 + 1 + ...`` nests deep)."""
        stack = [tree]
        while stack:
            node = stack.pop()
            if self.visit(node) is False:
                continue
            stack.extend(reversed(self._children(node)))

    def visit(self, node: ast.AST) -> bool:
        """Hand ``node`` to the families; False when its children are not to be visited."""
        rules = self.rules
        if isinstance(node, ast.Call):
            names, args = self.qnames(node.func), arguments(node)
            for r in rules:
                r.call(node, names, args)
        elif isinstance(node, ast.Name):
            names = self.qnames(node)
            for r in rules:
                r.name(node, names)
        elif isinstance(node, ast.Attribute):
            if id(node) not in self.handled:
                names = self.qnames(node)
                for r in rules:
                    r.attribute(node, names)
        elif isinstance(node, STRINGS):
            if id(node) not in self.handled and (isinstance(node, ast.JoinedStr)
                                                 or isinstance(node.value, (str, bytes))):
                self.string(node)
        elif type(node) in NODE_HOOKS:
            hook = NODE_HOOKS[type(node)]
            for r in rules:
                getattr(r, hook)(node)
        elif isinstance(node, ast.Expr):
            # Bare string statements are docstrings or notes, not code that runs.
            if isinstance(node.value, STRINGS):
                self.handled.add(id(node.value))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            dotted = [module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            if any(d is not None and d.split(".")[0] == "openai" for d in dotted):
                self.uses_openai = True
            return False  # imported names are not uses
        return True

    def _children(self, node: ast.AST) -> list[ast.AST]:
        if isinstance(node, FUNCTIONS) or isinstance(node, ast.ClassDef):
            for d in node.decorator_list:  # first, as they are written
                for r in self.rules:
                    r.decorator(d)
            out = list(node.decorator_list)
            for name, value in ast.iter_fields(node):
                if name == "decorator_list":
                    continue
                if isinstance(value, ast.AST):
                    out.append(value)
                elif isinstance(value, list):
                    out.extend(v for v in value if isinstance(v, ast.AST))
            return out
        if isinstance(node, ast.Call):
            return [node.func, *(value for _, value, _ in arguments(node))]
        if isinstance(node, ast.Dict):
            return [n for pair in zip(node.keys, node.values) for n in pair if n is not None]
        if isinstance(node, ast.JoinedStr):
            return [v for v in node.values if isinstance(v, ast.FormattedValue)]  # the text pieces are the f-string's own
        return [c for c in ast.iter_child_nodes(node) if not isinstance(c, CONTEXTS)]

    # -- strings -------------------------------------------------------------------
    def string(self, node: ast.Constant | ast.JoinedStr) -> None:
        """Each token of a string literal, to the families: the text first, then the literal."""
        for part in self.string_parts(node):
            if isinstance(part, ast.JoinedStr):
                text = "".join(v.value if isinstance(v, ast.Constant) else PLACEHOLDER for v in part.values)
                for r in self.rules:
                    r.fstring(part, text)
                self.string_text(part, text)
            else:
                text = part.value.decode("latin-1") if isinstance(part.value, bytes) else part.value
                self.string_text(part, text)
                for r in self.rules:
                    r.literal(part, text)

    def string_text(self, node: ast.AST, text: str) -> None:
        for r in self.rules:
            if r.string_text(node, text):
                return

    def string_parts(self, node: ast.Constant | ast.JoinedStr) -> list[ast.AST]:
        """The string tokens of a literal; the parts of a concatenation get their spans here."""
        parts = self.m.string_parts(node)
        if len(parts) == 1:
            return [node]
        out = []
        for part, span, raw in parts:
            self.parts.append(part)
            self.part_spans[id(part)] = (Span(*span), raw)
            self.m.parents[id(part)] = self.m.parent(node)
            out.append(part)
        return out

    # -- what several families ask -----------------------------------------------------
    def span(self, node: ast.AST) -> Span:
        part = self.part_spans.get(id(node))
        if part is not None:
            return part[0]
        s = self.m.span(node)
        if isinstance(node, ast.Tuple) and node.elts and self.m.parenthesized(node):
            return Span(s.line, s.column + 1, s.end_line, s.end_column - 1)  # a tuple's span is its items'
        return Span(s.line, s.column, s.end_line, s.end_column)

    def raw(self, node: ast.AST) -> str:
        """The source text of ``node`` (of a string token: the token)."""
        part = self.part_spans.get(id(node))
        return part[1] if part is not None else self.m.segment(node)

    def qnames(self, node: ast.AST) -> set[str]:
        found = self._qnames.get(id(node))
        if found is None:
            found = self._qnames[id(node)] = self.m.names(node)
        return found

    def simple(self, node: ast.AST | None) -> bool:
        """A one-token string literal (what LibCST calls a ``SimpleString``)."""
        return (isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes))
                and (id(node) in self.part_spans or single_token(self.m.segment(node))))

    def add(self, f: Finding | None) -> None:
        if f is not None:
            self.found.setdefault((f.rule, f.line, f.column, f.legacy), f)

    def is_resource(self, node: ast.AST) -> bool:
        """True if ``node`` evaluates to openai.FineTune (directly, or via an alias name)."""
        if self.resource in self.qnames(node):
            return True
        if isinstance(node, ast.Name):
            return any(id(b.node) in self.aliases for b in self.m.lookup(node, node.id))
        value = self.m.self_attribute_value(node)
        return value is not None and self.is_resource(value)

    def v1_target(self, node: ast.AST) -> bool:
        """``X`` in ``X.fine_tunes.create()``: the openai module itself or a client object."""
        names = self.qnames(node)
        if "openai" in names or names & self.clients:
            return True
        return isinstance(node, ast.Call) and bool(self.qnames(node.func) & self.clients)

    def alias_value(self, node: ast.expr) -> ast.expr | None:
        """The value of the single ``name = value`` assignment a name refers to (of the single
        ``self.attr = value`` binding, for ``self.attr`` in a method), as the codemods follow it."""
        if isinstance(node, ast.Attribute):
            return self.m.self_attribute_value(node)
        if not isinstance(node, ast.Name):
            return None
        bindings = self.m.lookup(node, node.id)
        if len(bindings) != 1 or not isinstance(bindings[0].node, ast.Name):
            return None
        parent = self.m.parent(bindings[0].node)
        return parent.value if isinstance(parent, ast.Assign) and len(parent.targets) == 1 else None

    def imported_names(self, node: ast.AST) -> set[str]:
        """The imported qualified names of ``node``, following names bound once to an imported
        thing (``s = requests.Session()``, ``self.ft = openai.FineTune``), as the codemods do."""
        out = {q.name for q in self.m.qualified_names(node) if q.imported}
        if out:
            return out
        base, rest = node, []
        while isinstance(base, ast.Attribute) and self.alias_value(base) is None:
            rest.insert(0, base.attr)
            base = base.value
        if not isinstance(base, (ast.Name, ast.Attribute)):
            return set()
        value = self.alias_value(base)
        if value is None:
            return set()
        return {".".join([q, *rest]) for q in self.imported_names(value)}

    def literal_text(self, node: ast.expr) -> str:
        if self.simple(node) and isinstance(node.value, str):
            return node.value
        return PLACEHOLDER

    def subscript_key(self, node: ast.Subscript) -> str | None:
        key = node.slice
        if self.simple(key) and isinstance(key.value, str):
            return key.value
        return None


def is_constant(node: ast.AST, value: object) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


def dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return ""
