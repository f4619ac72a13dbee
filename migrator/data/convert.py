"""``data convert``: rewrite a training file for babbage-002/davinci-002 or gpt-3.5-turbo.

The input is read twice, line by line (pass 1 finds the separator and stop
sequence, pass 2 writes), so memory does not grow with the file.  Pass 2 also
hands every example it writes to :class:`~migrator.data.analysis.Findings`,
so the output's summary (checks, duplicates, exact tokens) is made without
reading the output back.  Every non-blank input line is either written or
rejected with its line number and reason, and the counts say so:
``lines = written + rejected + blank``.  The output goes to a temporary file
beside ``OUT`` that replaces it only once everything succeeded (through
:mod:`migrator.atomic`: ``OUT`` keeps its mode and owner, and must be a regular
file), so an error or a kill never leaves a half-written ``OUT``; the input is
never overwritten.  The summary is ``check``'s summary of the output file, plus
an ``"input"`` section with those counts.

A JSONL input from ``PARALLEL_MIN_BYTES`` on is read by worker processes, a
piece each (:mod:`migrator.data.workers`), which run both passes at once when
the plan can be told from the first lines (:func:`_guess`); the pieces are
merged in input order, so OUT, the rejects file and the summary are byte for
byte those of one process.  Smaller files are converted on this process
(starting the workers would cost more than they save).

Rejected lines are streamed to the rejects file as they are found; the summary
keeps only the first :data:`~migrator.data.listing.LISTED` of them (and of each
kind of per-line warning) plus the counts, so a 1 GB file of bad lines needs no
more memory than a good one.
"""

from __future__ import annotations

import io
import os
from contextlib import ExitStack
from typing import BinaryIO, Callable, Iterator

import orjson

from migrator import atomic, progress
from migrator.catalog import Catalog, load_catalog
from migrator.data.analysis import (Analysis, Findings, Reader, analyze, analyze_records, conclude, default_rules,
                                    suggest)
from migrator.data.check import default_model, summarize
from migrator.data.examples import CHAT, COMPLETION
from migrator.data.listing import LISTED, Listing
from migrator.data.rules import Rules
from migrator.data.source import DataError, Source
from migrator.data.transform import Plan
from migrator.data.workers import PIECE_BYTES, Job, Workers
from migrator.data.written import Written

TARGETS = (CHAT, COMPLETION)
WRITE_BUFFER = 1 << 20
# Inputs from this size on are converted on worker processes, a piece each:
# measured on 2 CPUs, one process and the workers take as long at 4 MB, the
# workers half as long at 8 MB, and the workers longer below (1.7 times at 1 MB).
PARALLEL_MIN_BYTES = 4 << 20
# The first lines that tell the plan the workers start with (read on this process, before them).
GUESS_BYTES = 256 << 10


def _info(result: Analysis, listed: int | None) -> dict:
    """The input's part of the summary: its format and its warnings (from pass 1)."""
    info = {"format": result.format, "warnings": result.warnings}
    if result.unlisted_warnings:
        info["warnings"].append({"line": None, "code": "not_listed",
                                 "message": f"{result.unlisted_warnings:,} more per-line warnings are not listed "
                                            f"(at most {listed:,} of each kind are)"})
        info["warnings"].sort(key=lambda w: w["line"] is not None)  # stable: after the other file-level ones
    return info


def _plan_for(fmt: str, separator: str | None, stop: str | None, to: str, system: str | None,
              suggested: Callable[[], tuple[str, str]]) -> Plan:
    """The plan for a file in ``fmt`` whose pass 1 found ``separator`` and ``stop``;
    ``suggested`` gives those to add to a completion output."""
    if to == CHAT:
        if fmt == CHAT:
            return Plan(CHAT, CHAT, None, None, system)
        return Plan(COMPLETION, CHAT, separator, stop, system)
    if system:
        raise ValueError("--system applies only to --to chat")
    separator, stop = suggested()
    return Plan(fmt, COMPLETION, separator, stop, None)


def _plan(source: Source, cat: Catalog, rules: Rules, to: str, system: str | None,
          listed: int | None = None) -> tuple[Plan, dict]:
    """Pass 1 on one process, then the plan and the input's part of the summary."""
    result = analyze(source, cat, tokens=False, listed=listed, rules=rules)
    info = _info(result, listed)
    return _plan_for(result.format, result.separator, result.stop, to, system,
                     lambda: suggest(result, source, cat, rules.chat)), info


