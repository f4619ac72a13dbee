"""Each file's scan result, remembered between runs while the file is unchanged.

Why: a scan is re-run far more often than code changes (CI on every push, a
pre-commit hook, ``report`` after ``scan``), and nearly all of its time goes to
reading, prefiltering and LibCST-parsing files that have not changed since the
last run.  Like black's and ruff's caches, an entry is trusted while ``stat``
says the file is the one that was scanned: same size, mtime, ctime and inode.
ctime matters: tools that restore mtimes (``touch -r``, ``rsync -t``, some
checkouts) cannot set it back, so an edit that keeps the size and the mtime is
still seen.

One cache file per tool version, scanner code, catalog (the built-in one
plus the user's ``--catalog`` files) and lifecycle state on the as-of date (which
dates have passed or are announced, and the ``--target``: findings name the
replacement of that day): a change to any of them starts afresh
rather than trusting results the new code or catalog might not give.  Files
live in the user's cache directory (``platformdirs``), never in the scanned
tree, so a read-only checkout scans fine; ``FT_MIGRATE_CACHE_DIR`` moves it and
``scan --no-cache`` neither reads nor writes it.  A cache that cannot be read or
written costs a warning and a full scan, never a wrong result or a failed run.

Only results that follow from a file's bytes are stored: the findings and the
decode/parse errors of a file, or the fact that it was skipped (binary, too
large, of no kind we scan).  A file that could not be read is tried again
next time.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from dataclasses import astuple
from pathlib import Path
from typing import NamedTuple

import orjson

from migrator import __version__, atomic
from migrator.catalog import Catalog
from migrator.code_fingerprint import code_fingerprint
from migrator.findings import Finding, ScanError
from migrator.lifecycle import lifecycle_state

CACHE_ENV = "FT_MIGRATE_CACHE_DIR"
# A cache file not used for this long belongs to an older version or catalog.
STALE_SECONDS = 14 * 24 * 3600
# Past this many entries only the files of the current run are kept.
MAX_ENTRIES = 500_000

# (size, mtime_ns, ctime_ns, inode)
Signature = tuple[int, int, int, int]


class Entry(NamedTuple):
    """One file's result, as the runner counts it."""

    scanned: bool
    parsed: bool
    findings: list[Finding]
    errors: list[ScanError]


def default_directory() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    # loaded on use, for start-up speed
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("ft-migrate", appauthor=False))


def kept_in(no_cache: bool) -> Path | None:
    """Where the commands keep what they keep between runs: None with ``--no-cache``."""
    return None if no_cache else default_directory()


def open_cache(no_cache: bool, catalog: Catalog) -> ScanCache | None:
    """The cache the commands use: None with ``--no-cache``, else the one in :func:`default_directory`
    for ``catalog``'s files and the state of its lifecycle on its date."""
    if no_cache:
        return None
    return ScanCache(default_directory(), catalog.digest, state=lifecycle_state(catalog))


def signature(path: str) -> Signature | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


class ScanCache:
    """Entries by absolute path; :meth:`get` before reading a file, :meth:`put` after scanning it."""

    def __init__(self, directory: Path, catalog_digest: str = "", warn=None, state: str = ""):
        self.directory = directory
        self.warn = warn or (lambda message: print(f"warning: {message}", file=sys.stderr))
        key = hashlib.sha256(f"{code_fingerprint()}\0{state}\0{catalog_digest}".encode()).hexdigest()
        self.path = directory / f"scan-{key[:32]}.json"
        self.old: dict[str, list] = {}
        self.new: dict[str, list] = {}
        self.pending: dict[str, tuple[str, Signature]] = {}
        self._cwd = os.getcwd()
        self._load()

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as f:
                doc = orjson.loads(f.read())
            entries = doc["files"]
            if not isinstance(entries, dict):
                raise ValueError("'files' is not an object")
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.warn(f"ignoring the scan cache {self.path}: {exc}")
            return
        self.old = entries

    def get(self, path: str, shown: str) -> Entry | None:
        """The stored entry if ``path`` is unchanged and shown the same way, else None.

        A miss remembers the file's signature, taken now, before the file is read:
        if it changes while it is being scanned, the next run sees that.
        """
        key = self._absolute(path)
        sig = signature(path)
        if sig is None:
            return None
        stored = self.old.get(key)
        if stored is not None:
            try:
                entry = self._entry(stored, shown, sig)
            except (ValueError, TypeError) as exc:
                self.warn(f"ignoring a malformed entry for {shown} in the scan cache {self.path}: {exc}")
                entry = None
            if entry is not None:
                self.new[key] = stored
                return entry
        self.pending[key] = (shown, sig)
        return None

    def _absolute(self, path: str) -> str:
        """``os.path.abspath``, without asking the OS for the working directory each time."""
        return os.path.normpath(path if os.path.isabs(path) else os.path.join(self._cwd, path))

    @staticmethod
    def _entry(stored: list, shown: str, sig: Signature) -> Entry | None:
        stored_shown, stored_sig, scanned, parsed, findings, errors = stored
        if stored_shown != shown or tuple(stored_sig) != sig:
            return None
        return Entry(bool(scanned), bool(parsed), [Finding(*f) for f in findings],
                     [ScanError(*e) for e in errors])

    def put(self, path: str, entry: Entry) -> None:
        key = self._absolute(path)
        seen = self.pending.pop(key, None)
        if seen is None:
            return
        shown, sig = seen
        if not _utf8(key):
            return  # a file name that is not UTF-8 cannot be stored in the JSON cache: scanned every run
        scanned, parsed, findings, errors = entry
        self.new[key] = [shown, list(sig), scanned, parsed, [list(astuple(f)) for f in findings],
                         [[e.path, e.reason] for e in errors]]

    def save(self) -> None:
        """Write this run's entries (and earlier ones, within bounds) atomically; prune stale files."""
        entries = self.new
        if len(self.old) + len(self.new) <= MAX_ENTRIES:
            entries = {**self.old, **self.new}
        if entries == self.old:
            try:
                os.utime(self.path)  # in use: not stale
            except OSError:
                pass
            return
        doc = orjson.dumps({"tool": "ft-migrate", "version": __version__, "files": entries})
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            atomic.write_bytes(self.path, doc)
            self._prune()
        except OSError as exc:
            self.warn(f"cannot write the scan cache in {self.directory}: {exc.strerror or exc} "
                      f"(set {CACHE_ENV} or pass --no-cache)")

    def _prune(self) -> None:
        cutoff = time.time() - STALE_SECONDS
        for other in self.directory.glob("scan-*.json"):
            try:
                if other != self.path and other.stat().st_mtime < cutoff:
                    other.unlink()
            except OSError:
                continue


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
