"""Recognising raw HTTP calls (``requests``/``httpx``/``aiohttp``) and the legacy URL they hit.

FX006 rewrites these calls' URLs and bodies; FX003 reads what they return
(``r.json()["hyperparams"]``).  Both must agree on which calls are HTTP calls of
``/v1/fine-tunes``, so the recognition lives here once.
"""

from __future__ import annotations

import re

import libcst as cst
from libcst.metadata import QualifiedNameProvider, QualifiedNameSource

from ft_migrate_codemods._base import MigrationCommand, hole, string_value
from migrator.catalog import Endpoint
from migrator.code_shapes import HTTP_LIBRARIES, HTTP_VERBS

LEGACY_RE = re.compile(r"(?P<v1>/v1)?/fine-tunes(?![\w-])")


def pieces(node: cst.BaseExpression) -> list[cst.CSTNode]:
    """``node`` as a sequence of text pieces and interpolated expressions."""
    if isinstance(node, cst.FormattedString):
        return list(node.parts)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return pieces(node.left) + pieces(node.right)
    return [node]


def text(piece: cst.CSTNode) -> str | None:
    """The literal text of a piece, None for an expression (or text too odd to edit)."""
    if isinstance(piece, cst.FormattedStringText):
        return None if any(c in piece.value for c in "{}\\") else piece.value
    if isinstance(piece, cst.SimpleString):
        return string_value(piece)
    return None


def imports_library(command: MigrationCommand) -> bool:
    """Whether the module imports requests, httpx or aiohttp at all (a session's
    ``.post`` cannot be resolved to its library, so this is what admits it)."""
    provider = command.metadata.get(QualifiedNameProvider, {})
    return any(q.name.split(".")[0] in HTTP_LIBRARIES and q.source is QualifiedNameSource.IMPORT
               for names in provider.values() for q in (names() if callable(names) else names))


def http_call(command: MigrationCommand, call: cst.Call,
              library: bool) -> tuple[str, cst.BaseExpression] | None:
    """``(METHOD, url expression)`` of a requests/httpx/aiohttp-style call; ``library``:
    the module imports one of them (see :func:`imports_library`)."""
    func = call.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in HTTP_VERBS:
        return None
    receiver = command.qualified(func.value)
    if not library or receiver and not any(q.split(".")[0] in HTTP_LIBRARIES for q in receiver):
        return None
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    if func.attr.value == "request":
        given = keywords.get("method", positional[0] if positional else None)
        method = string_value(given) if given is not None else None
        url = keywords.get("url", positional[1] if len(positional) > 1 else None)
    else:
        method = func.attr.value
        url = keywords.get("url", positional[0] if positional else None)
    if method is None or url is None:
        return None
    if isinstance(url, cst.Name):
        url = command.alias_value(url) or url
    return method.upper(), url


def joined(url: cst.BaseExpression) -> tuple[list[cst.CSTNode], list[str | None], str]:
    """The URL's pieces, their texts, and the text with a hole for each expression."""
    parts = pieces(url)
    texts = [text(p) for p in parts]
    return parts, texts, "".join(t if t is not None else hole(i) for i, t in enumerate(texts))


def legacy_endpoint(command: MigrationCommand, call: cst.Call,
                    library: bool) -> tuple[str, Endpoint] | None:
    """``(METHOD, endpoint)``: the legacy ``/v1/fine-tunes`` endpoint an HTTP call hits,
    if its URL shows one."""
    found = http_call(command, call, library)
    if found is None:
        return None
    method, url = found
    m = LEGACY_RE.search(joined(url)[2])
    if m is None:
        return None
    path = m.string[m.start():].partition("?")[0]
    endpoint = command.catalog.endpoint(path if m.group("v1") else "/v1" + path, method)
    return None if endpoint is None else (method, endpoint)
