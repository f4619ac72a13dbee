"""Reading the walked files and fanning work out to processes: shared by scan and fix.

Both commands read each file once in the main process (size cap, shebang
detection for extension-less scripts, binary skip), run the byte prefilter there,
and send only the candidates to a process pool when there are enough of them to
pay for it.  Keeping that here means the two commands agree on which files they
look at and how a file that cannot be read is reported.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

from migrator.findings import ScanError
from migrator.scan.filetypes import kind_from_shebang, kind_of
from migrator.walk import MAX_BYTES

# (path on disk, path as shown to the user, file kind, bytes)
Source = tuple[str, str, str, bytes]
T = TypeVar("T")

# Below this many candidate files a process pool costs more than it saves.
POOL_THRESHOLD = 16


def display_path(path: str) -> str:
    """Paths in findings are relative to the current directory, with '/' separators."""
    rel = os.path.relpath(path) if os.path.isabs(path) or not path.startswith("..") else path
    return rel.replace(os.sep, "/")


def read_sources(files: Iterable[Path], wanted: Callable[[str], bool] = lambda kind: True
                 ) -> Iterator[Source | ScanError]:
    """Each readable text file of a kind ``wanted`` accepts, as a :data:`Source`.

    A file that cannot be read yields a :class:`ScanError` instead; files over
    the size cap, binary files and files of no known kind are passed over.  A file
    whose name gives its kind is not even opened when that kind is not wanted.
    """
    for path in files:
        spath = str(path)
        kind = kind_of(spath)
        if kind is not None and not wanted(kind):
            continue
        try:
            if os.path.getsize(spath) > MAX_BYTES:
                continue
            with open(spath, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            yield ScanError(display_path(spath), f"cannot read: {exc.strerror or exc}")
            continue
        if kind is None:
            kind = kind_from_shebang(data[:64])
            if kind is None or not wanted(kind):
                continue
        if b"\0" in data[:8192]:
            continue  # binary
        yield spath, display_path(spath), kind, data


def run_pool(func: Callable[[Source, T], object], sources: list[Source], arg: T, jobs: int | None) -> list:
    """``func(source, arg)`` for every source, in order; in processes when it pays."""
    jobs = jobs or os.cpu_count() or 1
    if jobs > 1 and len(sources) >= POOL_THRESHOLD:
        ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            chunk = max(1, len(sources) // (jobs * 4))
            return list(pool.map(func, sources, [arg] * len(sources), chunksize=chunk))
    return [func(source, arg) for source in sources]
