"""``ft-migrate report``: scan, check training files, and write one migration report."""

from __future__ import annotations

import datetime as dt
import json
import sys

import click

from migrator import progress, settings, terminal
from migrator.cli_lifecycle import catalog_option, lifecycle_options, open_catalog
from migrator.cli_support import (Fatal, check_paths, exclude_option, exit_zero_option, jobs_option, no_cache_option,
                                  output_option, write_output)
from migrator.lifecycle import fine_tunable_models
from migrator.output.paths import json_text, printable


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["html", "markdown", "json"]), default="html",
              show_default=True, help="html: one self-contained page; markdown: for pull requests; json: for machines.")
@output_option
@lifecycle_options
@click.option("--data", "data_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              metavar="FILE", help="A training file to price for re-training (repeatable); "
                                   "*.jsonl training files in the scanned tree are found too.")
@exclude_option
@jobs_option
@catalog_option
@exit_zero_option
@no_cache_option
@click.option("--merge", is_flag=True,
              help="PATHS are scan or report JSON documents, one per repository (or directories holding "
                   "them): write one organisation report across them.")
@progress.quiet_option
@click.pass_context
def report(ctx: click.Context, paths: tuple[str, ...], fmt: str, output: str | None, as_of: dt.date,
           target: str | None, no_live: bool, data_files: tuple[str, ...],
           exclude: tuple[str, ...], jobs: int | None, catalogs: tuple[str, ...], exit_zero: bool,
           no_cache: bool, merge: bool) -> None:
    """Write the migration report: what depends on what OpenAI shut down on 2024-01-04,
    what `ft-migrate fix` repairs, what needs a person, and what re-training costs.

    Exit status: 0 nothing found and every file read, 1 findings or a file that could
    not be (fully) scanned or priced (0 with --exit-zero), 2 usage or internal error (a path
    that does not exist, HTML asked for on a terminal).
    """
    # loaded on use, so that `report --help` and usage errors stay fast
    from migrator.report import figures, training

    if fmt == "html" and output in (None, "-") and terminal.is_terminal(sys.stdout):
        raise Fatal("the HTML report is a web page, not terminal text: write it to a file with "
                    "-o report.html (or redirect stdout), or use --format markdown")
    check_paths(paths)
    project = settings.load(paths)
    as_of = project.date(ctx, as_of)
    # loaded on use, for start-up speed
    from migrator.scan.cache import kept_in

    catalog = open_catalog(catalogs or project.catalog, as_of, target or project.target, no_live,
                           keep_in=kept_in(no_cache))
    if merge:
        result, priced, errors, repositories = _merged(paths, data_files, exclude, jobs, no_cache)
    else:
        # loaded on use, for start-up speed
        from migrator.scan.cache import open_cache
        from migrator.scan.runner import scan_paths

        exclude = exclude or project.exclude
        roots = list(paths) or ["."]
        with progress.display("report"):
            result = scan_paths(roots, catalog=catalog, excludes=exclude, jobs=jobs,
                                cache=open_cache(no_cache, catalog))
            files = training.training_files(roots, data_files, exclude)
            priced, errors = training.price_files(files, catalog, [m.id for m in fine_tunable_models(catalog)])
        repositories = None
    doc = figures.build(result, catalog, as_of, priced, errors)
    if repositories is not None:
        doc["repositories"] = repositories
    if fmt == "json":
        text = json_text(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"
    elif fmt == "markdown":
        # only the chosen format's renderer is loaded
        from migrator.report import markdown

        text = printable(markdown.render(doc))  # file names that are not UTF-8: \xNN
    else:
        # only the chosen format's renderer is loaded (Jinja2)
        from migrator.report import html

        text = printable(html.render(doc))
    try:
        write_output(text, output)
    except OSError as exc:
        raise Fatal(f"cannot write {output}: {exc.strerror or exc}") from None
    sys.exit(1 if (result.findings or result.errors or errors) and not exit_zero else 0)


def _merged(paths: tuple[str, ...], data_files: tuple[str, ...], exclude: tuple[str, ...], jobs: int | None,
            no_cache: bool):
    """``--merge``: the repositories' documents as one scan result, their training files, and the
    per-repository rows."""
    # loaded on use: only with --merge
    from migrator.report import merge

    given = [name for name, value in (("--data", data_files), ("--exclude", exclude), ("--jobs", jobs),
                                      ("--no-cache", no_cache)) if value]
    if given:
        raise Fatal(f"--merge reads JSON documents; {', '.join(given)} cannot be used with it")
    if not paths:
        raise Fatal("--merge needs the JSON documents (or directories of them) to merge")
    try:
        repos = merge.read_all(list(paths))
    except merge.MergeError as exc:
        raise Fatal(str(exc)) from None
    result, priced = merge.combined(repos)
    rows = merge.repositories_table(repos)
    return result, priced, [], {"rows": rows, "totals": merge.totals(rows)}
