"""Jupyter notebooks: code cells through the Python scanner, magics through the shell lexer.

A code cell is Python plus IPython syntax.  Lines that begin a logical line
with ``!`` (shell), ``%`` (line magic) or end in ``?`` (help) are not Python:
they are taken out of the cell (replaced by ``pass`` at the same indentation, so
line numbers and block structure survive) before the cell goes to the Python
scanner, and the shell ones go to :mod:`migrator.scan.cli_lines`; ``%pip
install`` lines go to the dependency check.  Whether a line *begins a logical
line* is decided by a small scanner that tracks strings, brackets and backslash
continuations, so a line starting with ``!`` inside a triple-quoted string stays
Python text, as IPython itself treats it.

Findings carry the 1-based cell number (markdown cells counted, as Jupyter
shows them) and the line within the cell.  ``# ft-migrate: ignore`` works per
line, as in other files.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Callable

from migrator.catalog import Catalog
from migrator.findings import Finding
from migrator.scan import cli_lines, deps
from migrator.scan.common import ScanFailure, Span, unsuppressed

PythonScanner = Callable[[str, str], list[Finding]]

_SHELL_CELL = re.compile(r"^%%(?:bash|sh|system|script[ \t]+(?:ba|z)?sh)\b")
_JS_CELL = re.compile(r"^%%(?:javascript|js)\b")
_WRITEFILE = re.compile(r"^%%writefile(?:[ \t]+-a)?[ \t]+(?P<name>\S+)")
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "python", "python3"})
_HELP = re.compile(r"^\s*\??[A-Za-z_][\w.]*\?{1,2}\s*$")  # obj? and obj?? ask IPython for help
_ASSIGN_SHELL = re.compile(r"^(\s*[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*)!")


def scan_notebook(text: str, path: str, catalog: Catalog, python_scanner: PythonScanner) -> list[Finding]:
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScanFailure(f"invalid notebook JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise ScanFailure("invalid notebook JSON: nested too deeply to read") from None
    cells = _cells(nb)
    language = _language(nb)
    out: list[Finding] = []
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict):
            raise ScanFailure(f"not a Jupyter notebook: cell {number} is not a JSON object")
        key = "source" if "source" in cell else "input"
        source = cell.get(key, "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise ScanFailure(f"not a Jupyter notebook: cell {number} {key} is not text")
        kind = cell.get("cell_type")
        if kind == "code":
            found = _code_cell(source, path, catalog, python_scanner, number, language)
        elif kind == "markdown":
            from migrator.scan.textfiles import scan_markdown

            found = scan_markdown(source, path, catalog)
        else:
            continue
        found = [dataclasses.replace(f, cell=number) for f in found]
        out.extend(unsuppressed(found, source))
    return sorted(out, key=Finding.sort_key)


def _cells(nb: object) -> list:
    """nbformat 4 ``cells``, or nbformat 3 ``worksheets[].cells``."""
    if isinstance(nb, dict) and isinstance(nb.get("cells"), list):
        return nb["cells"]
    if isinstance(nb, dict) and isinstance(nb.get("worksheets"), list):
        return [c for ws in nb["worksheets"] if isinstance(ws, dict) for c in ws.get("cells", [])]
    raise ScanFailure("not a Jupyter notebook: no \"cells\" list")


def _language(nb: dict) -> str:
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    for block, key in (("kernelspec", "language"), ("language_info", "name")):
        value = meta.get(block, {}).get(key) if isinstance(meta.get(block), dict) else None
        if isinstance(value, str):
            return value.lower()
    return "python"


def _code_cell(source: str, path: str, catalog: Catalog, python_scanner: PythonScanner, number: int,
               language: str) -> list[Finding]:
    first, _, rest = source.partition("\n")
    if first.startswith("%%"):
        return _cell_magic(first, rest, path, catalog, python_scanner, number)
    lines = source.split("\n")
    out: list[Finding] = []
    python = list(lines)
    for start, end in _magic_lines(lines):
        line = lines[start]
        stripped = line.lstrip()
        indent = line[:len(line) - len(stripped)]
        command = "\n".join(lines[start:end])
        assigned = _ASSIGN_SHELL.match(line)
        if stripped.startswith("!") or assigned:
            at = assigned.end() if assigned else len(indent) + 1
            out.extend(cli_lines.scan_command_text(" " * at + command[at:], path, catalog, line_offset=start))
        elif re.match(r"%pip3?\b", stripped):
            span = Span(start + 1, 1, start + 1, len(line) + 1)
            out.extend(deps.pip_install_findings(line, path, span, catalog))
        elif re.match(r"%(?:sx|system)\b", stripped):
            at = len(indent) + len(stripped.split(None, 1)[0])
            out.extend(cli_lines.scan_command_text(" " * at + command[at:], path, catalog, line_offset=start))
        python[start] = indent + "pass"
        for k in range(start + 1, end):
            python[k] = ""
    if language.startswith("python"):
        out.extend(python_scanner("\n".join(python), path))
    return out


def _cell_magic(first: str, body: str, path: str, catalog: Catalog, python_scanner: PythonScanner,
                number: int) -> list[Finding]:
    """A cell that starts with ``%%``: the magic decides what language the body is."""
    if _SHELL_CELL.match(first):
        return cli_lines.scan_command_text(body, path, catalog, line_offset=1)
    if _JS_CELL.match(first):
        from migrator.scan.javascript import scan_javascript

        return _shifted(scan_javascript(body, path, catalog), 1)
    written = _WRITEFILE.match(first)
    if written:
        return _shifted(_file_body(written.group("name"), body, path, catalog, python_scanner), 1)
    name = first[2:].split(None, 1)[0] if first[2:].strip() else ""
    if name in _PYTHON_CELL_MAGICS:
        return _code_cell("\n" + body, path, catalog, python_scanner, number, "python")
    return []  # %%sql, %%html, %%R ...: another language this scanner does not read


def _file_body(name: str, body: str, path: str, catalog: Catalog, python_scanner: PythonScanner) -> list[Finding]:
    """``%%writefile NAME``: the body is that file; read it as its kind says."""
    from migrator.scan import textfiles
    from migrator.scan.filetypes import kind_of

    kind = kind_of(name)
    if kind == "python":
        return python_scanner(body, path)
    if kind == "requirements":
        return deps.scan_requirements(body, path, catalog)
    readers = {"shell": textfiles.scan_shell, "makefile": textfiles.scan_makefile,
               "dockerfile": textfiles.scan_dockerfile, "markdown": textfiles.scan_markdown}
    return readers[kind](body, path, catalog) if kind in readers else []


def _shifted(findings: list[Finding], lines: int) -> list[Finding]:
    return [dataclasses.replace(f, line=f.line + lines, end_line=f.end_line + lines) for f in findings]


def _magic_lines(lines: list[str]) -> list[tuple[int, int]]:
    """(first, end) line indexes of each IPython line magic, shell escape or help line.

    A line qualifies only where a new logical Python line begins: not inside a
    string, a bracket or after a backslash continuation.  A magic line itself
    continues onto the next line when it ends with a backslash.
    """
    found: list[tuple[int, int]] = []
    state = _PyState()
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if state.at_line_start() and stripped and (
                stripped[0] in "!%" or _ASSIGN_SHELL.match(line)
                or _HELP.match(line)):
            end = i + 1
            while end < len(lines) and lines[end - 1].rstrip("\r").endswith("\\"):
                end += 1
            found.append((i, end))
            i = end
            continue
        state.feed(line + "\n")
        i += 1
    return found


class _PyState:
    """Just enough of Python's tokenizer to know whether a physical line starts a logical one."""

    def __init__(self) -> None:
        self.quote: str | None = None  # the open string's delimiter
        self.depth = 0
        self.continued = False

    def at_line_start(self) -> bool:
        return self.quote is None and self.depth == 0 and not self.continued

    def feed(self, line: str) -> None:
        i, n = 0, len(line)
        self.continued = False
        while i < n:
            if self.quote is not None:
                if line[i] == "\\":
                    i += 2
                elif line.startswith(self.quote, i):
                    i += len(self.quote)
                    self.quote = None
                elif line[i] == "\n" and len(self.quote) == 1:
                    self.quote = None  # an unterminated one-line string: Python's error, not ours
                    i += 1
                else:
                    i += 1
                continue
            c = line[i]
            if c == "#":
                return
            if c in "([{":
                self.depth += 1
            elif c in ")]}":
                self.depth = max(0, self.depth - 1)
            elif c == "\\" and line[i + 1:i + 2] in ("\n", "\r"):
                self.continued = True
                return
            elif c in "'\"":
                self.quote = line[i:i + 3] if line[i:i + 3] in ('"""', "'''") else c
                i += len(self.quote)
                continue
            i += 1
