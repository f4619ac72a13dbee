"""SARIF 2.1.0 for GitHub code scanning.

GitHub needs, per rule: id, short/full description, help, helpUri and a default
level; per result: a stable ruleId, a message, a repository-relative URI with a
region, and ``partialFingerprints.primaryLocationLineHash`` (uploads without it
show duplicates).  Notebook findings are placed on the line of the ``.ipynb`` file
that holds the cell's source line, with the cell and line in the message; files
that could not be scanned become tool execution notifications.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from migrator import __version__
from migrator.catalog import Catalog
from migrator.findings import Finding
from migrator.output.paths import json_text, uri
from migrator.output.summary import summarize
from migrator.rules import HELP_URI, RULES
from migrator.scan.runner import ScanResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _rule(rule_id: str) -> dict:
    r = RULES[rule_id]
    return {
        "id": r.id,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": r.help},
        "help": {"text": f"{r.help}\nExample: {r.example}",
                 "markdown": f"{r.help}\n\nExample:\n\n```\n{r.example}\n```"},
        "helpUri": f"{HELP_URI}-{r.id.lower()}",
        "defaultConfiguration": {"level": r.level},
        "properties": {"tags": ["ft-migrate", r.kind]},
    }


def _fingerprint(f: Finding, line_text: str) -> str:
    """Stable across unrelated edits: rule, path, the legacy thing and its line's text."""
    digest = hashlib.sha256(f"{f.rule}\0{f.path}\0{f.legacy}\0{line_text.strip()}".encode("utf-8", "surrogateescape")).hexdigest()
    return f"{digest[:32]}:1"


class SourceLines:
    """Source lines of the scanned files, read once, for fingerprints and notebook regions."""

    def __init__(self) -> None:
        self.cache: dict[str, list[str]] = {}
        self.notebooks: dict[str, list[list[str]] | None] = {}

    def lines(self, path: str) -> list[str]:
        if path not in self.cache:
            try:
                with open(path, encoding="utf-8-sig", errors="replace") as fh:
                    self.cache[path] = fh.read().splitlines()
            except OSError:
                self.cache[path] = []
        return self.cache[path]

    def cell_lines(self, path: str, cell: int) -> list[str]:
        if path not in self.notebooks:
            try:
                nb = json.loads("\n".join(self.lines(path)))
                cells = nb.get("cells") or [c for ws in nb.get("worksheets", []) for c in ws.get("cells", [])]
                self.notebooks[path] = [_cell_source(c).splitlines() for c in cells]
            except (ValueError, AttributeError, TypeError):
                self.notebooks[path] = None
        cells = self.notebooks[path]
        return cells[cell - 1] if cells and 0 < cell <= len(cells) else []

    def region(self, f: Finding) -> tuple[dict, str]:
        """The SARIF region and the line text for a finding."""
        if f.cell is None:
            lines = self.lines(f.path)
            text = lines[f.line - 1] if 0 < f.line <= len(lines) else ""
            return ({"startLine": f.line, "startColumn": f.column,
                     "endLine": f.end_line, "endColumn": f.end_column}, text)
        cell_src = self.cell_lines(f.path, f.cell)
        text = cell_src[f.line - 1] if 0 < f.line <= len(cell_src) else ""
        file_line = self._notebook_line(f.path, f.cell, text)
        return {"startLine": file_line}, text

    def _notebook_line(self, path: str, cell: int, text: str) -> int:
        """The .ipynb line holding ``text`` as JSON, searched from the cell's own source on."""
        lines = self.lines(path)
        needle = json.dumps(text, ensure_ascii=False)[1:-1]
        seen_cells = 0
        for i, line in enumerate(lines, 1):
            if '"cell_type"' in line:
                seen_cells += line.count('"cell_type"')
            if seen_cells >= cell and needle and needle in line:
                return i
        return 1


def _cell_source(cell: dict) -> str:
    src = cell.get("source", cell.get("input", ""))  # "input" in nbformat 3
    return "".join(src) if isinstance(src, list) else str(src)


def render(result: ScanResult, catalog: Catalog, as_of: dt.date) -> str:
    used = sorted({f.rule for f in result.findings})
    rule_ids = sorted(RULES)
    index = {r: i for i, r in enumerate(rule_ids)}
    src = SourceLines()
    results = []
    for f in result.findings:
        region, text = src.region(f)
        message = f.message if f.cell is None else f"cell {f.cell}, line {f.line}: {f.message}"
        entry = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": RULES[f.rule].level,
            "message": {"text": message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": uri(f.path), "uriBaseId": "%SRCROOT%"},
                "region": region}}],
            "partialFingerprints": {"primaryLocationLineHash": _fingerprint(f, text)},
            "properties": {"kind": f.kind, "legacy": f.legacy, "replacement": f.replacement,
                           "fixable": f.fixable, "cell": f.cell},
        }
        results.append(entry)
    notifications = [{"level": "error", "message": {"text": e.reason},
                      "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri(e.path),
                                                                               "uriBaseId": "%SRCROOT%"}}}]}
                     for e in result.errors]
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "ft-migrate",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": HELP_URI.split("#", 1)[0],
                "rules": [_rule(r) for r in rule_ids],
            }},
            "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
            "results": results,
            "properties": {"as_of": as_of.isoformat(), "shutdown": catalog.shutdown.isoformat(),
                           "rules_with_findings": used,
                           "summary": summarize(result, catalog, as_of)},
        }],
    }
    return json_text(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"
