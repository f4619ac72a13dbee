"""The Python scanner: one LibCST parse, name resolution through LibCST metadata.

Names are resolved with ``QualifiedNameProvider`` (so ``import openai as oa`` and
``from openai import FineTune as FT`` resolve to ``openai.FineTune``) and
``ScopeProvider`` (so ``ft = openai.FineTune; ft.create()`` and a default argument
that flows into ``model=`` are followed).  Comments are not in the tree, so
commented-out code is never a finding; docstrings are skipped.

When a file does not parse (Python 2, a syntax error), :func:`scan_python_lines`
still applies the line-level rules, and the orchestrator records the error.
"""

from __future__ import annotations

import re
from typing import Iterable

import libcst as cst
import libcst.matchers as m
from libcst.metadata import (
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    QualifiedNameSource,
    ScopeProvider,
)

from migrator.advice import for_model as advise
from migrator.code_shapes import ENUM_BASES, EVENT_HELPER, EVENT_ID_KEYWORDS, MODEL_OPTION, model_named_enum
from migrator.attribute_aliases import self_attribute_value, self_attributes
from migrator.catalog import Catalog
from migrator.findings import Finding
from migrator.scan import links
from migrator.scan.common import Span, endpoint_finding, endpoint_matches, finding, model_finding
from migrator.scan.reduce import reduce_source

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
    """Findings for one Python source; raises ``cst.ParserSyntaxError`` if it does not parse.

    With ``links``, the findings also hold the records :func:`migrator.scan.links.resolve`
    joins across modules (models imported from another module into ``model=``)."""
    reduced, origin = reduce_source(source, catalog)
    module = cst.parse_module(reduced)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    visitor = _Visitor(path, catalog, module, origin, links)
    wrapper.visit(visitor)
    return visitor.final


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
                out.append(_call_finding(path, span, rule, legacy, gen, repl))
        if CLI_HINT.search(code):
            from migrator.scan import cli_lines

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


def _call_finding(path: str, span: Span, rule: str, legacy: str, gen: dict, repl: str,
                  note: str = "", blocked: bool = False) -> Finding:
    """An SDK call finding; ``blocked`` when an argument has no equivalent (stream=True)."""
    base = f"{legacy} calls the legacy /v1/fine-tunes endpoint, shut down on 2024-01-04"
    if repl:
        owner = gen["replacement"] if rule == "FT010" else f"client.{gen['replacement']}"
        replacement = f"{owner}.{repl}"
        msg = f"{base}; use {replacement}"
    else:
        replacement = None
        msg = f"{base}; it has no equivalent"
    return finding(path, span, rule, "sdk-call", legacy, replacement, bool(repl) and not blocked, msg + note)


