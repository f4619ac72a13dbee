"""The findings model shared by every scanner and every output format.

A scanner turns one file into :class:`Finding` objects (and :class:`ScanError`
objects for what it could not read); renderers (text, JSON, SARIF, report) only
ever see these.  Lines are 1-based; columns are 1-based and ``end_column`` points
just past the last character, as in ruff and SARIF.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from migrator.catalog import Catalog


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    rule: str
    kind: str
    legacy: str
    replacement: str | None
    fixable: bool
    message: str
    cell: int | None = None

    def as_json(self) -> dict:
        # The documented key order: location first, then what and why (every field is a plain
        # value, so no copy is needed: ``asdict`` deep-copied each, a third of a cached re-scan's JSON).
        return {k: getattr(self, k) for k in JSON_ORDER}

    def sort_key(self) -> tuple:
        return (self.path, self.cell or 0, self.line, self.column, self.rule, self.legacy)


@dataclass(frozen=True, order=True)
class ScanError:
    path: str
    reason: str

    def as_json(self) -> dict:
        return {"path": self.path, "reason": self.reason}


JSON_ORDER = ("path", "line", "column", "end_line", "end_column", "cell", "rule", "kind",
              "legacy", "replacement", "fixable", "message")


# The format no model is left in once the completion era ends, and the kind of finding a
# completions call then is (whatever its model), dated from the last such model's shutdown.
COMPLETION = "completion"
COMPLETIONS_CALL = "completions-call"
# The format completions calls move to (a chat model on /v1/completions is such a call too, at any date).
CHAT = "chat"


def shutdown_of(finding: Finding, catalog: Catalog) -> dt.date:
    """The date the thing a finding depends on was shut down (most: 2024-01-04)."""
    if finding.kind == "endpoint":
        # The scan records the path as written: with or without the /v1 prefix.
        path = finding.legacy if finding.legacy.startswith("/v1/") else "/v1" + finding.legacy
        endpoint = catalog.endpoint(path)
        if endpoint is not None:
            return endpoint.shutdown
    if finding.kind == "model":
        model = catalog.models.get(finding.legacy)
        if model is not None and model.shutdown is not None:
            return model.shutdown.date
    if finding.kind == COMPLETIONS_CALL:
        ended = catalog.format_ended(COMPLETION)
        if ended is not None:
            return ended
    return catalog.shutdown
