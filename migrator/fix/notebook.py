"""Migrating Jupyter notebooks: code-cell sources only.

Outputs, metadata, execution counts and key order are left exactly as they were;
the file is written back the way nbformat writes it (indent 1, non-ASCII kept,
trailing newline), and only when some cell changed.  IPython lines (``!openai api
fine_tunes.create ...``, ``%pip install openai==0.27.4``) are not Python, so they
are set aside as placeholder comments while the cell goes through the codemods,
rewritten by the command-line and pin fixers, and put back.  A cell that parses
without the placeholders is taken as it is, so a line inside a triple-quoted
string that happens to start with ``!`` is not mistaken for a shell escape.
"""

from __future__ import annotations

import json
import re
from typing import Mapping, Sequence

import libcst as cst

from codemods._base import MigrationCommand
from migrator.catalog import Catalog
from migrator.fix import cli_lines, pins
from migrator.fix.transform import Transformed, transform_python

MAGIC_RE = re.compile(r"^[ \t]*[!%]")
PLACEHOLDER = "# ft-migrate-ipython-line-{}"


class NotebookError(ValueError):
    """The notebook's JSON is not readable; the message says where."""


def transform_notebook(data: bytes, codemods: Sequence[type[MigrationCommand]], catalog: Catalog,
                       model_map: Mapping[str, str] | None = None, filename: str | None = None) -> Transformed:
    try:
        nb = json.loads(data.decode("utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise NotebookError(f"line {exc.lineno}: not valid notebook JSON ({exc.msg})") from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise NotebookError("not a notebook (no cells list)")
    sites = 0
    v0 = False
    pip_cells = []
    changed = False
    for index, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else source
        if not isinstance(text, str):
            continue
        try:
            new, n, migrated = _cell(text, codemods, catalog, model_map or {}, filename)
        except cst.ParserSyntaxError as exc:
            raise cst.ParserSyntaxError(f"cell {index}: {exc.message}", lines=exc._lines,
                                        raw_line=exc.raw_line, raw_column=exc.raw_column) from None
        sites += n
        v0 = v0 or migrated or "FineTuningJob" in new
        if "pip" in new and "openai" in new:
            pip_cells.append(cell)
        if new != text:
            _set_source(cell, source, new)
            changed = True
    if v0:
        for cell in pip_cells:
            source = cell["source"]
            text = "".join(source) if isinstance(source, list) else source
            new, n = pins.bump_text(text, catalog, pip_lines_only=True)
            if n:
                sites += n
                _set_source(cell, source, new)
                changed = True
    if not changed:
        return Transformed(data, 0, v0)
    out = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    return Transformed(out.encode("utf-8"), sites, v0)


def _set_source(cell: dict, source: object, new: str) -> None:
    cell["source"] = new.splitlines(keepends=True) if isinstance(source, list) else new


def _cell(text: str, codemods, catalog, model_map, filename) -> tuple[str, int, bool]:
    magics: dict[int, str] = {}
    try:
        cst.parse_module(text)
        masked = text
    except cst.ParserSyntaxError:
        lines = text.splitlines(keepends=True)
        for k, line in enumerate(lines):
            if MAGIC_RE.match(line):
                body = line.rstrip("\r\n")
                magics[k] = body
                indent = re.match(r"[ \t]*", body).group(0)
                lines[k] = indent + PLACEHOLDER.format(k) + line[len(body):]
        masked = "".join(lines)
    out = transform_python(masked.encode("utf-8"), codemods, catalog, model_map, filename)
    new = out.data.decode("utf-8")
    sites = out.sites
    for k, original in magics.items():
        rewritten, n = cli_lines.rewrite_lines(original.lstrip(" \t!%") + "\n", catalog, model_map)
        sites += n
        marker = PLACEHOLDER.format(k)
        if n:
            indent = original[:len(original) - len(original.lstrip(" \t"))]
            prefix = original.lstrip(" \t")[0]
            parts = rewritten.splitlines()
            todo_lines = [indent + p for p in parts[:-1] if p not in text]
            replacement = "\n".join([*todo_lines, indent + prefix + parts[-1]])
        else:
            replacement = original
        new = re.sub(rf"^[ \t]*{re.escape(marker)}$", lambda _: replacement, new, count=1, flags=re.MULTILINE)
    return new, sites, out.v0_migrated
