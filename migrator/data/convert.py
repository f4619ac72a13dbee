"""``data convert``: rewrite a training file for babbage-002/davinci-002 or gpt-3.5-turbo.

The input is read twice, line by line (pass 1 finds the separator and stop
sequence, pass 2 writes), so memory does not grow with the file.  Every
non-blank input line is either written or rejected with its line number and
reason, and the counts say so: ``lines = written + rejected + blank``.  The
output goes to a temporary file beside ``OUT`` that replaces it only once
everything succeeded, so an error never leaves a half-written ``OUT``; the input
is never overwritten.  The summary is ``check``'s summary of the output file,
plus an ``"input"`` section with those counts.
"""

from __future__ import annotations

import io
import os
import tempfile
from typing import BinaryIO, Callable

import orjson

from migrator.catalog import Catalog, load_catalog
from migrator.data import transform
from migrator.data.analysis import OK, REJECTED, SKIP, Reader, analyze, suggest
from migrator.data.check import check_source
from migrator.data.examples import CHAT, COMPLETION, Reject
from migrator.data.source import DataError, Source

TARGETS = (CHAT, COMPLETION)
WRITE_BUFFER = 1 << 20


def _plan(source: Source, cat: Catalog, to: str, system: str | None) -> tuple[Callable, dict]:
    """Pass 1, then the function turning one checked example into the output object."""
    if to not in TARGETS:
        raise ValueError(f"cannot convert to {to!r} (choose from {', '.join(TARGETS)})")
    result = analyze(source, cat, tokens=False)
    info = {"format": result.format, "warnings": result.warnings}
    if result.format == CHAT and to == CHAT:
        return lambda p: {"messages": transform.clean_chat(p[0], system)}, info
    if result.format == COMPLETION and to == CHAT:
        sep, stop = result.separator, result.stop
        return lambda p: {"messages": transform.completion_to_chat(p[0], p[1], sep, stop, system)}, info
    if system:
        raise ValueError("--system applies only to --to chat")
    sep, stop = suggest(result, source, cat)
    if result.format == CHAT:
        def to_completion(p):
            prompt, completion = transform.chat_to_completion(p[0], sep, stop)
            return {"prompt": prompt, "completion": completion}
        return to_completion, info

    def clean(p):
        prompt, completion = transform.clean_completion(p[0], p[1], sep, stop)
        return {"prompt": prompt, "completion": completion}
    return clean, info


def _write(source: Source, cat: Catalog, fmt: str, build: Callable, out: BinaryIO,
           rejects: list[dict]) -> dict:
    """Pass 2: converted examples to ``out``; returns the input counts."""
    dumps = orjson.dumps
    write = out.write
    lines = written = blank = 0
    for line, status, payload in Reader(source, cat.data, fmt):
        lines += 1
        if status is OK:
            try:
                write(dumps(build(payload)) + b"\n")
                written += 1
                continue
            except Reject as exc:
                payload = str(exc)
        elif status is SKIP:
            blank += 1
            continue
        rejects.append({"line": line, "reason": payload})
    return {"lines": lines, "written": written, "rejected": len(rejects), "blank": blank}


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
    _write(source, cat, info["format"], build, out, rejects)
    return out.getvalue(), rejects


def _same_file(a: str, b: str) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _temp_beside(path: str) -> tuple[BinaryIO, str]:
    fd, tmp = tempfile.mkstemp(prefix=".ft-migrate-", suffix=".tmp", dir=os.path.dirname(os.path.abspath(path)))
    return os.fdopen(fd, "wb", buffering=WRITE_BUFFER), tmp


def convert_file(path: str | os.PathLike, output: str | os.PathLike, *, to: str = CHAT,
                 system: str | None = None, rejects_path: str | os.PathLike | None = None,
                 catalog: Catalog | None = None) -> dict:
    """Convert ``path`` into ``output`` (atomically) and return the summary.

    The summary is :func:`~migrator.data.check_file`'s for ``output`` plus
    ``"input": {"file", "lines", "written", "rejected", "blank", "warnings"}``
    (``rejected`` is the list of ``{"line", "reason"}``, also written as JSONL to
    ``rejects_path`` if given).  Raises ``DataError`` if the input is unreadable
    or would be overwritten, ``ValueError`` for bad options.
    """
    path, output = os.fspath(path), os.fspath(output)
    for other, what in ((output, "the output"), (rejects_path, "the rejects file")):
        if other is not None and _same_file(path, os.fspath(other)):
            raise DataError(f"{path}: {what} would overwrite the input; choose another file")
    if rejects_path is not None and _same_file(output, os.fspath(rejects_path)):
        raise DataError(f"{output}: the output and the rejects file are the same file")
    cat = catalog if catalog is not None else load_catalog()
    source = Source.from_path(path)
    build, info = _plan(source, cat, to, system)
    temps: list[str] = []
    try:
        out, tmp = _temp_beside(output)
        temps.append(tmp)
        rejects: list[dict] = []
        with out:
            counts = _write(source, cat, info["format"], build, out, rejects)
        if rejects_path is not None:
            rej, rej_tmp = _temp_beside(os.fspath(rejects_path))
            temps.append(rej_tmp)
            with rej:
                for item in rejects:
                    rej.write(orjson.dumps(item) + b"\n")
        summary = check_source(Source(output, "jsonl", os.path.getsize(tmp), lambda: open(tmp, "rb")),
                               catalog=cat)
        os.replace(tmp, output)
        temps.remove(tmp)
        if rejects_path is not None:
            os.replace(rej_tmp, rejects_path)
            temps.remove(rej_tmp)
    finally:
        for leftover in temps:
            os.unlink(leftover)
    counts["rejected"] = rejects
    summary["input"] = {"file": path, **counts, "warnings": info["warnings"]}
    return summary
