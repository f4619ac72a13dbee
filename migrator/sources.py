"""Reading the walked files and fanning work out to processes: shared by scan and fix.

Both commands read each file once in the main process (size cap, shebang
detection for extension-less scripts, binary skip), run the byte prefilter there,
and send only the candidates to a process pool when there are enough of them to
pay for it.  Keeping that here means the two commands agree on which files they
look at and how a file that cannot be read is reported.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

from migrator import progress
from migrator.findings import ScanError
from migrator.scan.filetypes import kind_from_shebang, kind_of
from migrator.walk import MAX_BYTES

# (path on disk, path as shown to the user, file kind, bytes)
Source = tuple[str, str, str, bytes]
T = TypeVar("T")
R = TypeVar("R")
A = TypeVar("A")

# Below this many candidate files a process pool costs more than it saves.
POOL_THRESHOLD = 16
# Files per chunk at least, when workers read their files themselves.
CHUNK_MIN = 8


def display_path(path: str) -> str:
    """Paths in findings are relative to the current directory, with '/' separators."""
    if os.path.isabs(path):
        rel = os.path.relpath(path)
    else:  # what relpath gives for a relative path, without asking the OS for the cwd each time
        rel = path if path.startswith("..") else os.path.normpath(path)
    return rel.replace(os.sep, "/")


def read_sources(files: Iterable[Path], named: Iterable[str] = ()) -> Iterator[Source | ScanError]:
    """Each readable text file of a known kind, as a :data:`Source`.

    A file that cannot be read yields a :class:`ScanError` instead, and so does a
    file over the size cap or with binary content: it is skipped, and said to be.
    Files of no known kind are passed over, unless ``named`` on the command line:
    then that is said too.
    """
    named = {os.path.normpath(n) for n in named}
    for path in files:
        spath = str(path)
        kind = kind_of(spath)
        try:
            size = os.path.getsize(spath)
            with open(spath, "rb") as fh:
                data = fh.read() if size <= MAX_BYTES else fh.read(64)
        except OSError as exc:
            yield ScanError(display_path(spath), f"cannot read: {exc.strerror or exc}")
            continue
        if kind is None:
            kind = kind_from_shebang(data[:64])
            if kind is None:
                if spath in named:
                    yield ScanError(display_path(spath), "not a kind of file ft-migrate reads (by its name or a #! "
                                                         "line); skipped")
                continue
        if size > MAX_BYTES:
            yield ScanError(display_path(spath), f"{size:,} bytes, over the {MAX_BYTES // 2**20} MB limit "
                                                 f"for source files; skipped")
            continue
        if b"\0" in data[:8192]:
            yield ScanError(display_path(spath), "binary content (a NUL byte in the first 8 KB, or UTF-16 text); "
                                                 "skipped")
            continue
        yield spath, display_path(spath), kind, data


def run_pool(func: Callable[[Source, T], R], sources: list[Source], arg: T, jobs: int | None,
             crashed: Callable[[Source], R]) -> list[R]:
    """``func(source, arg)`` for every source, in order; in processes when it pays.

    A worker that dies (a native parser's crash kills the process, not just the
    call) breaks the whole pool; the sources are then run again one process each,
    so only the one that kills its process is lost, as ``crashed(source)``.
    """
    jobs = jobs or os.cpu_count() or 1
    progress.expect(len(sources))
    if jobs > 1 and len(sources) >= POOL_THRESHOLD:
        # here, not at the top: a run served from the cache starts no pool (start-up speed)
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        try:
            with ProcessPoolExecutor(max_workers=jobs, mp_context=_context()) as pool:
                chunk = max(1, len(sources) // (jobs * 4))
                return list(_counted(pool.map(func, sources, [arg] * len(sources), chunksize=chunk)))
        except BrokenProcessPool:
            progress.expect(len(sources))
            return list(_counted(_alone(func, source, arg, crashed) for source in sources))
    return list(_counted(func(source, arg) for source in sources))


def run_chunks(func: Callable[[list[T], A], R], items: list[T], arg: A, jobs: int | None) -> Iterator[R]:
    """``func(chunk, arg)`` for consecutive chunks of ``items``, in order; in processes when it pays.

    Scan sends file paths, not their bytes: each worker reads, prefilters and scans
    its own chunk, so the reading is spread over the cores too.  Chunks are small
    enough for the workers to stay evenly busy.  ``func`` raises nothing a file can
    cause, so a broken pool (a worker killed from outside) means running the chunks
    here instead.
    """
    jobs = jobs or os.cpu_count() or 1
    progress.expect(len(items))
    size = max(CHUNK_MIN, len(items) // (jobs * 8) + 1)
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    done = 0
    if jobs > 1 and len(chunks) > 1 and len(items) >= POOL_THRESHOLD * CHUNK_MIN:
        # here, not at the top: a run served from the cache starts no pool (start-up speed)
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        try:
            with ProcessPoolExecutor(max_workers=min(jobs, len(chunks)), mp_context=_context()) as pool:
                for chunk, result in zip(chunks, pool.map(func, chunks, [arg] * len(chunks))):
                    progress.advance(len(chunk))
                    done += 1
                    yield result
                return
        except BrokenProcessPool:
            pass
    for chunk in chunks[done:]:
        result = func(chunk, arg)
        progress.advance(len(chunk))
        yield result


def _counted(results: Iterable[R]) -> Iterator[R]:
    """``results``, each one counted on the progress bar as it arrives."""
    for result in results:
        progress.advance()
        yield result


def _alone(func: Callable[[Source, T], R], source: Source, arg: T, crashed: Callable[[Source], R]) -> R:
    # here, not at the top: only after a pool broke (start-up speed)
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    with ProcessPoolExecutor(max_workers=1, mp_context=_context()) as pool:
        try:
            return pool.submit(func, source, arg).result()
        except BrokenProcessPool:
            return crashed(source)


def _context():
    import multiprocessing  # only when a pool starts (start-up speed)

    return multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
