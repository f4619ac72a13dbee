"""The shim's log on stderr: one line per request, as text (the default) or as JSON.

Text is for people watching a terminal.  ``--log-format json`` is for log
pipelines: every line is one JSON object, the request lines carrying ``time``,
``level``, ``method``, ``path``, ``route``, ``status``, ``upstream_status``, ``duration_ms``
(the whole request, a stream to its last byte), ``head_ms`` (until the answer's
head went out), ``translated`` and ``worker`` (the process id); the shim's
other messages and uvicorn's carry ``time``, ``level`` and ``message``.  No line
holds a header, a query string or a body, so never an API key.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
import time
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from .ops import Tracked

SHIM_LOGGER = "migrator.shim"
# A child of the shim's logger: in JSON mode it carries the request lines, and the
# shim's own text request line (an INFO record on the parent) is left out.
ACCESS_LOGGER = "migrator.shim.access"

access = logging.getLogger(ACCESS_LOGGER)


def _now(created: float | None = None) -> str:
    stamp = dt.datetime.fromtimestamp(time.time() if created is None else created, dt.timezone.utc)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per record; a request record's fields, or time, level and message."""

    def format(self, record: logging.LogRecord) -> str:
        request = getattr(record, "request", None)
        if request is not None:
            return json.dumps({"time": _now(record.created), "level": "info", **request}, ensure_ascii=False)
        obj: dict[str, Any] = {"time": _now(record.created), "level": record.levelname.lower(),
                               "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            obj["exception"] = self.formatException(record.exc_info)
        return json.dumps(obj, ensure_ascii=False)


def configure(log_format: str = "text") -> None:
    """Set up the shim's logging on stderr, once per process (each worker calls it)."""
    logger = logging.getLogger(SHIM_LOGGER)
    if logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    logger.addHandler(handler)
    logger.propagate = False
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
        logger.setLevel(logging.WARNING)  # the text request line is an INFO record: replaced by the JSON one
        access.setLevel(logging.INFO)
        for name in ("uvicorn", "uvicorn.error"):  # the server's warnings and errors as JSON too
            server = logging.getLogger(name)
            server.handlers = [handler]
            server.propagate = False
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        logger.setLevel(logging.INFO)
        access.setLevel(logging.WARNING)


def access_line(tracked: "Tracked") -> None:
    """The JSON line of one finished request (only configured in JSON mode)."""
    if not access.isEnabledFor(logging.INFO):
        return
    end = time.perf_counter()
    fields = {
        "method": tracked.method,
        "path": tracked.path,
        "route": tracked.route,
        "status": tracked.status if tracked.status is not None else 499,
        "upstream_status": tracked.upstream_status if tracked.upstream_error is None else None,
        "duration_ms": round((end - tracked.started) * 1000, 1),
        "head_ms": None if tracked.head_at is None else round((tracked.head_at - tracked.started) * 1000, 1),
        "translated": tracked.translated,
        "worker": os.getpid(),
    }
    if tracked.upstream_error is not None:
        fields["upstream_error"] = tracked.upstream_error
    access.info("request", extra={"request": fields})


def say(log_format: str, message: str, level: str = "info") -> None:
    """A message of ``ft-migrate shim serve`` itself on stderr, in the chosen format."""
    if log_format == "json":
        message = json.dumps({"time": _now(), "level": level, "message": message}, ensure_ascii=False)
    click.echo(message, err=True)
