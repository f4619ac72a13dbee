"""Migrating Jupyter notebooks: the code cells as one program, cell sources only.

The Python code cells go through the codemods joined in order, as the kernel runs
them (see :mod:`migrator.notebook_program`): ``import openai`` in cell 1 is what
makes ``openai.FineTune.create(...)`` in cell 2 a legacy call, and the call is
migrated together with its arguments.  The rewritten program is cut back into
cells at the boundary lines; if a codemod lost one, the notebook is left alone
rather than guessed at.  IPython lines (``!openai api fine_tunes.create ...``,
``%pip install openai==0.27.4``) are masked while the cells go through the
codemods, then put back, rewritten by the command-line and pin fixers; ``%%bash``
cells go through the command-line fixer.

Outputs, metadata, execution counts and key order are left exactly as they were;
the file is written back the way nbformat writes it (indent 1, non-ASCII kept,
trailing newline), and only when some cell changed.  A code cell that does not
parse on its own leaves the whole notebook alone, with the cell named.
"""

from __future__ import annotations

import json
import re
from typing import Mapping, Sequence

from ft_migrate_codemods._base import MigrationCommand
from migrator import notebook_program as nbp
from migrator.catalog import Catalog
from migrator.fix import cli_lines, pins
from migrator.fix.transform import Transformed, transform_python
from migrator.nesting import too_deep
from migrator.scan import pin_scope
from migrator.todo_markers import TODO_RE

class NotebookError(ValueError):
    """The notebook cannot be migrated safely; the message says where and why."""


def transform_notebook(data: bytes, codemods: Sequence[type[MigrationCommand]], catalog: Catalog,
                       model_map: Mapping[str, str] | None = None, filename: str | None = None) -> Transformed:
    try:
        return _transform(data, codemods, catalog, model_map or {}, filename)
    except nbp.NotebookFormatError as exc:
        raise NotebookError(str(exc)) from None


def _transform(data: bytes, codemods: Sequence[type[MigrationCommand]], catalog: Catalog,
               model_map: Mapping[str, str], filename: str | None) -> Transformed:
    nb = nbp.load(data.decode("utf-8-sig"))
    cells = nbp.cells(nb)
    python = nbp.language(nb).startswith("python")
    program: list[nbp.CodeCell] = []
    new_text: dict[int, str] = {}  # cell index -> new source
    sites = 0
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        text = nbp.cell_source(cell, number)
        code = nbp.code_cell(number, number - 1, text)
        if code is None:
            first, nl, body = text.partition("\n")
            if nbp.SHELL_CELL_RE.match(first):
                rewritten, n = cli_lines.rewrite_lines(body, catalog, model_map)
                sites += n
                new_text[number - 1] = first + nl + rewritten
        elif python:
            program.append(code)
    migrated, n, v0 = _program(program, codemods, catalog, model_map, filename)
    sites += n
    new_text.update(migrated)
    resource = pin_scope.jobs_resource(catalog)
    v0 = v0 or any(resource in t for t in new_text.values())
    if v0:
        for index, cell in enumerate(cells):
            if isinstance(cell, dict) and cell.get("cell_type") == "code":
                text = new_text.get(index, nbp.cell_source(cell, index + 1))
                if "pip" in text and "openai" in text:
                    bumped, n = pins.bump_text(text, catalog, pip_lines_only=True)
                    sites += n
                    new_text[index] = bumped
    changed = False
    for index, text in new_text.items():
        if text != nbp.cell_source(cells[index], index + 1):
            _set_source(cells[index], text)
            changed = True
    if not changed:
        return Transformed(data, 0, v0)
    out = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    return Transformed(out.encode("utf-8"), sites, v0)


def _set_source(cell: dict, new: str) -> None:
    key = "source" if "source" in cell else "input"
    cell[key] = new.splitlines(keepends=True) if isinstance(cell.get(key), list) else new


def _program(cells: list[nbp.CodeCell], codemods: Sequence[type[MigrationCommand]], catalog: Catalog,
             model_map: Mapping[str, str], filename: str | None) -> tuple[dict[int, str], int, bool]:
    """The new source of each changed cell, the sites migrated, and whether v0 code was written."""
    if not cells:
        return {}, 0, False
    program = nbp.Program(cells)
    for cell in cells:
        reason = nbp.unparsable(cell.python)
        if reason:
            raise NotebookError(f"cell {cell.number}: {reason}")
    deep = too_deep(program.text)
    if deep:
        raise NotebookError(deep)
    out = transform_python(program.text.encode("utf-8"), codemods, catalog, model_map, filename)
    sites = out.sites
    parts = program.split(out.data.decode("utf-8"))
    if parts is None:
        raise NotebookError("the migrated code could not be cut back into its cells")
    new: dict[int, str] = {}
    for cell, python in zip(cells, parts):
        magic_sites = 0

        def rewrite(magic: str, source: str = cell.source) -> tuple[list[str], str]:
            nonlocal magic_sites
            above, text, n = _rewrite_magic(magic, source, catalog, model_map)
            magic_sites += n
            return above, text

        restored = nbp.unmask(cell, python, rewrite)
        if restored is None:
            raise NotebookError(f"cell {cell.number}: an IPython line was lost while migrating the cell")
        sites += magic_sites
        if restored != cell.source:
            new[cell.index] = restored
    return new, sites, out.v0_migrated


def _rewrite_magic(magic: str, source: str, catalog: Catalog, model_map: Mapping[str, str]
                   ) -> tuple[list[str], str, int]:
    """A shell escape (``!cmd``, ``x = !cmd``, ``%sx cmd``) with its legacy command rewritten:
    (TODO comment lines to put above it, its new text, sites)."""
    first = magic.split("\n", 1)[0]
    stripped = first.lstrip()
    indent = len(first) - len(stripped)
    assigned = nbp.ASSIGN_SHELL_RE.match(first)
    if stripped.startswith("!") or assigned:
        at = assigned.end() if assigned else indent + 1
    elif re.match(r"%(?:sx|system)\b", stripped):
        at = indent + len(stripped.split(None, 1)[0])
    else:
        return [], magic, 0  # %pip lines are bumped with the pins; other magics are not commands
    rewritten, n = cli_lines.rewrite_lines(magic[at:] + "\n", catalog, model_map)
    if rewritten == magic[at:] + "\n":
        return [], magic, 0
    lines = rewritten[:-1].split("\n")
    todos = 0
    while todos < len(lines) - 1 and TODO_RE.match(lines[todos].strip()):
        todos += 1
    above = [t.strip() for t in lines[:todos] if t.strip() not in source]
    return above, magic[:at] + "\n".join(lines[todos:]), n
