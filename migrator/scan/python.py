"""The Python scanner: one ``ast`` parse, names resolved by scope.

Names are resolved by :class:`migrator.lang.python.Module` as LibCST's scope and
qualified-name providers resolve them for the codemods (so ``import openai as
oa`` and ``from openai import FineTune as FT`` both name ``openai.FineTune``, and
``ft = openai.FineTune; ft.create()`` and a default that flows into ``model=`` are
followed), at the cost of CPython's own parser: scan imports no LibCST.
Comments are not in the tree, so commented-out code is never a finding;
docstrings are skipped.

When a file does not parse (Python 2, a syntax error), :func:`scan_python_lines`
still applies the line-level rules, and the orchestrator records the error.
"""

from __future__ import annotations

import ast
import re
from typing import Callable

from migrator.advice import for_model as advise
from migrator.catalog import Catalog
from migrator.code_shapes import ENUM_BASES, EVENT_HELPER, EVENT_ID_KEYWORDS, MODEL_OPTION, model_named_enum
from migrator.findings import Finding
from migrator.lang.python import FUNCTIONS, STRINGS, Module, parse_hot, single_token
from migrator.nesting import too_deep
from migrator.scan import cli_lines, links, prefilter
from migrator.scan.common import Span, endpoint_finding, endpoint_matches, finding, model_finding

MODEL_KWARGS = frozenset({"model", "engine"})
# Dict keys / subscript keys under which a string is a model id.
MODEL_KEY = re.compile(r"^(?:model|engine|base_model|model_name|model_id|engine_id|fine_tuned_model|"
                       r"[a-z0-9_]*_model|[a-z0-9_]*_engine)$", re.IGNORECASE)
SUBPROCESS_CALLS = frozenset({
    "subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
    "subprocess.Popen", "os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput",
})
CLI_HINT = re.compile(r"\bopenai\b.*\bfine_tunes\.")
# Command-line options whose value is a model (argparse, click, typer; `python train.py -m curie`).
OPTION_DECORATORS = frozenset({"click.option", "typer.Option"})
# In a command line built in an f-string: the expression right after a model flag.
CLI_MODEL_FLAG = re.compile(r"(?:^|\s)(?:-m|--model|-e|--engine)[ =]$")
PLACEHOLDER = "\uFFFC"  # stands for a non-literal piece of a command or URL


def scan_python(source: str, path: str, catalog: Catalog, *, links: bool = False) -> list[Finding]:
    """Findings for one Python source; raises ``SyntaxError`` (or ``ValueError`` for a
    NUL byte) if it does not parse.

    With ``links``, the findings also hold the records :func:`migrator.scan.links.resolve`
    joins across modules (models imported from another module into ``model=``)."""
    visitor = _Visitor(parse_hot(source, prefilter.statement_matcher(catalog)), path, catalog, links)
    return visitor.run()