def convert_bytes(data: bytes, *, to: str = CHAT, system: str | None = None,
                  catalog: Catalog | None = None) -> tuple[bytes, list[dict]]:
    """Convert a whole JSONL upload held in memory (the shim's ``--convert-uploads``).

    Returns the converted JSONL bytes and the rejected lines as ``[{"line",
    "reason"}]`` (1-based line numbers of ``data``); blank lines are dropped.
    Raises ``ValueError`` for an unknown ``to`` or ``system`` without ``to="chat"``.
    """
    _check_target(to)
    cat = catalog if catalog is not None else load_catalog()
    source = Source.from_bytes(data)
    rules = default_rules(cat)
    plan, info = _plan(source, cat, rules, to, system)
    out = io.BytesIO()
    rejects: list[dict] = []
    for _ in Written(Reader(source, rules.chat, info["format"]), plan, rules.chat, out, rejects.append):
        pass
    return out.getvalue(), rejects


def _check_target(to: str) -> None:
    if to not in TARGETS:
        raise ValueError(f"cannot convert to {to!r} (choose from {', '.join(TARGETS)})")


def _same_file(a: str, b: str) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def convert_file(path: str | os.PathLike, output: str | os.PathLike, *, to: str = CHAT,
                 system: str | None = None, rejects_path: str | os.PathLike | None = None,
                 catalog: Catalog | None = None) -> dict:
    """Convert ``path`` into ``output`` (atomically) and return the summary.

    The summary is :func:`~migrator.data.check_file`'s for ``output`` plus
    ``"input": {"file", "lines", "written", "rejected", "rejected_count", "blank",
    "warnings"}``.  ``rejected`` lists the first ``LISTED`` (1000) rejected lines as
    ``{"line", "reason"}`` and ``rejected_count`` counts them all; every one is
    written as JSONL to ``rejects_path`` if given.  Per-line warnings are listed
    up to the same bound (a ``not_listed`` warning counts the rest).  Raises
    ``DataError`` if the input is unreadable or would be overwritten,
    ``ValueError`` for bad options.
    """
    return convert_and_analyze(path, output, to=to, system=system, rejects_path=rejects_path,
                               catalog=catalog)[0]


def convert_and_analyze(path: str | os.PathLike, output: str | os.PathLike, *, to: str = CHAT,
                        system: str | None = None, rejects_path: str | os.PathLike | None = None,
                        catalog: Catalog | None = None, workers: bool | None = None,
                        piece_bytes: int | None = None) -> tuple[dict, Analysis]:
    """:func:`convert_file`, plus the analysis of the output (the CLI prices it on several models).

    ``workers`` says whether a JSONL input is converted on worker processes, a
    piece of ``piece_bytes`` each (default: from ``PARALLEL_MIN_BYTES`` on, in
    pieces of ``PIECE_BYTES``); the result is the same either way.
    """
    path, output = os.fspath(path), os.fspath(output)
    for other, what in ((output, "the output"), (rejects_path, "the rejects file")):
        if other is not None and _same_file(path, os.fspath(other)):
            raise DataError(f"{path}: {what} would overwrite the input; choose another file")
    if rejects_path is not None and _same_file(output, os.fspath(rejects_path)):
        raise DataError(f"{output}: the output and the rejects file are the same file")
    _check_target(to)
    cat = catalog if catalog is not None else load_catalog()
    source = Source.from_path(path)
    rules = default_rules(cat)
    if workers is None:
        workers = source.size >= PARALLEL_MIN_BYTES
    workers = workers and source.kind == "jsonl"
    piece_bytes = piece_bytes or PIECE_BYTES
    sample = Listing(LISTED)
    with ExitStack() as stack:
        if workers:
            fmt, guess = _guess(source, cat, rules, to, system, piece_bytes)
            pool = stack.enter_context(Workers(Job(path, fmt, rules.chat, cat.data, LISTED, rules.tool_tokens,
                                                   rejects_path is not None)))
        else:
            plan, info = _plan(source, cat, rules, to, system, LISTED)
        # OUT (and the rejects file) are replaced only if the whole block succeeds
        out = stack.enter_context(atomic.replacing(output, special_ok=False, buffering=WRITE_BUFFER))
        rej = None
        if rejects_path is not None:
            rej = stack.enter_context(atomic.replacing(rejects_path, special_ok=False, buffering=WRITE_BUFFER))
        # OUT's records are analyzed as they are written; OUT itself is read
        # again only if it lacks a separator or stop sequence (a suggestion)
        # (the input's size stands in for the output's, not known yet)
        tmp = out.written_path
        written_source = Source(output, "jsonl", source.size, lambda: open(tmp, "rb"))
        # priced on what trains on OUT's format that day, which may take the other format
        # (no completion model is left today): that view reads OUT back once written
        default = default_model(cat, to)
        views = tuple(dict.fromkeys((to, default.format))) if default is not None else ()
        if workers:
            info, found, counts = _on_workers(pool, source, cat, rules, to, system, guess, out, rej, sample,
                                              piece_bytes)
            pool.close()
            result = conclude(found, written_source, cat, views, True, rules)
        else:
            def reject(item: dict) -> None:
                sample.add(item)
                if rej is not None:
                    rej.write(orjson.dumps(item) + b"\n")
            written = Written(Reader(source, rules.chat, info["format"]), plan, rules.chat, out, reject)
            result = analyze_records(written_source, written, cat, views, listed=LISTED, rules=rules)
            counts = written.counts
        if not counts["written"] and not counts["rejected"]:
            raise DataError(f"{path}: no example to convert ({counts['lines']:,} lines, all blank); "
                            f"{output} left as it was")
        summary = summarize(result, default, None, cat)
    summary["input"] = {"file": path, "lines": counts["lines"], "written": counts["written"],
                        "rejected": list(sample), "rejected_count": counts["rejected"], "blank": counts["blank"],
                        "warnings": info["warnings"]}
    return summary, result


