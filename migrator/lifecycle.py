"""Which model replaces which, on a given date: the one resolver every part uses.

Why: a replacement is not a fixed fact.  In December 2023 ``curie`` went to
``davinci-002``; that model was itself shut down on 2026-09-28, and after
2027-01-06 no OpenAI model takes new fine-tuning jobs at all.  So "the
replacement" is a walk along the catalog's ``replacement`` chain to the first
model that is alive on the catalog's date (``Catalog.as_of``) and fit for the
purpose, and the answer carries what a user needs to trust it: the chain walked,
until when it holds, whether the data or API format changes on the way
(completion → chat), and the confidence of the weakest date it rests on.

A model the catalog knows will retire is always moved off (that is what callers
ask for); a model with no known shutdown resolves to itself.  Dates not yet
announced on the as-of day are not held against a target, so ``--as-of
2023-12-01`` gives exactly the 2023 answers.  Nothing here raises for a model or
a date: when nothing fits, the result says why and lists what the catalog offers
instead.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from migrator.catalog import CONFIDENCE, Catalog, DateEntry, Model

PURPOSES = ("inference", "embeddings", "fine-tuning", "fine-tuning:completion", "fine-tuning:chat")
TEXT_FORMATS = ("completion", "chat", "edit")


@dataclass(frozen=True)
class Resolution:
    """The answer to "what replaces ``model`` on ``as_of`` for ``purpose``"."""

    model: str
    purpose: str
    as_of: dt.date
    target: str | None
    chain: tuple[str, ...]  # the models walked, ``model`` first, ``target`` last when found
    valid_until: DateEntry | None  # the first known date the answer stops holding
    format_change: tuple[str, str] | None  # (from, to), e.g. ("completion", "chat")
    confidence: str  # the weakest confidence of the dates the answer rests on
    reason: str  # why the target (or why none)
    alternatives: tuple[str, ...] = ()  # other models the catalog offers
    advice: tuple[str, ...] = ()  # what to do when no OpenAI model fits (catalog text)
    caveats: tuple[DateEntry, ...] = ()  # fine-tuning restrictions in force on as_of
    explicit: bool = False  # the user's --target

    @property
    def unconfirmed(self) -> bool:
        return self.confidence != "official"

    @property
    def same_model(self) -> bool:
        return self.target == self.model

    def until_text(self) -> str:
        """``valid until 2026-09-28`` (+ unconfirmed), or '' when no end date is announced."""
        if self.valid_until is None:
            return ""
        text = f"valid until {self.valid_until.date.isoformat()}"
        if self.valid_until.confidence != "official":
            text += f", a {self.valid_until.confidence} date, unconfirmed"
        return text


def resolve(catalog: Catalog, model: str, purpose: str = "inference") -> Resolution:
    """What replaces ``model`` on ``catalog.as_of`` for ``purpose`` (one of :data:`PURPOSES`)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}; known: {', '.join(PURPOSES)}")
    return _resolve(catalog, model, purpose)


@functools.lru_cache(maxsize=4096)
def _resolve(catalog: Catalog, model: str, purpose: str) -> Resolution:
    return _Walk(catalog, purpose).run(model)


def lifecycle_state(catalog: Catalog) -> str:
    """What resolutions depend on besides the catalog's contents: which dates have passed
    and which are known on the as-of day, and the explicit target.  Two days with the
    same state give the same answers, so caches key on this rather than on the day."""
    bits = "".join(f"{int(d.date <= catalog.as_of)}{int(d.known_on(catalog.as_of))}"
                   for d in sorted(_all_dates(catalog), key=lambda d: (d.date, d.key)))
    return f"{bits}|{catalog.target or ''}"


def _all_dates(catalog: Catalog) -> set[DateEntry]:
    out = set(catalog.dates.values())
    for m in catalog.models.values():
        out.update(d for d in (m.shutdown, m.fine_tuning_until) if d is not None)
    return out


def status(catalog: Catalog, model: str) -> tuple[DateEntry | None, bool]:
    """``(shutdown date, already shut down)`` of a model or fine-tuned name on ``catalog.as_of``;
    a fine-tuned model dies with its base.  ``(None, False)`` when no date is known."""
    entry = catalog.models.get(model)
    if entry is None:
        base = catalog.base_of(model)
        entry = catalog.models.get(base) if base else None
    if entry is None or entry.shutdown is None:
        return None, False
    return entry.shutdown, entry.shutdown.date <= catalog.as_of


