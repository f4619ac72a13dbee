"""FT001/FT002 in Python: legacy endpoint URLs in strings and f-strings (fixed by FX006).

``requests.post(f"{BASE}/v1/fine-tunes", json=body)`` and the like: the finding
sits on the URL's own characters inside the literal where it can.

FX006 rewrites a URL where it is the URL of a ``requests``/``httpx``/``aiohttp``
call (in a module that imports one of them: a session's ``.post`` cannot be
resolved to its library), written in the call or bound once to a name the call
passes.  A URL anywhere else (a log line, a dict, ``urllib``, a module that
imports no HTTP library) is reported as work for a person.
"""

from __future__ import annotations

import ast
import dataclasses

from migrator.catalog import Endpoint
from migrator.code_shapes import HTTP_LIBRARIES, HTTP_VERBS
from migrator.rules import Family, rule
from migrator.rules.facts import PLACEHOLDER, Arg
from migrator.scan.common import Span, endpoint_finding, endpoint_matches


@rule("FT001", "FT002", fixes=("FX006",), order=30)
class Endpoints(Family):
    def __init__(self, facts):
        super().__init__(facts)
        self.urls: list[tuple[ast.AST, tuple]] = []  # (string node, finding key) of each fixable finding
        self.calls: list[tuple[ast.Call, ast.expr]] = []  # HTTP-shaped calls and their URL expression

    def call(self, node: ast.Call, names: set[str], args: list[Arg]) -> None:
        func = node.func
        if not isinstance(func, ast.Attribute):
            return
        endpoint = self.facts.catalog.resource_endpoint(names, func.attr)
        if endpoint is not None:
            self.resource_call(node, endpoint)
        if func.attr not in HTTP_VERBS:
            return
        positional = [v for k, v, star in args if k is None and not star]
        keywords = {k: v for k, v, _ in args if k is not None}
        if func.attr == "request":
            given = keywords.get("method", positional[0] if positional else None)
            if given is None or not (self.facts.simple(given) and isinstance(given.value, str)):
                return
            url = keywords.get("url", positional[1] if len(positional) > 1 else None)
        else:
            url = keywords.get("url", positional[0] if positional else None)
        if url is not None:
            self.calls.append((node, url))

    def string_text(self, node: ast.AST, text: str) -> bool:
        f = self.facts
        matches = list(endpoint_matches(text, f.catalog))
        if not matches:
            return False
        span = f.span(node)
        raw = f.raw(node)
        for start, end, url in matches:
            literal = url.split(PLACEHOLDER, 1)[0]
            url = url.replace(PLACEHOLDER, "{id}").rstrip("/")
            f.uses_legacy_api = f.uses_legacy_api or "fine-tunes" in url
            at = raw.find(literal)
            s = span
            if at >= 0 and span.line == span.end_line and literal == url:
                s = Span(span.line, span.column + at, span.line, span.column + at + len(url))
            elif at >= 0 and span.line == span.end_line:
                s = Span(span.line, span.column + at, span.line, span.end_column)
            found = endpoint_finding(url, f.path, s, f.catalog)
            if found is not None and found.fixable:
                self.urls.append((node, (found.rule, found.line, found.column, found.legacy)))
            f.add(found)
        return True

    def resource_call(self, node: ast.Call, endpoint: Endpoint) -> None:
        """``openai.Answer.create(...)``: an SDK resource of an endpoint with no equivalent."""
        f = self.facts
        found = endpoint_finding(endpoint.legacy, f.path, f.span(node.func), f.catalog, fixable=False)
        if found is not None:
            f.add(dataclasses.replace(found, message=f"{f.raw(node.func)} calls {endpoint.legacy}, shut down on "
                                      f"{endpoint.shutdown.isoformat()}; {endpoint.note or 'it has no equivalent'}"))

    def finish(self) -> None:
        if not self.urls:
            return
        rewritten = self.rewritten_urls()
        for node, key in self.urls:
            found = self.facts.found.get(key)
            if found is not None and found.fixable and id(self.whole_url(node)) not in rewritten:
                self.facts.found[key] = dataclasses.replace(
                    found, fixable=False,
                    message=f"{found.message} (not the URL of a requests/httpx/aiohttp call here: change it by hand)")

    def rewritten_urls(self) -> set[int]:
        """The ids of the URL expressions FX006 rewrites: of the HTTP calls it recognises."""
        f = self.facts
        if not self.imports_library():
            return set()
        out = set()
        for call, url in self.calls:
            receiver = f.imported_names(call.func.value)  # type: ignore[attr-defined]
            if receiver and not any(q.split(".")[0] in HTTP_LIBRARIES for q in receiver):
                continue
            if isinstance(url, ast.Name):
                url = f.alias_value(url) or url
            out.add(id(url))
        return out

    def imports_library(self) -> bool:
        m = self.facts.m
        scopes = {id(s): s for s in (m.module_scope, *m.scopes.values())}.values()
        return any(b.imported is not None and b.imported.split(".")[0] in HTTP_LIBRARIES
                   for s in scopes for bindings in s.bindings.values() for b in bindings)

    def whole_url(self, node: ast.AST) -> ast.AST:
        """The URL expression a string is a piece of: the f-string, or the ``+`` concatenation, it is in."""
        m = self.facts.m
        parent = m.parent(node)
        while isinstance(parent, ast.JoinedStr) or (isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Add)):
            node, parent = parent, m.parent(parent)
        return node
