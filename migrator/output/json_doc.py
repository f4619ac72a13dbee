"""The JSON document of ``scan --format json`` (stable keys, documented in the README)."""

from __future__ import annotations

import datetime as dt
import json

from migrator import __version__
from migrator.catalog import Catalog
from migrator.output.paths import json_text
from migrator.output.summary import summarize
from migrator.scan.runner import ScanResult


def document(result: ScanResult, catalog: Catalog, as_of: dt.date) -> dict:
    return {
        "tool": "ft-migrate",
        "version": __version__,
        "as_of": as_of.isoformat(),
        "shutdown": catalog.shutdown.isoformat(),
        "findings": [f.as_json() for f in result.findings],
        "errors": [e.as_json() for e in result.errors],
        "summary": summarize(result, catalog, as_of),
    }


def render(result: ScanResult, catalog: Catalog, as_of: dt.date) -> str:
    return json_text(json.dumps(document(result, catalog, as_of), indent=2, ensure_ascii=False)) + "\n"
