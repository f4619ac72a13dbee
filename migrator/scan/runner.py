"""Scanning a tree: walk, prefilter, decode, dispatch, in parallel.

The main process walks the tree; chunks of the files go to a process pool
when there are enough of them to pay for it, where each file is read once and
run through the byte prefilter, and only the files that may hold something are
decoded and handed to their scanner.  Every problem with a file (unreadable,
invalid UTF-8, unparsable) becomes a :class:`ScanError` and the scan goes on: a
scanner's unexpected exception is reported as an internal error for that file,
never as a traceback.  With a :class:`~migrator.scan.cache.ScanCache`, files
unchanged since an earlier run are not even read: their results come from it.
"""

from __future__ import annotations

import os
import tokenize
from pathlib import Path
from dataclasses import dataclass, field
from io import BytesIO
from typing import Callable

from migrator.catalog import Catalog, load_catalog
from migrator.findings import Finding, ScanError
from migrator.scan import links, pin_scope, prefilter
from migrator.scan.cache import Entry, ScanCache
from migrator.scan.common import ScanFailure, unsuppressed
from migrator.sources import Source, display_path, read_sources, run_chunks, run_pool
from migrator.walk import walk


@dataclass
class ScanResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    files_scanned: int = 0
    files_parsed: int = 0
    files_cached: int = 0  # of the files looked at, how many came from the cache unread


def scan_paths(paths: list[str], *, catalog: Catalog | None = None, excludes: tuple[str, ...] = (),
               jobs: int | None = None, cache: ScanCache | None = None) -> ScanResult:
    """Scan ``paths`` with ``catalog`` (its date and files; default: the built-in one, today);
    with a ``cache``, unchanged files are taken from it and the rest stored in it."""
    catalog = catalog if catalog is not None else load_catalog()
    result = ScanResult()
    walked = walk(paths, excludes)
    for missing in walked.missing:
        result.errors.append(ScanError(display_path(missing), "no such file or directory"))
    for directory, reason in walked.unreadable:
        result.errors.append(ScanError(display_path(directory), reason))
    to_read = walked.files
    if cache is not None:
        to_read = []
        named = {os.path.normpath(p) for p in paths}  # read each time: a skip is said, not cached
        for path in walked.files:
            entry = None if str(path) in named else cache.get(str(path), display_path(str(path)))
            if entry is None:
                to_read.append(path)
            else:
                _count(result, entry)
                result.files_cached += 1
    entries: dict[str, Entry] = {str(p): Entry(False, False, [], []) for p in to_read}  # skipped unless read
    unread: set[str] = set()
    for chunk in run_chunks(_scan_files, to_read, (catalog.spec, tuple(paths)), jobs):
        for item in chunk:
            if isinstance(item, ScanError):
                result.errors.append(item)
                unread.add(item.path)
            else:
                entries[item[0]] = item[1]
    if unread:  # not cached: tried again next run
        entries = {path: entry for path, entry in entries.items() if display_path(path) not in unread}
    for path, entry in entries.items():
        _count(result, entry)
        if cache is not None:
            cache.put(path, entry)
    if cache is not None:
        cache.save()
    result.findings = _tree_wide(result.findings)
    result.findings.sort(key=Finding.sort_key)
    result.errors.sort()
    return result


def scan_sources(sources: list[Source], catalog: Catalog, jobs: int | None = None
                 ) -> tuple[list[Finding], list[ScanError]]:
    """Findings and errors of files already in memory (fix scans the files as it fixed them)."""
    candidates = [s for s in sources if prefilter.needs_scan(s[2], s[3], catalog)]
    findings: list[Finding] = []
    errors: list[ScanError] = []
    for found, failed in run_pool(_scan_one, candidates, catalog.spec, jobs, _crashed):
        findings.extend(found)
        errors.extend(failed)
    return sorted(_tree_wide(findings), key=Finding.sort_key), sorted(errors)


def _tree_wide(findings: list[Finding]) -> list[Finding]:
    """What needs every file's findings: models imported across modules, pins beside v0 jobs code.
    Both drop the records the files left for them."""
    return pin_scope.resolve(links.resolve(findings))


def _scan_files(files: list[Path], arg: tuple[tuple, tuple[str, ...]]) -> list[tuple[str, Entry] | ScanError]:
    """Read, prefilter and scan ``files``: each file's cache entry, or the error that kept it unread."""
    spec, named = arg
    catalog = load_catalog(*spec)
    out: list[tuple[str, Entry] | ScanError] = []
    for source in read_sources(files, named=named):
        if isinstance(source, ScanError):
            out.append(source)
        elif prefilter.needs_scan(source[2], source[3], catalog):
            out.append((source[0], Entry(True, True, *_scan_one(source, spec))))
        else:
            out.append((source[0], Entry(True, False, [], [])))
    return out


def _count(result: ScanResult, entry: Entry) -> None:
    scanned, parsed, findings, errors = entry
    result.files_scanned += scanned
    result.files_parsed += parsed
    result.findings.extend(findings)
    result.errors.extend(errors)


