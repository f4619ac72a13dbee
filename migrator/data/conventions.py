"""The legacy prompt/completion conventions, detected in one streaming pass.

A legacy file is only usable when every prompt ends with the same separator and
every completion ends with the same stop sequence (OpenAI's 2023 data guide).  :class:`Ending`
follows one column (prompts or completions) in constant memory: the running
common suffix and prefix, and for each of the catalog's candidate endings how
many texts end with it and the first line that does not.  :meth:`Ending.decide`
then picks the ending:

1. the common suffix of all texts, narrowed to the longest catalog candidate it
   ends with (the legacy tool used the whole common suffix, which would also
   strip an accidental shared last word), or the whole common suffix if no
   candidate fits, unless it is an entire text;
2. otherwise the candidate that ends at least half of the texts; the others are
   reported as missing it;
3. otherwise none, and the caller suggests the first candidate no text contains,
   as the legacy tool did (:func:`first_unused`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable


def split_ending(text: str, endings: Iterable[str]) -> tuple[str, str | None]:
    """``(text without the longest of endings it ends with, that ending)``, else ``(text, None)``.

    The one rule for which convention a text carries, so that every part agrees:
    ``data check`` narrows the prompts' common suffix to a catalog separator with
    it, ``data convert`` strips the file's separator (and stop sequence) with it,
    and ``fix`` strips a literal separator from the prompt of a call it moves to
    chat completions with it, so the runtime input matches the converted data.
    """
    found = max((e for e in endings if e and text.endswith(e)), key=len, default=None)
    return (text[: len(text) - len(found)], found) if found is not None else (text, None)


def _common_suffix(a: str, b: str) -> str:
    n = len(os.path.commonprefix([a[::-1], b[::-1]]))
    return a[len(a) - n:] if n else ""


@dataclass(frozen=True)
class Decision:
    ending: str | None  # the separator / stop sequence, None when there is none
    missing: int  # texts that do not end with it
    first_missing: int | None  # line of the first such text


class Ending:
    """Tracks the endings and the common prefix of one column of texts."""

    __slots__ = ("candidates", "suffix", "prefix", "count", "first_line", "min_len", "ends", "first_without",
                 "by_last", "unbroken")

    def __init__(self, candidates: tuple[str, ...]):
        self.candidates = candidates
        self.suffix: str | None = None
        self.prefix: str | None = None
        self.count = 0
        self.first_line: int | None = None
        self.min_len = 0
        self.ends = [0] * len(candidates)
        self.first_without: list[int | None] = [None] * len(candidates)
        # Per text only the candidates ending in its last character can match,
        # and only those every text so far ended with can set first_without:
        # this keeps the per-line cost to a couple of endswith calls.
        self.by_last: dict[str, list[tuple[int, str]]] = {}
        for i, candidate in enumerate(candidates):
            self.by_last.setdefault(candidate[-1:], []).append((i, candidate))
        self.unbroken = list(range(len(candidates)))

    def add(self, line: int, text: str) -> None:
        if self.suffix is None:
            self.suffix = self.prefix = text
            self.first_line = line
            self.min_len = len(text)
        else:
            if not text.endswith(self.suffix):
                self.suffix = _common_suffix(self.suffix, text)
            if not text.startswith(self.prefix):
                self.prefix = os.path.commonprefix([self.prefix, text])
            if len(text) < self.min_len:
                self.min_len = len(text)
        self.count += 1
        for last in (text[-1:], "") if text else ("",):
            for i, candidate in self.by_last.get(last, ()):
                if text.endswith(candidate):
                    self.ends[i] += 1
        if self.unbroken:
            candidates = self.candidates
            kept = [i for i in self.unbroken if text.endswith(candidates[i])]
            if len(kept) < len(self.unbroken):
                for i in self.unbroken:
                    if i not in kept:
                        self.first_without[i] = line
                self.unbroken = kept

    def merge(self, other: "Ending", offset: int = 0) -> None:
        """Add the texts ``other`` followed, which come after these (its lines numbered from ``offset`` + 1).

        The common suffix and prefix of all texts are those of the two parts',
        and a first line is the first part's if it has one: the result is what
        one pass over all the texts would give.
        """
        if not other.count:
            return
        if not self.count:
            self.suffix, self.prefix, self.min_len = other.suffix, other.prefix, other.min_len
            self.first_line = other.first_line + offset
        else:
            if not other.suffix.endswith(self.suffix):
                self.suffix = _common_suffix(self.suffix, other.suffix)
            if not other.prefix.startswith(self.prefix):
                self.prefix = os.path.commonprefix([self.prefix, other.prefix])
            self.min_len = min(self.min_len, other.min_len)
        self.count += other.count
        self.ends = [a + b for a, b in zip(self.ends, other.ends)]
        for i in self.unbroken:
            if other.first_without[i] is not None:
                self.first_without[i] = other.first_without[i] + offset
        self.unbroken = [i for i in self.unbroken if self.first_without[i] is None]

    def decide(self) -> Decision:
        if not self.count:
            return Decision(None, 0, None)
        suffix = self.suffix or ""
        if suffix:
            ending = split_ending(suffix, self.candidates)[1]
            if ending is not None:
                return Decision(ending, 0, None)
            if len(suffix) < self.min_len:
                return Decision(suffix, 0, None)
        best = max(range(len(self.candidates)), key=lambda i: (self.ends[i], -i))
        if self.ends[best] and self.ends[best] * 2 >= self.count:
            return Decision(self.candidates[best], self.count - self.ends[best], self.first_without[best])
        return Decision(None, self.count, self.first_line)


def first_unused(candidates: tuple[str, ...], used: set[str]) -> str:
    """The legacy tool's suggestion: the first candidate in ``used``'s complement, else the last."""
    for candidate in candidates:
        if candidate not in used:
            return candidate
    return candidates[-1]


def used_candidates(candidates: tuple[str, ...], texts, newline_blocks_arrow: bool) -> set[str]:
    """Which candidates occur in any of ``texts``; ``" ->"`` counts as used once a text has a newline.

    The legacy tool skips the ``" ->"`` separator for multi-line prompts, where
    it would be easy to miss.
    """
    used: set[str] = set()
    remaining = list(candidates)
    for text in texts:
        for candidate in remaining:
            if candidate in text or (newline_blocks_arrow and candidate == " ->" and "\n" in text):
                used.add(candidate)
        if len(used) == len(candidates):
            break
        remaining = [c for c in remaining if c not in used]
    return used
