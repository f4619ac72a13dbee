"""Jupyter notebooks: the code cells as one program, magics through the shell lexer.

The Python code cells are read joined in order, as the kernel runs them (see
:mod:`migrator.notebook_program`), so a name imported in one cell resolves in the
next; IPython lines are masked out of that program, and the shell ones go to
:mod:`migrator.scan.cli_lines`, ``%pip install`` lines to the dependency check.
A cell that does not parse on its own (the kernel would refuse it too) is left
out of the program and gets the line-level rules only, with an error naming it.

Findings carry the 1-based cell number (markdown cells counted, as Jupyter
shows them) and the line within the cell.  ``# ft-migrate: ignore`` works per
line, as in other files.
"""

from __future__ import annotations

import dataclasses
import re

from migrator import notebook_program as nbp
from migrator.catalog import Catalog
from migrator.findings import Finding, ScanError
from migrator.scan import cli_lines, deps, pin_scope
from migrator.scan.common import ScanFailure, Span, left_manual, unsuppressed

_JS_CELL = re.compile(r"^%%(?:javascript|js)\b")
# Why every finding of a notebook with a cell that does not parse is manual.
NOT_PARSED = ("fix leaves this notebook as it is while one of its cells does not parse as Python 3: "
              "make it parse, then run fix again")
_WRITEFILE = re.compile(r"^%%writefile(?:[ \t]+-a)?[ \t]+(?P<name>\S+)")


def scan_notebook(text: str, path: str, catalog: Catalog, errors: list[ScanError] | None = None) -> list[Finding]:
    """Findings of one notebook; problems that left part of it unparsed go to ``errors``."""
    errors = errors if errors is not None else []
    try:
        nb = nbp.load(text)
        cells = nbp.cells(nb)
        sources = [nbp.cell_source(cell, number) for number, cell in enumerate(cells, 1)]
    except nbp.NotebookFormatError as exc:
        raise ScanFailure(str(exc)) from None
    python = nbp.language(nb).startswith("python")
    found: dict[int, list[Finding]] = {}  # cell number -> findings with cell-relative lines
    program: list[nbp.CodeCell] = []
    for number, (cell, source) in enumerate(zip(cells, sources), 1):
        kind = cell.get("cell_type")
        if kind == "markdown":
            # loaded on use, for start-up speed
            from migrator.scan.textfiles import scan_markdown

            found[number] = scan_markdown(source, path, catalog)
        elif kind == "code":
            code = nbp.code_cell(number, number - 1, source)
            if code is None:  # a %% magic whose body is another language
                first, _, rest = source.partition("\n")
                found[number] = _cell_magic(first, rest, path, catalog)
            else:
                found[number] = _magic_findings(code, path, catalog)
                if python:
                    program.append(code)
    unparsed = len(errors)
    for cell, findings in _program_findings(program, path, catalog, errors).items():
        found.setdefault(cell, []).extend(findings)
    if len(errors) > unparsed:  # a cell that does not parse: fix leaves the whole notebook as it is
        found = {n: left_manual(findings, NOT_PARSED) for n, findings in found.items()}
    out: list[Finding] = []
    for number, findings in found.items():
        findings = [dataclasses.replace(f, cell=number) for f in findings]
        out.extend(unsuppressed(findings, sources[number - 1]))
    code_cells = {n for n, cell in enumerate(cells, 1) if cell.get("cell_type") == "code"}
    return sorted(pin_scope.in_notebook(out, sources, code_cells, catalog), key=Finding.sort_key)


