"""The date options every command shares: ``--as-of``, ``--target``, ``--no-live``.

Why one place: the answer to "what replaces this model" depends on the date and
on the user's explicit choice, so scan, fix, shim, data and report must take
them the same way and hand the same dated catalog to every part.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable, Iterable

import click

from migrator import live
from migrator.catalog import Catalog, CatalogError, load_catalog
from migrator.cli_support import Fatal, as_of_date
from migrator.lifecycle import target_warnings

as_of_option = click.option(
    "--as-of", callback=as_of_date, metavar="YYYY-MM-DD",
    help="Give the answers that are right on this date: which models are shut down, which "
         "replacements are alive [default: today].")
target_option = click.option(
    "--target", metavar="MODEL", default=None,
    help="Replace shut-down models with MODEL wherever it fits, instead of the catalog's choice; "
         "warned about when it retires within the catalog's warning window.")
no_live_option = click.option(
    "--no-live", is_flag=True,
    help="Ignore the shutdown dates saved by `ft-migrate models sync`; use the built-in catalog only.")

catalog_option = click.option(
    "--catalog", "catalogs", multiple=True, type=click.Path(exists=True, dir_okay=False), metavar="FILE",
    help="Extra catalog TOML layered over the built-in one (repeatable).")


def lifecycle_options(func: Callable) -> Callable:
    """``--as-of``, ``--target`` and ``--no-live`` on a command."""
    return as_of_option(target_option(no_live_option(func)))


def open_catalog(files: Iterable[str], as_of: dt.date, target: str | None = None, no_live: bool = False,
                 *, purpose: str = "inference", checked: Iterable[str] = (), checked_as: str = "--model-map",
                 warn: Callable[[str], None] | None = None, keep_in: Path | None = None) -> Catalog:
    """The dated catalog a command works with: built-in, then the live overlay (unless
    ``no_live``), then the user's files.  A bad file is a usage error naming it.  The
    user's ``target`` and the models in ``checked`` (``--model-map`` values, or what
    ``checked_as`` names) are checked
    against the lifecycle and any problem is printed as a warning.  ``keep_in``: the cache
    directory of a command that keeps one, where the parsed catalog is kept too."""
    warn = warn or (lambda message: click.echo(f"ft-migrate: warning: {message}", err=True))
    try:
        catalog = load_catalog((*live.overlay_files(no_live), *files), as_of, target, keep_in)
    except CatalogError as exc:
        raise Fatal(str(exc)) from None
    for name, what in [(target, "--target"), *((m, checked_as) for m in checked)]:
        if name:
            for problem in target_warnings(catalog, name, purpose):
                warn(f"{what}: {problem}")
    return catalog
