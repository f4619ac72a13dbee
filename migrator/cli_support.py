"""Small pieces every subcommand shares: the exit-2 error, path checks, atomic output, --as-of, --no-cache."""

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
