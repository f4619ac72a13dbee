"""Offsets in source text: where lines start, where a word occurs, as the front ends count them.

Lines end at ``\\r\\n``, ``\\r`` or ``\\n``, as Python's tokenizer ends them
(``str.splitlines`` also ends them at ``\\f``, ``\\x1c`` or ``\\u2028``, which would
shift every line after one).  Substrings are found with ``str.find``, a C search,
rather than a regex that tries each alternative at every character.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

_BREAK = re.compile(r"\r\n?|\n")


def line_starts(text: str) -> list[int]:
    """The offset of each line's first character; ``bisect_right(starts, at)`` is the
    1-based line of offset ``at``."""
    return [0, *(m.end() for m in _BREAK.finditer(text))]


def occurrences(text: str, word: str) -> Iterator[int]:
    """Every offset where ``word`` starts in ``text``."""
    at = text.find(word)
    while at >= 0:
        yield at
        at = text.find(word, at + 1)


def word_offsets(text: str, words: Iterable[str]) -> Iterator[int]:
    """Where each of ``words`` stands as a whole word (``events`` is not in ``prevents``)."""
    for word in words:
        for at in occurrences(text, word):
            end = at + len(word)
            if not (at and _word_char(text[at - 1])) and not (end < len(text) and _word_char(text[end])):
                yield at


def _word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"
