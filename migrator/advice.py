"""The sentences that turn a :class:`~migrator.lifecycle.Resolution` into advice.

Why one module: a scan finding, a ``fix`` TODO, a shim error and the report must
tell a user the same thing about the same model on the same date, in words a
manager understands: what to use, until when, how sure that date is, and what
else must change (the API or the training data) when the answer is a chat model.
"""

from __future__ import annotations

from dataclasses import dataclass

from migrator.catalog import Catalog
from migrator.lifecycle import Resolution, resolve, status


@dataclass(frozen=True)
class Advice:
    """What to do about one model: ``write`` is the model ``fix`` may put in its place
    (None when a name swap alone would break the program), ``text`` says why."""

    resolution: Resolution
    write: str | None
    text: str  # what to do, with the fine-tuning restriction in force (if any) at the end
    summary: str = ""  # the text without the catalog's options, for a report that lists them apart
    caveat: str = ""  # the restriction alone (``"; note: ..."``), for callers that add to ``text``

    def extended(self, more: str) -> str:
        """``text`` with ``more`` said before the caveat."""
        return self.text.removesuffix(self.caveat) + more + self.caveat

    @property
    def target(self) -> str | None:
        return self.resolution.target


def for_model(catalog: Catalog, name: str, purpose: str = "inference") -> Advice:
    """Advice for a model used at inference (completions, embeddings...) or for a fine-tune."""
    res = resolve(catalog, name, purpose)
    fine_tuning = purpose.startswith("fine-tuning")
    if res.target is None:
        return Advice(res, None, _dead_end(res), _dead_end(res, options=False))
    if res.same_model:
        return Advice(res, None, f"no replacement is needed on {catalog.as_of.isoformat()}")
    until = f" ({res.until_text()})" if res.valid_until is not None else ""
    if res.format_change is None or res.format_change[0] == "edit":  # edit models say how in their note
        if fine_tuning and catalog.base_of(name):
            return Advice(res, res.target, f"re-train it on {res.target}{until}{_caveat(res)}", caveat=_caveat(res))
        return Advice(res, res.target, f"use {res.target!r}{until}{_caveat(res)}", caveat=_caveat(res))
    src, dst = res.format_change
    if fine_tuning:
        # The model can be named; the training file must change with it.
        verb = "re-train it on" if catalog.base_of(name) else "fine-tune"
        return Advice(res, res.target,
                      f"{verb} {res.target}{until}, which trains on {dst}-format data: convert the "
                      f"training file with `ft-migrate data convert --to {dst}`{_caveat(res)}", caveat=_caveat(res))
    return Advice(res, None, f"no {src}-format model is left: move the call to {_api(dst)} with "
                             f"{res.target!r}{until}")


def moved(catalog: Catalog, res: Resolution) -> str:
    """What ``fix`` says where it moved a call to the API of its target's format (a
    completions call to chat): the model, why, the new API and until when it holds."""
    shutdown, dead = status(catalog, res.model)
    when = "was shut down" if dead or shutdown is None else f"will be shut down on {shutdown.date.isoformat()}"
    until = f" ({res.until_text()})" if res.valid_until is not None else ""
    src, dst = res.format_change or ("", "")
    why = ", and --target chose" if res.explicit else f" and no {src}-format model is left: the call now uses"
    return f"{res.model!r} {when}{why} {_api(dst)} with {res.target!r}{until}"


def _api(fmt: str) -> str:
    return {"chat": "chat completions (messages=[...])", "completion": "completions (prompt=...)",
            "embedding": "embeddings"}.get(fmt, fmt)


def _caveat(res: Resolution) -> str:
    """The latest fine-tuning restriction in force, if any."""
    if not res.caveats:
        return ""
    latest = res.caveats[-1]
    return f"; note: since {latest.date.isoformat()} {latest.label}"


def _dead_end(res: Resolution, options: bool = True) -> str:
    text = res.reason
    if res.alternatives:
        text += f"; the catalog lists {', '.join(repr(a) for a in res.alternatives)}"
    if res.advice and options:
        text += "; options: " + "; or ".join(res.advice)
    return text


# The SDK calls that take an embeddings model, and the format of such a model.
EMBEDDINGS_CALLS = frozenset({"openai.Embedding.create", "openai.Embedding.acreate"})
EMBEDDING = "embedding"


def not_embeddings(catalog: Catalog, name: str) -> str | None:
    """What to say where an embeddings call names ``name``, a model of another kind (``ada``,
    a completion model): its own replacement would not answer there either; None when
    ``name`` is an embeddings model (or one the catalog does not know)."""
    model = catalog.model(name)
    if model is None or model.format == EMBEDDING:
        return None
    alive = sorted(m.id for m in catalog.models.values()
                   if m.format == EMBEDDING and not m.legacy and m.alive_on(catalog.as_of))
    choice = f" ({', '.join(alive)})" if alive else ""
    return (f"{name!r} is not an embeddings model, so what replaces it would not answer an embeddings call "
            f"either: pass an embeddings model{choice}")
