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
from migrator.findings import COMPLETION
from migrator.lang.text import occurrences, word_offsets
from migrator.todo_markers import TODO_PREFIX

API_WORDS = ("FineTune", "fine_tunes", "fine-tunes", ":ft-")
# fix's marker: what it could only mark is still to do, in code already on the new API
MARKER = TODO_PREFIX.removeprefix("# ").rstrip()
QUOTE = "[\x22'`]"  # a quote character, spelled so Python's re and ripgrep both accept it


# Substrings several words share: one search for the shared part first.
GUARDS = (b"une", b"/v1/", b"ompletion")
_WORD_BYTE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


class Matcher(NamedTuple):
    """A pattern as plain words (any of them matches) plus a regex for the rest.

    ``fast`` is ``rest`` split into regexes that each start with a literal, where it
    can be (CPython's ``re`` scans for a literal start quickly and tries a pattern
    that starts with ``\\b`` or an alternation at every byte); with ``word_start``
    their matches must start a word, as ``rest``'s ``\\b`` says."""

    words: tuple[bytes, ...]
    rest: re.Pattern[bytes]
    fast: tuple[re.Pattern[bytes], ...] = ()
    word_start: bool = False

    def search(self, data: bytes) -> bool:
        for guard, words in _guarded(self.words):
            if (guard is None or guard in data) and any(w in data for w in words):
                return True
        for rx in self.fast or (self.rest,):
            for m in rx.finditer(data):
                if not self.word_start or m.start() == 0 or data[m.start() - 1] not in _WORD_BYTE:
                    return True
        return False


@functools.lru_cache(maxsize=32)
def _guarded(words: tuple[bytes, ...]) -> tuple[tuple[bytes | None, tuple[bytes, ...]], ...]:
    """``words`` grouped under the first of :data:`GUARDS` each contains (None: no guard)."""
    groups: dict[bytes | None, list[bytes]] = {}
    for w in words:
        groups.setdefault(next((g for g in GUARDS if g in w), None), []).append(w)
    return tuple((g, tuple(ws)) for g, ws in groups.items())


def _trie(words: list[str]) -> str:
    """An alternation of ``words`` shaped as a prefix tree: each branch is tried only
    past the characters it shares with the others."""
    tree: dict = {}
    for w in words:
        node = tree
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        alts = [_escape(ch) + emit(sub) if ch else "" for ch, sub in sorted(node.items(), key=lambda kv: kv[0] == "")]
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    return emit(tree)


def _escape(text: str) -> str:
    """Escape regex metacharacters only: ``re.escape`` also escapes ``-``, which ripgrep rejects."""
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", text)


def _words(catalog: Catalog) -> tuple[str, ...]:
    roots = {ep.legacy.split("{", 1)[0].rstrip("/") for ep in catalog.endpoints}
    return API_WORDS + (MARKER,) + tuple(sorted(roots, key=len, reverse=True)) + _completions_calls(catalog)


def _completions_calls(catalog: Catalog) -> tuple[str, ...]:
    """Once no completion-format model is left, every completions call fails, whatever its model
    (``model=MODEL_ID``, ``createCompletion({model: req.body.model})``): their method names.
    ``.completions.create`` is also in ``client.chat.completions.create``, which the rules pass over."""
    if catalog.format_alive(COMPLETION):
        return ()
    comp = catalog.completions
    resource = comp.v0_legacy.rpartition(".")[2]
    return (*(f"{resource}.{m}" for m in comp.methods), *(f".{comp.v1_legacy}.{m}" for m in comp.methods),
            comp.js_legacy)


def _models(catalog: Catalog) -> str:
    """The legacy models, and every model shut down by the catalog's as-of date (a
    ``gpt-3.5-turbo-instruct`` call must move to chat after 2026-09-28)."""
    dead = {m.id for m in catalog.models.values() if m.shutdown is not None and m.shutdown.date <= catalog.as_of}
    return _trie(sorted({*catalog.legacy_models, *dead}))


_FLOW = rb"[ \t]*=[ \t]*[A-Za-z_][\w.]*[ \t]*[,)]"


