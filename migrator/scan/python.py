"""The Python scanner: one ``ast`` parse, names resolved by scope, the rule families of
:mod:`migrator.rules` over the facts pass.

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

import re

from migrator import azure
from migrator.catalog import Catalog
from migrator.code_shapes import CLI_HINT
from migrator.findings import Finding
from migrator.lang.python import PARSE_ERRORS, Module, parse_hot
from migrator.nesting import too_deep
from migrator.rules import families
from migrator.rules.facts import Facts
from migrator.rules.fine_tune_calls import call_finding
from migrator.scan import cli_lines, prefilter
from migrator.scan.common import Span, endpoint_finding, endpoint_matches, left_manual, model_finding


# Why a finding in code that does not parse is manual (fix leaves such a file, or notebook, as it is).
NOT_PARSED = "fix leaves a file it cannot parse as it is: make it parse as Python 3, then run fix again"


def scan_python(source: str, path: str, catalog: Catalog, *, links: bool = False) -> list[Finding]:
    """Findings for one Python source; raises ``SyntaxError`` (or ``ValueError`` for a
    NUL byte) if it does not parse.

    With ``links``, the findings also hold the records :func:`migrator.scan.links.resolve`
    joins across modules (models imported from another module into ``model=``)."""
    module = parse_hot(source, prefilter.statement_matcher(catalog))
    found = Facts(module, path, catalog, families(), links).run()
    if module.unnested_line is not None:
        found = left_manual(found, f"fix cannot rewrite this file: line {module.unnested_line} is indented with "
                                   "spaces inside a block indented with a tab, which LibCST does not read; indent it "
                                   "the same way as its block")
    on_azure = azure.azure_line_of(source)
    if on_azure is not None:
        found = left_manual(found, azure.note(on_azure))
    return found


def unparsable(source: str) -> str | None:
    """Why ``source`` (a notebook cell, IPython lines masked) is not Python 3, or None."""
    try:
        Module(source)
    except PARSE_ERRORS as exc:
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
    """Line-level rules for Python that does not parse: URLs, CLI strings, legacy calls.

    fix leaves such code as it is, so every finding is manual (:data:`NOT_PARSED` says why)."""
    out: list[Finding] = []
    legacy_call = re.compile(r"\bFineTune\.(\w+)\s*\(")
    v1_call = re.compile(r"\.fine_tunes\.(\w+)\s*\(")
    v0 = catalog.sdk.v0
    v1 = catalog.sdk.v1
    for lineno, line in enumerate(source.splitlines(), 1):
        code = line.split("#", 1)[0] if "#" in line and '"' not in line and "'" not in line else line
        if code.lstrip().startswith("#"):
            continue
        for rx, gen, rule in ((legacy_call, v0, "FT010"), (v1_call, v1, "FT011")):
            for mt in rx.finditer(code):
                method = mt.group(1)
                repl = gen.methods.get(method)
                if repl is None:
                    continue
                legacy = f"{gen.legacy}.{method}" if rule == "FT010" else f"client.{gen.legacy}.{method}"
                span = Span(lineno, mt.start() + 1, lineno, mt.end())
                out.append(call_finding(catalog, path, span, rule, legacy, gen, repl))
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
    return left_manual(out, NOT_PARSED)
