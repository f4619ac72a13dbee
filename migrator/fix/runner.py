"""Fixing a tree: walk, prefilter, transform, then write (or diff) each file.

The shape follows pyupgrade and LibCST's own runner: the main process walks the
tree, reads each file once and runs the scanner's byte prefilter (most files of a
big tree mention nothing from the catalog, and a regex over bytes is far cheaper
than a LibCST parse); only candidates are parsed, once, and passed through the
whole codemod chain, in a process pool when there are enough of them.

Every file ends in a typed result (changed, unchanged, skipped with a reason,
failed with a reason) and the run never stops on one bad file.  Writes happen in
the main process, only when the bytes differ, through :mod:`migrator.atomic` (a
temporary file in the same directory renamed over the original), so an
interrupted run leaves each file either old or new, never half-written, with its
mode and owner kept; temporary files a killed run stranded are removed by the next.

Dependency pins are the second phase: ``openai`` is bumped only when code in the
tree was migrated to the v0 ``openai.FineTuningJob`` style, which the old pins
cannot run.
"""

from __future__ import annotations

import ast
import datetime as dt
import os
import posixpath
import re
import warnings
from dataclasses import dataclass, field
from typing import Mapping

from libcst import ParserSyntaxError

from ft_migrate_codemods import gather_codemods
from ft_migrate_codemods.event_streams_to_polling import COMPAT_MODULE, compat_source
from migrator import atomic
from migrator.catalog import load_catalog
from migrator.findings import Finding, ScanError
from migrator.fix import cli_lines, notebook, pins
from migrator.fix.transform import TooDeep, transform_python
from migrator.lang.python import PARSE_ERRORS
from migrator.scan import pin_scope, prefilter
from migrator.scan.filetypes import kind_of
from migrator.scan.runner import scan_sources
from migrator.sources import Source, display_path, read_sources, run_pool
from migrator.todo_markers import TODO_RE
from migrator.walk import walk


# The kinds of file fix rewrites: code (pin_scope.CODE_KINDS reads them for v0 jobs code) and Markdown.
CODE_KINDS = pin_scope.CODE_KINDS | {"markdown"}
PIN_KINDS = ("requirements", "pyproject")


@dataclass(frozen=True)
class Options:
    """What the user asked for; picklable, so pool workers get the same view."""

    catalog_files: tuple[str, ...] = ()
    as_of: dt.date | None = None  # None: today
    target: str | None = None
    model_map: tuple[tuple[str, str], ...] = ()
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    compat_module: bool = False  # import generated helpers from ft_migrate_compat.py, written beside


@dataclass(frozen=True)
class TodoMarker:
    """A ``# TODO(ft-migrate ...)`` comment in a file: what to do, where the code says it."""

    path: str
    line: int
    rule: str
    message: str


@dataclass
class FileResult:
    """What became of one file; one of the four kinds below, as LibCST's runner types its
    results (success, skip with a reason, failure), so no status is a string to mistype."""

    path: str  # as on disk
    shown: str  # as displayed (relative, '/' separators)
    old: bytes = b""
    new: bytes = b""
    sites: int = 0
    v0_migrated: bool = False
    todos: list[TodoMarker] = field(default_factory=list)
    reason: str = ""  # why a file was skipped or failed
    created: bool = False  # a new file (the compat module), not a rewrite


@dataclass
class Changed(FileResult):
    """New bytes to write (or, with --diff/--check, that would be written)."""


@dataclass
class Unchanged(FileResult):
    """Read and fixed, and nothing in it needed to change."""


@dataclass
class Skipped(FileResult):
    """Left alone on purpose, for ``reason`` (it does not parse, it is read-only...)."""


@dataclass
class Failed(FileResult):
    """Could not be fixed or written, for ``reason`` (an unreadable file, an internal error)."""


def _left_alone(f: FileResult, kind: type[FileResult], reason: str) -> FileResult:
    """``f`` not written after all: nothing was migrated there, and only the TODOs already in
    the file are left."""
    return kind(f.path, f.shown, old=f.old, new=f.old, reason=reason, created=f.created,
                todos=todo_markers(f.old, f.shown))


