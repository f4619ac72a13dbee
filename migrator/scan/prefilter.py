"""A cheap byte-level test that decides whether a file needs a real scan.

Like pyupgrade's and django-upgrade's prefilters: most files of a large tree
mention nothing from the catalog, and one regex search over their bytes is far
cheaper than a LibCST parse.  The patterns are built from the catalog, so a user
catalog that adds a model also widens the prefilter.  :func:`pattern_for_rg`
exposes the same pattern to the benchmark, which times ripgrep with it.
"""

from __future__ import annotations

import functools
import re

from migrator.catalog import Catalog

API_WORDS = ("FineTune", "fine_tunes", "fine-tunes", ":ft-")
QUOTE = "[\x22'`]"  # a quote character, spelled so Python's re and ripgrep both accept it


def _escape(text: str) -> str:
    """Escape regex metacharacters only: ``re.escape`` also escapes ``-``, which ripgrep rejects."""
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", text)


def _model_alternation(catalog: Catalog) -> str:
    ids = sorted(catalog.legacy_models, key=len, reverse=True)
    return "|".join(_escape(i) for i in ids)


def _endpoint_alternation(catalog: Catalog) -> str:
    roots = {ep.legacy.split("{", 1)[0].rstrip("/") for ep in catalog.endpoints}
    return "|".join(_escape(r) for r in sorted(roots, key=len, reverse=True))


@functools.lru_cache(maxsize=8)
def patterns(catalog: Catalog) -> dict[str, re.Pattern[bytes]]:
    api = "|".join(_escape(w) for w in API_WORDS)
    endpoints = _endpoint_alternation(catalog)
    models = _model_alternation(catalog)
    # In code, a model id that matters is a string literal: quoted.
    code = f"{api}|{endpoints}|{QUOTE}(?:{models}){QUOTE}"
    # In text and config files it may stand bare (YAML `model: curie`, `-m curie`).
    text = rf"{api}|{endpoints}|(?<![\w.-])(?:{models})(?![\w.-])"
    return {
        "code": re.compile(code.encode()),
        "text": re.compile(text.encode()),
        "deps": re.compile(rb"(?i)openai"),
    }


# Which pattern each scanner kind needs; a kind with several needs any of them.
NEEDS: dict[str, tuple[str, ...]] = {
    "python": ("code",),
    "javascript": ("code",),
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
    pats = patterns(catalog)
    return any(pats[p].search(data) for p in NEEDS.get(kind, ("text",)))


def pattern_for_rg(catalog: Catalog) -> str:
    """The code prefilter as a ripgrep (Rust regex) pattern, for the benchmark."""
    return patterns(catalog)["code"].pattern.decode()
