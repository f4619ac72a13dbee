"""Settings of the shim, from the command line or a TOML file.

The shim keeps no state between requests: everything it needs per request is
here and in the catalog, which is why any number of workers or hosts can serve
the same traffic.
"""

from __future__ import annotations

import datetime as dt

import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from migrator import live
from migrator.catalog import Catalog, load_catalog

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

DEFAULT_UPSTREAM = "https://api.openai.com"
CONVERSIONS = ("chat",)
# How a quiet event stream keeps old clients' read timeouts away.  "blank-line" (an
# empty line between events) is skipped by every client measured, including parsers
# that JSON-decode every non-empty line after stripping "data: "; "comment" (": keepalive")
# is standard SSE but throws in those; "none" sends nothing.
KEEPALIVES = {"blank-line": b"\n", "comment": b": keepalive\n\n", "none": b""}
LOG_FORMATS = ("text", "json")


class ConfigError(ValueError):
    """A setting is malformed; the message says which and why."""


@dataclass(frozen=True)
class ShimConfig:
    """Everything the translation depends on, besides the catalog.

    ``upstream`` is an origin (``https://api.openai.com``); a trailing ``/v1`` is
    tolerated.  ``None`` (library use only) keeps the host of each request.
    """

    upstream: str | None = DEFAULT_UPSTREAM
    model_map: Mapping[str, str] = field(default_factory=dict)
    strict: bool = False
    lenient: bool = False  # drop completions fields chat completions have no equal for, instead of a 400
    convert_uploads: str | None = None
    system_prompt: str | None = None  # system message for converted uploads
    max_body_bytes: int = 16 * 1024 * 1024  # bodies the shim must read: JSON, converted uploads
    timeout: float = 300.0  # seconds a request may wait on the upstream (all its calls together)
    poll_interval: float = 5.0  # seconds between upstream polls of an event stream
    keepalive_interval: float = 15.0  # quiet seconds before a keep-alive (old clients time out after 600 s)
    keepalive: str = "blank-line"  # the keep-alive's form, one of KEEPALIVES
    page_size: int = 100  # items per upstream page when the shim reads whole job/event lists
    max_pages: int = 100  # pages read for one answer before the shim stops (and says so)
    max_paging_seconds: float = 60.0  # seconds spent paging for one answer before it stops
    client_timeout: float = 60.0  # seconds a client may leave its request body without a byte
    catalog_files: tuple[str, ...] = ()
    as_of: str | None = None  # YYYY-MM-DD the replacements are chosen for; None: the day the shim starts
    target: str | None = None  # the user's explicit replacement for shut-down models
    live: bool = True  # layer the dates saved by `ft-migrate models sync`
    # -- running it as a service (migrator.shim.ops, migrator.shim.logs) --
    health_cache: float = 10.0  # seconds GET /healthz reuses its last probe of the upstream
    shutdown_timeout: float = 25.0  # seconds requests in flight may take to finish once the server is stopping
    log_format: str = "text"  # one of LOG_FORMATS

    def __post_init__(self) -> None:
        if self.as_of is not None:
            try:
                dt.date.fromisoformat(self.as_of)
            except (TypeError, ValueError):
                raise ConfigError(f"as_of must be a date in YYYY-MM-DD form, got {self.as_of!r}") from None
        if self.upstream is not None:
            parts = urlsplit(self.upstream)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigError(f"upstream must be an http(s) URL such as {DEFAULT_UPSTREAM}, got {self.upstream!r}")
            path = parts.path.rstrip("/")
            if path.endswith("/v1"):
                path = path[:-3]
            object.__setattr__(self, "upstream", f"{parts.scheme}://{parts.netloc}{path}")
        if self.convert_uploads not in (None, *CONVERSIONS):
            raise ConfigError(f"convert_uploads must be one of {', '.join(CONVERSIONS)}, got {self.convert_uploads!r}")
        if self.keepalive not in KEEPALIVES:
            raise ConfigError(f"keepalive must be one of {', '.join(KEEPALIVES)}, got {self.keepalive!r}")
        if self.log_format not in LOG_FORMATS:
            raise ConfigError(f"log_format must be one of {', '.join(LOG_FORMATS)}, got {self.log_format!r}")
        for name in ("max_body_bytes", "timeout", "keepalive_interval", "page_size", "max_pages",
                     "max_paging_seconds", "client_timeout", "shutdown_timeout"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive, got {getattr(self, name)!r}")
        for name in ("poll_interval", "health_cache"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} cannot be negative, got {getattr(self, name)!r}")
        for old, new in self.model_map.items():
            if not isinstance(old, str) or not isinstance(new, str) or not old or not new:
                raise ConfigError(f"model_map entries must be non-empty strings, got {old!r} = {new!r}")

    def catalog(self) -> Catalog:
        day = dt.date.fromisoformat(self.as_of) if self.as_of else None
        return load_catalog((*live.overlay_files(not self.live), *self.catalog_files), day, self.target)

    def merged(self, **overrides: Any) -> "ShimConfig":
        """This config with the non-None ``overrides`` applied (command line over file)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def load_config(path: str | Path) -> ShimConfig:
    """A :class:`ShimConfig` from a TOML file: keys at the top level or under ``[shim]``.

    Example::

        upstream = "https://api.openai.com"
        strict = false
        lenient = false
        convert_uploads = "chat"
        [model_map]
        "curie:ft-acme-2023-05-01-10-00-00" = "ft:davinci-002:acme::8abc123"
    """
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    table = raw.get("shim", raw)
    known = {f.name for f in fields(ShimConfig)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    values = dict(table)
    if "model_map" in values and not isinstance(values["model_map"], dict):
        raise ConfigError(f"{path}: model_map must be a table of OLD = \"NEW\"")
    if "catalog_files" in values:
        values["catalog_files"] = tuple(values["catalog_files"])
    try:
        return ShimConfig(**values)
    except TypeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
