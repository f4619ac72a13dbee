"""The findings model shared by every scanner and every output format.

A scanner turns one file into :class:`Finding` objects (and :class:`ScanError`
objects for what it could not read); renderers (text, JSON, SARIF, report) only
ever see these.  Lines are 1-based; columns are 1-based and ``end_column`` points
just past the last character, as in ruff and SARIF.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


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
        d = asdict(self)
        # Keep the documented key order: location first, then what and why.
        order = ("path", "line", "column", "end_line", "end_column", "cell", "rule", "kind",
                 "legacy", "replacement", "fixable", "message")
        return {k: d[k] for k in order}

    def sort_key(self) -> tuple:
        return (self.path, self.cell or 0, self.line, self.column, self.rule, self.legacy)


@dataclass(frozen=True, order=True)
class ScanError:
    path: str
    reason: str

    def as_json(self) -> dict:
        return {"path": self.path, "reason": self.reason}
