"""Human output: findings grouped by file, ``path:line:col RULE message``, a summary line.

Colour only when writing to a terminal (rich decides); never markup-interpreted,
so a message holding ``[...]`` prints as is.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import TextIO

from rich.console import Console
from rich.text import Text

from migrator.catalog import Catalog
from migrator.output.paths import printable
from migrator.output.summary import headline, summarize
from migrator.scan.runner import ScanResult


def location(path: str, line: int, column: int, cell: int | None) -> str:
    path = printable(path)
    return f"{path}:cell {cell}:{line}:{column}" if cell is not None else f"{path}:{line}:{column}"


def render(result: ScanResult, catalog: Catalog, as_of: dt.date, out: TextIO, err: TextIO,
           color: bool | None = None) -> None:
    console = Console(file=out, highlight=False, soft_wrap=True, force_terminal=color,
                      no_color=color is False, emoji=False)
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
    err_console = Console(file=err, highlight=False, soft_wrap=True, force_terminal=color,
                          no_color=color is False, emoji=False)
    for e in result.errors:
        err_console.print(Text.assemble((printable(e.path), "bold"), ": ", ("error", "red"), f": {e.reason}"))
    summary = summarize(result, catalog, as_of)
    err_console.print(Text(headline(summary, catalog) + "."))
