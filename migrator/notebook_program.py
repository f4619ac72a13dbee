"""A notebook's Python code cells as the one program the kernel runs.

A kernel runs cells in one namespace: ``import openai`` in cell 1 is what
``openai.FineTune.create(...)`` in cell 2 refers to.  Scanning or fixing each
cell on its own loses that (the call no longer resolves to the SDK), so scan and
fix both read the code cells joined in order, as one module, and map findings
and edits back to cell and line.

IPython lines are not Python: a line that begins a logical line with ``!``
(shell), ``%`` (line magic), ``name = !cmd`` or ends in ``?`` (help) is masked as
``pass`` at the same indentation, so line numbers and block structure survive;
the mask carries a comment naming the cell and line, by which fix puts the line
back.  Whether a line *begins a logical line* is decided by a small scanner that
tracks strings, brackets and backslash continuations, so a line starting with
``!`` inside a triple-quoted string stays Python text, as IPython treats it.

Between two cells the program holds a boundary line (a ``pass`` statement with
a marker comment): a statement, so comments that trail a cell stay before it and
the TODO markers a codemod adds above a cell's first statement stay after it.
A cell that starts with ``%%`` joins the program only when its magic runs the
body as Python (``%%time``, ``%%capture`` ...); ``%%bash``, ``%%writefile`` and
the like are another language and are read on their own.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field

SHELL_CELL_RE = re.compile(r"^%%(?:bash|sh|system|script[ \t]+(?:ba|z)?sh)\b")  # the body is shell
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "python", "python3"})
HELP_RE = re.compile(r"^\s*\??[A-Za-z_][\w.]*\?{1,2}\s*$")  # obj? and obj?? ask IPython for help
ASSIGN_SHELL_RE = re.compile(r"^(\s*[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*)!")
BOUNDARY = "pass  # ft-migrate: cell {} starts below"
_MASK = "pass  # ft-migrate: IPython line {}.{}"
_MASK_MORE = "# ft-migrate: IPython line {}.{} continues"


class NotebookFormatError(ValueError):
    """The file is not a readable Jupyter notebook; the message says why and where."""


@dataclass(frozen=True)
class Magic:
    """An IPython line (or backslash-continued lines) masked out of a cell."""

    start: int  # 0-based index of its first line in the cell
    end: int  # index just past its last line
    text: str  # the original lines, joined with "\n"


@dataclass(frozen=True)
class CodeCell:
    number: int  # 1-based, every cell counted, as Jupyter shows them
    index: int  # position in the notebook's cells list
    source: str  # the cell's text as stored
    python: str  # the text the kernel compiles: IPython lines masked, same line count
    magics: tuple[Magic, ...]
    first_line_magic: bool  # a %%time-like first line, masked as well


def load(text: str) -> object:
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookFormatError(f"invalid notebook JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise NotebookFormatError("invalid notebook JSON: nested too deeply to read") from None
    return nb


def cells(nb: object) -> list:
    """nbformat 4 ``cells``, or nbformat 3 ``worksheets[].cells``."""
    if isinstance(nb, dict) and isinstance(nb.get("cells"), list):
        return nb["cells"]
    if isinstance(nb, dict) and isinstance(nb.get("worksheets"), list):
        return [c for ws in nb["worksheets"] if isinstance(ws, dict) for c in ws.get("cells", [])]
    raise NotebookFormatError("not a Jupyter notebook: no \"cells\" list")


def cell_source(cell: object, number: int) -> str:
    if not isinstance(cell, dict):
        raise NotebookFormatError(f"not a Jupyter notebook: cell {number} is not a JSON object")
    key = "source" if "source" in cell else "input"
    source = cell.get(key, "")
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        source = "".join(source)
    if not isinstance(source, str):
        raise NotebookFormatError(f"not a Jupyter notebook: cell {number} {key} is not text")
    return source


def language(nb: dict) -> str:
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    for block, key in (("kernelspec", "language"), ("language_info", "name")):
        value = meta.get(block, {}).get(key) if isinstance(meta.get(block), dict) else None
        if isinstance(value, str):
            return value.lower()
    return "python"


def python_magic(first_line: str) -> bool:
    """True for a ``%%`` cell magic that runs its body as Python."""
    name = first_line[2:].split(None, 1)[0] if first_line[2:].strip() else ""
    return name in PYTHON_CELL_MAGICS


def code_cell(number: int, index: int, source: str) -> CodeCell | None:
    """The cell as the kernel compiles it, or None when a ``%%`` magic makes it another language."""
    first = source.split("\n", 1)[0]
    lines = source.split("\n")
    python = list(lines)
    first_line_magic = first.startswith("%%")
    if first_line_magic:
        if not python_magic(first):
            return None
        python[0] = _MASK.format(number, 1) + _cr(first)
    magics = []
    for start, end in magic_lines(lines, skip_first=first_line_magic):
        magics.append(Magic(start, end, "\n".join(lines[start:end])))
        line = lines[start]
        indent = line[:len(line) - len(line.lstrip())]
        python[start] = indent + _MASK.format(number, start + 1) + _cr(line)
        for k in range(start + 1, end):
            python[k] = indent + _MASK_MORE.format(number, start + 1) + _cr(lines[k])
    return CodeCell(number, index, source, "\n".join(python), tuple(magics), first_line_magic)


def _cr(line: str) -> str:
    return "\r" if line.endswith("\r") else ""


@dataclass
class Program:
    """Code cells joined in order; ``text`` is what the Python scanner and the codemods read."""

    cells: list[CodeCell]
    text: str = ""
    starts: list[int] = field(default_factory=list)  # 1-based line of each cell's first line in text

    def __post_init__(self) -> None:
        chunks, line = [], 1
        for k, cell in enumerate(self.cells):
            if k:
                chunks.append(BOUNDARY.format(cell.number) + "\n")
                line += 1
            self.starts.append(line)
            body = cell.python if cell.python.endswith("\n") or not cell.python else cell.python + "\n"
            chunks.append(body)
            line += body.count("\n")
        self.text = "".join(chunks)

    def locate(self, line: int) -> tuple[CodeCell, int]:
        """The cell holding ``line`` of ``text`` and the line within it."""
        k = max(0, bisect_right(self.starts, line) - 1)
        return self.cells[k], line - self.starts[k] + 1

    def split(self, text: str) -> list[str] | None:
        """Each cell's Python text out of a rewritten ``text``; None when a boundary was lost."""
        lines = text.split("\n")
        marks = []
        for cell in self.cells[1:]:
            boundary = BOUNDARY.format(cell.number)
            at = [i for i, line in enumerate(lines) if line == boundary]
            if len(at) != 1 or (marks and at[0] < marks[-1]):
                return None
            marks.append(at[0])
        out, begin = [], 0
        for k, cell in enumerate(self.cells):
            end = marks[k] if k < len(marks) else len(lines)
            chunk = "\n".join(lines[begin:end])
            if k < len(marks):
                chunk += "\n"
            if not cell.python.endswith("\n") and chunk.endswith("\n"):
                chunk = chunk[:-1]
            if not chunk.strip() and cell.python.strip():
                chunk = ""  # all its code was removed (an import moved to the first cell)
            out.append(chunk)
            begin = end + 1
        return out


