"""JavaScript/TypeScript (scan only): openai-node v3 fine-tune calls, legacy models, endpoint URLs.

A hand-written tokenizer is enough here and keeps the dependency list short:
it skips ``//`` and ``/* */`` comments, reads string and template literals
(with ``${...}`` expressions tokenized in turn), tells a regex literal from a
division by the token before it, and tracks bracket nesting.  The rules then
look at a few tokens of context: ``.createFineTune(`` is a call; a string is a
model when it is a call argument, the value of a ``model:``-like property or
assigned to a ``MODEL``-like name, and only when it equals a model id exactly,
so "Ada Lovelace" or a comment about Marie Curie never count.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from migrator.catalog import Catalog
from migrator.findings import COMPLETION, COMPLETIONS_CALL, Finding
from migrator.scan import cli_lines
from migrator.scan.common import LineIndex, endpoint_finding, endpoint_matches, finding, model_finding

PLACEHOLDER = cli_lines.PLACEHOLDER
_MODEL_NAME = re.compile(r"^(?:[A-Za-z0-9]*_?)?(?:model|engine)(?:_?(?:name|id))?$", re.IGNORECASE)
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>//[^\n]*|/\*[\s\S]*?(?:\*/|\Z))
  | (?P<string>'(?:[^'\\\n]|\\[\s\S])*'|"(?:[^"\\\n]|\\[\s\S])*")
  | (?P<template>`)
  | (?P<ident>[A-Za-z_$][\w$]*)
  | (?P<number>\d[\w.]*)
  | (?P<punct>\?\.|=>|[=!]==?|&&|\|\||\?\?|\.\.\.|[{}()\[\];,.:?=+\-*/%<>!&|^~@#])
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)
# After one of these a `/` starts a regex literal, elsewhere it divides.
_REGEX_AFTER = frozenset("(,=:[!&|?{};+-*%<>~^") | {"return", "typeof", "case", "do", "else", "in", "of",
                                                     "new", "delete", "void", "throw", "yield", "await", "=>"}
_REGEX = re.compile(r"/(?![*/])(?:[^/\\\[\n]|\\.|\[(?:[^\]\\\n]|\\.)*\])+/[a-z]*")


@dataclass
class _Tok:
    kind: str  # ident | string | punct | number | regex
    value: str
    start: int
    end: int
    inner_start: int = 0  # string literals: where the characters between the quotes are
    inner_end: int = 0
    exact: bool = True  # a string whose value is the text between its quotes (no escapes, no ${})


def tokenize(text: str) -> list[_Tok]:
    """Significant tokens of a JS/TS source (comments and whitespace dropped)."""
    out: list[_Tok] = []
    _tokens(text, 0, out, nested=False)
    return out


def _tokens(text: str, pos: int, out: list[_Tok], nested: bool) -> int:
    """Tokenize from ``pos``; inside a template ``${`` stop after the matching ``}``."""
    depth = 0
    n = len(text)
    while pos < n:
        mt = _TOKEN.match(text, pos)
        kind, value = mt.lastgroup, mt.group()
        if kind in ("ws", "comment"):
            pos = mt.end()
            continue
        if kind == "template":
            pos = _template(text, pos, out)
            continue
        if value == "/" and (not out or out[-1].value in _REGEX_AFTER):
            rx = _REGEX.match(text, pos)
            if rx:
                out.append(_Tok("regex", rx.group(), pos, rx.end()))
                pos = rx.end()
                continue
        if nested and value == "{":
            depth += 1
        elif nested and value == "}":
            if depth == 0:
                return mt.end()
            depth -= 1
        if kind == "string":
            out.append(_Tok("string", value[1:-1], mt.start(), mt.end(), mt.start() + 1, mt.end() - 1,
                            "\\" not in value))
        else:
            out.append(_Tok(kind, value, mt.start(), mt.end()))
        pos = mt.end()
    return pos


def _template(text: str, pos: int, out: list[_Tok]) -> int:
    """A template literal at ``pos``; its ``${...}`` expressions become placeholders."""
    chars: list[str] = []
    inner: list[_Tok] = []
    i, n = pos + 1, len(text)
    while i < n and text[i] != "`":
        if text[i] == "\\":
            chars.append(text[i:i + 2])
            i += 2
        elif text.startswith("${", i):
            i = _tokens(text, i + 2, inner, nested=True)
            chars.append(PLACEHOLDER)
        else:
            chars.append(text[i])
            i += 1
    end = min(i + 1, n)
    value = "".join(chars)
    exact = PLACEHOLDER not in value and "\\" not in value
    out.append(_Tok("string", value, pos, end, pos + 1, end - 1 if end > pos + 1 else end, exact))
    out.extend(inner)
    return end


def scan_javascript(text: str, path: str, catalog: Catalog) -> list[Finding]:
    methods = catalog.sdk.js.methods
    index = LineIndex(text)
    toks = tokenize(text)
    found: dict[tuple, Finding] = {}

    def add(f: Finding | None) -> None:
        if f is not None:
            found.setdefault((f.rule, f.line, f.column, f.legacy), f)

    # A model inside the arguments of a legacy create is one to fine-tune, not to run.
    creates = {name for name, repl in methods.items() if repl.endswith(".create")}
    brackets: list[str] = []
    purposes: list[str] = []  # per open bracket
    completions: list[tuple[_Tok, int]] = []  # createCompletion calls: the method, where its arguments end
    for k, tok in enumerate(toks):
        prev = toks[k - 1].value if k else ""
        if tok.kind == "punct" and tok.value in "([{":
            brackets.append(tok.value)
            purposes.append("fine-tuning" if tok.value == "(" and prev in creates
                            else purposes[-1] if purposes else "inference")
        elif tok.kind == "punct" and tok.value in ")]}" and brackets:
            brackets.pop()
            purposes.pop()
        elif (tok.kind == "ident" and tok.value in methods and prev in (".", "?.")
              and k + 1 < len(toks) and toks[k + 1].value == "("):
            add(_call_finding(tok, methods[tok.value], path, index, catalog))
        elif (tok.kind == "ident" and tok.value == catalog.completions.js_legacy and prev in (".", "?.")
              and k + 1 < len(toks) and toks[k + 1].value == "("):
            completions.append((tok, _closing(toks, k + 1)))
        elif tok.kind == "string":
            context = _model_context(toks, k, brackets)
            if context and tok.exact:
                add(model_finding(tok.value, path, index.span(tok.start, tok.end), catalog,
                                  fixable=False, context=context,
                                  purpose=purposes[-1] if purposes else "inference"))
            _string_contents(tok, text, path, index, catalog, add)
    for tok, end in completions:
        add(_completions_call(tok, end, found.values(), path, index, catalog))
    return sorted(found.values(), key=Finding.sort_key)


def _closing(toks: list[_Tok], k: int) -> int:
    """The offset where the bracket opened at ``toks[k]`` closes (the end of the text if it does not)."""
    depth = 0
    for tok in toks[k:]:
        if tok.kind == "punct" and tok.value in "([{":
            depth += 1
        elif tok.kind == "punct" and tok.value in ")]}":
            depth -= 1
            if depth == 0:
                return tok.end
    return toks[-1].end


def _completions_call(tok: _Tok, end: int, found, path: str, index: LineIndex, catalog: Catalog) -> Finding | None:
    """A ``createCompletion`` call once no completion-format model is left, whose model is not
    reported in its arguments (a variable, a request field, a name the catalog does not know)."""
    if catalog.format_alive(COMPLETION):
        return None
    span = index.span(tok.start, tok.end)
    last = index.span(end - 1, end)
    if any(f.rule in ("FT020", "FT021") and (span.line, span.column) <= (f.line, f.column) <= (last.line, last.column)
           for f in found):
        return None  # the model's finding, in the call, says what to do
    comp = catalog.completions
    msg = (f"no completion-format model is left on {catalog.as_of.isoformat()}: {comp.js_legacy}() fails whatever "
           f"its model; move it to {comp.js_replacement}() (messages: [...]) with a chat model")
    return finding(path, span, "FT020", COMPLETIONS_CALL, tok.value, comp.js_replacement, False, msg)


def _call_finding(tok: _Tok, repl: str, path: str, index: LineIndex, catalog: Catalog) -> Finding:
    js = catalog.sdk.js
    msg = (f"{tok.value}() ({js.legacy}) calls the legacy /v1/fine-tunes endpoint, shut down on "
           f"{catalog.shutdown.isoformat()}")
    msg += f"; use {repl}() ({js.replacement})" if repl else "; it has no equivalent"
    return finding(path, index.span(tok.start, tok.end), "FT013", "sdk-call", tok.value, repl or None, False, msg)


def _model_context(toks: list[_Tok], k: int, brackets: list[str]) -> str:
    """Why the string at ``toks[k]`` is used as a model ('' if it is not)."""
    prev = toks[k - 1] if k else None
    before = toks[k - 2] if k > 1 else None
    if prev is None:
        return ""
    if prev.value in ("(", ",") and brackets and brackets[-1] == "(":
        return "a call argument"
    if prev.value == ":" and before is not None and brackets and brackets[-1] == "{" and (
            before.kind in ("ident", "string") and _MODEL_NAME.match(before.value)):
        return f"property {before.value}"
    if prev.value == "=" and before is not None and before.kind == "ident" and _MODEL_NAME.match(before.value):
        return f"assigned to {before.value}"
    return ""


def _string_contents(tok: _Tok, text: str, path: str, index: LineIndex, catalog: Catalog, add) -> None:
    """Endpoint URLs in any string; a command line (``execSync("openai api ...")``) through the shell lexer."""
    if "openai" in tok.value and tok.exact:
        for f in cli_lines.region_findings(text, tok.inner_start, tok.inner_end, index, path, catalog):
            add(dataclasses.replace(f, fixable=False))  # JavaScript is scanned, never rewritten
        return
    for start, end, url in endpoint_matches(tok.value, catalog):
        shown = re.sub(f"{PLACEHOLDER}+", "{id}", url)
        if tok.exact:
            span = index.span(tok.inner_start + start, tok.inner_start + end)
        else:
            span = index.span(tok.start, tok.end)
        add(endpoint_finding(shown, path, span, catalog, fixable=False))
