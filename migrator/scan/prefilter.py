"""A cheap byte-level test that decides whether a file needs a real scan.

Like pyupgrade's and django-upgrade's prefilters: most files of a large tree
mention nothing from the catalog, and one search over their bytes is far
cheaper than a LibCST parse.  The patterns are built from the catalog, so a user
catalog that adds a model also widens the prefilter.  :func:`pattern_for_rg`
exposes the same pattern to the benchmark, which times ripgrep with it.

Each pattern is an alternation of plain words (API names, endpoint roots) and
one regex for model ids.  Python's ``re`` tries every branch of an alternation
at every byte, so :func:`needs_scan` looks for the plain words with ``bytes``
``in`` (a C substring search) and runs only the model regex: the same answer
in about a third of the time (measured on the 1M-line benchmark tree).
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from migrator.catalog import Catalog

API_WORDS = ("FineTune", "fine_tunes", "fine-tunes", ":ft-")
QUOTE = "[\x22'`]"  # a quote character, spelled so Python's re and ripgrep both accept it


class Matcher(NamedTuple):
    """A pattern as plain words (any of them matches) plus a regex for the rest."""

    words: tuple[bytes, ...]
    rest: re.Pattern[bytes]

    def search(self, data: bytes) -> bool:
        return any(w in data for w in self.words) or self.rest.search(data) is not None


def _escape(text: str) -> str:
    """Escape regex metacharacters only: ``re.escape`` also escapes ``-``, which ripgrep rejects."""
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", text)


def _words(catalog: Catalog) -> tuple[str, ...]:
    roots = {ep.legacy.split("{", 1)[0].rstrip("/") for ep in catalog.endpoints}
    return API_WORDS + tuple(sorted(roots, key=len, reverse=True))


def _models(catalog: Catalog) -> str:
    """The legacy models, and every model shut down by the catalog's as-of date (a
    ``gpt-3.5-turbo-instruct`` call must move to chat after 2026-09-28)."""
    dead = {m.id for m in catalog.models.values() if m.shutdown is not None and m.shutdown.date <= catalog.as_of}
    return "|".join(_escape(i) for i in sorted({*catalog.legacy_models, *dead}, key=len, reverse=True))


@functools.lru_cache(maxsize=8)
def matchers(catalog: Catalog) -> dict[str, Matcher]:
    words = tuple(w.encode() for w in _words(catalog))
    models = _models(catalog)
    return {
        # In code, a model id that matters is a string literal: quoted.
        "code": Matcher(words, re.compile(f"{QUOTE}(?:{models}){QUOTE}".encode())),
        # In text and config files it may stand bare (YAML `model: curie`, `-m curie`).
        "text": Matcher(words, re.compile(rf"(?<![\w.-])(?:{models})(?![\w.-])".encode())),
        "deps": Matcher((), re.compile(rb"(?i)openai")),
        # A name passed as a model (model=DEFAULT): it may be imported from a module that
        # holds a legacy model (migrator.scan.links), so the file is read for that record.
        "flow": Matcher((), re.compile(rb"\b(?:model|engine)[ \t]*=[ \t]*[A-Za-z_][\w.]*[ \t]*[,)]")),
    }


@functools.lru_cache(maxsize=8)
def patterns(catalog: Catalog) -> dict[str, re.Pattern[bytes]]:
    """Each matcher as one regex (the words first), for ripgrep and for line-level use."""
    out = {}
    for name, matcher in matchers(catalog).items():
        words = "|".join(_escape(w.decode()) for w in matcher.words)
        rest = matcher.rest.pattern.decode()
        out[name] = re.compile(f"{words}|{rest}".encode() if words else matcher.rest.pattern, matcher.rest.flags)
    return out


# Which pattern each scanner kind needs; a kind with several needs any of them.
NEEDS: dict[str, tuple[str, ...]] = {
    "python": ("code", "flow"),
    "javascript": ("code",),
    "source-lines": ("code",),
    "setup-py": ("code", "deps"),
    "pyproject": ("text", "deps"),
    "setup-cfg": ("text", "deps"),
    "pipfile": ("deps",),
    "requirements": ("deps",),
}


# Always read: notebook JSON escapes quotes (model=\"curie\" defeats the quoted-model
# pattern), and an invalid notebook must be reported even when it mentions nothing.
ALWAYS = frozenset({"notebook"})


def needs_scan(kind: str, data: bytes, catalog: Catalog) -> bool:
    if kind in ALWAYS:
        return True
    found = matchers(catalog)
    return any(found[p].search(data) for p in NEEDS.get(kind, ("text",)))


def pattern_for_rg(catalog: Catalog) -> str:
    """The code prefilter as a ripgrep (Rust regex) pattern, for the benchmark."""
    return patterns(catalog)["code"].pattern.decode()
