"""Small pieces every subcommand shares: the exit-2 error, atomic output, --as-of, --no-cache."""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile

import click


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
    """stdout, or ``-o FILE`` written atomically (a temp file renamed into place)."""
    if output is None or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    directory = os.path.dirname(os.path.abspath(output))
    fd, tmp = tempfile.mkstemp(prefix=".ft-migrate-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, output)
    except BaseException:
        os.unlink(tmp)
        raise


no_cache_option = click.option(
    "--no-cache", is_flag=True,
    help="Neither read nor write the cache of unchanged files' scan results "
         "(kept in the user cache directory, or in $FT_MIGRATE_CACHE_DIR).")
