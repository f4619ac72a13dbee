"""Live shutdown dates: read ``GET /v1/models`` and keep them as a catalog overlay.

Why: OpenAI announces shutdowns faster than any release of this tool, and
publishes them per model as ``shutdown_date`` on ``GET /v1/models``, which also
lists the user's own fine-tuned models (``ft:...``).  ``ft-migrate models sync``
turns one such answer into a small catalog file in the user's config directory
(``$FT_MIGRATE_CONFIG_DIR`` or the platform's), which every command then layers
over the built-in catalog, unless ``--no-live``.  Offline is the default state:
without a sync there is no overlay and nothing changes.

An answer is checked whole before anything is written, and the overlay is
replaced atomically, so an HTTP error, a missing field or a garbage date leaves
the previous overlay exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrator.catalog import Catalog

CONFIG_ENV = "FT_MIGRATE_CONFIG_DIR"
OVERLAY = "live-catalog.toml"
SOURCE = "LIVE"


class LiveError(Exception):
    """The models endpoint could not be read, or its answer is not what OpenAI sends."""


def config_directory() -> Path:
    configured = os.environ.get(CONFIG_ENV)
    if configured:
        return Path(configured)
    # loaded on use, for start-up speed
    from platformdirs import user_config_dir

    return Path(user_config_dir("ft-migrate", appauthor=False))


def overlay_path() -> Path:
    return config_directory() / OVERLAY


def overlay_files(no_live: bool = False) -> tuple[str, ...]:
    """The overlay as a catalog file to layer, if there is one and it is wanted."""
    if no_live:
        return ()
    path = overlay_path()
    return (str(path),) if path.is_file() else ()


@dataclass(frozen=True)
class LiveModel:
    id: str
    owned_by: str
    shutdown: dt.date | None


def fetch(base_url: str, api_key: str, timeout: float = 30.0) -> list[LiveModel]:
    """``GET {base_url}/models`` (``base_url`` ends in ``/v1``), checked."""
    # loaded on use: only `models sync` talks to the API
    import httpx

    url = base_url.rstrip("/") + "/models"
    try:
        resp = httpx.get(url, headers={"Authorization": f"Bearer {api_key}"}, timeout=timeout)
    except httpx.HTTPError as exc:
        raise LiveError(f"GET {url} failed: {exc}") from None
    if resp.status_code != 200:
        raise LiveError(f"GET {url} answered {resp.status_code}: {_error_message(resp)}")
    try:
        doc = resp.json()
    except ValueError:
        raise LiveError(f"GET {url} did not answer JSON") from None
    return parse_models(doc, url)


def _error_message(resp: Any) -> str:
    try:
        return str(resp.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return resp.text[:200] or resp.reason_phrase


def parse_models(doc: Any, url: str) -> list[LiveModel]:
    """The models of a ``/v1/models`` list; a wrong shape or a garbage date is a :class:`LiveError`."""
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise LiveError(f"{url}: the answer is not a model list (no \"data\" array)")
    out, dated = [], False
    for i, item in enumerate(doc["data"]):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            raise LiveError(f"{url}: data[{i}] is not a model object with an \"id\"")
        raw = item.get("shutdown_date")
        dated = dated or "shutdown_date" in item
        day = None
        if raw is not None:
            try:
                day = dt.date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
            except ValueError:
                day = None
            if day is None:
                raise LiveError(f"{url}: model {item['id']!r} has shutdown_date {raw!r}, not YYYY-MM-DD")
        out.append(LiveModel(item["id"], str(item.get("owned_by") or ""), day))
    if out and not dated:
        raise LiveError(f"{url}: no model in the answer has a \"shutdown_date\" field; "
                        f"is the base URL an OpenAI API?")
    return out


def overlay_text(models: list[LiveModel], catalog: Catalog, url: str, today: dt.date) -> str:
    """The overlay catalog for ``models``: each announced ``shutdown_date`` as an official
    date; a model the catalog does not know (a new snapshot, the user's ``ft:`` models)
    added with what is known of it, so that it can be resolved and reported."""
    lines = [f"# Written by `ft-migrate models sync` on {today.isoformat()} from {url}.",
             "# Shutdown dates from the models endpoint; `--no-live` ignores this file.",
             "", "[sources]", f"{SOURCE} = {_q(f'GET {url} on {today.isoformat()}')}", ""]
    for m in sorted(models, key=lambda m: m.id):
        known = catalog.models.get(m.id)
        if m.shutdown is None and known is not None:
            continue
        base = catalog.base_of(m.id)
        base_entry = catalog.models.get(base) if base else None
        if m.shutdown is not None:
            key = f"live-{m.id}"
            lines += [f"[dates.{_q(key)}]", f"date = {_q(m.shutdown.isoformat())}",
                      f"label = {_q(f'{m.id} shut down (shutdown_date on the models endpoint)')}",
                      'confidence = "official"', f"source = {_q(SOURCE)}", ""]
        if known is not None:
            lines += [f"[models.{_q(m.id)}]", f"shutdown = {_q(key)}", ""]
            continue
        lines += [f"[models.{_q(m.id)}]", 'status = "current"',
                  f"group = {_q('fine-tuned' if base else 'other')}"]
        fmt = base_entry.format if base_entry is not None else None
        if fmt:
            lines.append(f"format = {_q(fmt)}")
        if m.shutdown is not None:
            lines.append(f"shutdown = {_q(f'live-{m.id}')}")
        elif base_entry is not None and base_entry.shutdown is not None:  # a fine-tune dies with its base
            dies = base_entry.shutdown
            if dies.key in catalog.dates:
                lines.append(f"shutdown = {_q(dies.key)}")
            else:
                lines += [f"shutdown = {_q(dies.date.isoformat())}", f"confidence = {_q(dies.confidence)}"]
        lines += ['replacement = ""', f"source = {_q(SOURCE)}", ""]
    return "\n".join(lines)


def _q(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)
