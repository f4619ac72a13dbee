"""Reading training files line by line: JSONL, CSV and TSV.

Everything downstream sees one stream of ``(line, value, reason)`` records, so a
bad line is always reported with its own line number and nothing is dropped
silently.  ``value`` is the parsed JSON value (or a CSV row as a dict), the
``BLANK`` marker for an empty or whitespace-only line, or ``None`` when the line
is unusable, in which case ``reason`` says why.

Files are read as bytes and never held whole: a UTF-8 byte-order mark on the
first line is dropped, ``\\r\\n`` endings are accepted (JSON ignores the ``\\r``),
and invalid UTF-8 or JSON rejects only the line it is on.  CSV/TSV files with
``prompt``/``completion`` columns are read as the legacy ``prepare_data`` did:
header names are matched case-insensitively, missing cells become ``""``.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterator

import orjson

from migrator import progress

BLANK = object()

# A JSONL line longer than this is rejected unread, so memory stays bounded per example:
# far above the longest example any fine-tunable model takes, even with every character escaped.
MAX_LINE_BYTES = 8 << 20

Record = tuple[int, object, "str | None"]


class DataError(Exception):
    """The file as a whole cannot be read; ``str()`` names the file and line."""


@dataclass(frozen=True)
class Source:
    """A training file that can be read more than once (check and convert make two passes)."""

    name: str
    kind: str  # "jsonl", "csv" or "tsv"
    size: int  # bytes; large files get their tokens counted in worker processes
    opener: Callable[[], BinaryIO]

    @classmethod
    def from_path(cls, path: str | os.PathLike) -> "Source":
        path = os.fspath(path)
        try:
            size = os.stat(path).st_size
            with open(path, "rb"):
                pass
        except OSError as exc:
            raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None
        if os.path.isdir(path):
            raise DataError(f"{path}: is a directory")
        ext = os.path.splitext(path)[1].lower()
        kind = {".csv": "csv", ".tsv": "tsv"}.get(ext, "jsonl")
        return cls(path, kind, size, lambda: open(path, "rb"))

    @classmethod
    def from_bytes(cls, data: bytes, name: str = "<upload>") -> "Source":
        return cls(name, "jsonl", len(data), lambda: io.BytesIO(data))

    def records(self) -> Iterator[Record]:
        try:
            with self.opener() as f:
                if self.kind == "jsonl":
                    records = _jsonl(f)
                else:
                    records = _table(f, self.name, "\t" if self.kind == "tsv" else ",")
                yield from progress.reading(f, self.size, records)  # the bar, if one is shown, follows f
        except OSError as exc:
            raise DataError(f"{self.name}: read error: {exc.strerror or exc}") from None

    def pieces(self, size: int) -> Iterator[Piece]:
        """A JSONL file cut into pieces of about ``size`` bytes at line ends, for worker processes.

        The file is read once, a block at a time (a line longer than a block
        makes a longer piece, never a bigger read), to number the first line of
        each piece; the last piece runs to the end of the file.
        """
        try:
            with self.opener() as f:
                start = offset = 0
                line = 1
                while True:
                    block = f.read(size)
                    if not block:
                        break
                    end = block.rfind(b"\n") + 1
                    if end:  # the bytes before ``offset`` in this piece hold no line end
                        yield Piece(start, offset + end - start, line)
                        line += block.count(b"\n", 0, end)
                        start = offset + end
                    offset += len(block)
                if offset > start:
                    yield Piece(start, None, line)
        except OSError as exc:
            raise DataError(f"{self.name}: read error: {exc.strerror or exc}") from None

    def piece_records(self, piece: Piece) -> Iterator[Record]:
        """:meth:`records` of one of the :meth:`pieces` of a JSONL file, numbered as in the file."""
        try:
            with self.opener() as f:
                f.seek(piece.offset)
                yield from _jsonl(f, piece.line, piece.length)
        except OSError as exc:
            raise DataError(f"{self.name}: read error: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class Piece:
    """Bytes ``offset`` to ``offset + length`` of a file (``length`` None: to its end), whose first
    line is line ``line`` of the file."""

    offset: int
    length: int | None
    line: int


def _bounded_lines(f: BinaryIO, limit: int = MAX_LINE_BYTES, length: int | None = None) -> Iterator[bytes | int]:
    """Each line of ``f``, or the length in bytes of a line longer than ``limit`` (never held whole).

    With ``length``, only the lines in the next ``length`` bytes (which end at a line end).
    """
    readline = f.readline
    left = length
    while left is None or left > 0:
        raw = readline(limit + 1)
        if not raw:
            return
        if len(raw) <= limit or raw.endswith(b"\n"):
            if left is not None:
                left -= len(raw)
            yield raw
            continue
        size = len(raw)
        while not raw.endswith(b"\n"):
            raw = readline(1 << 20)
            if not raw:
                break
            size += len(raw)
        if left is not None:
            left -= size
        yield size - raw.endswith(b"\n")


def _jsonl(f: BinaryIO, first: int = 1, length: int | None = None) -> Iterator[Record]:
    """The records of the lines of ``f`` (the next ``length`` bytes of it), numbered from ``first``."""
    loads = orjson.loads
    decode_error = orjson.JSONDecodeError
    n = first - 1
    for raw in _bounded_lines(f, length=length):
        n += 1
        if isinstance(raw, int):
            yield n, None, (f"too_long: the line is {raw:,} bytes, past the {MAX_LINE_BYTES:,} bytes read "
                            "for one example (no model accepts an example near that long)")
            continue
        if n == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            yield n, loads(raw), None
        except decode_error as exc:
            if not raw.strip():
                yield n, BLANK, None
            else:
                yield n, None, _json_reason(raw, exc)


def _json_reason(raw: bytes, exc: orjson.JSONDecodeError) -> str:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        return f"invalid_utf8: byte 0x{raw[bad.start]:02x} at column {bad.start + 1} is not valid UTF-8"
    message = str(exc).split(": line ", 1)[0]
    column = min(exc.pos, len(raw.rstrip(b"\r\n"))) + 1  # an unexpected end is past the last character
    return f"invalid_json: {message} (column {column})"


def _table(f: BinaryIO, name: str, delimiter: str) -> Iterator[Record]:
    """CSV/TSV rows as dicts keyed by the lower-cased header."""
    first = True

    def lines() -> Iterator[str]:
        nonlocal first
        for raw in f:
            if first:
                first = False
                if raw.startswith(codecs.BOM_UTF8):
                    raw = raw[len(codecs.BOM_UTF8):]
            yield raw.decode("utf-8", "surrogateescape")

    reader = csv.reader(lines(), delimiter=delimiter, strict=False)
    try:
        header = next(reader, None)
        if header is None:
            return
        columns = [h.strip().lower() for h in header]
        for needed in ("prompt", "completion"):
            if needed not in columns:
                raise DataError(f"{name}:1: no {needed!r} column (columns: {', '.join(header) or 'none'})")
        start = reader.line_num + 1
        for row in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                yield line, BLANK, None
                continue
            if any(_has_surrogate(cell) for cell in row):
                yield line, None, "invalid_utf8: the row is not valid UTF-8"
                continue
            record = {}
            for i, cell in enumerate(row):
                record[columns[i] if i < len(columns) else f"column {i + 1}"] = cell
            for column in columns:
                record.setdefault(column, "")
            yield line, record, None
    except csv.Error as exc:
        raise DataError(f"{name}:{reader.line_num}: not valid {'TSV' if delimiter == chr(9) else 'CSV'}: {exc}") from None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
