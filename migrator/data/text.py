"""The human summaries of ``data check`` and ``data convert``, rendered with rich.

The point of the text output is the decision users face: which model to
re-train on and what it costs, so the cost per candidate model is a small table
side by side.  As elsewhere in ft-migrate, colour as :mod:`migrator.terminal`
decides (a terminal, ``--color``, ``NO_COLOR``) and no markup interpretation, so a reason holding
``[...]`` prints as is.  The JSON output (``--format json``) is the contract;
this text is for people and may change.
"""

from __future__ import annotations

from typing import TextIO

from rich import box
from rich.console import Console

from migrator import terminal
from rich.table import Table
from rich.text import Text

SHOWN_LINES = 20  # rejected lines / warnings listed in text, then a count


def console(out: TextIO) -> Console:
    return terminal.console(out)


def usd(value: float | None) -> str:
    if value is None:
        return "no price in the catalog"
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:.4f}"


def cost_table(rows: list[dict], missing: dict[str, str] | None = None) -> Table:
    """One row per model from :func:`~migrator.data.check.costs_of`; ``missing`` maps a model to its format (not priced)."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("model", style="bold")
    table.add_column("format")
    table.add_column("examples", justify="right")
    table.add_column("billable tokens", justify="right")
    table.add_column("epochs", justify="right")
    table.add_column("cost", justify="right", style="green")
    for row in rows:
        table.add_row(row["model"], row["format"], f"{row['examples']:,}", f"{row['tokens']['billable']:,}",
                      str(row["epochs"]), usd(row["usd"]))
    for model, fmt in (missing or {}).items():
        table.add_row(model, fmt, "-", "-", "-", "-")
    return table


def _items(summary: dict, name: str) -> list[Text]:
    items = [Text(f"{name}:{r['line']}: rejected: {r['reason']}") for r in summary["rejected"]]
    items += [Text(f"{name}{'' if w['line'] is None else ':' + str(w['line'])}: {w['code']}: {w['message']}")
              for w in summary["warnings"]]
    return items


def render_check(summary: dict, table: list[dict], out: TextIO) -> None:
    """``data check``'s summary: counts, conventions, tokens, findings, then the cost per model."""
    con = console(out)
    con.print(Text(f"{summary['file']}: {summary['format']} format, {summary['lines']} lines, "
                   f"{summary['valid']} valid, {len(summary['rejected'])} rejected, "
                   f"{len(summary['warnings'])} warnings"))
    if summary["format"] == "completion":
        con.print(Text(f"separator {summary['separator']!r}, stop sequence {summary['stop']!r}"))
    tokens = summary["tokens"]
    on = (f"{summary['epochs']} epochs on {summary['cost']['model']}: {usd(summary['cost']['usd'])}"
          if summary["cost"]["model"] else "no model to price it on")
    con.print(Text(f"tokens: {tokens['total']:,} ({tokens['billable']:,} billable, longest example "
                   f"{tokens['max_example']:,}); {on}"))
    items = _items(summary, summary["file"])
    for item in items[:SHOWN_LINES]:
        con.print(item)
    if len(items) > SHOWN_LINES:
        con.print(Text(f"... and {len(items) - SHOWN_LINES} more (see --format json)"))
    con.print(cost_table(table))


def render_convert(summary: dict, table: list[dict], missing: dict[str, str], rejects: str | None,
                   out: TextIO) -> None:
    """``data convert``'s summary on stderr: the counts, the first rejected lines, the output's cost per model.

    ``missing`` maps the candidate models that train on the other format to
    that format: OUT is not priced on them, a note says where to look.
    """
    con = console(out)
    counts = summary["input"]
    con.print(Text(f"{counts['file']}: {counts['lines']} lines: {counts['written']} written to {summary['file']}, "
                   f"{counts['rejected_count']} rejected, {counts['blank']} blank"))
    for item in counts["rejected"][:SHOWN_LINES]:
        con.print(Text(f"{counts['file']}:{item['line']}: {item['reason']}"))
    if counts["rejected_count"] > SHOWN_LINES:
        con.print(Text(f"... and {counts['rejected_count'] - SHOWN_LINES} more"
                       f"{f' (all in {rejects})' if rejects else ' (use --rejects FILE)'}"))
    tokens = summary["tokens"]
    con.print(Text(f"{summary['file']}: {summary['valid']} {summary['format']} examples, {tokens['total']:,} "
                   f"tokens ({tokens['billable']:,} billable on {summary['cost']['model']}), "
                   f"{len(summary['warnings'])} warnings"))
    con.print(cost_table(table, missing))
    if missing:
        con.print(Text(f"{', '.join(missing)}: train on {'/'.join(sorted(set(missing.values())))} examples; "
                       f"`ft-migrate data check {counts['file']}` prices the input on them"))
