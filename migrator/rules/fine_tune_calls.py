"""FT010-FT012: the legacy fine-tunes resource, called or named (fixed by FX001, FX009).

``openai.FineTune.<method>()`` (v0 SDKs, through any import alias, an alias
variable or ``self.<attr>``), ``<client or openai>.fine_tunes.<method>()`` (v1
SDKs), and the resource named other than as a call target: an annotation, a mock
target, an alias, a dotted string.
"""

from __future__ import annotations

import ast

from migrator.advice import for_model as advise
from migrator.catalog import Catalog, SdkGeneration
from migrator.code_shapes import EVENT_HELPER, EVENT_ID_KEYWORDS, POSITIONAL
from migrator.findings import Finding
from migrator.rules import Family, rule
from migrator.rules.facts import Arg, arguments, is_constant
from migrator.scan.common import Span, finding


def call_finding(catalog: Catalog, path: str, span: Span, rule_id: str, legacy: str, gen: SdkGeneration, repl: str,
                 note: str = "", blocked: bool = False) -> Finding:
    """An SDK call finding; ``blocked`` when an argument has no equivalent (stream=True)."""
    base = _calls_legacy(catalog, legacy)
    if repl:
        owner = gen.replacement if rule_id == "FT010" else f"client.{gen.replacement}"
        replacement = f"{owner}.{repl}"
        msg = f"{base}; use {replacement}"
    else:
        replacement = None
        msg = f"{base}; it has no equivalent"
    return finding(path, span, rule_id, "sdk-call", legacy, replacement, bool(repl) and not blocked, msg + note)


def _calls_legacy(catalog: Catalog, legacy: str) -> str:
    return f"{legacy} calls the legacy /v1/fine-tunes endpoint, shut down on {catalog.shutdown.isoformat()}"


