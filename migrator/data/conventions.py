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
    it, ``data convert`` strips the file's separator (and stop sequence) by it,
    and ``fix`` strips a literal separator from the prompt of a call it moves to
    chat completions with it, so the runtime input matches the converted data.
    """
    found = None
    for ending in endings:  # a loop: this runs twice per example converted
        if ending and text.endswith(ending) and (found is None or len(ending) > len(found)):
            found = ending
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
    """Tracks the endings and the common prefix of one column of texts.

    Most files end every text with the same separator (or stop sequence), so
    the common suffix of the texts so far says which candidates a new text
    ends with: those the suffix ends with (it ends with them too), none of the
    shorter others, and only the longer ones that end with the suffix need a
    look.  So a text that keeps the common suffix costs one ``endswith`` and a
    count (``pending``, added to those candidates when the suffix shrinks or a
    decision is asked for); any other text is checked against every candidate.
    """

    __slots__ = ("candidates", "by_length", "suffix", "prefix", "count", "first_line", "min_len", "counted",
                 "first_without", "unbroken", "implied", "check", "pending")

    def __init__(self, candidates: tuple[str, ...]):
        self.candidates = candidates
        self.by_length = _by_length(enumerate(candidates))
        self.suffix: str | None = None
        self.prefix: str | None = None
        self.count = 0
        self.first_line: int | None = None
        self.min_len = 0
        self.counted = [0] * len(candidates)  # see ``ends``
        self.first_without: list[int | None] = [None] * len(candidates)
        self.unbroken = list(range(len(candidates)))  # those every text so far ends with
        self.implied: list[int] = []  # the candidates the common suffix ends with
        self.check = self.by_length  # those longer than it that end with it
        self.pending = 0  # texts with the common suffix not yet in ``counted[implied]``

    @property
    def ends(self) -> list[int]:
        """How many texts end with each candidate."""
        self._settle()
        return self.counted

    def add(self, line: int, text: str) -> None:
        suffix = self.suffix
        if suffix is not None and text.endswith(suffix):
            if not text.startswith(self.prefix):
                self.prefix = os.path.commonprefix([self.prefix, text])
            if len(text) < self.min_len:
                self.min_len = len(text)
            self.count += 1
            self.pending += 1
            if self.check:
                for i in _hits(text, self.check):
                    self.counted[i] += 1
            return
        self._settle()
        if suffix is None:
            self.suffix = self.prefix = text
            self.first_line = line
            self.min_len = len(text)
        else:
            self.suffix = _common_suffix(suffix, text)
            if not text.startswith(self.prefix):
                self.prefix = os.path.commonprefix([self.prefix, text])
            if len(text) < self.min_len:
                self.min_len = len(text)
        self.count += 1
        hit = _hits(text, self.by_length)
        for i in hit:
            self.counted[i] += 1
        kept = [i for i in self.unbroken if i in hit]
        if len(kept) < len(self.unbroken):
            for i in self.unbroken:
                if i not in kept:
                    self.first_without[i] = line
            self.unbroken = kept
        self._relate()

    def _relate(self) -> None:
        """Which candidates the common suffix implies, and which need a look per text."""
        suffix = self.suffix
        self.implied = [i for i, candidate in enumerate(self.candidates) if suffix.endswith(candidate)]
        self.check = _by_length((i, candidate) for i, candidate in enumerate(self.candidates)
                                if len(candidate) > len(suffix) and candidate.endswith(suffix))

    def _settle(self) -> None:
        if self.pending:
            for i in self.implied:
                self.counted[i] += self.pending
            self.pending = 0

    def merge(self, other: "Ending", offset: int = 0) -> None:
        """Add the texts ``other`` followed, which come after these (its lines numbered from ``offset`` + 1).

        The common suffix and prefix of all texts are those of the two parts',
        and a first line is the first part's if it has one: the result is what
        one pass over all the texts would give.
        """
        if not other.count:
            return
        self._settle()
        other._settle()
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
        self.counted = [a + b for a, b in zip(self.counted, other.counted)]
        for i in self.unbroken:
            if other.first_without[i] is not None:
                self.first_without[i] = other.first_without[i] + offset
        self.unbroken = [i for i in self.unbroken if self.first_without[i] is None]
        self._relate()

    def decide(self) -> Decision:
        self._settle()
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


def _by_length(candidates) -> list[tuple[int, dict[str, tuple[int, ...]]]]:
    """``(index, candidate)`` pairs as ``[(length, {candidate: indexes})]``: a text ends with a
    candidate of length n if its last n characters are that candidate, one look-up per length."""
    by_length: dict[int, dict[str, tuple[int, ...]]] = {}
    for i, candidate in candidates:
        table = by_length.setdefault(len(candidate), {})
        table[candidate] = table.get(candidate, ()) + (i,)
    return sorted(by_length.items())


def _hits(text: str, by_length: list) -> list[int]:
    """The indexes of the candidates in ``by_length`` that ``text`` ends with."""
    size = len(text)
    hit: list[int] = []
    for length, table in by_length:
        found = table.get(text[size - length:] if length <= size else None)
        if found is not None:
            hit += found
    return hit


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
