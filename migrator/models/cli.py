"""``ft-migrate models``: the models' lifecycle on a date, and live shutdown dates.

``list`` prints, for the as-of date, every model the catalog knows with its
shutdown date (and how sure it is) and what replaces it; ``sync`` reads
``GET /v1/models`` with the user's key and saves the announced ``shutdown_date``
of each model, the user's own fine-tuned models included, as the overlay every
command reads (see :mod:`migrator.live`).
"""

from __future__ import annotations

import datetime as dt
import os
import sys

import click

from migrator import live, settings
from migrator.cli_lifecycle import catalog_option, lifecycle_options, open_catalog
from migrator.cli_support import Fatal, write_output
from migrator.lifecycle import resolve, status


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def models() -> None:
    """Which models are shut down on a date, and live shutdown dates from the API."""


@models.command("list")
@lifecycle_options
@catalog_option
@click.option("--all", "show_all", is_flag=True, help="Also list models with no known shutdown.")
@click.pass_context
def list_models(ctx: click.Context, as_of: dt.date, target: str | None, no_live: bool, catalogs: tuple[str, ...],
                show_all: bool) -> None:
    """Each model's shutdown date and what replaces it on the as-of date."""
    project = settings.load(())
    catalog = open_catalog(catalogs or project.catalog, project.date(ctx, as_of), target or project.target, no_live)
    for name in sorted(catalog.models):
        shutdown, dead = status(catalog, name)
        if shutdown is not None and not shutdown.known_on(catalog.as_of):
            shutdown = None  # not announced yet on that date
        available = catalog.models[name].available
        if (shutdown is None and not show_all) or (available is not None and available > catalog.as_of):
            continue
        when = "no shutdown known" if shutdown is None else (
            f"{'shut down' if dead else 'shuts down'} {shutdown.date.isoformat()}"
            + ("" if shutdown.confidence == "official" else f" ({shutdown.confidence})"))
        line = f"{name}: {when}"
        if shutdown is not None:
            res = resolve(catalog, name, "inference")
            line += f"; replaced by {res.target}" if res.target else f"; {res.reason}"
        click.echo(line)


@models.command()
@click.option("--base-url", default=None, metavar="URL",
              help="API base ending in /v1 [default: $OPENAI_BASE_URL or https://api.openai.com/v1].")
@click.option("--api-key-env", default="OPENAI_API_KEY", show_default=True, metavar="NAME",
              help="Environment variable holding the API key.")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD", help="Date written in the overlay [default: today].")
def sync(base_url: str | None, api_key_env: str, as_of: str | None) -> None:
    """Save each model's announced shutdown_date (and your ft: models) for every command to use."""
    key = os.environ.get(api_key_env)
    if not key:
        raise Fatal(f"no API key: set {api_key_env} (or pass --api-key-env NAME)")
    base = (base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1").rstrip("/")
    today = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    catalog = open_catalog((), today, None, no_live=True)
    try:
        found = live.fetch(base, key)
    except live.LiveError as exc:
        raise Fatal(f"{exc}; the saved dates in {live.overlay_path()} were left as they were") from None
    text = live.overlay_text(found, catalog, f"{base}/models", today)
    path = live.overlay_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_output(text, str(path))
    except OSError as exc:
        raise Fatal(f"cannot write {path}: {exc.strerror or exc}") from None
    dated = [m for m in found if m.shutdown is not None]
    overlaid = open_catalog((), today, None)
    for m in sorted(found, key=lambda m: m.id):
        if not m.id.startswith("ft:"):
            continue
        shutdown, dead = status(overlaid, m.id)
        when = "no shutdown known" if shutdown is None else (
            f"{'died' if dead else 'dies'} on {shutdown.date.isoformat()}"
            + ("" if shutdown.confidence == "official" else f" ({shutdown.confidence} date, unconfirmed)"))
        click.echo(f"{m.id}: {when}")
    click.echo(f"ft-migrate models: {len(found)} models read, {len(dated)} with a shutdown date; "
               f"saved to {path}", err=True)
    sys.exit(0)
