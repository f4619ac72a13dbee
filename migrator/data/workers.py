"""``data convert`` on worker processes, one piece of the input at a time.

A large JSONL input is cut at line ends into pieces of about ``PIECE_BYTES``
(:meth:`~migrator.data.source.Source.pieces`, which numbers each piece's first
line).  A worker reads its piece and does all the per-line work: parse, check,
convert, serialise, count tokens, hash.  It sends back the converted bytes, the
rejected lines (already as the rejects file's JSONL), and what it found in its
input and in its output (:class:`~migrator.data.analysis.Findings`).  The main
process only writes bytes and adds the findings up, strictly in input order,
so the output, the rejects file and the summary are those of one process
reading the file from start to end.

At most ``AHEAD`` pieces per worker are handed out beyond the one being
merged, so memory does not grow with the file.  A worker's exception is raised
again in the main process as it was raised; a worker that dies (killed, out of
memory) ends the run with a :class:`~migrator.data.source.DataError` naming the
piece.  Workers are started the way :mod:`~migrator.data.tokens` starts its
own (fork, else forkserver), and leave when the main process is gone.
"""

from __future__ import annotations

import io
import os
import threading
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping

import orjson

from migrator.catalog import ChatFormat
from migrator.data.analysis import Counting, Findings, Reader
from migrator.data.listing import Listing
from migrator.data.source import DataError, Piece, Source
from migrator.data.tokens import PROCESSES, _context, encoding
from migrator.data.transform import Plan
from migrator.data.written import Written

# Bytes per piece: a worker's share of a hand-off (its results are about as
# large), small enough that the last pieces keep every worker busy.
PIECE_BYTES = 1 << 20
AHEAD = 2


@dataclass(frozen=True)
class Job:
    """What every piece of one input shares; each worker gets it once, when it starts."""

    path: str
    format: str | None  # the input's, found by its first JSON object
    chat: ChatFormat
    data: Mapping  # the catalog's [data] table
    listed: int
    tool_tokens: Mapping[str, int]
    rejects: bool  # whether the rejected lines are wanted as JSONL


@dataclass
class Done:
    """What a worker found in one piece.

    ``input``: the findings of the input lines (numbered as in the file), when
    asked for.  With a plan: ``output`` and ``rejects`` are the bytes to append
    to OUT and to the rejects file, ``rejected`` the first of the rejected lines,
    ``counts`` the piece's input counts and ``found`` the findings of the examples
    written, numbered from 1 in the piece.
    """

    piece: Piece
    input: Findings | None
    output: bytes = b""
    rejects: bytes = b""
    rejected: Listing | None = None
    counts: dict | None = None
    found: Findings | None = None


class Workers:
    """Worker processes for one job, started at once (before any output file is open, so they
    hold no descriptor of it) and stopped when the block ends."""

    def __init__(self, job: Job, processes: int = PROCESSES):
        encoding(job.data["encoding"])  # loaded before the fork, so that the workers share it
        self.job = job
        self.processes = processes
        self.pool = ProcessPoolExecutor(processes, mp_context=_context(), initializer=_start, initargs=(job,))
        self.pool.submit(int)  # forks every worker now (with fork), starts the first (forkserver)

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (the queued pieces are dropped; those running finish)."""
        self.pool.shutdown(wait=True, cancel_futures=True)

    def run(self, pieces: Iterable[Piece], with_input: bool, plan: Plan | None) -> Iterator[Done]:
        """What the workers found in each piece, in the order of ``pieces``."""
        pending: deque = deque()
        limit = self.processes * AHEAD
        try:
            for piece in pieces:
                try:
                    future = self.pool.submit(_work, piece, with_input, plan)
                except BrokenProcessPool as exc:  # a worker died before the earliest piece still out was read
                    raise self._stopped(pending[0][0] if pending else piece, exc) from None
                pending.append((piece, future))
                if len(pending) > limit:
                    yield self._result(*pending.popleft())
            while pending:
                yield self._result(*pending.popleft())
        finally:
            for _, future in pending:
                future.cancel()

    def _result(self, piece: Piece, future) -> Done:
        try:
            return future.result()
        except BrokenProcessPool as exc:
            raise self._stopped(piece, exc) from None

    def _stopped(self, piece: Piece, exc: BrokenProcessPool) -> DataError:
        return DataError(f"{self.job.path}: a worker process stopped while converting the lines from "
                         f"{piece.line} on ({exc}); nothing was written")


# -- in a worker process -----------------------------------------------------
_job: Job | None = None
_source: Source | None = None


def _start(job: Job) -> None:
    global _job, _source
    _job = job
    _source = Source(job.path, "jsonl", 0, lambda: open(job.path, "rb"))
    threading.Thread(target=_leave_with, args=(os.getppid(),), daemon=True).start()


def _leave_with(parent: int) -> None:
    """End this worker once its parent is gone: a killed convert leaves no worker waiting for work.

    The parent is the main process (fork) or the fork server, which ends with it.
    """
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _work(piece: Piece, with_input: bool, plan: Plan | None) -> Done:
    job = _job
    reader = Reader(_source.piece_records(piece), job.chat, job.format)
    records = reader
    found_in = None
    if with_input:
        found_in = Findings(job.data, job.listed)
        records = found_in.observe(reader)
    if plan is None:
        for _ in records:
            pass
        return Done(piece, found_in)
    out, rejects = _Parts(), io.BytesIO()
    rejected = Listing(job.listed)

    def reject(item: dict) -> None:
        rejected.add(item)
        if job.rejects:
            rejects.write(orjson.dumps(item) + b"\n")
    written = Written(records, plan, job.chat, out, reject)
    found = Findings(job.data, job.listed, hashes=True,
                     counting=Counting((plan.to,), parallel=False, inline=True, tool_tokens=job.tool_tokens))
    for _ in found.observe(written):
        pass
    return Done(piece, found_in, b"".join(out.parts), rejects.getvalue(), rejected, written.counts, found)


class _Parts:
    """A piece's output lines, joined once at the end (a ``BytesIO`` copies as it grows: a
    tenth of a worker's time beside the tokenizer)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.write = self.parts.append

    def flush(self) -> None:
        pass
