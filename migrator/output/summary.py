"""Figures derived from a scan result, shared by the JSON, SARIF and text outputs."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from migrator.catalog import Catalog
from migrator.findings import shutdown_of
from migrator.scan.runner import ScanResult


def summarize(result: ScanResult, catalog: Catalog, as_of: dt.date) -> dict:
    findings = result.findings
    fixable = sum(1 for f in findings if f.fixable)
    # The earliest shutdown a finding depends on: 2024-01-04 for the legacy API, later for a
    # 2023 replacement that retired since (FT022).
    since = min((shutdown_of(f, catalog) for f in findings), default=catalog.shutdown)
    return {
        "files_scanned": result.files_scanned,
        "files_with_findings": len({f.path for f in findings}),
        "findings": len(findings),
        "fixable": fixable,
        "manual": len(findings) - fixable,
        "errors": len(result.errors),
        "by_rule": dict(sorted(Counter(f.rule for f in findings).items())),
        "by_kind": dict(sorted(Counter(f.kind for f in findings).items())),
        "days_since_shutdown": (as_of - catalog.shutdown).days,
        "broken_since": since.isoformat(),
        "days_broken": (as_of - since).days,
    }


def headline(summary: dict, catalog: Catalog) -> str:
    """One line: what was found, and how long it has been (or will be) broken."""
    days = summary["days_broken"]
    shut = summary["broken_since"]
    when = (f"broken since {shut} ({days} days)" if days >= 0 else f"will break on {shut} (in {-days} days)")
    n = summary["findings"]
    files = summary["files_with_findings"]
    errors = summary["errors"]
    text = (f"{n} finding{'s' * (n != 1)} in {files} file{'s' * (files != 1)} "
            f"({summary['fixable']} fixable, {summary['manual']} manual), {when}")
    if n == 0:
        scanned = summary["files_scanned"]
        text = f"No legacy fine-tuning or GPT-3 usage found in {scanned} file{'s' * (scanned != 1)}"
    if errors:
        text += f"; {errors} file{'s' * (errors != 1)} could not be fully scanned"
    return text
