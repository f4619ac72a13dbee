"""``ft-migrate scan``: report every place that depends on what was shut down."""

from __future__ import annotations

import datetime as dt
import sys
from io import StringIO

import click

from migrator import progress, settings, terminal
from migrator.cli_lifecycle import catalog_option, lifecycle_options, open_catalog
from migrator.cli_support import (Fatal, check_paths, exclude_option, exit_zero_option, jobs_option, no_cache_option,
                                  output_option, write_output)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github"]), default="text",
              show_default=True, help="Output format; github: workflow-command annotations for GitHub Actions.")
@output_option
@exclude_option
@jobs_option
@catalog_option
@lifecycle_options
@exit_zero_option
@no_cache_option
@progress.quiet_option
@click.pass_context
def scan(ctx: click.Context, paths: tuple[str, ...], fmt: str, output: str | None, exclude: tuple[str, ...],
         jobs: int | None, catalogs: tuple[str, ...], as_of: dt.date, target: str | None, no_live: bool,
         exit_zero: bool, no_cache: bool) -> None:
    """Find code, notebooks, scripts and configs that use the legacy fine-tunes API or GPT-3 models.

    Exit status: 0 nothing found and every file read, 1 findings or a file that could
    not be (fully) scanned (0 with --exit-zero), 2 usage or internal error (a path
    that does not exist, a mistake in [tool.ft-migrate]).
    """
    # loaded on use, so that `scan --help` and usage errors stay fast
    from migrator.scan.runner import scan_paths

    check_paths(paths)
    project = settings.load(paths)
    as_of = project.date(ctx, as_of)
    # loaded on use, for start-up speed
    from migrator.scan.cache import kept_in, open_cache

    catalog = open_catalog(catalogs or project.catalog, as_of, target or project.target, no_live,
                           keep_in=kept_in(no_cache))

    with progress.display("scan"):
        result = scan_paths(list(paths) or ["."], catalog=catalog, excludes=exclude or project.exclude,
                            jobs=jobs, cache=open_cache(no_cache, catalog))
    try:
        if fmt == "json":
            # only the chosen format's renderer is loaded
            from migrator.output import json_doc

            write_output(json_doc.render(result, catalog, as_of), output)
        elif fmt == "sarif":
            # only the chosen format's renderer is loaded
            from migrator.output import sarif

            write_output(sarif.render(result, catalog, as_of), output)
        elif fmt == "github":
            # only the chosen format's renderer is loaded
            from migrator.output import github

            write_output(github.render(result), output)
        else:
            # only the chosen format's renderer is loaded
            from migrator.output import text

            buf = StringIO()  # rendered whole, then written at once (atomically with -o)
            color = terminal.wants_color(sys.stdout) if output in (None, "-") else False  # never in a file
            text.render_findings(result, buf, color=color)
            write_output(buf.getvalue(), output)
    except OSError as exc:
        raise Fatal(f"cannot write {output}: {exc.strerror or exc}") from None
    if fmt in ("text", "github"):  # after the findings, so it is the last line on a terminal
        # only the chosen format's renderer is loaded
        from migrator.output import text

        text.render_summary(result, catalog, as_of, sys.stderr)
    sys.exit(1 if (result.findings or result.errors) and not exit_zero else 0)