@dataclass
class FixResult:
    files: list[FileResult] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    # (directory, reason) for directories that could not be listed, as scan reports them
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    # (link, reason) for symlinks in the tree that lead out of it, nowhere, or round in a loop
    links: list[tuple[str, str]] = field(default_factory=list)
    # temporary files of an earlier, killed run (removed before writing)
    temps: list[str] = field(default_factory=list)
    files_seen: int = 0
    files_parsed: int = 0
    # What a scan of the fixed files still reports (scan's own findings, so the two agree): the
    # manual work, and anything fixable that this run did not rewrite (--only/--skip, a TODO).
    manual: list[Finding] = field(default_factory=list)

    def of(self, *kinds: type[FileResult]) -> list[FileResult]:
        """The files whose result is one of ``kinds`` (``Changed``, ``Skipped``...)."""
        return [f for f in self.files if isinstance(f, kinds)]

    @property
    def sites(self) -> int:
        return sum(f.sites for f in self.files)

    @property
    def todos(self) -> list[TodoMarker]:
        return [m for f in self.files for m in f.todos]


def fix_paths(paths: list[str], options: Options, *, excludes: tuple[str, ...] = (),
              jobs: int | None = None) -> FixResult:
    """Compute the migrated bytes of every file under ``paths`` (nothing is written)."""
    catalog = load_catalog(options.catalog_files, options.as_of, options.target)
    result = FixResult()
    walked = walk(paths, excludes)
    result.missing = [display_path(m) for m in walked.missing]
    result.unreadable = [(display_path(d), reason) for d, reason in walked.unreadable]
    result.links = [(display_path(link), reason) for link, reason in walked.links]
    result.temps = walked.temps
    code: list[Source] = []
    pins: list[Source] = []
    everything: list[Source] = []  # every file scan would read: scanned again after the fix
    extra = tuple(old.encode() for old, _ in options.model_map)
    for entry in read_sources(walked.files, named=paths):
        if isinstance(entry, ScanError):
            if _fixed_kind(kind_of(entry.path)):
                result.files.append(Failed(entry.path, entry.path, reason=entry.reason))
            continue
        everything.append(entry)
        _, _, kind, data = entry
        if not _fixed_kind(kind):
            continue
        result.files_seen += 1
        if kind in PIN_KINDS:
            if b"openai" in data.lower():
                pins.append(entry)
        elif prefilter.needs_scan(kind, data, catalog) or any(e in data for e in extra):
            code.append(entry)
    result.files_parsed = len(code)
    result.files.extend(run_pool(_fix_one, code, options, jobs, _crashed))
    if options.compat_module:
        done = {f.path: f for f in result.files}
        code_now = [(path, shown, done[path].new if path in done else data)
                    for path, shown, kind, data in everything
                    if kind in ("python", "setup-py") and (path not in done or isinstance(done[path],
                                                                                        (Changed, Unchanged)))]
        result.files.extend(_compat_modules(code_now, catalog))
    if any(f.v0_migrated for f in result.files) or _tree_uses_v0_jobs(code, catalog):
        result.files.extend(_fix_one(entry, options) for entry in pins)
    result.files.sort(key=lambda f: f.shown)
    result.manual = _manual_after(everything, result, options, jobs)
    return result


def _compat_modules(code: list[tuple[str, str, bytes]], catalog) -> list[FileResult]:
    """``ft_migrate_compat.py`` beside every Python file that imports the helper from it
    (this run's rewrites and earlier ones), where it is missing.  One that exists with other
    contents is the user's: left alone, and said so."""
    wanted = compat_source(catalog).encode()
    out: dict[str, FileResult] = {}
    for importer, importer_shown, data in code:
        if not _COMPAT_IMPORT.search(data):
            continue
        path = os.path.join(os.path.dirname(importer), f"{COMPAT_MODULE}.py")
        if path in out:
            continue
        shown = posixpath.join(posixpath.dirname(importer_shown), f"{COMPAT_MODULE}.py")
        try:
            with open(path, "rb") as fh:
                current = fh.read()
        except FileNotFoundError:
            out[path] = Changed(path, shown, new=wanted, created=True)
            continue
        except OSError as exc:
            out[path] = Failed(path, shown, reason=f"cannot read: {exc.strerror or exc}")
            continue
        if current != wanted:
            out[path] = Skipped(path, shown, old=current, new=current,
                                   reason=f"exists and is not the module ft-migrate writes; left alone "
                                          f"({importer_shown} imports follow_events from it)")
    return list(out.values())


_COMPAT_IMPORT = re.compile(rb"^\s*from\s+\.?ft_migrate_compat\s+import\b", re.MULTILINE)


def _fixed_kind(kind: str | None) -> bool:
    return kind is None or kind in CODE_KINDS or kind in PIN_KINDS


