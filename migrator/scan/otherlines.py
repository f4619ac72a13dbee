"""Line-level rules for the files no parser here reads: PowerShell, batch, Ruby and other code.

PowerShell (``.ps1``) and batch (``.bat``, ``.cmd``) scripts run the same
``openai api fine_tunes.*`` commands as a shell script.  Their comments and line
continuations differ, so those are rewritten to the shell's spelling at the same
offsets (a comment blanked, a continuation ``^`` or backtick turned into ``\\``)
and the text goes through the shell lexer of :mod:`migrator.scan.cli_lines`;
columns stay exact.  A variable set to a model (``$env:MODEL = "davinci"``,
``set MODEL=curie``) counts as in a shell script.

Ruby (``ruby-openai``: ``engine: "davinci"``, ``parameters: { model: ... }``) and
the other languages :mod:`migrator.scan.filetypes` calls ``source-lines`` are read line by line:
an endpoint URL in any line that is not a comment, and a model id only where it
is a quoted value given to a model-like key or argument (``model:``,
``"model" =>``, ``Model =``), so a string that merely says "Ada Lovelace" or a
key named ``babbage`` is never a finding.
"""

from __future__ import annotations

import dataclasses
import re

from migrator.catalog import Catalog
from migrator.findings import Finding
from migrator.scan import cli_lines
from migrator.scan.common import LineIndex, endpoint_finding, endpoint_matches, model_finding

# A model given to a model-like key or argument: `model: "x"`, `:engine => 'x'`,
# `"model": "x"`, `Model = "x"`, `model := "x"`.
_MODEL_VALUE = re.compile(
    r"""(?<![\w$])[:"']?(?P<key>(?:\w*_)?(?:model|engine)(?:_?(?:name|id))?)["']?\s*(?::|=>|:=|=)\s*"""
    r"""(?P<q>["'])(?P<value>[^"'\\\n]+)(?P=q)""", re.IGNORECASE)
_LINE_COMMENT = re.compile(r"^[ \t]*(?:#|//|--|/\*|\*)")

_PS_VARIABLE = re.compile(r"""^[ \t]*\$(?:env:)?(?P<name>\w+)[ \t]*=[ \t]*(?P<q>["']?)(?P<value>[^"'\s#]+)(?P=q)""",
                          re.MULTILINE | re.IGNORECASE)
_BAT_VARIABLE = re.compile(r"""^[ \t]*@?set[ \t]+"?(?P<name>\w+)=(?P<value>[^"\s&]+)""", re.MULTILINE | re.IGNORECASE)
_BAT_COMMENT = re.compile(r"^[ \t]*@?(?:rem(?:[ \t].*)?|::.*)$", re.MULTILINE | re.IGNORECASE)
_PS_BLOCK_COMMENT = re.compile(r"<#.*?#>", re.DOTALL)


def _blank(mt: re.Match) -> str:
    return re.sub(r"[^\r\n]", " ", mt.group())


def scan_powershell(text: str, path: str, catalog: Catalog) -> list[Finding]:
    """``#`` and ``<# #>`` comments, backtick continuations; ``$env:X = ...`` variables."""
    shellish = _PS_BLOCK_COMMENT.sub(_blank, text)
    shellish = re.sub(r"`(?=\r?\n)", "\\\\", shellish)
    return _with_variables(shellish, text, path, catalog, _PS_VARIABLE)


def scan_batch(text: str, path: str, catalog: Catalog) -> list[Finding]:
    """``REM`` and ``::`` comments, ``^`` continuations; ``set X=...`` variables."""
    shellish = _BAT_COMMENT.sub(_blank, text)
    shellish = re.sub(r"\^(?=\r?\n)", "\\\\", shellish)
    shellish = re.sub(r"%(\w+)%", lambda m: cli_lines.PLACEHOLDER * len(m.group()), shellish)
    return _with_variables(shellish, text, path, catalog, _BAT_VARIABLE)


def _with_variables(shellish: str, text: str, path: str, catalog: Catalog, variable: re.Pattern) -> list[Finding]:
    found = {(f.rule, f.line, f.column): f for f in cli_lines.scan_command_text(shellish, path, catalog)}
    index = LineIndex(text)
    for mt in variable.finditer(shellish):
        if cli_lines.MODEL_VARIABLE.match(mt.group("name")):
            f = model_finding(mt.group("value"), path, index.span(mt.start("value"), mt.end("value")), catalog,
                              fixable=False, context=f"assigned to {mt.group('name')}")
            if f is not None:
                found.setdefault((f.rule, f.line, f.column), f)
    return sorted((_scan_only(f) for f in found.values()), key=Finding.sort_key)


def scan_source_lines(text: str, path: str, catalog: Catalog) -> list[Finding]:
    """Endpoint URLs and model-valued keys in code no parser here reads (Ruby, Go, PHP, ...)."""
    index = LineIndex(text)
    found: dict[tuple, Finding] = {}
    offset = 0
    for line in text.splitlines(keepends=True):
        if not _LINE_COMMENT.match(line):
            for start, end, url in endpoint_matches(line, catalog):
                f = endpoint_finding(url, path, index.span(offset + start, offset + end), catalog, fixable=False)
                if f is not None:
                    found.setdefault((f.rule, f.line, f.column), f)
            for mt in _MODEL_VALUE.finditer(line):
                span = index.span(offset + mt.start("q"), offset + mt.end("value") + 1)
                f = model_finding(mt.group("value"), path, span, catalog, fixable=False,
                                  context=f"given as {mt.group('key')}")
                if f is not None:
                    found.setdefault((f.rule, f.line, f.column), f)
        offset += len(line)
    return sorted(found.values(), key=Finding.sort_key)


def _scan_only(f: Finding) -> Finding:
    """``fix`` does not rewrite these files: nothing in them is fixable."""
    return dataclasses.replace(f, fixable=False) if f.fixable else f
