"""``ft-migrate shim serve``: run the compatibility proxy.

Settings come from ``--config FILE`` (TOML, see :func:`migrator.shim.config.load_config`)
with command-line options on top.  Each worker process gets them through an
environment variable, so ``--workers N`` runs N identical, stateless copies.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import sys
import tempfile

import click

from migrator import extras
from migrator.catalog import CatalogError
from migrator.cli_lifecycle import catalog_option, no_live_option, target_option
from migrator.cli_support import model_map_option
from migrator.lifecycle import target_warnings

from .app import CONFIG_ENV, HTTP_PARSER
from .config import CONVERSIONS, DEFAULT_UPSTREAM, KEEPALIVES, LOG_FORMATS, ConfigError, ShimConfig, load_config
from .logs import say

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@click.group()
def shim() -> None:
    """Compatibility proxy: unmodified legacy fine-tunes code and CLI keep working."""


@shim.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback by default).")
@click.option("--port", default=8787, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--upstream", default=None, help=f"API origin to send today's calls to [default: {DEFAULT_UPSTREAM}].")
@model_map_option
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="TOML file with shim settings (command-line options win).")
@catalog_option
@click.option("--strict", is_flag=True, default=None,
              help="Reject (400) legacy create fields that have no equivalent instead of dropping them.")
@click.option("--lenient", is_flag=True, default=None,
              help="Where a completions call is answered by chat completions, drop the fields chat has no equal "
                   "for (the catalog's [completions.no_equal]) with a Warning header instead of a 400.")
@click.option("--convert-uploads", type=click.Choice(CONVERSIONS), default=None,
              help="Convert prompt/completion files uploaded for fine-tuning to this format.")
@click.option("--keepalive", type=click.Choice(list(KEEPALIVES)), default=None,
              help="What a quiet event stream sends to keep clients' read timeouts away [default: blank-line, "
                   "which every client measured skips; comment is ': keepalive'].")
@click.option("--as-of", default=None, metavar="YYYY-MM-DD",
              help="Choose replacements as on this date [default: the day the shim starts].")
@target_option
@no_live_option
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 256),
              help="Worker processes (the shim is stateless, so they scale linearly).")
@click.option("--log-format", type=click.Choice(LOG_FORMATS), default=None,
              help="One line per request on stderr as text, or as one JSON object [default: text].")
@click.option("--health-cache", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="How long GET /healthz reuses its last probe of the upstream [default: 10].")
@click.option("--shutdown-timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="On SIGTERM, how long requests in flight may take to finish [default: 25].")
def serve(host: str, port: int, upstream: str | None, model_map: tuple[tuple[str, str], ...], config_file: str | None,
          catalogs: tuple[str, ...], strict: bool | None, lenient: bool | None, convert_uploads: str | None,
          keepalive: str | None, as_of: str | None, target: str | None, no_live: bool, workers: int,
          log_format: str | None, health_cache: float | None, shutdown_timeout: float | None) -> None:
    """Serve the shim; point old code at http://HOST:PORT/v1/ (OPENAI_API_BASE, OPENAI_BASE_URL or openai -b)."""
    try:
        config = load_config(config_file) if config_file else ShimConfig()
        mapping = {**config.model_map, **dict(model_map)}
        config = config.merged(upstream=upstream, strict=strict, lenient=lenient, convert_uploads=convert_uploads,
                               keepalive=keepalive, model_map=mapping, as_of=as_of, target=target,
                               live=False if no_live else None, log_format=log_format,
                               health_cache=health_cache, shutdown_timeout=shutdown_timeout,
                               catalog_files=(*config.catalog_files, *catalogs) or None)
        catalog = config.catalog()  # a bad catalog file fails now, with its name, not on the first request
    except (ConfigError, CatalogError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    needs_data = extras.message("data", "--convert-uploads") if config.convert_uploads else None
    if needs_data:
        raise click.UsageError(needs_data)
    for name, what in [(config.target, "--target"), *((m, "--model-map") for m in config.model_map.values())]:
        for problem in (target_warnings(catalog, name) if name else ()):
            say(config.log_format, f"ft-migrate shim: warning: {what}: {problem}", "warning")
    if host not in LOOPBACK:
        say(config.log_format, f"ft-migrate shim: warning: listening on {host}; anyone who can reach it can spend "
                               f"the API keys that pass through it.", "warning")
    settings = dataclasses.asdict(config)
    settings["model_map"] = dict(config.model_map)
    os.environ[CONFIG_ENV] = json.dumps(settings)
    say(config.log_format, f"ft-migrate shim: http://{host}:{port}/v1/ -> {config.upstream} "
                           f"({workers} worker{'s' if workers > 1 else ''}; Ctrl-C stops)")
    import uvicorn  # loaded only to serve, not for --help or a usage error

    metrics_dir = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # The workers add up their metrics in files here, so any worker's /metrics shows them all.
        metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="ft-migrate-shim-metrics-")
    # uvicorn finishes the requests in flight, then raises the SIGTERM again: a stop asked for is a success.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        uvicorn.run("migrator.shim.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                    http=HTTP_PARSER, access_log=False, log_level="warning", log_config=None,
                    timeout_graceful_shutdown=config.shutdown_timeout)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _exit_cleanly(signum: int, frame: object) -> None:
    sys.exit(0)