def _scan_one(candidate: Source, spec: tuple) -> tuple[list[Finding], list[ScanError]]:
    _, shown, kind, data = candidate
    catalog = load_catalog(*spec)
    errors: list[ScanError] = []
    try:
        text = decode(data, kind)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return [], [ScanError(shown, f"line {line}: not valid {exc.encoding} ({exc.reason}); file skipped")]
    except SyntaxError as exc:  # a bad coding cookie
        return [], [ScanError(shown, f"line {exc.lineno or 1}: {exc.msg}; file skipped")]
    try:
        findings = SCANNERS[kind](text, shown, catalog, errors)
    except ScanFailure as exc:
        return [], [ScanError(shown, str(exc))]
    except RecursionError:
        return [], [ScanError(shown, "nested too deeply to read; file skipped")]
    except Exception as exc:  # noqa: BLE001 - a scanner bug must not end the scan
        return [], [ScanError(shown, f"internal error in the {kind} scanner: {type(exc).__name__}: {exc}")]
    if kind != "notebook":
        findings = unsuppressed(findings, text)
    if pin_scope.uses_v0_jobs(kind, data, catalog):
        findings.append(pin_scope.record(shown))
    return findings, errors


def _crashed(source: Source) -> tuple[list[Finding], list[ScanError]]:
    return [], [ScanError(source[1], f"the {source[2]} scanner crashed on this file (its process died); "
                                     f"file skipped")]


def decode(data: bytes, kind: str) -> str:
    """Bytes to text: a BOM is dropped; Python honours its PEP 263 coding cookie."""
    if kind in ("python", "setup-py"):
        try:
            encoding, _ = tokenize.detect_encoding(BytesIO(data).readline)
        except SyntaxError:
            # No valid cookie and the first lines are not UTF-8: decoding as UTF-8 raises
            # the UnicodeDecodeError that says which byte is wrong, a better reason than
            # tokenize's "invalid or missing encoding declaration".
            data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
            raise
        if encoding == "utf-8-sig":
            encoding = "utf-8"
            data = data.removeprefix(b"\xef\xbb\xbf")
        return data.decode(encoding)
    return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")


# -- dispatch ---------------------------------------------------------------------------


def _python(text: str, path: str, catalog: Catalog, errors: list[ScanError]) -> list[Finding]:
    from migrator.scan.python import PARSE_ERRORS, parse_failure, scan_python, scan_python_lines

    try:
        return scan_python(text, path, catalog, links=True)
    except PARSE_ERRORS as exc:
        reason, nested = parse_failure(text, exc)
        done = "not parsed, only" if nested else "only"
        errors.append(ScanError(path, f"{reason}; {done} line-level rules applied"))
        return scan_python_lines(text, path, catalog)


def _notebook(text: str, path: str, catalog: Catalog, errors: list[ScanError]) -> list[Finding]:
    from migrator.scan.notebook import scan_notebook

    return scan_notebook(text, path, catalog, errors)


def _with(module: str, func: str, *args) -> Callable[..., list[Finding]]:
    def run(text: str, path: str, catalog: Catalog, errors: list[ScanError]) -> list[Finding]:
        import importlib

        return getattr(importlib.import_module(f"migrator.scan.{module}"), func)(text, path, catalog, *args)

    return run


def _both(*scanners: Callable[..., list[Finding]]) -> Callable[..., list[Finding]]:
    def run(text: str, path: str, catalog: Catalog, errors: list[ScanError]) -> list[Finding]:
        out: list[Finding] = []
        for s in scanners:
            out.extend(s(text, path, catalog, errors))
        return out

    return run


SCANNERS: dict[str, Callable[[str, str, Catalog, list[ScanError]], list[Finding]]] = {
    "python": _python,
    "setup-py": _both(_python, _with("deps", "scan_setup_py")),
    "notebook": _notebook,
    "pyproject": _both(_with("config", "scan_config", "toml"), _with("deps", "scan_pyproject")),
    "setup-cfg": _both(_with("config", "scan_config", "ini"), _with("deps", "scan_setup_cfg")),
    "pipfile": _with("deps", "scan_pipfile"),
    "requirements": _with("deps", "scan_requirements"),
    "makefile": _with("textfiles", "scan_makefile"),
    "dockerfile": _with("textfiles", "scan_dockerfile"),
    "shell": _with("textfiles", "scan_shell"),
    "markdown": _with("textfiles", "scan_markdown"),
    "yaml": _with("textfiles", "scan_yaml"),
    "toml": _with("config", "scan_config", "toml"),
    "json": _with("config", "scan_config", "json"),
    "ini": _with("config", "scan_config", "ini"),
    "env": _with("config", "scan_config", "env"),
    "javascript": _with("javascript", "scan_javascript"),
    "powershell": _with("otherlines", "scan_powershell"),
    "batch": _with("otherlines", "scan_batch"),
    "source-lines": _with("otherlines", "scan_source_lines"),
}