class _Visitor(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (QualifiedNameProvider, ScopeProvider, PositionProvider, ParentNodeProvider)

    def __init__(self, path: str, catalog: Catalog, module: cst.Module, origin: list[int] | None = None,
                 links: bool = False):
        super().__init__()
        self.links = links
        self.exports: list[tuple[str, cst.SimpleString]] = []  # module-level constants and Enum members
        self.imports: list[tuple[str, cst.CSTNode]] = []  # imported names used as a model
        self.path = path
        self.origin = origin  # line of the parsed (reduced) module -> line of the file
        self.catalog = catalog
        self.module = module
        self.v0 = catalog.sdk["v0"]
        self.v1 = catalog.sdk["v1"]
        self.resource = self.v0["legacy"]
        self.clients = frozenset(self.v1["clients"])
        self.found: dict[tuple, Finding] = {}
        self.handled: set[int] = set()  # ids of nodes already reported or not to report
        self.aliases: set[int] = set()  # ids of Name targets bound to openai.FineTune
        self.self_attributes: dict | None = None  # self.<attr> = ... in each class, built when needed
        # names whose value is a model: purpose, moves to chat, how it is passed ("model=", "-m")
        self.model_names: list[tuple[cst.Name, str, bool, str]] = []
        # Defaults of command-line options by destination (args.<dest>, a click parameter).
        self.option_defaults: dict[str, cst.SimpleString] = {}
        self.model_attributes: list[tuple[cst.Attribute, str, bool]] = []  # args.model / Engine.X passed as model=
        self.enum_members: dict[tuple[str, str], cst.SimpleString] = {}  # (class, member) -> value
        self.uses_openai = False
        self.uses_client = False
        self.uses_legacy_api = False
        self.deferred: list[tuple[str, cst.CSTNode]] = []  # rules that depend on module-wide facts
        self.final: list[Finding] = []

    # -- helpers -----------------------------------------------------------
    def span(self, node: cst.CSTNode) -> Span:
        pos = self.get_metadata(PositionProvider, node)
        start, end = pos.start.line, pos.end.line
        if self.origin is not None:
            start, end = self.origin[start - 1], self.origin[end - 1]
        return Span(start, pos.start.column + 1, end, pos.end.column + 1)

    def qnames(self, node: cst.CSTNode) -> set[str]:
        return {q.name for q in self.get_metadata(QualifiedNameProvider, node, set())}

    def add(self, f: Finding | None) -> None:
        if f is not None:
            self.found.setdefault((f.rule, f.line, f.column, f.legacy), f)

    def leave_Module(self, original_node: cst.Module) -> None:
        # Metadata is only available while the wrapper visits: finish here.
        self.final = self.results()

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
                self.add(model_finding(node.evaluated_value, self.path, self.span(node), self.catalog))
        return sorted(self.found.values(), key=Finding.sort_key)

    def is_resource(self, node: cst.CSTNode) -> bool:
        """True if ``node`` evaluates to openai.FineTune (directly, or via an alias name)."""
        if self.resource in self.qnames(node):
            return True
        if isinstance(node, cst.Name):
            scope = self.get_metadata(ScopeProvider, node, None)
            if scope is not None:
                return any(id(getattr(a, "node", None)) in self.aliases for a in scope[node.value])
        value = self_attribute_value(node, self.self_attribute_table, lambda n: self.get_metadata(ScopeProvider, n, None))
        return value is not None and self.is_resource(value)

    def self_attribute_table(self) -> dict:
        if self.self_attributes is None:
            self.self_attributes = self_attributes(self.module)
        return self.self_attributes

    # -- module-wide facts ---------------------------------------------------
    def visit_Import(self, node: cst.Import) -> bool:
        if any(_dotted(a.name).split(".")[0] == "openai" for a in node.names):
            self.uses_openai = True
        return False  # imported names are not uses

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if node.module is not None and _dotted(node.module).split(".")[0] == "openai":
            self.uses_openai = True
        return False

    # -- statements ----------------------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        if self.is_resource(node.value):
            for t in node.targets:
                if isinstance(t.target, cst.Name):
                    self.aliases.add(id(t.target))
        # params["model"] = "curie"
        for t in node.targets:
            if (isinstance(t.target, cst.Subscript) and isinstance(node.value, cst.SimpleString)
                    and _subscript_key(t.target) and MODEL_KEY.match(_subscript_key(t.target))):
                self.model_literal(node.value)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        # Bare string statements are docstrings or notes, not code that runs.
        for stmt in node.body:
            if isinstance(stmt, cst.Expr) and isinstance(stmt.value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
                for sub in _strings(stmt.value):
                    self.handled.add(id(sub))

    # -- calls -----------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if self.is_resource(func.value):
                repl = self.v0["methods"].get(method)
                if repl is not None:
                    self.uses_legacy_api = True
                    self.handled.update((id(func), id(func.value)))
                    self.add(self.sdk_call(node, "FT010", f"{self.resource}.{method}", self.v0, repl, method))
            elif (isinstance(func.value, cst.Attribute) and func.value.attr.value == self.v1["legacy"]
                  and method in self.v1["methods"]):
                if self.v1_target(func.value.value):
                    self.v1_call(node)
                else:
                    self.deferred.append(("v1", node))
        names = self.qnames(func)
        if isinstance(func, cst.Attribute) and func.attr.value == "add_argument":
            flags = [_literal_text(a.value) for a in node.args if a.keyword is None]
            keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
            dest = keywords.get("dest")
            self.option_default([f for f in flags if f.startswith("-")],
                                _literal_text(dest) if dest is not None else None, keywords.get("default"))
        if names & SUBPROCESS_CALLS and node.args:
            self.subprocess_call(node.args[0].value)
        # The model of a legacy create is one to fine-tune, not to run.
        creates = isinstance(func, cst.Attribute) and func.attr.value in ("create", "acreate") and (
            self.is_resource(func.value)
            or isinstance(func.value, cst.Attribute) and func.value.attr.value == self.v1["legacy"]
            or any(n.rpartition(".")[0] == self.v0["replacement"] for n in names)
            or _dotted(func.value).endswith(self.v1["replacement"]))
        purpose = "fine-tuning" if creates else "inference"
        # fix turns engine= into model= only on the SDK's own calls (the /v1/engines routes are gone).
        sdk_call = any(n.startswith("openai.") for n in names)
        moves = self.moves_to_chat(node, names)
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value in MODEL_KWARGS:
                fixable = arg.keyword.value != "engine" or sdk_call
                self.model_argument(arg.keyword.value, arg.value, purpose, fixable, moves)

    def moves_to_chat(self, node: cst.Call, names: set[str]) -> bool:
        """Whether ``fix`` (FX008) can move this completions call to chat completions when its
        model's target is a chat model: an SDK completions create with keyword arguments
        only, one prompt, and none of the parameters chat has no equal for."""
        func = node.func
        comp = self.catalog.completions
        if not isinstance(func, cst.Attribute) or func.attr.value not in comp["methods"]:
            return False
        v0 = any(n == f"{comp['v0_legacy']}.{func.attr.value}" for n in names)
        v1 = (isinstance(func.value, cst.Attribute) and func.value.attr.value == comp["v1_legacy"]
              and self.v1_target(func.value.value))
        if not (v0 or v1):
            return False
        for arg in node.args:
            if arg.keyword is None or arg.keyword.value in comp["no_equal"]:
                return False
            if arg.keyword.value == "prompt" and isinstance(arg.value, (cst.List, cst.Tuple)):
                return False
        return True

    def v1_call(self, node: cst.Call) -> None:
        method = node.func.attr.value  # type: ignore[attr-defined]
        self.uses_legacy_api = True
        self.add(self.sdk_call(node, "FT011", f"client.{self.v1['legacy']}.{method}", self.v1,
                               self.v1["methods"][method], method))

    def v1_target(self, node: cst.CSTNode) -> bool:
        """``X`` in ``X.fine_tunes.create()``: the openai module itself or a client object."""
        names = self.qnames(node)
        if "openai" in names or names & self.clients:
            return True
        return isinstance(node, cst.Call) and bool(self.qnames(node.func) & self.clients)

    def sdk_call(self, node: cst.Call, rule: str, legacy: str, gen: dict, repl: str, method: str) -> Finding:
        keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        note, blocked = "", False
        if rule == "FT010" and method in ("create", "acreate") and "model" not in keywords:
            default = self.catalog.request_fields["default_model"]
            advice = advise(self.catalog, default, "fine-tuning")
            need = f"model={advice.target!r}" if advice.target else f"a model ({advice.text})"
            note = f" (no model given: the legacy default was {default!r}; the new API needs {need})"
        streamed = method == "list_events" and "stream" in keywords and not m.matches(keywords["stream"], m.Name("False"))
        if streamed:
            note, blocked = " (stream=True has no equivalent: poll list_events instead)", True
        if (method == "stream_events" or streamed) and self.loop_over_stream(node):
            note = " (stream has no equivalent: fix loops over a generated helper that polls list_events instead)"
            return finding(self.path, self.span(node), rule, "sdk-call", legacy, EVENT_HELPER, True,
                           f"{legacy} calls the legacy /v1/fine-tunes endpoint, shut down on 2024-01-04{note}")
        return _call_finding(self.path, self.span(node), rule, legacy, gen, repl, note, blocked)

    def loop_over_stream(self, node: cst.Call) -> bool:
        """What fix (FX009) rewrites: a stream of one job's events, given only the job id (and
        ``stream=True``), iterated by a synchronous loop; on v1 a client named, not built."""
        up = self.get_metadata(ParentNodeProvider, node, None)
        if not (isinstance(up, (cst.For, cst.CompFor)) and up.iter is node and up.asynchronous is None):
            return False
        args = [a for a in node.args
                if not (a.keyword is not None and a.keyword.value == "stream" and m.matches(a.value, m.Name("True")))]
        if len(node.args) - len(args) != (node.func.attr.value == "list_events"):  # type: ignore[attr-defined]
            return False
        if len(args) != 1 or args[0].star or args[0].keyword is not None and args[0].keyword.value not in EVENT_ID_KEYWORDS:
            return False
        receiver = node.func.value  # type: ignore[attr-defined]
        return self.is_resource(receiver) or isinstance(receiver.value, (cst.Name, cst.Attribute))

    def subprocess_call(self, arg: cst.BaseExpression) -> None:
        if isinstance(arg, (cst.List, cst.Tuple)):
            argv = [_literal_text(e.value) for e in arg.elements]
            if CLI_HINT.search(" ".join(argv)):
                for flag, e in zip(argv, arg.elements[1:]):
                    if CLI_MODEL_FLAG.search(" " + flag + " ") and isinstance(e.value, cst.Name):
                        self.cli_model_name(e.value, " ".join(argv))
            if argv and any(isinstance(e.value, cst.SimpleString) for e in arg.elements):
                from migrator.scan import cli_lines

                span = self.span(arg)
                for f in cli_lines.command_findings(argv, self.path, span, self.catalog):
                    self.add(f)
                for e in arg.elements:
                    for sub in _strings(e.value):
                        self.handled.add(id(sub))

    def cli_model_name(self, name: cst.Name, command: str) -> None:
        """A name passed as ``-m``/``--model`` to the legacy CLI: the constant or default it holds
        is a model, to fine-tune when the command creates a fine-tune."""
        creates = re.search(r"\bfine_tunes\.create\b", command) is not None
        self.model_names.append((name, "fine-tuning" if creates else "inference", False, "-m"))
        if self.links:
            self.imported_model(name)

    # -- models ------------------------------------------------------------------
    def model_argument(self, keyword: str, value: cst.BaseExpression, purpose: str, fixable: bool,
                       moves: bool) -> None:
        if isinstance(value, cst.SimpleString):
            self.model_literal(value, f"passed as {keyword}=", purpose, fixable, moves)
        elif isinstance(value, cst.Name):
            self.model_names.append((value, purpose, moves, "model="))
        elif isinstance(value, cst.Attribute):
            self.model_attributes.append((value, purpose, moves))
        if self.links and isinstance(value, (cst.Name, cst.Attribute)):
            self.imported_model(value)

    def model_literal(self, node: cst.SimpleString, context: str = "", purpose: str = "inference",
                      fixable: bool = True, moves: bool = False) -> None:
        text = node.evaluated_value
        if isinstance(text, str):
            self.handled.add(id(node))
            self.add(model_finding(text, self.path, self.span(node), self.catalog, context=context,
                                   purpose=purpose, fixable=fixable, moves_to_chat=moves))

    def resolve_model_names(self) -> None:
        """Follow names passed as model=/engine= (or -m) to the constant or default they hold.

        ``fix`` rewrites such a value where the name is passed as model=/engine= or is
        itself named for a model; a value only passed on a command line, or held by a
        click option's default, is reported for a person to change."""
        for name, purpose, moves, via in self.model_names:
            named = name.value.lower() in ("model", "engine") or name.value.lower().endswith(("_model", "_engine"))
            scope = self.get_metadata(ScopeProvider, name, None)
            if scope is None:
                continue
            for a in scope[name.value]:
                target = getattr(a, "node", None)  # builtins (BuiltinAssignment) have no node
                value = None
                if isinstance(target, cst.Param) and isinstance(target.default, cst.SimpleString):
                    value = target.default
                elif isinstance(target, cst.Param) and target.default is None:
                    value = self.option_defaults.get(target.name.value)
                    via = "an option's default"
                elif isinstance(target, cst.Name):
                    parent = self.get_metadata(ParentNodeProvider, target, None)
                    owner = self.get_metadata(ParentNodeProvider, parent, None) if parent is not None else None
                    if isinstance(parent, cst.AssignTarget) and isinstance(owner, cst.Assign):
                        value = owner.value if isinstance(owner.value, cst.SimpleString) else None
                    elif isinstance(parent, cst.AnnAssign) and isinstance(parent.value, cst.SimpleString):
                        value = parent.value
                if value is not None:
                    fixable = via.endswith("=") or (via == "-m" and named)
                    self.model_literal(value, f"flows into {via} as {name.value}", purpose, fixable, moves)

    def resolve_model_attributes(self) -> None:
        """``args.model`` (an argparse option's default) and ``Engine.GOOD[.value]`` (an Enum
        member) passed as model=/engine=: the literal they hold."""
        for node, purpose, moves in self.model_attributes:
            value, context = None, ""
            inner = node.value if node.attr.value == "value" and isinstance(node.value, cst.Attribute) else node
            if isinstance(inner, cst.Attribute) and isinstance(inner.value, cst.Name):
                value = self.enum_members.get((inner.value.value, inner.attr.value))
                context = f"flows into model= as {inner.value.value}.{inner.attr.value}"
            if value is None and node.attr.value in self.option_defaults:
                value = self.option_defaults[node.attr.value]
                context = f"default of the option {node.attr.value!r}, flows into model="
            if value is not None:
                self.model_literal(value, context, purpose, fixable=False, moves=moves)

    def imported_model(self, node: cst.CSTNode) -> None:
        """A name imported from another module used as a model: an import record."""
        for q in self.get_metadata(QualifiedNameProvider, node, set()):
            if q.source is QualifiedNameSource.IMPORT and not q.name.startswith("openai"):
                self.imports.append((q.name.removesuffix(".value"), node))

    def visit_Module(self, node: cst.Module) -> None:
        for line in node.body:
            if isinstance(line, cst.SimpleStatementLine):
                for stmt in line.body:
                    if (isinstance(stmt, cst.Assign) and len(stmt.targets) == 1
                            and isinstance(stmt.targets[0].target, cst.Name)
                            and isinstance(stmt.value, cst.SimpleString)):
                        self.exports.append((stmt.targets[0].target.value, stmt.value))

    def link_records(self) -> None:
        """Export records for module-level models nothing here uses as one; import records."""
        for name, node in self.exports:
            text = node.evaluated_value
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
    def option_default(self, names: list[str], dest: str | None, default: cst.BaseExpression | None) -> None:
        """An argparse/click/typer option: remember its default by destination; report it at
        once when the option itself is named for a model (``--model``, ``-m``, ``--engine``)."""
        if not isinstance(default, cst.SimpleString) or not isinstance(default.evaluated_value, str):
            return
        longs = [n for n in names if n.startswith("--")]
        dest = dest or (longs[0] if longs else names[0] if names else "").lstrip("-").replace("-", "_")
        if dest:
            self.option_defaults[dest] = default
        model_named = [n for n in names if MODEL_OPTION.match(n)]
        if model_named:
            self.model_literal(default, f"default of the option {model_named[0]}")

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if not any(self.qnames(b.value) & ENUM_BASES for b in node.bases):
            return
        model_named = model_named_enum(node.name.value, [self.qnames(b.value) for b in node.bases])
        for line in node.body.body if isinstance(node.body, cst.IndentedBlock) else ():
            if not isinstance(line, cst.SimpleStatementLine):
                continue
            for stmt in line.body:
                if (isinstance(stmt, cst.Assign) and len(stmt.targets) == 1
                        and isinstance(stmt.targets[0].target, cst.Name) and isinstance(stmt.value, cst.SimpleString)):
                    member = stmt.targets[0].target.value
                    self.enum_members[(node.name.value, member)] = stmt.value
                    if not model_named:
                        self.exports.append((f"{node.name.value}.{member}", stmt.value))
                    if model_named:
                        self.model_literal(stmt.value, f"member {node.name.value}.{member}")

    def visit_Decorator(self, node: cst.Decorator) -> None:
        call = node.decorator
        if isinstance(call, cst.Call) and self.qnames(call.func) & OPTION_DECORATORS:
            names = [v for a in call.args if a.keyword is None and isinstance(v := _literal_text(a.value), str)
                     and v.startswith("-")]
            params = [v for a in call.args if a.keyword is None and isinstance(a.value, cst.SimpleString)
                      and not (v := _literal_text(a.value)).startswith("-")]
            default = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "default"), None)
            self.option_default(names, params[0] if params else None, default)

    def visit_Dict(self, node: cst.Dict) -> None:
        for el in node.elements:
            if isinstance(el, cst.DictElement) and isinstance(el.key, cst.SimpleString):
                self.handled.add(id(el.key))
                key = el.key.evaluated_value
                if isinstance(key, str) and MODEL_KEY.match(key) and isinstance(el.value, cst.SimpleString):
                    self.model_literal(el.value, f'under key "{key}"')

    def visit_Subscript(self, node: cst.Subscript) -> None:
        key = _subscript_key(node)
        if key is not None:
            for sub in _strings(node.slice[0].slice.value):  # type: ignore[attr-defined]
                self.handled.add(id(sub))
            self.deferred.append(("response", node))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if id(node) in self.handled:
            return
        if self.qnames(node) & self.clients:
            self.uses_client = True
        if node.attr.value in self.catalog.response_fields or node.attr.value == "id":
            self.deferred.append(("response", node))
        if (self.resource in self.qnames(node) or any(
                n.startswith(self.resource + ".") for n in self.qnames(node))) and not _on_a_result(node):
            self.resource_reference(node)

    def visit_Name(self, node: cst.Name) -> None:
        names = self.qnames(node)
        if names & self.clients:
            self.uses_client = True
        if id(node) not in self.handled and self.resource in names:
            self.resource_reference(node)

    def resource_reference(self, node: cst.CSTNode) -> None:
        """openai.FineTune used other than as a call target: annotation, mock target, alias."""
        parent = self.get_metadata(ParentNodeProvider, node, None)
        if isinstance(parent, cst.Attribute) and parent.value is node:
            return  # the enclosing attribute is reported (or is a call handled above)
        if isinstance(parent, (cst.ImportAlias, cst.ImportFrom)) or id(node) in self.handled:
            return
        names = sorted(n for n in self.qnames(node) if n.startswith(self.resource))
        legacy = names[0] if names else self.resource
        self.uses_legacy_api = True
        self.handled.add(id(node))
        self.add(self.reference_finding(node, legacy))

    def reference_finding(self, node: cst.CSTNode, legacy: str) -> Finding:
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
    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if id(node) in self.handled:
            return
        try:
            text = node.evaluated_value
        except Exception:  # bytes literal with escapes LibCST cannot evaluate
            return
        if isinstance(text, bytes):
            text = text.decode("latin-1")
        self.string_text(node, text)
        if text in self.catalog.legacy_models:
            self.deferred.append(("literal", node))
        elif self.catalog.fine_tuned_base(text):
            self.model_literal(node)
        if text in self.catalog.statuses["legacy_only"]:
            self.deferred.append(("status", node))

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        if id(node) in self.handled:
            return
        text = "".join(p.value if isinstance(p, cst.FormattedStringText) else PLACEHOLDER for p in node.parts)
        if CLI_HINT.search(text):
            # f"openai api fine_tunes.create -m {model}": the name's value is a model
            before = ""
            for part in node.parts:
                if isinstance(part, cst.FormattedStringText):
                    before += part.value
                elif isinstance(part.expression, cst.Name) and CLI_MODEL_FLAG.search(before):
                    self.cli_model_name(part.expression, text)
                else:
                    before += PLACEHOLDER
        self.string_text(node, text)

    def string_text(self, node: cst.CSTNode, text: str) -> None:
        """Dotted resource strings, CLI command strings and endpoint URLs inside a literal."""
        if text == self.resource or text.startswith(self.resource + "."):
            self.uses_legacy_api = True
            self.add(self.reference_finding(node, text))
            return
        span = self.span(node)
        if CLI_HINT.search(text):
            from migrator.scan import cli_lines

            for f in cli_lines.scan_command_text(text.replace(PLACEHOLDER, "X"), self.path, self.catalog):
                self.add(Finding(**{**f.__dict__, "line": span.line, "column": span.column,
                                    "end_line": span.end_line, "end_column": span.end_column}))
            return
        raw = self.module.code_for_node(node)
        for start, end, url in endpoint_matches(text, self.catalog):
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
    def response_field(self, node: cst.CSTNode) -> None:
        key = _subscript_key(node) if isinstance(node, cst.Subscript) else node.attr.value  # type: ignore[attr-defined]
        if key == "id":
            inner = node.value  # type: ignore[attr-defined]
            if isinstance(inner, cst.Subscript) and _field_of(inner.value) == "result_files":
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

    def status_value(self, node: cst.SimpleString) -> None:
        parent = self.get_metadata(ParentNodeProvider, node, None)
        while isinstance(parent, (cst.Tuple, cst.List, cst.Set, cst.Element, cst.ComparisonTarget)):
            parent = self.get_metadata(ParentNodeProvider, parent, None)
        if not isinstance(parent, cst.Comparison):
            return
        new = self.catalog.statuses["new_for_legacy"]
        self.add(finding(self.path, self.span(node), "FT031", "response-field", node.evaluated_value,
                         " or ".join(new), True,
                         f"fine-tuning jobs never report status {node.evaluated_value!r}: "
                         f"they report {' / '.join(repr(s) for s in new)} before 'running'"))


def _on_a_result(node: cst.Attribute) -> bool:
    """``FT.list().data``: an attribute of what a call returned, which LibCST still names
    ``openai.FineTune.list.data`` (the call itself is the finding)."""
    value = node.value
    while isinstance(value, (cst.Attribute, cst.Subscript)):
        value = value.value
    return isinstance(value, cst.Call)


def _dotted(node: cst.CSTNode) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _strings(node: cst.CSTNode) -> Iterable[cst.CSTNode]:
    if isinstance(node, (cst.SimpleString, cst.FormattedString)):
        yield node
    elif isinstance(node, cst.ConcatenatedString):
        yield from _strings(node.left)
        yield from _strings(node.right)


def _literal_text(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.SimpleString) and isinstance(node.evaluated_value, str):
        return node.evaluated_value
    return PLACEHOLDER


def _subscript_key(node: cst.Subscript) -> str | None:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    value = node.slice[0].slice.value
    if isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
        return value.evaluated_value
    return None


def _field_of(node: cst.CSTNode) -> str | None:
    if isinstance(node, cst.Subscript):
        return _subscript_key(node)
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None
