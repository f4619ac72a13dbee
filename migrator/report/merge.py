"""One organisation report from many repositories' JSON documents.

Companies with hundreds of repositories scan each one where it already builds (a CI
matrix: one job per repository, each writing ``ft-migrate scan --format json -o
<repository>.json`` or ``report --format json``) and merge the files in one last job:
ft-migrate schedules nothing itself.  A repository is named by its file's name
(``acme-api.json`` → ``acme-api``); its paths are prefixed with that name, so the
merged report's tables, timeline and legacy models read as one tree of repositories.

The findings and their messages are taken as each repository's run wrote them (for
its own ``as_of``); the merged headline, timeline and path forward are computed for
the merge's own date.  Anything that is not such a document stops the merge with the
file and the reason: a silently dropped repository would understate the work.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from migrator.findings import Finding, ScanError
from migrator.scan.runner import ScanResult

_FINDING_KEYS = {f.name for f in fields(Finding)}


class MergeError(Exception):
    """An input that cannot be merged: names the file and the reason."""


@dataclass(frozen=True)
class Repository:
    name: str
    source: str  # the JSON file it was read from
    doc: dict
    findings: list[Finding]  # the document's findings, checked as they were read


def inputs(paths: list[str]) -> list[str]:
    """The JSON files named, and the ``*.json`` files under the directories named, sorted."""
    out: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            found = sorted(str(p) for p in Path(path).rglob("*.json") if p.is_file())
            if not found:
                raise MergeError(f"{path}: no .json file in this directory")
            out.extend(found)
        else:
            out.append(path)
    return out


def _finding(item: object, where: str) -> Finding:
    if not isinstance(item, dict) or not _FINDING_KEYS <= item.keys():
        missing = sorted(_FINDING_KEYS - item.keys()) if isinstance(item, dict) else []
        raise MergeError(f"{where}: not a finding" + (f" (missing {', '.join(missing)})" if missing else ""))
    return Finding(**{k: item[k] for k in _FINDING_KEYS})


def read(path: str) -> Repository:
    """One repository's scan or report document, checked enough that merging cannot crash."""
    try:
        with open(path, "rb") as fh:
            doc = json.loads(fh.read())
    except OSError as exc:
        raise MergeError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise MergeError(f"{path}: not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("tool") != "ft-migrate" or not isinstance(doc.get("findings"), list):
        raise MergeError(f"{path}: not an ft-migrate scan or report JSON document "
                         "(write one with `ft-migrate scan --format json -o FILE`)")
    for key in ("errors", "summary"):
        if not isinstance(doc.get(key), (list if key == "errors" else dict)):
            raise MergeError(f"{path}: the document has no valid {key!r}")
    findings = [_finding(item, f"{path}: findings[{n}]") for n, item in enumerate(doc["findings"])]
    return Repository(Path(path).stem, path, doc, findings)


def read_all(paths: list[str]) -> list[Repository]:
    repos = [read(p) for p in inputs(paths)]
    seen: dict[str, str] = {}
    for repo in repos:
        if repo.name in seen:
            raise MergeError(f"{repo.source} and {seen[repo.name]}: two documents for repository "
                             f"{repo.name!r} (a repository is named by its file name)")
        seen[repo.name] = repo.source
    return sorted(repos, key=lambda r: r.name)


def _prefixed(repo: Repository, path: str) -> str:
    return f"{repo.name}/{path}"


def combined(repos: list[Repository]) -> tuple[ScanResult, list[dict]]:
    """All repositories as one scan result (paths prefixed) and their priced training files."""
    result = ScanResult()
    training: list[dict] = []
    for repo in repos:
        doc = repo.doc
        result.findings.extend(replace(f, path=_prefixed(repo, f.path)) for f in repo.findings)
        for err in doc["errors"]:
            result.errors.append(ScanError(_prefixed(repo, str(err.get("path", "?"))), str(err.get("reason", ""))))
        result.files_scanned += int(doc["summary"].get("files_scanned", 0))
        for entry in (doc.get("training") or {}).get("files", []):
            training.append({**entry, "file": _prefixed(repo, entry["file"])})
    result.findings.sort(key=Finding.sort_key)
    result.errors.sort()
    return result, training


def repositories_table(repos: list[Repository]) -> list[dict]:
    """One row per repository: its own date, counts, and the legacy fine-tuned models it uses."""
    rows = []
    for repo in repos:
        findings = repo.findings
        fixable = sum(1 for f in findings if f.fixable)
        rows.append({
            "repository": repo.name,
            "source": repo.source,
            "as_of": repo.doc.get("as_of"),
            "files_scanned": repo.doc["summary"].get("files_scanned", 0),
            "call_sites": len(findings),
            "fixable": fixable,
            "manual": len(findings) - fixable,
            "errors": len(repo.doc["errors"]),
            "fine_tuned_models": sorted({f.legacy for f in findings if f.kind == "fine-tuned-model"}),
            "training_files": len((repo.doc.get("training") or {}).get("files", [])),
        })
    return rows


def totals(rows: list[dict]) -> dict:
    keys = ("files_scanned", "call_sites", "fixable", "manual", "errors", "training_files")
    out = {k: sum(r[k] for r in rows) for k in keys}
    out["repositories"] = len(rows)
    out["repositories_with_findings"] = sum(1 for r in rows if r["call_sites"])
    out["fine_tuned_models"] = sorted({m for r in rows for m in r["fine_tuned_models"]})
    return out
