"""``--convert-uploads chat``: prompt/completion training files become chat files on the way up.

For users who map legacy models to gpt-3.5-turbo, which trains on chat data
only: their unmodified code keeps uploading prompt/completion JSONL, and the
shim rewrites the ``file`` part of a ``purpose=fine-tune`` upload with the data
part's converter (:func:`migrator.data.convert.convert_bytes`).  Converting
needs the whole file, so these uploads (and only these) are buffered, up to
``max_body_bytes``.  A file with lines the converter rejects is refused with a
400 naming them: dropping training examples silently would lose data.
Anything else (another purpose, a file already in chat format) goes up byte for
byte.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING

from .mapping import MappingError
from .protocol import ClientRequest, Forward, Handler, Upstream, warning_header

if TYPE_CHECKING:
    from .translate import Shim

MAX_LISTED_REJECTS = 5


@dataclass(slots=True)
class Part:
    """One part of a multipart/form-data body."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def parse_multipart(content_type: str, body: bytes) -> list[Part]:
    """The parts of a ``multipart/form-data`` body, in order."""
    msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not msg.is_multipart():
        raise MappingError("The upload is not a valid multipart/form-data body.", param="file")
    parts = []
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name is None:
            raise MappingError("A multipart part has no name.", param="file")
        ctype = part.get_content_type() if part.get("content-type") is not None else None
        parts.append(Part(name, part.get_filename(), ctype, part.get_payload(decode=True) or b""))
    return parts


def build_multipart(parts: list[Part]) -> tuple[str, bytes]:
    """``(content type, body)`` for ``parts``, with a fresh boundary."""
    boundary = uuid.uuid4().hex
    out = bytearray()
    for p in parts:
        disposition = f'form-data; name="{_quote(p.name)}"'
        if p.filename is not None:
            disposition += f'; filename="{_quote(p.filename)}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if p.content_type:
            out += f"Content-Type: {p.content_type}\r\n".encode()
        out += b"\r\n" + p.data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", bytes(out)


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _is_chat(data: bytes) -> bool:
    """Whether the first example is already in chat format (then there is nothing to convert)."""
    for line in data.splitlines():
        if line.strip():
            try:
                first = json.loads(line)
            except ValueError:
                return False
            return isinstance(first, dict) and "messages" in first
    return False


def convert_upload(shim: "Shim", req: ClientRequest, path: str) -> Handler:
    # Imported here for start-up speed: the data part (and its tokenizer) loads only when a
    # shim converts uploads, and its extra need not be installed otherwise.
    from migrator.data import DataError, convert_bytes

    ctype = req.header("content-type") or ""
    if not ctype.lower().startswith("multipart/form-data"):
        return shim.forward(req, path)
    raw = yield from shim.read_body(req)
    parts = parse_multipart(ctype, raw)
    purpose = next((p.data.decode("utf-8", "replace") for p in parts if p.name == "purpose"), None)
    upload = next((p for p in parts if p.name == "file"), None)
    headers = shim.upstream_headers(req, ctype)
    if purpose != "fine-tune" or upload is None or _is_chat(upload.data):
        return Forward(Upstream("POST", path, req.query, headers, raw))
    name = upload.filename or "file"
    try:
        converted, rejects = convert_bytes(upload.data, to=shim.config.convert_uploads,
                                           system=shim.config.system_prompt, catalog=shim.cat)
    except (DataError, ValueError) as exc:
        raise MappingError(f"{name}: cannot convert to {shim.config.convert_uploads} format: {exc}",
                           param="file") from None
    if rejects:
        listed = "; ".join(f"{name}:{r['line']}: {r['reason']}" for r in rejects[:MAX_LISTED_REJECTS])
        more = f" (and {len(rejects) - MAX_LISTED_REJECTS} more)" if len(rejects) > MAX_LISTED_REJECTS else ""
        raise MappingError(f"{len(rejects)} line(s) of {name} cannot be converted to "
                           f"{shim.config.convert_uploads} format, so nothing was uploaded: {listed}{more}",
                           param="file")
    upload.data = converted
    new_type, body = build_multipart(parts)
    headers = shim.upstream_headers(req, new_type)
    examples = converted.count(b"\n")
    note = f"{name} converted to {shim.config.convert_uploads} format ({examples} examples)"
    return Forward(Upstream("POST", path, req.query, headers, body), {}, warning_header([note]))
