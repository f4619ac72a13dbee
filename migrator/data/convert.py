"""``data convert``: rewrite a training file for babbage-002/davinci-002 or gpt-3.5-turbo.

The input is read twice, line by line (pass 1 finds the separator and stop
sequence, pass 2 writes), so memory does not grow with the file.  Pass 2 also
hands every example it writes to :func:`~migrator.data.analysis.analyze_records`,
so the output's summary (checks, duplicates, exact tokens, counted on a worker
workers meanwhile) is made without reading the output back.  Every
non-blank input line is either written or rejected with its line number and
reason, and the counts say so: ``lines = written + rejected + blank``.  The
output goes to a temporary file beside ``OUT`` that replaces it only once
everything succeeded (through :mod:`migrator.atomic`: ``OUT`` keeps its mode and
owner, and must be a regular file), so an error or a kill never leaves a
half-written ``OUT``; the input is never overwritten.  The summary is ``check``'s summary of the output file,
plus an ``"input"`` section with those counts.

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

from migrator import atomic
from migrator.catalog import Catalog, load_catalog
from migrator.data import transform
from migrator.data.analysis import (OK, REJECTED, SKIP, Analysis, Reader, analyze, analyze_records, default_rules,
                                    suggest)
from migrator.data.check import default_model, summarize
from migrator.data.examples import CHAT, COMPLETION, Reject, chat_example, completion_example
from migrator.data.listing import LISTED, Listing
from migrator.data.source import DataError, Source

TARGETS = (CHAT, COMPLETION)
WRITE_BUFFER = 1 << 20


def _plan(source: Source, cat: Catalog, to: str, system: str | None,
          listed: int | None = None) -> tuple[Callable, dict]:
    """Pass 1, then the function turning one checked example into the output object."""
    if to not in TARGETS:
        raise ValueError(f"cannot convert to {to!r} (choose from {', '.join(TARGETS)})")
    rules = default_rules(cat)
    result = analyze(source, cat, tokens=False, listed=listed, rules=rules)
    info = {"format": result.format, "warnings": result.warnings}
    if result.unlisted_warnings:
        info["warnings"].append({"line": None, "code": "not_listed",
                                 "message": f"{result.unlisted_warnings:,} more per-line warnings are not listed "
                                            f"(at most {listed:,} of each kind are)"})
        info["warnings"].sort(key=lambda w: w["line"] is not None)  # stable: after the other file-level ones
    if result.format == CHAT and to == CHAT:
        return lambda p: {"messages": transform.clean_chat(p[0], system), **p[2]}, info
    if result.format == COMPLETION and to == CHAT:
        sep, stop = result.separator, result.stop
        return lambda p: {"messages": transform.completion_to_chat(p[0], p[1], sep, stop, system)}, info
    if system:
        raise ValueError("--system applies only to --to chat")
    sep, stop = suggest(result, source, cat, rules.chat)
    if result.format == CHAT:
        def to_completion(p):
            prompt, completion = transform.chat_to_completion(p[0], sep, stop, p[2])
            return {"prompt": prompt, "completion": completion}
        return to_completion, info

    def clean(p):
        prompt, completion = transform.clean_completion(p[0], p[1], sep, stop)
        return {"prompt": prompt, "completion": completion}
    return clean, info


class Written:
    """Pass 2 as records: writes each converted example and yields it as ``check`` would read it back.

    Iterating converts the input into ``out`` (rejected input lines go to
    ``reject``) and yields ``(output line, status, payload)`` for each example
    written, like a :class:`~migrator.data.analysis.Reader` over the output:
    the payload is checked from the very object that was dumped, so the summary
    equals ``check`` of the output file.  ``format`` is the output's once an
    example is written; the input counts are set when the iteration ends.
    """

    def __init__(self, source: Source, cat: Catalog, fmt: str, to: str, build: Callable, out: BinaryIO,
                 reject: Callable[[dict], None]):
        self.source, self.input_format, self.to = source, fmt, to
        self.chat = default_rules(cat).chat
        self.build, self.out, self.reject = build, out, reject
        self.format: str | None = None
        self.counts: dict[str, int] = {}

    def __iter__(self) -> Iterator[tuple[int, str, object]]:
        dumps, write, build, reject = orjson.dumps, self.out.write, self.build, self.reject
        chat = self.chat
        recheck = (lambda obj: chat_example(obj, chat)) if self.to == CHAT else completion_example
        lines = written = blank = rejected = 0
        for line, status, payload in Reader(self.source, chat, self.input_format):
            lines += 1
            if status is OK:
                try:
                    obj = build(payload)
                except Reject as exc:
                    payload = str(exc)
                else:
                    write(dumps(obj) + b"\n")
                    written += 1
                    self.format = self.to
                    try:
                        record = (written, OK, recheck(obj))
                    except Reject as exc:
                        record = (written, REJECTED, str(exc))
                    yield record
                    continue
            elif status is SKIP:
                blank += 1
                continue
            reject({"line": line, "reason": payload})
            rejected += 1
        self.out.flush()
        self.counts = {"lines": lines, "written": written, "rejected": rejected, "blank": blank}


def convert_bytes(data: bytes, *, to: str = CHAT, system: str | None = None,
                  catalog: Catalog | None = None) -> tuple[bytes, list[dict]]:
    """Convert a whole JSONL upload held in memory (the shim's ``--convert-uploads``).

    Returns the converted JSONL bytes and the rejected lines as ``[{"line",
    "reason"}]`` (1-based line numbers of ``data``); blank lines are dropped.
    Raises ``ValueError`` for an unknown ``to`` or ``system`` without ``to="chat"``.
    """
    cat = catalog if catalog is not None else load_catalog()
    source = Source.from_bytes(data)
    build, info = _plan(source, cat, to, system)
    out = io.BytesIO()
    rejects: list[dict] = []
    for _ in Written(source, cat, info["format"], to, build, out, rejects.append):
        pass
    return out.getvalue(), rejects


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
                        catalog: Catalog | None = None) -> tuple[dict, Analysis]:
    """:func:`convert_file`, plus the analysis of the output (the CLI prices it on several models)."""
    path, output = os.fspath(path), os.fspath(output)
    for other, what in ((output, "the output"), (rejects_path, "the rejects file")):
        if other is not None and _same_file(path, os.fspath(other)):
            raise DataError(f"{path}: {what} would overwrite the input; choose another file")
    if rejects_path is not None and _same_file(output, os.fspath(rejects_path)):
        raise DataError(f"{output}: the output and the rejects file are the same file")
    cat = catalog if catalog is not None else load_catalog()
    source = Source.from_path(path)
    build, info = _plan(source, cat, to, system, LISTED)
    sample = Listing(LISTED)
    with ExitStack() as stack:
        # OUT (and the rejects file) are replaced only if the whole block succeeds
        out = stack.enter_context(atomic.replacing(output, special_ok=False, buffering=WRITE_BUFFER))
        rej = None
        if rejects_path is not None:
            rej = stack.enter_context(atomic.replacing(rejects_path, special_ok=False, buffering=WRITE_BUFFER))

        def reject(item: dict) -> None:
            sample.add(item)
            if rej is not None:
                rej.write(orjson.dumps(item) + b"\n")
        written = Written(source, cat, info["format"], to, build, out, reject)
        # OUT's records, analyzed as they are written; OUT itself is read
        # again only if it lacks a separator or stop sequence (a suggestion)
        # (the input's size stands in for the output's, not known yet)
        tmp = out.written_path
        # priced on what trains on OUT's format that day, which may take the other format
        # (no completion model is left today): that view reads OUT back once written
        default = default_model(cat, to)
        views = tuple(dict.fromkeys((to, default.format))) if default is not None else ()
        result = analyze_records(Source(output, "jsonl", source.size, lambda: open(tmp, "rb")), written,
                                 cat, views, listed=LISTED)
        counts = written.counts
        if not counts["written"] and not counts["rejected"]:
            raise DataError(f"{path}: no example to convert ({counts['lines']:,} lines, all blank); "
                            f"{output} left as it was")
        summary = summarize(result, default, None, cat)
    summary["input"] = {"file": path, "lines": counts["lines"], "written": counts["written"],
                        "rejected": list(sample), "rejected_count": counts["rejected"], "blank": counts["blank"],
                        "warnings": info["warnings"]}
    return summary, result
