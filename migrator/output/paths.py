"""File names that are not valid UTF-8, carried through every output without loss.

Python reads such a name as text with "surrogate escapes" (byte 0xE9 becomes
U+DCE9), which no UTF-8 writer accepts: left as they are, they crash the
output or, written with ``surrogateescape``, make a JSON document invalid UTF-8.
Each format has a lossless spelling for them instead: JSON writes the escape
as ``\\udce9`` (``os.fsencode(json.loads(...))`` gives back the name's bytes),
SARIF URIs percent-encode the name's bytes (``%E9``), diff headers quote the name
as git does (``"a/caf\\351.py"``), and text output shows ``\\xe9``.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote

_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(text: str) -> str:
    """A JSON document with every lone surrogate written as a ``\\uXXXX`` escape.

    Surrogates can only occur inside JSON strings, where the escape means the same
    code point, so the document stays equal to what was dumped.
    """
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def uri(path: str) -> str:
    """A relative URI reference for ``path`` (``/`` separators): its bytes, percent-encoded."""
    return quote(os.fsencode(path), safe="/")


def printable(path: str) -> str:
    """``path`` for a terminal or a text file: each byte that is not UTF-8 shown as ``\\xNN``."""
    return _SURROGATE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}" if 0xDC80 <= ord(m.group()) <= 0xDCFF
                          else f"\\u{ord(m.group()):04x}", path)


def git_path(path: str) -> str:
    """``path`` for a diff header: as is, or C-quoted with octal bytes, as git writes (and
    ``git apply`` reads) a name that is not plain UTF-8 text."""
    if not _SURROGATE.search(path) and not any(c in path for c in '"\\') and path.isprintable():
        return path
    out = []
    for byte in os.fsencode(path):
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'
