"""Finding the files to look at, the way users expect from ruff or ripgrep.

Directories are walked with ``os.scandir`` (cheap), honouring every
``.gitignore`` on the way down (via pathspec's git-wildmatch), the user's
``--exclude`` globs, and a fixed list of directories that never hold the user's
own code (VCS folders, virtualenvs, ``node_modules``, ``site-packages``, vendored
copies of the ``openai`` SDK).  Paths named explicitly on the command line are
always taken, as ruff does, even when ignored.
"""

from __future__ import annotations

import errno
import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from migrator.atomic import is_temp_name

if TYPE_CHECKING:
    import pathspec

# Directory names never descended into.
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".bzr", "_darcs",
    ".venv", "venv", ".env.d", "env.d", ".tox", ".nox", ".direnv",
    "node_modules", "site-packages", "dist-packages", "__pycache__",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints",
    ".eggs", "build", "dist",
})

# Files larger than this are skipped: generated bundles and data dumps, not code.
MAX_BYTES = 5 * 1024 * 1024


@dataclass
class WalkResult:
    files: list[Path] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    # (directory, reason) for directories that could not be listed: reported, not skipped silently.
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    # (link, reason) for symlinks inside a walked directory that lead out of it or nowhere: links are
    # not followed (their in-tree targets are walked in their own place); fix reports these.
    links: list[tuple[str, str]] = field(default_factory=list)
    # ft-migrate's own temporary files (see migrator.atomic): never scanned, removed by fix when stale.
    temps: list[str] = field(default_factory=list)


VIRTUALENV_MARK = "pyvenv.cfg"


def is_virtualenv(path: str) -> bool:
    return os.path.exists(os.path.join(path, VIRTUALENV_MARK))


def is_vendored_openai(path: str) -> bool:
    """A copied ``openai`` SDK package (its own api_resources or _client module)."""
    if os.path.basename(path) != "openai":
        return False
    return (os.path.exists(os.path.join(path, "api_resources", "fine_tune.py"))
            or os.path.exists(os.path.join(path, "_client.py"))
            or os.path.exists(os.path.join(path, "resources", "fine_tunes.py")))


class _Ignore:
    """The .gitignore rules in force for one directory (its own plus its parents')."""

    def __init__(self, root: str, parent: "_Ignore | None", listed: bool = True):
        """``listed``: whether the directory's listing shows a ``.gitignore`` (most show none,
        and a failed ``open`` per directory was a tenth of a cached re-scan's walk)."""
        self.root = root
        self.parent = parent
        self.spec: pathspec.GitIgnoreSpec | None = None
        lines = []
        if listed:
            try:
                with open(os.path.join(root, ".gitignore"), encoding="utf-8", errors="replace") as fh:
                    lines = fh.read().splitlines()
            except OSError:
                pass
        if lines:
            import pathspec  # here, not at the top: most directories have no .gitignore (start-up speed)

            self.spec = pathspec.GitIgnoreSpec.from_lines(lines)

    def ignored(self, path: str, is_dir: bool) -> bool:
        node: _Ignore | None = self
        while node is not None:
            if node.spec is not None:
                rel = os.path.relpath(path, node.root).replace(os.sep, "/")
                if is_dir:
                    rel += "/"
                if node.spec.match_file(rel):
                    return True
            node = node.parent
        return False


def _excluded(path: str, excludes: tuple[str, ...]) -> bool:
    if not excludes:
        return False
    norm = path.replace(os.sep, "/").removeprefix("./")
    name = os.path.basename(norm)
    return any(fnmatch.fnmatch(norm, g) or fnmatch.fnmatch(name, g)
               or fnmatch.fnmatch(norm, g.rstrip("/") + "/*") for g in excludes)


def walk(paths: list[str] | tuple[str, ...], excludes: tuple[str, ...] = (),
         respect_gitignore: bool = True) -> WalkResult:
    """Every regular file under ``paths``, sorted, de-duplicated."""
    result = WalkResult()
    seen: set[str] = set()
    for given in paths:
        if not os.path.lexists(given):
            result.missing.append(given)
            continue
        if os.path.isfile(given):
            key = os.path.normpath(given)
            if key not in seen:
                seen.add(key)
                result.files.append(Path(key))
            continue
        for f in _walk_dir(os.path.normpath(given), excludes, respect_gitignore, result):
            if f not in seen:
                seen.add(f)
                result.files.append(Path(f))
    result.files.sort(key=_path_order)
    result.links.sort()
    return result


def _path_order(path: Path) -> tuple[str, ...]:
    """The order of ``sorted(paths)``, compared as tuples in C rather than by ``Path.__lt__``."""
    return tuple(map(os.path.normcase, path.parts))


def _link_problem(path: str, root: str) -> str | None:
    """Why a symlink inside ``root`` is left alone, or None when it leads to something inside ``root``."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop; left alone"
        return f"broken symlink ({exc.strerror or exc}); left alone"
    target = os.path.realpath(path)
    if target != root and not target.startswith(root.rstrip(os.sep) + os.sep):
        return f"symlink to {target}, outside the tree; left alone"
    return None


def _walk_dir(top: str, excludes: tuple[str, ...], respect_gitignore: bool, result: WalkResult) -> Iterator[str]:
    root = os.path.realpath(top)
    stack: list[tuple[str, _Ignore | None]] = [(top, None)]
    while stack:
        directory, parent_ignore = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError as exc:
            if directory == top or not is_virtualenv(directory):
                result.unreadable.append((directory, f"cannot list directory: {exc.strerror or exc}"))
            continue
        names = {entry.name for entry in entries}
        if directory != top and VIRTUALENV_MARK in names:
            continue  # a virtualenv (its listing tells, without a stat per directory)
        ignore = _Ignore(directory, parent_ignore, ".gitignore" in names) if respect_gitignore else None
        for entry in entries:
            path = entry.path
            try:
                if entry.is_dir(follow_symlinks=False):
                    if (entry.name in SKIP_DIRS or is_vendored_openai(path)
                            or _excluded(path, excludes)
                            or (ignore is not None and ignore.ignored(path, True))):
                        continue
                    stack.append((path, ignore))
                elif entry.is_file(follow_symlinks=False):
                    if _excluded(path, excludes) or (ignore is not None and ignore.ignored(path, False)):
                        continue
                    if is_temp_name(entry.name):
                        result.temps.append(path)
                        continue
                    yield path
                elif entry.is_symlink():
                    if _excluded(path, excludes) or (ignore is not None and ignore.ignored(path, False)):
                        continue
                    reason = _link_problem(path, root)
                    if reason is not None:
                        result.links.append((path, reason))
            except OSError:
                continue
