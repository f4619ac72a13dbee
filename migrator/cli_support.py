"""Small pieces every subcommand shares: the exit-2 error, path checks, atomic output, and
the options several commands take (``--exclude``, ``-j``, ``-o``, ``--model-map``,
``--no-cache``), declared once so that they read and behave the same everywhere.

The date and catalog options are in :mod:`migrator.cli_lifecycle`.
"""

from __future__ import annotations

import datetime as dt
import os
import sys

import click

from migrator import atomic


def as_of_date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date:
    """Click callback for ``--as-of``: a YYYY-MM-DD date; when not given, today (or
    ``$FT_MIGRATE_AS_OF``)."""
    if value is None:
        # loaded on use, so that `ft-migrate --help` does not import the catalog
        from migrator.catalog import CatalogError, default_as_of

        try:
            return default_as_of()
        except CatalogError as exc:
            raise click.BadParameter(str(exc)) from None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form") from None


class Fatal(click.ClickException):
    """A usage or environment error: printed as ``Error: ...`` and exit status 2."""

    exit_code = 2


def write_output(text: str, output: str | None) -> None:
    """stdout, or ``-o FILE`` replaced atomically with its mode and owner kept (see :mod:`migrator.atomic`)."""
    if output is None or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    atomic.write_bytes(output, text.encode("utf-8"))


def check_paths(paths: tuple[str, ...] | list[str]) -> None:
    """Every path named on the command line must exist: a typo is a usage error, as in ruff.

    ``-`` (standard input) is refused by name rather than taken for a missing file.
    """
    for path in paths:
        if path == "-":
            raise Fatal("reading from standard input ('-') is not supported; name files or directories "
                        "(a file named '-' can be given as ./-)")
        try:
            os.stat(path)
        except OSError as exc:
            raise Fatal(f"{path}: {(exc.strerror or str(exc)).lower()}") from None


no_cache_option = click.option(
    "--no-cache", is_flag=True,
    help="Neither read nor write the cache of unchanged files' scan results "
         "(kept in the user cache directory, or in $FT_MIGRATE_CACHE_DIR).")


exclude_option = click.option("--exclude", multiple=True, metavar="GLOB",
                              help="Skip files and directories matching GLOB (repeatable).")
jobs_option = click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
                           help="Parallel processes for parsing [default: all cores].")
output_option = click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
                             help="Write the report to FILE instead of stdout.")


exit_zero_option = click.option(
    "--exit-zero", is_flag=True,
    help="Exit 0 even when something was found or a file could not be read (report-only runs).")


def _model_pairs(ctx: click.Context, param: click.Parameter, items: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple(parse_model_pair(item, "--model-map") for item in items)


# The pairs in order, each checked as it is read; a dict of them lets a later pair win.
model_map_option = click.option(
    "--model-map", "model_map", multiple=True, metavar="OLD=NEW", callback=_model_pairs,
    help="Use NEW, your re-trained model, for the legacy fine-tuned model OLD (curie:ft-...); repeatable.")


def parse_model_pair(item: str, where: str) -> tuple[str, str]:
    """``OLD=NEW`` (spaces around either side dropped); ``where`` names the culprit in the error."""
    old, sep, new = item.partition("=")
    if not sep or not old.strip() or not new.strip():
        raise Fatal(f"{where}: expected OLD=NEW, got {item!r}")
    return old.strip(), new.strip()


def read_model_map_file(path: str) -> list[tuple[str, str]]:
    """The ``OLD=NEW`` lines of a ``--model-map-file`` (``#`` comments and blank lines allowed)."""
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise Fatal(f"--model-map-file {path}: cannot read: {exc}") from None
    out = []
    for n, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(parse_model_pair(line, f"{path}:{n}"))
    return out