def target_warnings(catalog: Catalog, model: str, purpose: str = "inference") -> list[str]:
    """What is wrong with a model the user chose (``--target``, ``--model-map``) on ``as_of``:
    already shut down, or retiring within the catalog's warning window; fine-tuning closed."""
    day = catalog.as_of
    out = []
    shutdown, dead = status(catalog, model)
    if dead:
        out.append(f"{model} was shut down on {shutdown.date.isoformat()}{_doubt(shutdown)}")
    elif shutdown is not None and shutdown.known_on(day):
        days = (shutdown.date - day).days
        if days <= catalog.lifecycle["warn_days"]:
            out.append(f"{model} will be shut down on {shutdown.date.isoformat()} (in {days} days)"
                       f"{_doubt(shutdown)}")
    if purpose.startswith("fine-tuning"):
        end = _fine_tuning_end(catalog, catalog.models.get(model))
        if end is not None and end.known_on(day):
            days = (end.date - day).days
            if days <= 0:
                out.append(f"new fine-tuning jobs on {model} stopped on {end.date.isoformat()}{_doubt(end)}")
            elif days <= catalog.lifecycle["warn_days"]:
                out.append(f"new fine-tuning jobs on {model} stop on {end.date.isoformat()} (in {days} days)"
                           f"{_doubt(end)}")
    return out


def _doubt(entry: DateEntry) -> str:
    return "" if entry.confidence == "official" else f" ({entry.confidence} date, unconfirmed)"


def _fine_tuning_end(catalog: Catalog, model: Model | None) -> DateEntry | None:
    """The first date no new job can be created on ``model``: its own fine-tuning end, its
    shutdown, or the end of fine-tuning for everyone, whichever comes first."""
    dates = [d for d in catalog.fine_tuning_events() if d.effect == "fine-tuning-ends"]
    if model is not None:
        dates += [d for d in (model.fine_tuning_until, model.shutdown) if d is not None]
    return min(dates, key=lambda d: d.date, default=None)


# Stands for "not released yet on the as-of date": rules a model out, says nothing doubtful.
_NOT_YET = DateEntry("not-yet-available", dt.date.max, "not released yet", "DERIVED")


def fine_tunable_models(catalog: Catalog, fmt: str | None = None) -> list[Model]:
    """The models a new fine-tuning job can be created on at ``catalog.as_of`` (of data
    format ``fmt``, if given), in catalog order: the candidates data and report price."""
    walk = _Walk(catalog, "fine-tuning")
    return [m for m in catalog.models.values()
            if m.fine_tunable and not m.legacy and m.format in ("completion", "chat")
            and (fmt is None or m.format == fmt) and walk.blocker(m) is None]


def training_snapshot(catalog: Catalog, name: str) -> Model | None:
    """The model a fine-tuning job on ``name`` trains on ``catalog.as_of``: the dated snapshot
    the alias points to that day (``gpt-3.5-turbo`` was ``gpt-3.5-turbo-0613`` in 2023,
    ``gpt-3.5-turbo-0125`` later), else the model itself; None for a model the catalog lacks.

    Its per-example token limit and chat format are what a training file is checked against.
    """
    model = catalog.models.get(name)
    if model is None:
        return None
    chosen = model
    for since, snapshot in model.snapshots:
        if since is None or since.date <= catalog.as_of:
            chosen = catalog.models[snapshot]
    return chosen


def _weakest(entries) -> str:
    ranks = [CONFIDENCE.index(e.confidence) for e in entries if e is not None and e is not _NOT_YET]
    return CONFIDENCE[max(ranks, default=0)]