@functools.lru_cache(maxsize=8)
def matchers(catalog: Catalog) -> dict[str, Matcher]:
    words = tuple(w.encode() for w in _words(catalog))
    models = _models(catalog)
    return {
        # In code, a model id that matters is a string literal: quoted.
        "code": Matcher(words, re.compile(f"{QUOTE}(?:{models}){QUOTE}".encode())),
        # In text and config files it may stand bare (YAML `model: curie`, `-m curie`), or be the
        # default of a placeholder (`${MODEL:-curie}`).
        "text": Matcher(words, re.compile(rf"(?:(?<![\w.-])|(?<=:-))(?:{models})(?![\w.-])".encode())),
        "deps": Matcher((), re.compile(rb"(?i)openai")),
        # A name passed as a model (model=DEFAULT): it may be imported from a module that
        # holds a legacy model (migrator.scan.links), so the file is read for that record.
        "flow": Matcher((), re.compile(rb"\b(?:model|engine)" + _FLOW), (re.compile(rb"model" + _FLOW),
                                                                      re.compile(rb"engine" + _FLOW)), True),
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
    # a script's `pip install openai==0.27.4` is a pin whether or not the script names anything
    # legacy (else it would be reported only until fix removed the script's other legacy words)
    "shell": ("text", "deps"),
    "makefile": ("text", "deps"),
    "dockerfile": ("text", "deps"),
    "powershell": ("text", "deps"),
    "batch": ("text", "deps"),
}


# Always read: notebook JSON escapes quotes (model=\"curie\" defeats the quoted-model
# pattern), and an invalid notebook must be reported even when it mentions nothing.
ALWAYS = frozenset({"notebook"})


def needs_scan(kind: str, data: bytes, catalog: Catalog) -> bool:
    if kind in ALWAYS:
        return True
    found = matchers(catalog)
    return any(found[p].search(data) for p in NEEDS.get(kind, ("text",)))


OPENAI = re.compile("(?i)openai")


class StatementMatcher:
    """What makes a Python statement worth reading, for scan and fix alike: a catalog word,
    a quoted legacy model, an OpenAI name, a response field, a quoted legacy status, or a
    ``model=``/``engine=`` argument (a constant holding a legacy model may flow into one).

    One regex alternation of all these tries every branch at every character; here
    each is searched on its own, as a plain substring where it is one (a C search),
    which reads a module about thirty times faster.  ``base_model =`` matches too: that
    only makes a statement worth reading that need not have been (a statement read for
    nothing costs fix a LibCST pass over it, so field names count as whole words only)."""

    def __init__(self, catalog: Catalog):
        words = [w.decode() for w in matchers(catalog)["code"].words]
        words += [f"{q}{status}{q}" for status in catalog.statuses.legacy_only for q in "\"'"]
        self.words = tuple(dict.fromkeys(words))
        self.fields = tuple(catalog.response_fields)  # whole words only: "events" is not "prevents"
        self.models = re.compile(matchers(catalog)["code"].rest.pattern.decode())
        # two patterns that each start with a literal, not one that starts with an alternation
        self.arguments = (re.compile(r"model\s*="), re.compile(r"engine\s*="))

    def search(self, text: str) -> bool:
        return next(self.offsets(text), None) is not None

    def offsets(self, text: str):
        """Where in ``text`` something worth reading is (some offset in each match, unordered)."""
        for word in self.words:
            yield from occurrences(text, word)
        yield from word_offsets(text, self.fields)
        if text.isascii():  # lower() keeps every offset
            yield from occurrences(text.lower(), "openai")
        else:
            yield from (m.start() for m in OPENAI.finditer(text))
        for rx in (self.models, *self.arguments):
            for m in rx.finditer(text):
                yield m.start()


@functools.lru_cache(maxsize=8)
def statement_matcher(catalog: Catalog) -> StatementMatcher:
    return StatementMatcher(catalog)


def pattern_for_rg(catalog: Catalog) -> str:
    """The code prefilter as a ripgrep (Rust regex) pattern, for the benchmark."""
    return patterns(catalog)["code"].pattern.decode()