def _program_findings(cells: list[nbp.CodeCell], path: str, catalog: Catalog,
                      errors: list[ScanError]) -> dict[int, list[Finding]]:
    """The Python findings of the joined cells, by cell, with lines within the cell."""
    # loaded on use: only for a notebook with code cells
    from migrator.scan.python import PARSE_ERRORS, scan_python, scan_python_lines, unparsable

    out: dict[int, list[Finding]] = {}
    if not cells:
        return out
    program = nbp.Program(cells)
    joined = None
    try:
        joined = scan_python(program.text, path, catalog)
    except PARSE_ERRORS:
        pass  # some cell does not parse: found below, one cell at a time
    if joined is None:
        good = []
        for cell in cells:
            reason = unparsable(cell.python)
            if reason is None:
                good.append(cell)
                continue
            errors.append(ScanError(path, f"cell {cell.number}: {reason}; only line-level rules applied to it"))
            out.setdefault(cell.number, []).extend(scan_python_lines(cell.python, path, catalog))
        program = nbp.Program(good)
        joined = scan_python(program.text, path, catalog) if good else []
    for f in joined:
        cell, line = program.locate(f.line)
        _, end_line = program.locate(f.end_line)
        out.setdefault(cell.number, []).append(dataclasses.replace(f, line=line, end_line=max(line, end_line)))
    return out


def _magic_findings(cell: nbp.CodeCell, path: str, catalog: Catalog) -> list[Finding]:
    """What the masked IPython lines of a Python cell run: shell commands and pip installs."""
    out: list[Finding] = []
    for magic in cell.magics:
        start = magic.start
        line = magic.text.split("\n", 1)[0]
        stripped = line.lstrip()
        indent = line[:len(line) - len(stripped)]
        command = magic.text
        assigned = nbp.ASSIGN_SHELL_RE.match(line)
        if stripped.startswith("!") or assigned:
            at = assigned.end() if assigned else len(indent) + 1
            out.extend(cli_lines.scan_command_text(" " * at + command[at:], path, catalog, line_offset=start))
        elif re.match(r"%pip3?\b", stripped):
            span = Span(start + 1, 1, start + 1, len(line) + 1)
            out.extend(cli_lines.pip_install_findings(line, path, span, catalog))
        elif re.match(r"%(?:sx|system)\b", stripped):
            at = len(indent) + len(stripped.split(None, 1)[0])
            out.extend(cli_lines.scan_command_text(" " * at + command[at:], path, catalog, line_offset=start))
    return out


def _cell_magic(first: str, body: str, path: str, catalog: Catalog) -> list[Finding]:
    """A cell that starts with ``%%``: the magic decides what language the body is."""
    if nbp.SHELL_CELL_RE.match(first):
        return cli_lines.scan_command_text(body, path, catalog, line_offset=1)
    if _JS_CELL.match(first):
        # loaded on use: only for a %%javascript cell
        from migrator.scan.javascript import scan_javascript

        return _shifted(scan_javascript(body, path, catalog), 1)
    written = _WRITEFILE.match(first)
    if written:
        return _shifted(_file_body(written.group("name"), body, path, catalog), 1)
    return []  # %%sql, %%html, %%R ...: another language this scanner does not read


def _file_body(name: str, body: str, path: str, catalog: Catalog) -> list[Finding]:
    """``%%writefile NAME``: the body is that file; read it as its kind says."""
    # loaded on use: only for a %%writefile cell
    from migrator.scan import textfiles
    from migrator.scan.filetypes import kind_of

    kind = kind_of(name)
    if kind == "python":
        # loaded on use: only for a %%writefile cell of Python
        from migrator.scan.python import PARSE_ERRORS, scan_python, scan_python_lines

        try:
            return scan_python(body, path, catalog)
        except PARSE_ERRORS:
            return scan_python_lines(body, path, catalog)
    if kind == "requirements":
        return deps.scan_requirements(body, path, catalog)
    readers = {"shell": textfiles.scan_shell, "makefile": textfiles.scan_makefile,
               "dockerfile": textfiles.scan_dockerfile, "markdown": textfiles.scan_markdown}
    return readers[kind](body, path, catalog) if kind in readers else []


def _shifted(findings: list[Finding], lines: int) -> list[Finding]:
    return [dataclasses.replace(f, line=f.line + lines, end_line=f.end_line + lines) for f in findings]
