"""Human output: findings grouped by file, ``path:line:col RULE message``, a summary line.

Findings are data and go to stdout; the files that could not be scanned and the
summary go to stderr *after* them, so on a terminal the summary is the last
line.  Colour is decided by :mod:`migrator.terminal`; never markup-interpreted,
so a message holding ``[...]`` prints as is.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import TextIO

from rich.text import Text

from migrator import terminal
from migrator.catalog import Catalog
from migrator.output.paths import printable
from migrator.output.summary import headline, summarize
from migrator.scan.runner import ScanResult


def location(path: str, line: int, column: int, cell: int | None) -> str:
    path = printable(path)
    return f"{path}:cell {cell}:{line}:{column}" if cell is not None else f"{path}:{line}:{column}"


def render_findings(result: ScanResult, out: TextIO, color: bool | None = None) -> None:
    """One line per finding, grouped by file; ``color`` None lets :mod:`migrator.terminal` decide."""
    console = terminal.console(out, color=color)
    for path, group in groupby(result.findings, key=lambda f: f.path):
        for f in group:
            line = Text()
            line.append(location(f.path, f.line, f.column, f.cell), style="bold")
            line.append(" ")
            line.append(f.rule, style="red" if not f.fixable else "yellow")
            line.append(f" {f.message}")
            if f.fixable:
                line.append(" [fixable]", style="green")
            console.print(line)


def render_summary(result: ScanResult, catalog: Catalog, as_of: dt.date, err: TextIO) -> None:
    """The files that could not be scanned, then the summary line."""
    console = terminal.console(err)
    for e in result.errors:
        console.print(Text.assemble((printable(e.path), "bold"), ": ", ("error", "red"), f": {e.reason}"))
    console.print(Text(headline(summarize(result, catalog, as_of), catalog) + "."))
