"""``ft-migrate data check`` and ``ft-migrate data convert``.

``check`` prints its result on stdout (it is the data asked for) and exits 0 when
the file can be uploaded as is, 1 when lines are rejected or there are too few
examples, 2 on a usage error or an unreadable file.  ``convert`` writes OUT and
reports on stderr (the counts, the first rejected lines and the output's cost
per candidate model, rendered by :mod:`migrator.data.text`), with the JSON
summary on stdout if asked for ``--format json``; it exits 1 when lines were
rejected.
"""

from __future__ import annotations

import sys

import click
import orjson

from migrator import progress, settings
from migrator.cli_lifecycle import as_of_option, catalog_option, no_live_option, open_catalog
from migrator.cli_support import Fatal, check_paths
from migrator.data.analysis import analyze
from migrator.data.check import (chat_rules, costs_of, default_model, no_model_note, parse_epochs, summarize,
                                 trainable_model)
from migrator.data.source import DataError, Source
from migrator.data.text import render_check, render_convert
from migrator.data.tokens import TokenizerError
from migrator.lifecycle import fine_tunable_models

format_option = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                             show_default=True, help="Output format.")


def _load(file, catalogs, as_of, no_live, model=None):
    """The dated catalog, with the ``catalog`` and ``as-of`` of the ``[tool.ft-migrate]`` over FILE."""
    project = settings.load([file])
    return open_catalog(catalogs or project.catalog, project.date(click.get_current_context(), as_of), None,
                        no_live, purpose="fine-tuning", checked=[model] if model else (), checked_as="--model")


def _dump(summary: dict) -> None:
    sys.stdout.write(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode() + "\n")


def _failed(summary: dict) -> bool:
    return bool(summary["rejected"]) or any(w["code"] == "too_few_examples" for w in summary["warnings"])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def data() -> None:
    """Check and convert training files; count tokens and cost."""


@data.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--model", help="Price on this model (default: what replaces the legacy default model "
                              "on the --as-of date: davinci-002 for prompt/completion files in 2023).")
@click.option("--epochs", default="auto", show_default=True, help="Number of epochs, or 'auto' (OpenAI's rule).")
@format_option
@catalog_option
@as_of_option
@no_live_option
@progress.quiet_option
def check(file, model, epochs, fmt, catalogs, as_of, no_live):
    """Check FILE (JSONL, CSV or TSV) and estimate its tokens and training cost.

    Exits 0 when FILE can be used as is, 1 when lines are rejected or there are
    fewer examples than fine-tuning needs, 2 on a usage error.
    """
    check_paths([file])
    cat = _load(file, catalogs, as_of, no_live, model)
    try:
        with progress.display(f"data check {file}"):
            n_epochs = parse_epochs(epochs)
            chosen = trainable_model(cat, model) if model else None
            candidates = fine_tunable_models(cat)
            views = [m.format for m in ([chosen] if chosen else []) + (candidates if fmt == "text" else [])]
            rules = chat_rules(cat, chosen)
            result = analyze(Source.from_path(file), cat, tuple(dict.fromkeys(views)), rules=rules)
            note = None
            if chosen is None:
                chosen = default_model(cat, result.format)
                note = no_model_note(cat) if chosen is None else None
                wanted = (chosen.format if chosen is not None else result.format,)
                if wanted[0] and wanted[0] not in result.views:
                    result = analyze(Source.from_path(file), cat, wanted, rules=rules)
            summary = summarize(result, chosen, n_epochs, cat, note)
    except (DataError, TokenizerError, ValueError) as exc:
        raise Fatal(str(exc)) from None
    if fmt == "json":
        _dump(summary)
    else:
        render_check(summary, costs_of(result, candidates, n_epochs, cat), sys.stdout)
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
@as_of_option
@no_live_option
@progress.quiet_option
def convert(file, output, to, system, rejects, fmt, catalogs, as_of, no_live):
    """Convert FILE to OUTPUT; every input line is written or rejected with its reason.

    Exits 0 when every example was written, 1 when lines were rejected, 2 on a
    usage error or an unreadable file (OUTPUT is then left untouched).
    """
    # loaded on use: `data check` does not need the converter
    from migrator.data.convert import convert_and_analyze

    check_paths([file])
    cat = _load(file, catalogs, as_of, no_live)
    try:
        with progress.display(f"data convert {file}"):
            summary, result = convert_and_analyze(file, output, to=to, system=system, rejects_path=rejects,
                                                  catalog=cat)
        candidates = fine_tunable_models(cat)
    except (DataError, TokenizerError, ValueError) as exc:
        raise Fatal(str(exc)) from None
    except OSError as exc:
        raise Fatal(f"{exc.filename or output}: {exc.strerror or exc}") from None
    if fmt == "json":
        _dump(summary)
    # Models of the other format would need OUTPUT converted back and counted
    # again (as long as the conversion itself); `check` prices IN on them.
    same = [m for m in candidates if m.format == result.format]
    missing = {m.id: m.format for m in candidates if m.format != result.format}
    render_convert(summary, costs_of(result, same, None, cat), missing, rejects, sys.stderr)
    sys.exit(1 if summary["input"]["rejected_count"] else 0)
