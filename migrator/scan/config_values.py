"""The string values of config files, each with its key path and exact place: TOML, JSON, INI, .env.

Positions must be exact, and neither ``tomllib`` nor ``json`` report them, so
the file is first validated by the standard parser (which gives the error
message and line/column for a malformed file) and then walked by a small
positioned tokenizer that only has to be right on valid input.  Read by the
config scanner (:mod:`migrator.scan.config`) and by the dependency scanner
(``pyproject.toml``, ``Pipfile``, :mod:`migrator.scan.deps`), which is why it
stands apart from both.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from typing import Iterator

from migrator.scan.common import ScanFailure

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


@dataclass(frozen=True)
class Value:
    """A string value in a config file: its key path, text and where it is written.

    ``start``/``end`` cover the literal as written (quotes included);
    ``inner_start``/``inner_end`` the characters between the quotes.
    """

    keys: tuple[str | int, ...]
    text: str
    start: int
    end: int
    inner_start: int
    inner_end: int

    def dotted(self) -> str:
        out = ""
        for k in self.keys:
            out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else str(k))
        return out


# -- TOML ---------------------------------------------------------------------------------------

_TOML_TOKEN = re.compile(r'''
    (?P<ws>[ \t]+)
  | (?P<comment>\#[^\n]*)
  | (?P<nl>\r?\n)
  | (?P<mlb>"""(?:[^"\\]|\\[\s\S]|"{1,2}(?!"))*"{3,5})
  | (?P<mll>\'\'\'(?:[^']|'{1,2}(?!'))*'{3,5})
  | (?P<basic>"(?:[^"\\\n]|\\.)*")
  | (?P<literal>'[^'\n]*')
  | (?P<punct>[\[\]{}=,])
  | (?P<bare>[^\s\[\]{}=,"'\#]+)
''', re.VERBOSE)


def _toml_failure(exc: Exception, what: str = "TOML") -> ScanFailure:
    msg = str(exc)
    mt = re.match(r"^(.*) \(at line (\d+), column (\d+)\)$", msg)
    if mt:
        return ScanFailure(f"invalid {what}: line {mt.group(2)} column {mt.group(3)}: {mt.group(1)}")
    return ScanFailure(f"invalid {what}: {msg}")


def toml_values(text: str) -> list[Value]:
    """Every string value of a TOML document with its key path (validated by tomllib first)."""
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_failure(exc) from None
    tokens = [(m.lastgroup, m.group(), m.start(), m.end()) for m in _TOML_TOKEN.finditer(text)
              if m.lastgroup not in ("ws", "comment")]
    return list(_TomlWalker(tokens).document())


class _TomlWalker:
    """Key paths for the string tokens of a valid TOML document."""

    def __init__(self, tokens: list[tuple[str, str, int, int]]):
        self.toks = tokens
        self.i = 0
        self.arrays: dict[tuple, int] = {}

    def peek(self, ahead: int = 0) -> tuple[str, str, int, int] | None:
        j = self.i + ahead
        return self.toks[j] if j < len(self.toks) else None

    def text(self, ahead: int = 0) -> str | None:
        tok = self.peek(ahead)
        return tok[1] if tok else None

    def document(self) -> Iterator[Value]:
        table: tuple = ()
        while self.peek() is not None:
            if self.peek()[0] == "nl":
                self.i += 1
            elif self.text() == "[":
                double = self.text(1) == "["
                self.i += 2 if double else 1
                table = self.key("]")
                self.i += 2 if double else 1
                if double:
                    n = self.arrays[table] = self.arrays.get(table, -1) + 1
                    table = table + (n,)
            else:
                key = self.key("=")
                self.i += 1
                yield from self.value(table + key)
                while self.peek() is not None and self.peek()[0] != "nl":
                    self.i += 1

    def key(self, stop: str) -> tuple:
        parts: list[str] = []
        while self.peek() is not None and self.text() != stop:
            kind, raw, _, _ = self.peek()
            if kind in ("basic", "literal"):
                parts.append(_toml_string(kind, raw))
            else:
                parts.extend(p for p in raw.split(".") if p)
            self.i += 1
        return tuple(parts)

    def value(self, keys: tuple) -> Iterator[Value]:
        tok = self.peek()
        if tok is None:
            return
        kind, raw, start, end = tok
        self.i += 1
        if kind in ("basic", "literal", "mlb", "mll"):
            quote = 3 if kind in ("mlb", "mll") else 1
            inner_start = start + quote
            if quote == 3 and raw[3:4] == "\n":
                inner_start += 1
            elif quote == 3 and raw[3:5] == "\r\n":
                inner_start += 2
            yield Value(keys, _toml_string(kind, raw), start, end, inner_start, end - quote)
        elif raw == "[":
            n = 0
            while self.peek() is not None:
                self.skip_newlines()
                if self.text() == "]":
                    self.i += 1
                    return
                yield from self.value(keys + (n,))
                n += 1
                self.skip_newlines()
                if self.text() == ",":
                    self.i += 1
        elif raw == "{":
            while self.peek() is not None and self.text() != "}":
                if self.text() == ",":
                    self.i += 1
                    continue
                key = self.key("=")
                self.i += 1
                yield from self.value(keys + key)
            self.i += 1

    def skip_newlines(self) -> None:
        while self.peek() is not None and self.peek()[0] == "nl":
            self.i += 1


def _toml_string(kind: str, raw: str) -> str:
    """The value of a TOML string token; escapes are left to tomllib (exact, and rare here)."""
    if kind == "literal":
        return raw[1:-1]
    if kind == "basic" and "\\" not in raw:
        return raw[1:-1]
    return tomllib.loads(f"v = {raw}")["v"]


# -- JSON ---------------------------------------------------------------------------------------

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]')


def json_values(text: str) -> list[Value]:
    """Every string value (not key) of a JSON document, with its key path."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScanFailure(f"invalid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise ScanFailure("invalid JSON: nested too deeply to read") from None
    out: list[Value] = []
    # Each open container: [kind, key path, current key or index, expecting an object key]
    stack: list[list] = []
    for mt in _JSON_TOKEN.finditer(text):
        tok = mt.group()
        top = stack[-1] if stack else None
        if tok in "{[":
            keys = top[1] + (top[2],) if top else ()
            stack.append([tok, keys, 0 if tok == "[" else None, tok == "{"])
        elif tok in "}]":
            stack.pop()
        elif tok == ":":
            top[3] = False
        elif tok == ",":
            if top[0] == "[":
                top[2] += 1
            else:
                top[3] = True
        elif top is not None and top[0] == "{" and top[3]:
            top[2] = _json_string(tok)
        else:
            keys = top[1] + (top[2],) if top else ()
            out.append(Value(keys, _json_string(tok), mt.start(), mt.end(), mt.start() + 1, mt.end() - 1))
    return out


def _json_string(raw: str) -> str:
    return json.loads(raw) if "\\" in raw else raw[1:-1]


# -- INI and .env (line based) ----------------------------------------------------------------

_INI_ENTRY = re.compile(r"^(?P<key>[^=:\s\[;#][^=:]*?)\s*[=:]\s*(?P<value>.*?)\s*$")
_ENV_ENTRY = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][\w.-]*)\s*=\s*(?P<value>.*?)\s*$")


def ini_values(text: str) -> list[Value]:
    """``key = value`` entries (and indented continuation lines) under their ``[section]``."""
    out: list[Value] = []
    section: tuple = ()
    key: tuple | None = None
    pos = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        stripped = body.strip()
        if not stripped or stripped.startswith(("#", ";")):
            pass
        elif body[0] in " \t" and key is not None:
            out.extend(_line_value(key, body, pos, body.index(stripped[0]), len(body)))
        elif stripped.startswith("[") and stripped.endswith("]"):
            section, key = (stripped[1:-1].strip(),), None
        else:
            mt = _INI_ENTRY.match(body)
            if mt:
                key = section + (mt.group("key").strip(),)
                out.extend(_line_value(key, body, pos, mt.start("value"), mt.end("value")))
        pos += len(line)
    return out


def env_values(text: str) -> list[Value]:
    """``KEY=value`` lines of a dotenv file (``export`` prefix, quotes, ``#`` comments)."""
    out: list[Value] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        mt = _ENV_ENTRY.match(body)
        if mt and not body.lstrip().startswith("#"):
            out.extend(_line_value((mt.group("key"),), body, pos, mt.start("value"), mt.end("value")))
        pos += len(line)
    return out


def _line_value(keys: tuple, body: str, pos: int, start: int, end: int) -> list[Value]:
    """One line's value: surrounding quotes dropped, an unquoted value's `` #``/`` ;`` comment cut."""
    raw = body[start:end]
    if len(raw) >= 2 and raw[0] in "\"'" and raw[-1] == raw[0]:
        return [Value(keys, raw[1:-1], pos + start, pos + end, pos + start + 1, pos + end - 1)]
    cut = re.search(r"\s+[#;]", raw)
    if cut:
        raw = raw[:cut.start()]
        end = start + len(raw)
    if not raw:
        return []
    return [Value(keys, raw, pos + start, pos + end, pos + start, pos + end)]