@rule("FT010", "FT011", "FT012", fixes=("FX001", "FX004", "FX005", "FX009"), order=10)
class FineTuneCalls(Family):
    def __init__(self, facts):
        super().__init__(facts)
        self.v0 = facts.catalog.sdk.v0
        self.v1 = facts.catalog.sdk.v1
        self.v1_calls: list[ast.Call] = []  # on an object not known to be a client, until one is seen

    def assign(self, node: ast.Assign) -> None:
        if self.facts.is_resource(node.value):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    self.facts.aliases.add(id(t))

    def call(self, node: ast.Call, names: set[str], args: list[Arg]) -> None:
        f = self.facts
        func = node.func
        if not isinstance(func, ast.Attribute):
            return
        method = func.attr
        if f.is_resource(func.value):
            repl = self.v0.methods.get(method)
            if repl is not None:
                f.uses_legacy_api = True
                f.legacy_calls[id(node)] = method
                f.handled.update((id(func), id(func.value)))
                f.add(self.sdk_call(node, "FT010", f"{f.resource}.{method}", self.v0, repl, method))
        elif (isinstance(func.value, ast.Attribute) and func.value.attr == self.v1.legacy
              and method in self.v1.methods):
            if f.v1_target(func.value.value):
                self.v1_call(node)
            else:
                self.v1_calls.append(node)

    def attribute(self, node: ast.Attribute, names: set[str]) -> None:
        f = self.facts
        if names & f.clients:
            f.uses_client = True
        if (f.resource in names or any(n.startswith(f.resource + ".") for n in names)) and not _on_a_result(node):
            self.resource_reference(node)

    def name(self, node: ast.Name, names: set[str]) -> None:
        f = self.facts
        if names & f.clients:
            f.uses_client = True
        if id(node) not in f.handled and f.resource in names:
            self.resource_reference(node)

    def string_text(self, node: ast.AST, text: str) -> bool:
        """``"openai.FineTune.create"``: a dotted string naming the resource (a mock target)."""
        f = self.facts
        if text == f.resource or text.startswith(f.resource + "."):
            f.uses_legacy_api = True
            f.add(self.reference_finding(node, text))
            return True
        return False

    def finish(self) -> None:
        if self.facts.uses_client:
            for node in self.v1_calls:
                self.v1_call(node)

    # -- calls ---------------------------------------------------------------------
    def v1_call(self, node: ast.Call) -> None:
        method = node.func.attr  # type: ignore[attr-defined]
        self.facts.uses_legacy_api = True
        self.facts.legacy_calls[id(node)] = method
        self.facts.add(self.sdk_call(node, "FT011", f"client.{self.v1.legacy}.{method}", self.v1,
                                     self.v1.methods[method], method))

    def sdk_call(self, node: ast.Call, rule_id: str, legacy: str, gen: SdkGeneration, repl: str, method: str) -> Finding:
        f = self.facts
        keywords = {k.arg: k.value for k in node.keywords if k.arg is not None}
        note, blocked = "", False
        unpacked = any(k.arg is None for k in node.keywords)  # create(**params): the model may be in params
        if rule_id == "FT010" and method in ("create", "acreate") and "model" not in keywords and not unpacked:
            default = f.catalog.request_fields["default_model"]
            advice = advise(f.catalog, default, "fine-tuning")
            need = f"model={advice.target!r}" if advice.target else f"a model ({advice.text})"
            note = f" (no model given: the legacy default was {default!r}; the new API needs {need})"
        if method in ("create", "acreate") and node.args:  # FX001 leaves it, with a TODO
            note, blocked = f" ({POSITIONAL}: pass its fields as keyword arguments (or **dict))", True
        streamed = method == "list_events" and "stream" in keywords and not is_constant(keywords["stream"], False)
        if streamed:
            note, blocked = " (stream=True has no equivalent: poll list_events instead)", True
        if (method == "stream_events" or streamed) and self.loop_over_stream(node):
            note = " (stream has no equivalent: fix loops over a generated helper that polls list_events instead)"
            return finding(f.path, f.span(node), rule_id, "sdk-call", legacy, EVENT_HELPER, True,
                           _calls_legacy(f.catalog, legacy) + note)
        return call_finding(f.catalog, f.path, f.span(node), rule_id, legacy, gen, repl, note, blocked)

    def loop_over_stream(self, node: ast.Call) -> bool:
        """What fix (FX009) rewrites: a stream of one job's events, given only the job id (and
        ``stream=True``), iterated by a synchronous loop; on v1 a client named, not built."""
        up = self.facts.m.parent(node)
        if not ((isinstance(up, ast.For) or isinstance(up, ast.comprehension) and not up.is_async)
                and up.iter is node):
            return False
        every = arguments(node)
        args = [a for a in every if not (a[0] == "stream" and is_constant(a[1], True))]
        if len(every) - len(args) != (node.func.attr == "list_events"):  # type: ignore[attr-defined]
            return False
        if len(args) != 1 or args[0][2] or args[0][0] is not None and args[0][0] not in EVENT_ID_KEYWORDS:
            return False
        receiver = node.func.value  # type: ignore[attr-defined]
        return (self.facts.is_resource(receiver)
                or isinstance(getattr(receiver, "value", None), (ast.Name, ast.Attribute)))

    # -- the resource named ------------------------------------------------------------
    def resource_reference(self, node: ast.AST) -> None:
        """openai.FineTune used other than as a call target: annotation, mock target, alias."""
        f = self.facts
        parent = f.m.parent(node)
        if isinstance(parent, ast.Attribute) and parent.value is node:
            return  # the enclosing attribute is reported (or is a call handled above)
        if id(node) in f.handled:
            return
        names = sorted(n for n in f.qnames(node) if n.startswith(f.resource))
        legacy = names[0] if names else f.resource
        f.uses_legacy_api = True
        f.handled.add(id(node))
        f.add(self.reference_finding(node, legacy))

    def reference_finding(self, node: ast.AST, legacy: str) -> Finding:
        f = self.facts
        tail = legacy[len(f.resource):].lstrip(".")
        if tail:
            repl = self.v0.methods.get(tail)
            replacement = f"{self.v0.replacement}.{repl}" if repl else None
        else:
            replacement = self.v0.replacement
        msg = f"{legacy} is the legacy fine-tunes resource"
        msg += f"; use {replacement}" if replacement else "; it has no equivalent"
        return finding(f.path, f.span(node), "FT012", "sdk-call", legacy, replacement, replacement is not None, msg)


def _on_a_result(node: ast.Attribute) -> bool:
    """``FT.list().data``: an attribute of what a call returned, which the resolver still
    names ``openai.FineTune.list.data`` (the call itself is the finding)."""
    value = node.value
    while isinstance(value, (ast.Attribute, ast.Subscript)):
        value = value.value
    return isinstance(value, ast.Call)
