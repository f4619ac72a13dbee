"""Training files for the report: found in the scanned tree or named with ``--data``, then priced.

Which files count is :mod:`migrator.data.discover`'s rule.  Counting tokens and
pricing is the data part's job (``migrator.data``): this module only decides which
files to check and turns a file that cannot be read into an entry of the report's
errors instead of a crash.
"""

from __future__ import annotations

import os

from migrator import extras
from migrator.catalog import Catalog
from migrator.data.discover import discover
from migrator.data.retrain import plan
from migrator.findings import ScanError
from migrator.sources import display_path


def training_files(paths: list[str], named: tuple[str, ...], excludes: tuple[str, ...] = ()) -> list[str]:
    """Files named with ``--data`` first, then discovered ones, without duplicates."""
    out: list[str] = []
    seen: set[str] = set()
    for path in [*named, *discover(paths, excludes)]:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            out.append(path)
    return out


def price_files(files: list[str], catalog: Catalog, candidates: list[str]) -> tuple[list[dict], list[ScanError]]:
    """The data check of each file and its re-training cost on every candidate model, side by side.

    Costs are ``migrator.data.costs`` entries; a candidate the catalog has no training
    price for gets ``usd: None`` (the renderers say so plainly).  A file that cannot
    be read, or holds no usable example, becomes an error entry (path and reason)
    and the report goes on.
    """
    if not files:
        return [], []  # the tokenizer is slow to load: only when there is something to count
    why = extras.message("data", "pricing a training file")
    if why is not None:  # a scan-only install: the report goes on, each file named as not priced
        return [], [ScanError(display_path(path), f"training file not priced: {why}") for path in files]
    # loaded on use: the tokenizer only when there is training data to price
    from migrator.data import DataError, check_with_costs

    priced = [m for m in candidates
              if catalog.models[m].fine_tuned_price and catalog.models[m].fine_tuned_price.training is not None]
    entries: list[dict] = []
    errors: list[ScanError] = []
    for path in files:
        shown = display_path(path)
        try:
            summary, priced_costs = check_with_costs(path, priced, catalog=catalog)
            if not summary["valid"]:
                reason = "no valid training example"
                if summary["rejected"]:
                    bad = summary["rejected"][0]
                    reason += f" (line {bad['line']}: {bad['reason']})"
                errors.append(ScanError(shown, f"training file not priced: {reason}"))
                continue
            by_model = {c["model"]: c for c in priced_costs}
        except DataError as exc:
            errors.append(ScanError(shown, f"training file not checked: {exc}"))
            continue
        entries.append({
            "file": shown,
            "format": summary["format"],
            "lines": summary["lines"],
            "examples": summary["valid"],
            "rejected": len(summary["rejected"]),
            "warnings": len(summary["warnings"]),
            "retrain": plan(shown, summary["format"], catalog).as_json(),
            "costs": [by_model.get(m) or {"model": m, "format": catalog.models[m].format, "examples": None,
                                          "tokens": None, "epochs": None, "usd": None} for m in candidates],
        })
    return entries, errors