def _guess(source: Source, cat: Catalog, rules: Rules, to: str, system: str | None,
           piece_bytes: int) -> tuple[str | None, Plan | None]:
    """The input's format, and the plan its first piece points to if the plan can be told early.

    Pass 1 needs the whole file, yet most of what pass 2 does does not depend
    on it: a chat → chat plan is known from the format, and a completion file
    keeps the separator and stop sequence its first lines show.  So the
    workers convert with this plan while they run pass 1 (one reading of
    the file), and convert again only if the whole file decides otherwise.
    A completion output whose separator or stop sequence must be suggested
    waits for pass 1.
    """
    found = Findings(cat.data)
    fmt = None
    for piece in source.pieces(min(piece_bytes, GUESS_BYTES)):  # the first JSON object is usually on line 1
        reader = Reader(source.piece_records(piece), rules.chat, fmt)
        for _ in found.observe(reader):
            pass
        fmt = reader.format
        if fmt is not None:
            break
    if fmt is None:
        return None, None
    separator = stop = None
    if fmt == COMPLETION:
        separator, stop = found.prompts.decide().ending, found.completions.decide().ending
    if to == COMPLETION and not system and (separator is None or stop is None):
        return fmt, None
    return fmt, _plan_for(fmt, separator, stop, to, system, lambda: (separator, stop))


def _on_workers(pool: Workers, source: Source, cat: Catalog, rules: Rules, to: str, system: str | None,
                guess: Plan | None, out: BinaryIO, rej: BinaryIO | None, sample: Listing,
                piece_bytes: int) -> tuple[dict, Findings, dict]:
    """Pass 1 and (with the guessed plan) pass 2 in one reading; pass 2 again if the guess was wrong.

    Returns the input's part of the summary, the findings of OUT and the input counts.
    """
    found_in = Findings(cat.data, LISTED)
    found, counts = _merged(pool.run(source.pieces(piece_bytes), True, guess), found_in, cat, out, rej, sample,
                            source.size)
    result = conclude(found_in, source, cat, tokens=False, rules=rules)
    info = _info(result, LISTED)
    plan = _plan_for(result.format, result.separator, result.stop, to, system,
                     lambda: suggest(result, source, cat, rules.chat))
    if plan != guess:
        if guess is not None:
            for f in (out, rej):
                if f is not None:
                    f.seek(0)
                    f.truncate()
            sample.clear()
            sample.dropped = 0
        found, counts = _merged(pool.run(source.pieces(piece_bytes), False, plan), None, cat, out, rej, sample,
                                source.size)
    return info, found, counts


def _merged(done: Iterator, found_in: Findings | None, cat: Catalog, out: BinaryIO, rej: BinaryIO | None,
            sample: Listing, size: int) -> tuple[Findings, dict]:
    """The workers' pieces added up in input order: OUT and the rejects file written, the findings merged."""
    found = Findings(cat.data, LISTED, hashes=True)
    counts = {"lines": 0, "written": 0, "rejected": 0, "blank": 0}
    progress.expect(size, unit="bytes")
    for piece in done:
        if found_in is not None:
            found_in.merge(piece.input)
        if piece.counts is not None:
            out.write(piece.output)
            if rej is not None:
                rej.write(piece.rejects)
            for item in piece.rejected:
                sample.add(item)
            sample.dropped += piece.rejected.dropped
            found.merge(piece.found, counts["written"])
            found.repeats()  # the duplicate scan keeps up with the workers
            for key, n in piece.counts.items():
                counts[key] += n
        progress.advance(piece.piece.length if piece.piece.length is not None else size - piece.piece.offset)
    out.flush()
    return found, counts
