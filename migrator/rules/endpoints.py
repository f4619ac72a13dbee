"""FT001/FT002 in Python: legacy endpoint URLs in strings and f-strings (fixed by FX006).

``requests.post(f"{BASE}/v1/fine-tunes", json=body)`` and the like: the finding
sits on the URL's own characters inside the literal where it can.
"""

from __future__ import annotations

import ast

from migrator.rules import Family, rule
from migrator.rules.facts import PLACEHOLDER
from migrator.scan.common import Span, endpoint_finding, endpoint_matches


@rule("FT001", "FT002", fixes=("FX006",), order=30)
class Endpoints(Family):
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
            f.add(endpoint_finding(url, f.path, s, f.catalog))
        return True