def _manual_after(sources: list[Source], result: FixResult, options: Options, jobs: int | None) -> list[Finding]:
    """What scan reports in the files as fixed: the same list, whatever the file kind."""
    new = {f.path: f.new for f in result.of(Changed)}
    fixed = [(path, shown, kind, new.get(path, data)) for path, shown, kind, data in sources]
    findings, _ = scan_sources(fixed, load_catalog(options.catalog_files, options.as_of, options.target), jobs)
    return findings


def _tree_uses_v0_jobs(code: list[Source], catalog) -> bool:
    """Code already on ``openai.FineTuningJob`` (from an earlier run) needs the bump too."""
    return any(pin_scope.uses_v0_jobs(kind, data, catalog) for _, _, kind, data in code)


def _crashed(entry: Source) -> FileResult:
    path, shown, _, data = entry
    return Failed(path, shown, old=data, new=data,
                  reason="the parser crashed on this file (its process died); left alone")


def _fix_one(entry: Source, options: Options) -> FileResult:
    """One file through its fixer; every failure becomes a result, never an exception."""
    path, shown, kind, data = entry
    catalog = load_catalog(options.catalog_files, options.as_of, options.target)
    model_map: Mapping[str, str] = dict(options.model_map)
    v0_migrated = False
    try:
        if kind in ("python", "setup-py"):
            out = transform_python(data, gather_codemods(options.only, options.skip), catalog, model_map, path,
                                   compat_module=options.compat_module)
            new, sites, v0_migrated = out.data, out.sites, out.v0_migrated
        elif kind == "notebook":
            out = notebook.transform_notebook(data, gather_codemods(options.only, options.skip), catalog, model_map,
                                              path)
            new, sites, v0_migrated = out.data, out.sites, out.v0_migrated
        elif kind in PIN_KINDS:
            new, sites = pins.bump_pins(data, kind, catalog)
        else:
            new, sites = cli_lines.transform_text(data, kind, catalog, model_map)
    except ParserSyntaxError as exc:
        what = "does not parse as Python 3" if not _python3(data) else "Python reads it, LibCST does not"
        return Skipped(path, shown, old=data, new=data, reason=f"line {exc.raw_line}: {what} ({exc.message}); left alone")
    except (notebook.NotebookError, TooDeep) as exc:
        return Skipped(path, shown, old=data, new=data, reason=f"{exc}; left alone")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return Skipped(path, shown, old=data, new=data,
                       reason=f"line {line}: not valid {exc.encoding} ({exc.reason}); left alone")
    except RecursionError:
        return Skipped(path, shown, old=data, new=data, reason="too deeply nested to parse; left alone")
    except Exception as exc:  # noqa: BLE001 - a codemod bug must not end the run or lose the file
        return Failed(path, shown, old=data, new=data,
                      reason=f"internal error: {type(exc).__name__}: {exc}; left alone")
    kind_of_result = Changed if new != data else Unchanged
    return kind_of_result(path, shown, old=data, new=new, sites=sites, v0_migrated=v0_migrated,
                          todos=todo_markers(new, shown))


def _python3(data: bytes) -> bool:
    """Whether CPython parses ``data`` (which LibCST refused: some mixes of tabs and spaces)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(data)
    except PARSE_ERRORS:
        return False
    return True


def todo_markers(data: bytes, shown: str) -> list[TodoMarker]:
    """The ``# TODO(ft-migrate FT0nn): ...`` markers in ``data``, with their lines."""
    if b"TODO(ft-migrate" not in data:
        return []
    text = data.decode("utf-8", "replace")
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        m = TODO_RE.search(line)
        if m:
            out.append(TodoMarker(shown, n, m.group(1), m.group(2).rstrip('",\\n').strip()))
    return out


def write_fixed(f: FileResult) -> FileResult:
    """Write ``f.new`` over ``f.path`` through :mod:`migrator.atomic`: ``f`` when written, else
    the file as left alone and why.

    The file keeps its mode, owner and hard links (a file with other links is not
    replaced), a symlink named on the command line has its target written, a
    read-only file is left alone, and a file edited since it was read is not
    overwritten.
    """
    try:
        atomic.write_bytes(f.path, f.new, special_ok=False, expect=f.old)
    except atomic.Refused as exc:
        return _left_alone(f, Skipped, exc.strerror)
    except OSError as exc:
        return _left_alone(f, Failed, f"cannot write: {exc.strerror or exc}; left alone")
    return f