def unparsable(python: str) -> str | None:
    """Why one cell (IPython lines masked) is not Python the kernel would run, or None."""
    # loaded on use: LibCST only when a notebook is read
    from libcst import ParserSyntaxError, parse_module

    from migrator.nesting import too_deep

    deep = too_deep(python)
    if deep:
        return deep
    try:
        parse_module(python)
    except ParserSyntaxError as exc:
        return f"line {exc.raw_line}: does not parse as Python 3 ({exc.message})"
    except RecursionError:
        return "too deeply nested to parse"
    return None


def unmask(cell: CodeCell, python: str, rewrite=None) -> str | None:
    """The cell's text from its rewritten Python: masked IPython lines put back.

    ``rewrite(magic_text) -> (lines above, new magic text)`` may rewrite a shell
    line and add comment lines above it.  None when a mask went missing.
    """
    lines = python.split("\n")
    out: list[str] = []
    masks = {_MASK.format(cell.number, m.start + 1): m for m in cell.magics}
    header = _MASK.format(cell.number, 1) if cell.first_line_magic else None
    seen = 0
    for line in lines:
        stripped = line.strip()
        if header is not None and stripped == header:
            out.append(cell.source.split("\n", 1)[0])
            seen += 1
        elif stripped in masks:
            magic = masks[stripped]
            above, text = rewrite(magic.text) if rewrite else ([], magic.text)
            indent = magic.text[:len(magic.text) - len(magic.text.lstrip())]
            out.extend(indent + a for a in above)
            out.append(text)
            seen += 1
        elif stripped.startswith("# ft-migrate: IPython line ") and stripped.endswith(" continues"):
            continue
        else:
            out.append(line)
    if seen != len(masks) + (header is not None):
        return None
    return "\n".join(out)


def magic_lines(lines: list[str], skip_first: bool = False) -> list[tuple[int, int]]:
    """(first, end) line indexes of each IPython line magic, shell escape or help line.

    A line qualifies only where a new logical Python line begins: not inside a
    string, a bracket or after a backslash continuation.  A magic line itself
    continues onto the next line when it ends with a backslash.
    """
    found: list[tuple[int, int]] = []
    state = _PyState()
    i = 1 if skip_first else 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if state.at_line_start() and stripped and (
                stripped[0] in "!%" or ASSIGN_SHELL_RE.match(line) or HELP_RE.match(line)):
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
