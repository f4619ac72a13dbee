"""FT020-FT022: a model shut down by the as-of date, where it is used as one (fixed by FX002, FX008).

A legacy model is followed from where it is written to where it is used as one:
a literal passed as ``model=``/``engine=`` (or under a model-like key), a constant
or parameter default passed so, the default of a command-line option named for a
model (or whose value is passed as ``model=``), an ``Enum`` member, and a
module-level constant or member another module imports and passes as ``model=``
(left as records that :mod:`migrator.scan.links` joins across the tree).  A bare
string naming a legacy model counts only in a module that imports ``openai``.
"""

from __future__ import annotations

import ast
import dataclasses

from migrator.advice import EMBEDDINGS_CALLS, not_embeddings
from migrator.code_shapes import (ENUM_BASES, MODEL_OPTION, SDK_RESOURCE_CALL, SELF, TRAINING_FILE, cli_purpose,
                                  model_named, model_named_enum, named_purpose)
from migrator.findings import CHAT, COMPLETION, COMPLETIONS_CALL, shutdown_of
from migrator.rules import Family, rule
from migrator.rules.facts import Arg, dotted
from migrator.scan import links
from migrator.scan.common import endpoint_finding, finding, model_finding


MODEL_KWARGS = frozenset({"model", "engine"})
# Command-line options whose value is a model (argparse, click, typer; `python train.py -m curie`).
OPTION_DECORATORS = frozenset({"click.option", "typer.Option"})
# How a name reaches a call fix leaves as it is (a legacy fine-tunes call it does not migrate).
LEFT_AS_LEGACY = "model= of a legacy call left as it is"


