"""``ft-migrate data check`` and ``ft-migrate data convert``.

``check`` prints its result on stdout (it is the data asked for) and exits 0 when
the file can be uploaded as is, 1 when lines are rejected or there are too few
examples, 2 on a usage error or an unreadable file.  ``convert`` writes OUT and
is quiet on stderr unless asked for ``--format json`` (the summary on stdout);
it exits 1 when lines were rejected.
"""

from __future__ import annotations

import sys

import click
import orjson

from migrator.catalog import CatalogError, load_catalog
from migrator.cli_support import Fatal
from migrator.data.analysis import analyze
from migrator.data.check import (DEFAULT_CANDIDATES, costs_of, default_model, parse_epochs, summarize,
                                 trainable_model)
from migrator.data.source import DataError, Source
from migrator.data.tokens import TokenizerError

SHOWN_LINES = 20  # text output lists this many rejected lines / warnings, then a count

catalog_option = click.option("--catalog", "catalogs", multiple=True, type=click.Path(dir_okay=False),
                              help="Extra catalog TOML merged over the built-in one (repeatable).")
format_option = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                             show_default=True, help="Output format.")


def _load(catalogs):
    try:
        return load_catalog(catalogs)
    except CatalogError as exc:
        raise Fatal(str(exc)) from None


def _dump(summary: dict) -> None:
    sys.stdout.write(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode() + "\n")


def _usd(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:.4f}"


def _text(summary: dict, table: list[dict]) -> str:
    out = [f"{summary['file']}: {summary['format']} format, {summary['lines']} lines, "
           f"{summary['valid']} valid, {len(summary['rejected'])} rejected, {len(summary['warnings'])} warnings"]
    if summary["format"] == "completion":
        out.append(f"separator {summary['separator']!r}, stop sequence {summary['stop']!r}")
    tokens = summary["tokens"]
    out.append(f"tokens: {tokens['total']:,} ({tokens['billable']:,} billable, longest example "
               f"{tokens['max_example']:,}); {summary['epochs']} epochs on {summary['cost']['model']}: "
               f"{_usd(summary['cost']['usd'])}")
    items = [f"{summary['file']}:{r['line']}: rejected: {r['reason']}" for r in summary["rejected"]]
    items += [f"{summary['file']}{'' if w['line'] is None else ':' + str(w['line'])}: {w['code']}: {w['message']}"
              for w in summary["warnings"]]
    out += items[:SHOWN_LINES]
    if len(items) > SHOWN_LINES:
        out.append(f"... and {len(items) - SHOWN_LINES} more (see --format json)")
    width = max(len(row["model"]) for row in table)
    out.append("")
    out.append(f"{'model':<{width}}  {'format':<10}  {'examples':>8}  {'billable tokens':>15}  {'epochs':>6}  cost")
    for row in table:
        out.append(f"{row['model']:<{width}}  {row['format']:<10}  {row['examples']:>8,}  "
                   f"{row['tokens']['billable']:>15,}  {row['epochs']:>6}  {_usd(row['usd'])}")
    return "\n".join(out) + "\n"


def _failed(summary: dict) -> bool:
    return bool(summary["rejected"]) or any(w["code"] == "too_few_examples" for w in summary["warnings"])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def data() -> None:
    """Check and convert training files; count tokens and cost."""


@data.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--model", help="Price on this model (default: davinci-002 for prompt/completion, "
                              "gpt-3.5-turbo for chat files).")
@click.option("--epochs", default="auto", show_default=True, help="Number of epochs, or 'auto' (OpenAI's rule).")
@format_option
@catalog_option
def check(file, model, epochs, fmt, catalogs):
    """Check FILE (JSONL, CSV or TSV) and estimate its tokens and training cost.

    Exits 0 when FILE can be used as is, 1 when lines are rejected or there are
    fewer examples than fine-tuning needs, 2 on a usage error.
    """
    cat = _load(catalogs)
    try:
        n_epochs = parse_epochs(epochs)
        chosen = trainable_model(cat, model) if model else None
        candidates = [trainable_model(cat, name) for name in DEFAULT_CANDIDATES if name in cat.models]
        views = [m.data_format for m in ([chosen] if chosen else []) + (candidates if fmt == "text" else [])]
        result = analyze(Source.from_path(file), cat, tuple(dict.fromkeys(views)))
        if chosen is None:
            chosen = default_model(cat, result.format)
            if chosen.data_format not in result.views:
                result = analyze(Source.from_path(file), cat, (chosen.data_format,))
        summary = summarize(result, chosen, n_epochs, cat.data)
    except (DataError, TokenizerError, ValueError) as exc:
        raise Fatal(str(exc)) from None
    if fmt == "json":
        _dump(summary)
    else:
        sys.stdout.write(_text(summary, costs_of(result, candidates, n_epochs, cat.data)))
    sys.exit(1 if _failed(summary) else 0)


@data.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The converted file.")
@click.option("--to", "to", type=click.Choice(["chat", "completion"]), default="chat", show_default=True,
              help="chat: for gpt-3.5-turbo; completion: cleaned prompt/completion for babbage-002/davinci-002.")
@click.option("--system", help="A system message to put first in every chat example.")
@click.option("--rejects", type=click.Path(dir_okay=False), help="Write the rejected lines here as JSONL.")
@format_option
@catalog_option
def convert(file, output, to, system, rejects, fmt, catalogs):
    """Convert FILE to OUTPUT; every input line is written or rejected with its reason.

    Exits 0 when every example was written, 1 when lines were rejected, 2 on a
    usage error or an unreadable file (OUTPUT is then left untouched).
    """
    from migrator.data.convert import convert_file

    cat = _load(catalogs)
    try:
        summary = convert_file(file, output, to=to, system=system, rejects_path=rejects, catalog=cat)
    except (DataError, TokenizerError, ValueError) as exc:
        raise Fatal(str(exc)) from None
    except OSError as exc:
        raise Fatal(f"{exc.filename or output}: {exc.strerror or exc}") from None
    counts = summary["input"]
    if fmt == "json":
        _dump(summary)
    click.echo(f"{file}: {counts['lines']} lines: {counts['written']} written to {output}, "
               f"{len(counts['rejected'])} rejected, {counts['blank']} blank", err=True)
    for item in counts["rejected"][:SHOWN_LINES]:
        click.echo(f"{file}:{item['line']}: {item['reason']}", err=True)
    if len(counts["rejected"]) > SHOWN_LINES:
        click.echo(f"... and {len(counts['rejected']) - SHOWN_LINES} more"
                   f"{f' (all in {rejects})' if rejects else ' (use --rejects FILE)'}", err=True)
    sys.exit(1 if counts["rejected"] else 0)