class _Walk:
    """One resolution: the start model, then its replacement chain, on the catalog's date,
    remembering every date the answer rests on (for its confidence)."""

    def __init__(self, catalog: Catalog, purpose: str):
        self.catalog = catalog
        self.purpose = purpose
        self.day = catalog.as_of
        self.used: list[DateEntry] = []  # the dates the answer rests on

    # -- what a model is fit for ------------------------------------------
    def fits(self, source: Model, model: Model) -> bool:
        """Fit for the purpose (alive or not): the kind of work, not the date."""
        if self.purpose.startswith("fine-tuning") and not model.fine_tunable:
            return False
        if self.purpose == "embeddings" or source.format == "embedding":
            return model.format == "embedding"
        if model.format not in TEXT_FORMATS:
            return False
        if self.purpose.startswith("fine-tuning"):
            wanted = self.purpose.partition(":")[2]
            return not wanted or model.format == wanted
        return model.format != "edit" or source.format == "edit"

    def blocker(self, model: Model) -> DateEntry | None:
        """The passed date that rules ``model`` out on the as-of day, or None when usable."""
        if model.available is not None and model.available > self.day:
            return _NOT_YET
        if model.shutdown is not None and model.shutdown.date <= self.day:
            return model.shutdown
        if self.purpose.startswith("fine-tuning"):
            end = _fine_tuning_end(self.catalog, model)
            if end is not None and end.date <= self.day:
                return end
        return None

    def valid_until(self, model: Model) -> DateEntry | None:
        candidates = [model.shutdown] if model.shutdown is not None else []
        if self.purpose.startswith("fine-tuning"):
            end = _fine_tuning_end(self.catalog, model)
            if end is not None:
                candidates.append(end)
        known = [d for d in candidates if d.known_on(self.day)]
        return min(known, key=lambda d: d.date, default=None)

    def caveats(self) -> tuple[DateEntry, ...]:
        if not self.purpose.startswith("fine-tuning"):
            return ()
        return tuple(d for d in self.catalog.fine_tuning_events()
                     if d.effect == "fine-tuning-limited" and d.date <= self.day)

    # -- the walk ------------------------------------------------------------
    def run(self, name: str) -> Resolution:
        cat = self.catalog
        start = cat.models.get(name)
        if start is None:
            base = cat.base_of(name)
            if base is None or base not in cat.models:
                return self.none(name, (name,), f"{name!r} is not a model the catalog knows")
            # A fine-tuned model cannot be swapped: it is re-trained on what replaces its base.
            start = cat.models[base]
        chain = [name] if start.id == name else [name, start.id]
        if start.available is not None and start.available > self.day:
            return self.none(name, tuple(chain), f"{start.id!r} is not released on {self.day.isoformat()}")
        if not self.retiring(start) and self.fits(start, start):
            return self.found(name, start, start, tuple(chain), "no shutdown is known for it")
        if start.shutdown is not None and start.shutdown.known_on(self.day):
            self.used.append(start.shutdown)
        explicit = self.explicit(name, start)
        if explicit is not None:
            return explicit
        alternatives: list[str] = list(start.alternatives)
        node = start
        while node.replacement:
            if node.replacement in chain:
                return self.none(name, tuple(chain), f"the catalog's replacements loop back to {node.replacement!r}",
                                 alternatives)
            chain.append(node.replacement)
            node = cat.models[node.replacement]
            alternatives.extend(a for a in node.alternatives if a not in alternatives)
            if not self.fits(start, node):
                continue
            blocker = self.blocker(node)
            if blocker is None:
                return self.found(name, start, node, tuple(chain), "the first model in the catalog's "
                                  "replacement chain that is usable on this date")
            self.used.append(blocker)
        return self.none(name, tuple(chain), self.why_none(start, node), alternatives)

    def retiring(self, model: Model) -> bool:
        """A model with a known end is moved off; for fine-tuning, also one that no longer trains."""
        if model.shutdown is not None and model.shutdown.known_on(self.day):
            return True
        return self.purpose.startswith("fine-tuning") and self.blocker(model) is not None

    def explicit(self, name: str, start: Model) -> Resolution | None:
        """The user's ``--target``, where it fits the purpose (an embedding model never
        replaces a text model, nor the reverse); a model the catalog does not know
        (a fine-tune served elsewhere) is taken on the user's word for text models."""
        chosen = self.catalog.target
        if not chosen or chosen == name:
            return None
        cat = self.catalog
        entry = cat.models.get(chosen) or cat.models.get(cat.base_of(chosen) or "")
        if entry is None:
            if start.format == "embedding" or self.purpose == "embeddings":
                return None
            return Resolution(name, self.purpose, self.day, chosen, (name, chosen), None, None,
                              _weakest(self.used), "chosen with --target", explicit=True)
        if not self.fits(start, entry):
            return None
        until = self.valid_until(entry)
        return Resolution(name, self.purpose, self.day, chosen, (name, chosen), until, _change(start, entry),
                          _weakest([*self.used, until]), "chosen with --target", caveats=self.caveats(),
                          explicit=True)

    def found(self, name: str, start: Model, target: Model, chain: tuple[str, ...], reason: str) -> Resolution:
        until = self.valid_until(target)
        return Resolution(name, self.purpose, self.day, target.id, chain, until, _change(start, target),
                          _weakest([*self.used, until]), reason, caveats=self.caveats())

    def none(self, name: str, chain: tuple[str, ...], reason: str, alternatives=()) -> Resolution:
        usable = tuple(a for a in alternatives
                       if a in self.catalog.models and self.blocker(self.catalog.models[a]) is None)
        advice = self.catalog.lifecycle["after_fine_tuning"] if self.purpose.startswith("fine-tuning") else ()
        return Resolution(name, self.purpose, self.day, None, chain, None, None, _weakest(self.used), reason,
                          alternatives=usable, advice=tuple(advice), caveats=self.caveats())

    def why_none(self, start: Model, last: Model) -> str:
        if self.purpose.startswith("fine-tuning"):
            end = _fine_tuning_end(self.catalog, None)
            if end is not None and end.date <= self.day:
                self.used.append(end)
                return f"OpenAI takes no new fine-tuning jobs since {end.date.isoformat()}"
            wanted = self.purpose.partition(":")[2]
            if wanted:
                return f"no {wanted}-format model can be fine-tuned on {self.day.isoformat()}"
        return (f"no model after {last.id!r} is named in the catalog; choose one with --target "
                f"or check the live dates with `ft-migrate models sync`")


def _change(source: Model, target: Model) -> tuple[str, str] | None:
    if source.format and target.format and source.format != target.format:
        return source.format, target.format
    return None