@rule("FT020", "FT021", "FT022", fixes=("FX002", "FX008"), order=40)
class LegacyModels(Family):
    def __init__(self, facts):
        super().__init__(facts)
        self.exports: list[tuple[str, ast.Constant]] = []  # module-level constants and Enum members
        self.imports: list[tuple[str, ast.AST]] = []  # imported names used as a model
        # names whose value is a model: purpose, moves to chat, how it is passed ("model=", "-m")
        self.model_names: list[tuple[ast.Name, str, bool, str]] = []
        # Defaults of command-line options by destination (args.<dest>, a click parameter).
        self.option_defaults: dict[str, ast.Constant] = {}
        self.model_attributes: list[tuple[ast.Attribute, str, bool]] = []  # args.model / Engine.X passed as model=
        self.enum_members: dict[tuple[str, str], ast.Constant] = {}  # (class, member) -> value
        self.literals: list[ast.Constant] = []  # strings naming a legacy model, if the module imports openai
        # models given to x.fine_tunes.m() calls, fixable only if x turns out to be a client: (finding keys, names)
        self.unsure: list[tuple[set, range]] = []
        self.reported: set[int] = set()  # ids of names passed as a model that flow into a reported model
        self.engine_routes: list[tuple[ast.Call, ast.expr, set[str]]] = []  # SDK calls fix gives model= for engine=

    # -- hooks -----------------------------------------------------------------------
    def module(self, node: ast.Module) -> None:
        for stmt in node.body:
            if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                    and self.facts.simple(stmt.value)):
                self.exports.append((stmt.targets[0].id, stmt.value))

    def assign(self, node: ast.Assign) -> None:
        # params["model"] = "curie"
        for t in node.targets:
            if isinstance(t, ast.Subscript) and self.facts.simple(node.value):
                key = self.facts.subscript_key(t)
                if key and model_named(key):
                    self.model_literal(node.value)

    def call(self, node: ast.Call, names: set[str], args: list[Arg]) -> None:
        f = self.facts
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "add_argument":
            flags = [f.literal_text(v) for k, v, _ in args if k is None]
            keywords = {k: v for k, v, _ in args if k is not None}
            dest = keywords.get("dest")
            self.option_default([flag for flag in flags if flag.startswith("-")],
                                f.literal_text(dest) if dest is not None else None, keywords.get("default"))
        v0, v1 = f.catalog.sdk.v0, f.catalog.sdk.v1
        # The model of a legacy create is one to fine-tune, not to run.
        creates = isinstance(func, ast.Attribute) and func.attr in ("create", "acreate") and (
            f.is_resource(func.value)
            or isinstance(func.value, ast.Attribute) and func.value.attr == v1.legacy
            or any(n.rpartition(".")[0] == v0.replacement for n in names)
            or dotted(func.value).endswith(v1.replacement))
        purpose = "fine-tuning" if creates else "inference"
        # fix turns engine= into model= only on the SDK's own calls (the /v1/engines routes are gone).
        sdk_call = any(SDK_RESOURCE_CALL.match(n) for n in names)
        moves = self.moves_to_chat(node, names, args)
        left = self.left_as_legacy(node)
        if left == "unless a client is used":
            found, named = set(f.found), len(self.model_names)
        # fix turns engine= into model= only where model= is not given too (a call takes it once),
        # and leaves the model of a call whose endpoint has no equivalent (openai.Answer.create)
        both = MODEL_KWARGS <= {k for k, _, _ in args}
        gone = isinstance(func, ast.Attribute) and f.catalog.resource_endpoint(names, func.attr) is not None
        embeddings = bool(names & EMBEDDINGS_CALLS)
        for keyword, value, _ in args:
            if keyword in MODEL_KWARGS:
                fixable = (keyword != "engine" or sdk_call and not both) and left != "yes" and not gone
                self.model_argument(keyword, value, purpose, fixable, moves, blocked=left == "yes")
                if embeddings and f.simple(value):
                    self.embeddings_model(value)
            elif keyword is not None and model_named(keyword) and f.simple(value):
                # a wrapper's own model parameter (LangChain's OpenAI(model_name="text-davinci-003")),
                # whether or not the module imports openai: fix (FX002) leaves it to a person
                self.model_literal(value, f"passed as {keyword}=", purpose, fixable=False)
        if left == "unless a client is used":
            self.unsure.append((set(f.found) - found, range(named, len(self.model_names))))
        completions = self.completions_call(node, names)
        if completions:
            self.completions_model(node, args, moves)
        engine = next((v for k, v, _ in args if k == "engine"), None)
        if engine is not None and sdk_call and not both and left == "no" and not gone and not (
                completions and not f.catalog.format_alive(COMPLETION)):  # else FX008 owns the call
            self.engine_routes.append((node, engine, names))

    def embeddings_model(self, value: ast.Constant) -> None:
        """A model of another kind passed to an embeddings call (``engine="ada"``): fix (FX002)
        leaves the call with a TODO, since the model's own replacement would not answer there."""
        f = self.facts
        text = not_embeddings(f.catalog, f.literal_text(value))
        if text is None:
            return
        span = f.span(value)
        for key, found in list(f.found.items()):
            if found.rule in ("FT020", "FT022") and (found.line, found.column) == (span.line, span.column):
                f.found[key] = dataclasses.replace(found, fixable=False, message=text)

    def engine_route(self, node: ast.Call, engine: ast.expr, names: set[str]) -> None:
        """``engine=`` on an SDK resource call whose model is not reported above (a name not
        followed to a legacy model, a model the catalog does not know): the call goes to a
        /v1/engines route, gone, and fix (FX002) passes the engine as ``model=``."""
        f = self.facts
        if id(engine) in self.reported or f.simple(engine) and model_finding(
                f.literal_text(engine), f.path, f.span(engine), f.catalog) is not None:
            return  # the model finding's site holds this call
        resource = next(n for n in names if SDK_RESOURCE_CALL.match(n)).rpartition(".")[0]
        path = {"openai.Completion": "/v1/engines/{engine}/completions",
                "openai.Embedding": "/v1/engines/{engine}/embeddings"}.get(resource, "/v1/engines")
        found = endpoint_finding(path, f.path, f.span(engine), f.catalog)
        if found is None:
            return
        day = shutdown_of(found, f.catalog).isoformat()
        # a chat completions call is FX008's, which leaves its arguments as they are
        chat = resource == f.catalog.completions.v0_replacement
        f.add(dataclasses.replace(found, fixable=not chat, message=f"engine= sends this call to {found.legacy}, shut "
                                  f"down on {day}; pass the engine as model="))

    def completions_model(self, node: ast.Call, args: list[Arg], moves: bool) -> None:
        """A completions call once no completion-format model is left, whose model is not read
        here (``model=CLASSIFIER`` imported, an expression, none given): FX008 moves the call to
        chat all the same (unless something blocks it) and leaves a TODO: the model must name
        a chat model."""
        f = self.facts
        if f.catalog.format_alive(COMPLETION):
            return
        value = next((v for k, v, _ in args if k in MODEL_KWARGS), None)
        text = self.model_text(value) if value is not None else None
        known = f.catalog.model(text) if text is not None else None
        if (known is not None and known.format == CHAT and value is not None
                and (known.shutdown is None or known.shutdown.date > f.catalog.as_of)):
            # Completion.create(model="gpt-4o"): /v1/completions never served it (FX008 moves it)
            shown = f.raw(value)
            head = f"{shown} is a chat model, which /v1/completions does not serve"
            msg = (f"{head}: fix moves this call to chat completions" if moves
                   else f"{head}: move this call to chat completions (messages=[...]) by hand")
            f.add(finding(f.path, f.span(value), "FT020", COMPLETIONS_CALL, shown, None, moves, msg))
            return
        if text is not None and (known is not None or f.catalog.base_of(text) is not None):
            return  # a model the catalog knows: reported where it is written, if it is one to report
        shown = f.raw(value) if value is not None else "the model (not given here)"
        head = f"no completion-format model is left on {f.catalog.as_of.isoformat()}"
        if moves:
            msg = (f"{head}: fix moves this call to chat completions, and {shown} must name a chat model "
                   "(a fine-tuned completion model is re-trained on chat data: `ft-migrate data convert --to chat`)")
        else:
            msg = f"{head}: move this call to chat completions (messages=[...]) by hand, with a chat model for {shown}"
        f.add(finding(f.path, f.span(value if value is not None else node), "FT020", COMPLETIONS_CALL,
                      shown if value is not None else "model", None, moves, msg))

    def model_text(self, value: ast.expr) -> str | None:
        """The model id a call's model argument holds, as FX008 reads it: a literal, or the
        literal default or single assignment of a name."""
        f = self.facts
        literal: ast.expr | None = value
        if isinstance(value, ast.Name):
            bindings = f.m.lookup(value, value.id)
            if len(bindings) != 1:
                return None
            bound = bindings[0].node
            literal = f.m.default_of(bound) if isinstance(bound, ast.arg) else f.alias_value(value)
        if literal is not None and f.simple(literal) and isinstance(literal.value, str):
            return literal.value
        return None

    def left_as_legacy(self, call: ast.Call) -> str:
        """Whether this call is shaped like a legacy fine-tunes call (``X.FineTune.m()``,
        ``X.fine_tunes.m()``) that fix (FX001) does not migrate, so fix leaves its model
        as it is too: "yes", "no", or "unless a client is used" (``x.fine_tunes.m()`` on an
        object that may be a client).  A create given a positional argument stays too."""
        f = self.facts
        func = call.func
        if not isinstance(func, ast.Attribute):
            return "no"
        v0, v1 = f.catalog.sdk.v0, f.catalog.sdk.v1
        receiver = func.value
        name = receiver.attr if isinstance(receiver, ast.Attribute) else getattr(receiver, "id", None)
        if name not in (v0.legacy.rpartition(".")[2], v1.legacy):
            return "no"
        if func.attr in ("create", "acreate") and call.args:
            return "yes"
        if id(func) in f.handled:  # FT010: FX001 migrates it, unless nothing replaces the method
            return "no" if v0.methods.get(func.attr) else "yes"
        if name == v1.legacy and func.attr in v1.methods and v1.methods[func.attr]:
            return "no" if f.v1_target(receiver.value) else "unless a client is used"  # type: ignore[union-attr]
        return "yes"

    def decorator(self, node: ast.expr) -> None:
        f = self.facts
        if isinstance(node, ast.Call) and f.qnames(node.func) & OPTION_DECORATORS:
            names = [v for a in node.args if (v := f.literal_text(a)).startswith("-")]
            params = [v for a in node.args if f.simple(a) and not (v := f.literal_text(a)).startswith("-")]
            default = next((k.value for k in node.keywords if k.arg == "default"), None)
            self.option_default(names, params[0] if params else None, default)

    def class_def(self, node: ast.ClassDef) -> None:
        bases = [self.facts.qnames(b) for b in node.bases]
        if not any(q & ENUM_BASES for q in bases):
            return
        model_named = model_named_enum(node.name, bases)
        for stmt in node.body:
            if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                    and self.facts.simple(stmt.value)):
                member = stmt.targets[0].id
                self.enum_members[(node.name, member)] = stmt.value
                if model_named:
                    self.model_literal(stmt.value, f"member {node.name}.{member}")
                else:
                    self.exports.append((f"{node.name}.{member}", stmt.value))

    def dict(self, node: ast.Dict) -> None:
        f = self.facts
        tuning = any(f.simple(k) and k.value == TRAINING_FILE for k in node.keys)  # type: ignore[union-attr]
        for key, value in zip(node.keys, node.values):
            if f.simple(key):
                f.handled.add(id(key))
                tuned = tuning and key.value == "model"
                if isinstance(key.value, str) and model_named(key.value) and f.simple(value):
                    self.model_literal(value, f'under key "{key.value}"',
                                       "fine-tuning" if tuned else named_purpose(key.value))
                elif tuned and isinstance(value, ast.Name):  # {"training_file": f, "model": base}
                    self.model_names.append((value, "fine-tuning", False, "model="))

    def literal(self, node: ast.Constant, text: str) -> None:
        if text in self.facts.catalog.legacy_models:
            self.literals.append(node)
        elif self.facts.catalog.fine_tuned_base(text):
            self.model_literal(node)

    def bound_name(self, node: ast.Constant) -> tuple[str, str] | None:
        """The model-named variable or parameter ``node`` is the value or default of, and how
        (FX002 replaces a legacy model there whatever the value is used for next)."""
        f = self.facts
        if not f.simple(node):
            return None
        up = f.m.parent(node)
        if isinstance(up, ast.Assign) and up.value is node:
            names = [t.id for t in up.targets if isinstance(t, ast.Name) and model_named(t.id)]
            if names:
                return names[0], f"assigned to {names[0]}"
            attrs = [t.attr for t in up.targets if _self_attribute(t) and model_named(t.attr)]  # type: ignore
            return (attrs[0], f"assigned to {SELF}.{attrs[0]}") if attrs else None
        if isinstance(up, ast.AnnAssign) and up.value is node and isinstance(up.target, ast.Name):
            name = up.target.id
            return (name, f"assigned to {name}") if model_named(name) else None
        if isinstance(up, ast.AnnAssign) and up.value is node and _self_attribute(up.target):
            name = up.target.attr  # type: ignore[attr-defined]
            return (name, f"assigned to {SELF}.{name}") if model_named(name) else None
        if isinstance(up, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):  # a default's parent
            params = up.args
            positional = [*params.posonlyargs, *params.args]
            pairs = [*zip(positional[len(positional) - len(params.defaults):], params.defaults),
                     *zip(params.kwonlyargs, params.kw_defaults)]
            name = next((a.arg for a, d in pairs if d is node), None)
            return (name, f"default of {name}") if model_named(name) else None
        return None

    def finish(self) -> None:
        f = self.facts
        if not f.uses_client:  # the x.fine_tunes.m() calls stay legacy: fix leaves their models
            for keys, names in self.unsure:
                for key in keys:
                    f.found[key] = dataclasses.replace(f.found[key], fixable=False)
                for i in names:
                    self.model_names[i] = (*self.model_names[i][:3], LEFT_AS_LEGACY)
        self.resolve_model_names()
        self.resolve_model_attributes()
        for node, engine, names in self.engine_routes:
            self.engine_route(node, engine, names)
        for node in self.literals:  # a model-named variable's value or parameter's default: FX002 replaces it
            bound = self.bound_name(node) if id(node) not in f.handled else None
            if bound is not None:
                name, context = bound
                self.model_literal(node, context, named_purpose(name))
        if f.links:
            self.link_records()
        if f.uses_openai:  # a string that is only a model's name: fix does not know it is used as one
            for node in self.literals:
                if id(node) not in f.handled:
                    text = node.value.decode("latin-1") if isinstance(node.value, bytes) else node.value
                    f.add(model_finding(text, f.path, f.span(node), f.catalog, fixable=False))

    # -- what flows into model= ---------------------------------------------------------
    def moves_to_chat(self, node: ast.Call, names: set[str], args: list[Arg]) -> bool:
        """Whether ``fix`` (FX008) can move this completions call to chat completions when its
        model's target is a chat model: an SDK completions create with keyword arguments
        only, one prompt, and none of the parameters chat has no equal for."""
        if not self.completions_call(node, names):
            return False
        comp = self.facts.catalog.completions
        keywords = {keyword: value for keyword, value, _ in args}
        if None in keywords or any(k in comp.no_equal for k in keywords) or "prompt" not in keywords:
            return False
        if MODEL_KWARGS <= keywords.keys():
            return False  # engine= and model= both: the call is left, with a TODO
        prompt = keywords["prompt"]
        return not (_many(prompt) or _many(self.facts.alias_value(prompt)) or _not_text(prompt))

    def completions_call(self, node: ast.Call, names: set[str]) -> bool:
        """An SDK completions create: ``openai.Completion.create``, ``client.completions.create``."""
        func = node.func
        comp = self.facts.catalog.completions
        if not isinstance(func, ast.Attribute) or func.attr not in comp.methods:
            return False
        return (any(n == f"{comp.v0_legacy}.{func.attr}" for n in names)
                or (isinstance(func.value, ast.Attribute) and func.value.attr == comp.v1_legacy
                    and self.facts.v1_target(func.value.value)))

    def cli_model_name(self, name: ast.Name, command: str) -> None:
        """A name passed as ``-m``/``--model`` to the legacy CLI: the constant or default it holds
        is a model, to fine-tune when the command creates a fine-tune."""
        self.model_names.append((name, cli_purpose(command), False, "-m"))
        if self.facts.links:
            self.imported_model(name)

    def model_argument(self, keyword: str, value: ast.expr, purpose: str, fixable: bool, moves: bool,
                       blocked: bool = False) -> None:
        if self.facts.simple(value):
            self.model_literal(value, f"passed as {keyword}=", purpose, fixable, moves)
        elif isinstance(value, ast.Name):
            self.model_names.append((value, purpose, moves, LEFT_AS_LEGACY if blocked else "model="))
        elif isinstance(value, ast.Attribute):
            self.model_attributes.append((value, purpose, moves))
        if self.facts.links and isinstance(value, (ast.Name, ast.Attribute)):
            self.imported_model(value)

    def model_literal(self, node: ast.Constant, context: str = "", purpose: str = "inference",
                      fixable: bool = True, moves: bool = False) -> bool:
        """Report the model ``node`` names, if it is one to report; whether it is."""
        f = self.facts
        if not isinstance(node.value, str):
            return False
        f.handled.add(id(node))
        found = model_finding(node.value, f.path, f.span(node), f.catalog, context=context,
                              purpose=purpose, fixable=fixable, moves_to_chat=moves)
        f.add(found)
        return found is not None

    def resolve_model_names(self) -> None:
        """Follow names passed as model=/engine= (or -m) to the constant or default they hold.

        ``fix`` rewrites such a value where the name is passed as model=/engine= or is
        itself named for a model; a value only passed on a command line, or held by a
        click option's default, is reported for a person to change."""
        m = self.facts.m
        for name, purpose, moves, via in self.model_names:
            named = name.id.lower() in ("model", "engine") or name.id.lower().endswith(("_model", "_engine"))
            for b in m.lookup(name, name.id):
                target = b.node
                value = None
                if isinstance(target, ast.arg):
                    default = m.default_of(target)
                    if self.facts.simple(default):
                        value = default
                    elif default is None:
                        value = self.option_defaults.get(target.arg)
                        via = "an option's default"
                elif isinstance(target, ast.Name):
                    parent = m.parent(target)
                    if isinstance(parent, ast.Assign) and target in parent.targets and self.facts.simple(parent.value):
                        value = parent.value
                    elif (isinstance(parent, ast.AnnAssign) and parent.target is target
                          and self.facts.simple(parent.value)):
                        value = parent.value
                if value is not None:
                    fixable = via.endswith("=") or (via == "-m" and named)
                    if self.model_literal(value, f"flows into {via} as {name.id}", purpose, fixable, moves):
                        self.reported.add(id(name))

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

    def option_default(self, names: list[str], dest: str | None, default: ast.expr | None) -> None:
        """An argparse/click/typer option: remember its default by destination; report it at
        once when the option itself is named for a model (``--model``, ``-m``, ``--engine``)."""
        if not self.facts.simple(default) or not isinstance(default.value, str):
            return
        longs = [n for n in names if n.startswith("--")]
        dest = dest or (longs[0] if longs else names[0] if names else "").lstrip("-").replace("-", "_")
        if dest:
            self.option_defaults[dest] = default
        model_named = [n for n in names if MODEL_OPTION.match(n)]
        if model_named:
            self.model_literal(default, f"default of the option {model_named[0]}")

    # -- across modules ----------------------------------------------------------------
    def imported_model(self, node: ast.AST) -> None:
        """A name imported from another module used as a model: an import record."""
        for q in self.facts.m.qualified_names(node):
            if q.imported and not q.name.startswith("openai"):
                self.imports.append((q.name.removesuffix(".value"), node))

    def link_records(self) -> None:
        """Export records for module-level models nothing here uses as one; import records."""
        f = self.facts
        for name, node in self.exports:
            text = node.value
            if not isinstance(text, str) or f.catalog.legacy_model(text) is None:
                continue
            # (a constant named for a model is reported where it is written: see bound_name)
            short = name.rpartition(".")[2]
            found = model_finding(text, f.path, f.span(node), f.catalog, context=f"imported as {name}",
                                  fixable=False, purpose=named_purpose(short))
            if found is not None and not any(k[:3] == (found.rule, found.line, found.column) for k in f.found):
                f.found[("export", found.line, found.column, name)] = links.export_record(found, name)
        for qualified, node in self.imports:
            span = f.span(node)
            f.found[("import", span.line, span.column, qualified)] = links.import_record(
                f.path, qualified, span.line, span.column)


def _self_attribute(target: ast.expr) -> bool:
    """``self.<name>`` as an assignment target."""
    return isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == SELF


def _many(value: ast.expr | None) -> bool:
    """A list of prompts: chat completions answer one conversation per call."""
    return isinstance(value, (ast.List, ast.Tuple, ast.ListComp))


def _not_text(value: ast.expr) -> bool:
    """A literal that is no string: a number, a dict or set, bytes, None/True/False."""
    if isinstance(value, (ast.Dict, ast.Set, ast.DictComp, ast.SetComp)):
        return True
    return isinstance(value, ast.Constant) and not isinstance(value.value, str)