def unparsable(source: str) -> str | None:
    """Why ``source`` (a notebook cell, IPython lines masked) is not Python 3, or None."""
    try:
        Module(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return parse_failure(source, exc)[0]
    return None


def parse_failure(source: str, exc: Exception) -> tuple[str, bool]:
    """Why ``source`` did not parse, and whether because it nests too deeply (said as fix
    says it), else the parser's ``line N: does not parse as Python 3 (reason)``."""
    deep = too_deep(source)
    if deep:
        return deep, True
    if isinstance(exc, SyntaxError):
        return f"line {exc.lineno or 1}: does not parse as Python 3 ({exc.msg})", False
    if isinstance(exc, ValueError):
        return f"line 1: does not parse as Python 3 ({exc})", False
    return "too deeply nested to parse", True


def scan_python_lines(source: str, path: str, catalog: Catalog) -> list[Finding]:
    """Line-level rules for Python that does not parse: URLs, CLI strings, legacy calls."""
    out: list[Finding] = []
    legacy_call = re.compile(r"\bFineTune\.(\w+)\s*\(")
    v1_call = re.compile(r"\.fine_tunes\.(\w+)\s*\(")
    v0 = catalog.sdk["v0"]
    v1 = catalog.sdk["v1"]
    for lineno, line in enumerate(source.splitlines(), 1):
        code = line.split("#", 1)[0] if "#" in line and '"' not in line and "'" not in line else line
        if code.lstrip().startswith("#"):
            continue
        for rx, gen, rule in ((legacy_call, v0, "FT010"), (v1_call, v1, "FT011")):
            for mt in rx.finditer(code):
                method = mt.group(1)
                repl = gen["methods"].get(method)
                if repl is None:
                    continue
                legacy = f"{gen['legacy']}.{method}" if rule == "FT010" else f"client.{gen['legacy']}.{method}"
                span = Span(lineno, mt.start() + 1, lineno, mt.end())
                out.append(_call_finding(catalog, path, span, rule, legacy, gen, repl))
        if CLI_HINT.search(code):
            out.extend(cli_lines.scan_command_text(code, path, catalog, line_offset=lineno - 1))
            continue
        for start, end, url in endpoint_matches(code, catalog):
            f = endpoint_finding(url, path, Span(lineno, start + 1, lineno, end + 1), catalog)
            if f:
                out.append(f)
        for mt in re.finditer(r"""\b(?:model|engine)\s*=\s*(["'])([^"'\n]+)\1""", code):
            span = Span(lineno, mt.start(2), lineno, mt.end(2) + 2)
            f = model_finding(mt.group(2), path, span, catalog)
            if f:
                out.append(f)
    return out


def _call_finding(catalog: Catalog, path: str, span: Span, rule: str, legacy: str, gen: dict, repl: str,
                  note: str = "", blocked: bool = False) -> Finding:
    """An SDK call finding; ``blocked`` when an argument has no equivalent (stream=True)."""
    base = f"{legacy} calls the legacy /v1/fine-tunes endpoint, shut down on {catalog.shutdown.isoformat()}"
    if repl:
        owner = gen["replacement"] if rule == "FT010" else f"client.{gen['replacement']}"
        replacement = f"{owner}.{repl}"
        msg = f"{base}; use {replacement}"
    else:
        replacement = None
        msg = f"{base}; it has no equivalent"
    return finding(path, span, rule, "sdk-call", legacy, replacement, bool(repl) and not blocked, msg + note)


Arg = tuple[str | None, ast.expr, str]  # (keyword, value, star: "", "*" or "**"), in source order


def _arguments(call: ast.Call) -> list[Arg]:
    args: list[Arg] = [(None, a.value, "*") if isinstance(a, ast.Starred) else (None, a, "") for a in call.args]
    args += [(k.arg, k.value, "" if k.arg else "**") for k in call.keywords]
    if call.keywords and call.args:
        args.sort(key=lambda a: (a[1].lineno, a[1].col_offset))
    return args


class _Visitor:
    """One walk over the tree in source order, then the rules that need the whole module."""

    def __init__(self, module: Module, path: str, catalog: Catalog, links: bool = False):
        self.m = module
        self.links = links
        self.exports: list[tuple[str, ast.Constant]] = []  # module-level constants and Enum members
        self.imports: list[tuple[str, ast.AST]] = []  # imported names used as a model
        self.path = path
        self.catalog = catalog
        self.v0 = catalog.sdk["v0"]
        self.v1 = catalog.sdk["v1"]
        self.resource = self.v0["legacy"]
        self.clients = frozenset(self.v1["clients"])
        self.found: dict[tuple, Finding] = {}
        self.handled: set[int] = set()  # ids of nodes already reported or not to report
        self.aliases: set[int] = set()  # ids of Name targets bound to openai.FineTune
        # names whose value is a model: purpose, moves to chat, how it is passed ("model=", "-m")
        self.model_names: list[tuple[ast.Name, str, bool, str]] = []
        # Defaults of command-line options by destination (args.<dest>, a click parameter).
        self.option_defaults: dict[str, ast.Constant] = {}
        self.model_attributes: list[tuple[ast.Attribute, str, bool]] = []  # args.model / Engine.X passed as model=
        self.enum_members: dict[tuple[str, str], ast.Constant] = {}  # (class, member) -> value
        self.uses_openai = False
        self.uses_client = False
        self.uses_legacy_api = False
        self.deferred: list[tuple[str, ast.AST]] = []  # rules that depend on module-wide facts
        # The parts of implicitly concatenated strings, kept alive (their ids are keys) with their spans.
        self.parts: list[ast.AST] = []
        self.part_spans: dict[int, tuple[Span, str]] = {}
        self._qnames: dict[int, set[str]] = {}
        self._visits: dict[type, Callable | None] = {}

    def run(self) -> list[Finding]:
        self.visit_Module(self.m.tree)
        self.walk(self.m.tree)
        return self.results()

    # -- the walk ----------------------------------------------------------------------
    def walk(self, tree: ast.AST) -> None:
        """Visit every node in source order (a stack, not recursion: ``1 + 1 + ...`` nests deep)."""
        visits = self._visits
        stack = [tree]
        while stack:
            node = stack.pop()
            kind = type(node)
            visit = visits.get(kind, False)
            if visit is False:
                visit = visits[kind] = getattr(self, f"visit_{kind.__name__}", None)
            if visit is not None and visit(node) is False:
                continue
            stack.extend(reversed(self._children(node)))

    def _children(self, node: ast.AST) -> list[ast.AST]:
        if isinstance(node, FUNCTIONS) or isinstance(node, ast.ClassDef):
            for d in node.decorator_list:  # first, as they are written
                self.decorator(d)
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
            return [node.func, *(value for _, value, _ in _arguments(node))]
        if isinstance(node, ast.Dict):
            return [n for pair in zip(node.keys, node.values) for n in pair if n is not None]
        if isinstance(node, ast.JoinedStr):
            return [v for v in node.values if isinstance(v, ast.FormattedValue)]  # the text pieces are the f-string's own
        return list(ast.iter_child_nodes(node))

    # -- helpers -----------------------------------------------------------
    def span(self, node: ast.AST) -> Span:
        part = self.part_spans.get(id(node))
        if part is not None:
            return part[0]
        s = self.m.span(node)
        if isinstance(node, ast.Tuple) and node.elts and self.m.parenthesized(node):
            return Span(s.line, s.column + 1, s.end_line, s.end_column - 1)  # a tuple's span is its items'
        return Span(s.line, s.column, s.end_line, s.end_column)

    def raw(self, node: ast.AST) -> str:
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

    def results(self) -> list[Finding]:
        """Apply the rules that needed the whole module (client use, legacy API use)."""
        if self.uses_client:
            for rule, node in self.deferred:
                if rule == "v1":
                    self.v1_call(node)
        self.resolve_model_names()
        self.resolve_model_attributes()
        if self.links:
            self.link_records()
        for rule, node in self.deferred:
            if rule == "response" and self.uses_legacy_api:
                self.response_field(node)
            elif rule == "status" and self.uses_legacy_api:
                self.status_value(node)
            elif rule == "literal" and self.uses_openai and id(node) not in self.handled:
                self.add(model_finding(_text(node), self.path, self.span(node), self.catalog))
        return sorted(self.found.values(), key=Finding.sort_key)

    def is_resource(self, node: ast.AST) -> bool:
        """True if ``node`` evaluates to openai.FineTune (directly, or via an alias name)."""
        if self.resource in self.qnames(node):
            return True
        if isinstance(node, ast.Name):
            return any(id(b.node) in self.aliases for b in self.m.lookup(node, node.id))
        value = self.m.self_attribute_value(node)
        return value is not None and self.is_resource(value)

    # -- module-wide facts ---------------------------------------------------
    def visit_Import(self, node: ast.Import) -> bool:
        if any(a.name.split(".")[0] == "openai" for a in node.names):
            self.uses_openai = True
        return False  # imported names are not uses

    def visit_ImportFrom(self, node: ast.ImportFrom) -> bool:
        if node.module is not None and node.module.split(".")[0] == "openai":
            self.uses_openai = True
        return False

    def visit_Module(self, node: ast.Module) -> None:
        for stmt in node.body:
            if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                    and self.simple(stmt.value)):
                self.exports.append((stmt.targets[0].id, stmt.value))

    # -- statements ----------------------------------------------------------
    def visit_Assign(self, node: ast.Assign) -> None:
        if self.is_resource(node.value):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    self.aliases.add(id(t))
        # params["model"] = "curie"
        for t in node.targets:
            if isinstance(t, ast.Subscript) and self.simple(node.value):
                key = self.subscript_key(t)
                if key and MODEL_KEY.match(key):
                    self.model_literal(node.value)

    def visit_Expr(self, node: ast.Expr) -> None:
        # Bare string statements are docstrings or notes, not code that runs.
        if isinstance(node.value, STRINGS):
            self.handled.add(id(node.value))

    # -- calls -----------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            method = func.attr
            if self.is_resource(func.value):
                repl = self.v0["methods"].get(method)
                if repl is not None:
                    self.uses_legacy_api = True
                    self.handled.update((id(func), id(func.value)))
                    self.add(self.sdk_call(node, "FT010", f"{self.resource}.{method}", self.v0, repl, method))
            elif (isinstance(func.value, ast.Attribute) and func.value.attr == self.v1["legacy"]
                  and method in self.v1["methods"]):
                if self.v1_target(func.value.value):
                    self.v1_call(node)
                else:
                    self.deferred.append(("v1", node))
        names = self.qnames(func)
        args = _arguments(node)
        if isinstance(func, ast.Attribute) and func.attr == "add_argument":
            flags = [self.literal_text(v) for k, v, _ in args if k is None]
            keywords = {k: v for k, v, _ in args if k is not None}
            dest = keywords.get("dest")
            self.option_default([f for f in flags if f.startswith("-")],
                                self.literal_text(dest) if dest is not None else None, keywords.get("default"))
        if names & SUBPROCESS_CALLS and args:
            self.subprocess_call(args[0][1])
        # The model of a legacy create is one to fine-tune, not to run.
        creates = isinstance(func, ast.Attribute) and func.attr in ("create", "acreate") and (
            self.is_resource(func.value)
            or isinstance(func.value, ast.Attribute) and func.value.attr == self.v1["legacy"]
            or any(n.rpartition(".")[0] == self.v0["replacement"] for n in names)
            or _dotted(func.value).endswith(self.v1["replacement"]))
        purpose = "fine-tuning" if creates else "inference"
        # fix turns engine= into model= only on the SDK's own calls (the /v1/engines routes are gone).
        sdk_call = any(n.startswith("openai.") for n in names)
        moves = self.moves_to_chat(node, names, args)
        for keyword, value, _ in args:
            if keyword in MODEL_KWARGS:
                fixable = keyword != "engine" or sdk_call
                self.model_argument(keyword, value, purpose, fixable, moves)

    def moves_to_chat(self, node: ast.Call, names: set[str], args: list[Arg]) -> bool:
        """Whether ``fix`` (FX008) can move this completions call to chat completions when its
        model's target is a chat model: an SDK completions create with keyword arguments
        only, one prompt, and none of the parameters chat has no equal for."""
        func = node.func
        comp = self.catalog.completions
        if not isinstance(func, ast.Attribute) or func.attr not in comp["methods"]:
            return False
        v0 = any(n == f"{comp['v0_legacy']}.{func.attr}" for n in names)
        v1 = (isinstance(func.value, ast.Attribute) and func.value.attr == comp["v1_legacy"]
              and self.v1_target(func.value.value))
        if not (v0 or v1):
            return False
        for keyword, value, _ in args:
            if keyword is None or keyword in comp["no_equal"]:
                return False
            if keyword == "prompt" and isinstance(value, (ast.List, ast.Tuple)):
                return False
        return True

    def v1_call(self, node: ast.Call) -> None:
        method = node.func.attr  # type: ignore[attr-defined]
        self.uses_legacy_api = True
        self.add(self.sdk_call(node, "FT011", f"client.{self.v1['legacy']}.{method}", self.v1,
                               self.v1["methods"][method], method))

    def v1_target(self, node: ast.AST) -> bool:
        """``X`` in ``X.fine_tunes.create()``: the openai module itself or a client object."""
        names = self.qnames(node)
        if "openai" in names or names & self.clients:
            return True
        return isinstance(node, ast.Call) and bool(self.qnames(node.func) & self.clients)

    def sdk_call(self, node: ast.Call, rule: str, legacy: str, gen: dict, repl: str, method: str) -> Finding:
        keywords = {k.arg: k.value for k in node.keywords if k.arg is not None}
        note, blocked = "", False
        if rule == "FT010" and method in ("create", "acreate") and "model" not in keywords:
            default = self.catalog.request_fields["default_model"]
            advice = advise(self.catalog, default, "fine-tuning")
            need = f"model={advice.target!r}" if advice.target else f"a model ({advice.text})"
            note = f" (no model given: the legacy default was {default!r}; the new API needs {need})"
        streamed = method == "list_events" and "stream" in keywords and not _is_constant(keywords["stream"], False)
        if streamed:
            note, blocked = " (stream=True has no equivalent: poll list_events instead)", True
        shutdown = self.catalog.shutdown.isoformat()
        if (method == "stream_events" or streamed) and self.loop_over_stream(node):
            note = " (stream has no equivalent: fix loops over a generated helper that polls list_events instead)"
            return finding(self.path, self.span(node), rule, "sdk-call", legacy, EVENT_HELPER, True,
                           f"{legacy} calls the legacy /v1/fine-tunes endpoint, shut down on {shutdown}{note}")
        return _call_finding(self.catalog, self.path, self.span(node), rule, legacy, gen, repl, note, blocked)

    def loop_over_stream(self, node: ast.Call) -> bool:
        """What fix (FX009) rewrites: a stream of one job's events, given only the job id (and
        ``stream=True``), iterated by a synchronous loop; on v1 a client named, not built."""
        up = self.m.parent(node)
        if not ((isinstance(up, ast.For) or isinstance(up, ast.comprehension) and not up.is_async)
                and up.iter is node):
            return False
        every = _arguments(node)
        args = [a for a in every if not (a[0] == "stream" and _is_constant(a[1], True))]
        if len(every) - len(args) != (node.func.attr == "list_events"):  # type: ignore[attr-defined]
            return False
        if len(args) != 1 or args[0][2] or args[0][0] is not None and args[0][0] not in EVENT_ID_KEYWORDS:
            return False
        receiver = node.func.value  # type: ignore[attr-defined]
        return self.is_resource(receiver) or isinstance(getattr(receiver, "value", None), (ast.Name, ast.Attribute))

    def subprocess_call(self, arg: ast.expr) -> None:
        if isinstance(arg, (ast.List, ast.Tuple)):
            argv = [self.literal_text(e) for e in arg.elts]
            if CLI_HINT.search(" ".join(argv)):
                for flag, e in zip(argv, arg.elts[1:]):
                    if CLI_MODEL_FLAG.search(" " + flag + " ") and isinstance(e, ast.Name):
                        self.cli_model_name(e, " ".join(argv))
            if argv and any(self.simple(e) for e in arg.elts):
                span = self.span(arg)
                for f in cli_lines.command_findings(argv, self.path, span, self.catalog):
                    self.add(f)
                for e in arg.elts:
                    if isinstance(e, STRINGS):
                        self.handled.add(id(e))

    def cli_model_name(self, name: ast.Name, command: str) -> None:
        """A name passed as ``-m``/``--model`` to the legacy CLI: the constant or default it holds
        is a model, to fine-tune when the command creates a fine-tune."""
        creates = re.search(r"\bfine_tunes\.create\b", command) is not None
        self.model_names.append((name, "fine-tuning" if creates else "inference", False, "-m"))
        if self.links:
            self.imported_model(name)

    # -- models ------------------------------------------------------------------
    def model_argument(self, keyword: str, value: ast.expr, purpose: str, fixable: bool,
                       moves: bool) -> None:
        if self.simple(value):
            self.model_literal(value, f"passed as {keyword}=", purpose, fixable, moves)
        elif isinstance(value, ast.Name):
            self.model_names.append((value, purpose, moves, "model="))
        elif isinstance(value, ast.Attribute):
            self.model_attributes.append((value, purpose, moves))
        if self.links and isinstance(value, (ast.Name, ast.Attribute)):
            self.imported_model(value)

    def model_literal(self, node: ast.Constant, context: str = "", purpose: str = "inference",
                      fixable: bool = True, moves: bool = False) -> None:
        if isinstance(node.value, str):
            self.handled.add(id(node))
            self.add(model_finding(node.value, self.path, self.span(node), self.catalog, context=context,
                                   purpose=purpose, fixable=fixable, moves_to_chat=moves))

    def resolve_model_names(self) -> None:
        """Follow names passed as model=/engine= (or -m) to the constant or default they hold.

        ``fix`` rewrites such a value where the name is passed as model=/engine= or is
        itself named for a model; a value only passed on a command line, or held by a
        click option's default, is reported for a person to change."""
        for name, purpose, moves, via in self.model_names:
            named = name.id.lower() in ("model", "engine") or name.id.lower().endswith(("_model", "_engine"))
            for b in self.m.lookup(name, name.id):
                target = b.node
                value = None
                if isinstance(target, ast.arg):
                    default = self.m.default_of(target)
                    if self.simple(default):
                        value = default
                    elif default is None:
                        value = self.option_defaults.get(target.arg)
                        via = "an option's default"
                elif isinstance(target, ast.Name):
                    parent = self.m.parent(target)
                    if isinstance(parent, ast.Assign) and target in parent.targets and self.simple(parent.value):
                        value = parent.value
                    elif isinstance(parent, ast.AnnAssign) and parent.target is target and self.simple(parent.value):
                        value = parent.value
                if value is not None:
                    fixable = via.endswith("=") or (via == "-m" and named)
                    self.model_literal(value, f"flows into {via} as {name.id}", purpose, fixable, moves)

    def resolve_model_attributes(self) -> None:
        """``args.model`` (an argparse option's default) and ``Engine.GOOD[.value]`` (an Enum
        member) passed as model=/engine=: the literal they hold."""
        for node, purpose, moves in self.model_attributes:
            value, context = None, ""
            inner = node.value if node.attr == "value" and isinstance(node.value, ast.Attribute) else node
            if isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Name):
                value = self.enum_members.get((inner.value.id, inner.attr))
                context = f"flows into model= as {inner.value.id}.{inner.attr}"
            if value is None and node.attr in self.option_defaults:
                value = self.option_defaults[node.attr]
                context = f"default of the option {node.attr!r}, flows into model="
            if value is not None:
                self.model_literal(value, context, purpose, fixable=False, moves=moves)

    def imported_model(self, node: ast.AST) -> None:
        """A name imported from another module used as a model: an import record."""
        for q in self.m.qualified_names(node):
            if q.imported and not q.name.startswith("openai"):
                self.imports.append((q.name.removesuffix(".value"), node))

    def link_records(self) -> None:
        """Export records for module-level models nothing here uses as one; import records."""
        for name, node in self.exports:
            text = node.value
            if not isinstance(text, str) or self.catalog.legacy_model(text) is None:
                continue
            # fix (FX002) rewrites a constant named for a model; its name says what the model is for
            short = name.rpartition(".")[2].lower()
            named = "." not in name and (short in ("model", "engine") or short.endswith(("_model", "_engine")))
            purpose = "fine-tuning" if any(k in short for k in ("base_model", "fine_tun", "finetun")) else "inference"
            f = model_finding(text, self.path, self.span(node), self.catalog, context=f"imported as {name}",
                              fixable=named, purpose=purpose)
            if f is not None and not any(k[:3] == (f.rule, f.line, f.column) for k in self.found):
                self.found[("export", f.line, f.column, name)] = links.export_record(f, name)
        for qualified, node in self.imports:
            span = self.span(node)
            self.found[("import", span.line, span.column, qualified)] = links.import_record(
                self.path, qualified, span.line, span.column)

    # -- command-line options and Enum members holding a model --------------------------
    def option_default(self, names: list[str], dest: str | None, default: ast.expr | None) -> None:
        """An argparse/click/typer option: remember its default by destination; report it at
        once when the option itself is named for a model (``--model``, ``-m``, ``--engine``)."""
        if not self.simple(default) or not isinstance(default.value, str):
            return
        longs = [n for n in names if n.startswith("--")]
        dest = dest or (longs[0] if longs else names[0] if names else "").lstrip("-").replace("-", "_")
        if dest:
            self.option_defaults[dest] = default
        model_named = [n for n in names if MODEL_OPTION.match(n)]
        if model_named:
            self.model_literal(default, f"default of the option {model_named[0]}")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        bases = [self.qnames(b) for b in node.bases]
        if not any(q & ENUM_BASES for q in bases):
            return
        model_named = model_named_enum(node.name, bases)
        for stmt in node.body:
            if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                    and self.simple(stmt.value)):
                member = stmt.targets[0].id
                self.enum_members[(node.name, member)] = stmt.value
                if model_named:
                    self.model_literal(stmt.value, f"member {node.name}.{member}")
                else:
                    self.exports.append((f"{node.name}.{member}", stmt.value))

    def decorator(self, call: ast.expr) -> None:
        if isinstance(call, ast.Call) and self.qnames(call.func) & OPTION_DECORATORS:
            positional = [a for a in call.args]
            names = [v for a in positional if (v := self.literal_text(a)).startswith("-")]
            params = [v for a in positional if self.simple(a) and not (v := self.literal_text(a)).startswith("-")]
            default = next((k.value for k in call.keywords if k.arg == "default"), None)
            self.option_default(names, params[0] if params else None, default)

    def visit_Dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values):
            if self.simple(key):
                self.handled.add(id(key))
                if isinstance(key.value, str) and MODEL_KEY.match(key.value) and self.simple(value):
                    self.model_literal(value, f'under key "{key.value}"')

    def visit_Subscript(self, node: ast.Subscript) -> None:
        key = self.subscript_key(node)
        if key is not None:
            self.handled.add(id(node.slice))
            self.deferred.append(("response", node))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if id(node) in self.handled:
            return
        names = self.qnames(node)
        if names & self.clients:
            self.uses_client = True
        if node.attr in self.catalog.response_fields or node.attr == "id":
            self.deferred.append(("response", node))
        if (self.resource in names or any(n.startswith(self.resource + ".") for n in names)) \
                and not _on_a_result(node):
            self.resource_reference(node)

    def visit_Name(self, node: ast.Name) -> None:
        names = self.qnames(node)
        if names & self.clients:
            self.uses_client = True
        if id(node) not in self.handled and self.resource in names:
            self.resource_reference(node)

    def resource_reference(self, node: ast.AST) -> None:
        """openai.FineTune used other than as a call target: annotation, mock target, alias."""
        parent = self.m.parent(node)
        if isinstance(parent, ast.Attribute) and parent.value is node:
            return  # the enclosing attribute is reported (or is a call handled above)
        if id(node) in self.handled:
            return
        names = sorted(n for n in self.qnames(node) if n.startswith(self.resource))
        legacy = names[0] if names else self.resource
        self.uses_legacy_api = True
        self.handled.add(id(node))
        self.add(self.reference_finding(node, legacy))

    def reference_finding(self, node: ast.AST, legacy: str) -> Finding:
        tail = legacy[len(self.resource):].lstrip(".")
        if tail:
            repl = self.v0["methods"].get(tail)
            replacement = f"{self.v0['replacement']}.{repl}" if repl else None
        else:
            replacement = self.v0["replacement"]
        msg = f"{legacy} is the legacy fine-tunes resource"
        msg += f"; use {replacement}" if replacement else "; it has no equivalent"
        return finding(self.path, self.span(node), "FT012", "sdk-call", legacy, replacement,
                       replacement is not None, msg)

    # -- strings -------------------------------------------------------------------
    def visit_Constant(self, node: ast.Constant) -> None:
        if not isinstance(node.value, (str, bytes)) or id(node) in self.handled:
            return
        for part in self.string_parts(node):
            if isinstance(part, ast.JoinedStr):
                self.formatted_string(part)
            else:
                self.simple_string(part)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        if id(node) in self.handled:
            return
        for part in self.string_parts(node):
            if isinstance(part, ast.JoinedStr):
                self.formatted_string(part)
            else:
                self.simple_string(part)

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

    def simple_string(self, node: ast.Constant) -> None:
        text = node.value
        if isinstance(text, bytes):
            text = text.decode("latin-1")
        self.string_text(node, text)
        if text in self.catalog.legacy_models:
            self.deferred.append(("literal", node))
        elif self.catalog.fine_tuned_base(text):
            self.model_literal(node)
        if text in self.catalog.statuses["legacy_only"]:
            self.deferred.append(("status", node))

    def formatted_string(self, node: ast.JoinedStr) -> None:
        text = "".join(v.value if isinstance(v, ast.Constant) else PLACEHOLDER for v in node.values)
        if CLI_HINT.search(text):
            # f"openai api fine_tunes.create -m {model}": the name's value is a model
            before = ""
            for value in node.values:
                if isinstance(value, ast.Constant):
                    before += value.value
                elif isinstance(value.value, ast.Name) and CLI_MODEL_FLAG.search(before):
                    self.cli_model_name(value.value, text)
                else:
                    before += PLACEHOLDER
        self.string_text(node, text)

    def string_text(self, node: ast.AST, text: str) -> None:
        """Dotted resource strings, CLI command strings and endpoint URLs inside a literal."""
        if text == self.resource or text.startswith(self.resource + "."):
            self.uses_legacy_api = True
            self.add(self.reference_finding(node, text))
            return
        span = self.span(node)
        if CLI_HINT.search(text):
            for f in cli_lines.scan_command_text(text.replace(PLACEHOLDER, "X"), self.path, self.catalog):
                self.add(Finding(**{**f.__dict__, "line": span.line, "column": span.column,
                                    "end_line": span.end_line, "end_column": span.end_column}))
            return
        matches = list(endpoint_matches(text, self.catalog))
        if not matches:
            return
        raw = self.raw(node)
        for start, end, url in matches:
            literal = url.split(PLACEHOLDER, 1)[0]
            url = url.replace(PLACEHOLDER, "{id}").rstrip("/")
            self.uses_legacy_api = self.uses_legacy_api or "fine-tunes" in url
            at = raw.find(literal)
            s = span
            if at >= 0 and span.line == span.end_line and literal == url:
                s = Span(span.line, span.column + at, span.line, span.column + at + len(url))
            elif at >= 0 and span.line == span.end_line:
                s = Span(span.line, span.column + at, span.line, span.end_column)
            self.add(endpoint_finding(url, self.path, s, self.catalog))

    # -- response fields and statuses (reported only where the legacy API is used) --------------
    def response_field(self, node: ast.AST) -> None:
        key = self.subscript_key(node) if isinstance(node, ast.Subscript) else node.attr  # type: ignore[attr-defined]
        if key == "id":
            inner = node.value  # type: ignore[attr-defined]
            if isinstance(inner, ast.Subscript) and self.field_of(inner.value) == "result_files":
                self.add(finding(self.path, self.span(node), "FT030", "response-field",
                                 'result_files[i]["id"]', "result_files[i]", True,
                                 "result_files of a fine-tuning job are file id strings, not file objects: "
                                 'drop the ["id"]'))
            return
        if key in ("hyperparams", "training_files", "validation_files"):
            entry = self.catalog.response_fields[key]
            self.add(finding(self.path, self.span(node), "FT030", "response-field", key,
                             entry["replacement"], True,
                             f"the fine-tuning job has no {key!r}: use {entry['replacement']!r} ({entry['note']})"))

    def status_value(self, node: ast.Constant) -> None:
        parent = self.m.parent(node)
        while isinstance(parent, (ast.Tuple, ast.List, ast.Set)):
            parent = self.m.parent(parent)
        if not isinstance(parent, ast.Compare):
            return
        new = self.catalog.statuses["new_for_legacy"]
        self.add(finding(self.path, self.span(node), "FT031", "response-field", node.value,
                         " or ".join(new), True,
                         f"fine-tuning jobs never report status {node.value!r}: "
                         f"they report {' / '.join(repr(s) for s in new)} before 'running'"))

    # -- small readers -------------------------------------------------------------------
    def literal_text(self, node: ast.expr) -> str:
        if self.simple(node) and isinstance(node.value, str):
            return node.value
        return PLACEHOLDER

    def subscript_key(self, node: ast.Subscript) -> str | None:
        key = node.slice
        if self.simple(key) and isinstance(key.value, str):
            return key.value
        return None

    def field_of(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Subscript):
            return self.subscript_key(node)
        if isinstance(node, ast.Attribute):
            return node.attr
        return None


def _text(node: ast.Constant) -> str:
    return node.value.decode("latin-1") if isinstance(node.value, bytes) else node.value


def _is_constant(node: ast.AST, value: object) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


def _on_a_result(node: ast.Attribute) -> bool:
    """``FT.list().data``: an attribute of what a call returned, which the resolver still
    names ``openai.FineTune.list.data`` (the call itself is the finding)."""
    value = node.value
    while isinstance(value, (ast.Attribute, ast.Subscript)):
        value = value.value
    return isinstance(value, ast.Call)


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""
