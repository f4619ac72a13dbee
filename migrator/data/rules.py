"""What a training file is checked and priced against: the target model's facts on a date.

Which chat lines are accepted, how long an example may be before it is truncated
and how tool definitions count all depend on the model *and* on the day: a job
on ``gpt-3.5-turbo`` trained ``gpt-3.5-turbo-0613`` in 2023 (4,096-token
examples, the August-2023 chat format) and ``gpt-3.5-turbo-0125`` later (16,385
tokens, tools and function calls).  So the facts are read from the catalog
entry of the snapshot :func:`migrator.lifecycle.training_snapshot` names for the
catalog's date, falling back to the alias's own entry and then to the catalog's
defaults (``[data] chat_format`` / ``tool_tokens_default``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Mapping

from migrator.catalog import Catalog, ChatFormat, Model
from migrator.lifecycle import training_snapshot


@dataclass(frozen=True)
class Rules:
    """The facts for one target model on the catalog's date (``model`` None: no model)."""

    model: str | None
    snapshot: str | None  # what a job on ``model`` trains that day
    chat: ChatFormat
    tool_tokens: Mapping[str, int]
    limit: int | None  # tokens per example; None when the catalog knows no limit


def rules_for(catalog: Catalog, model: Model | None) -> Rules:
    """The :class:`Rules` of ``model`` (a catalog model, or None) on ``catalog.as_of``."""
    return _rules(catalog, model.id if model is not None else None)


@functools.lru_cache(maxsize=256)
def _rules(catalog: Catalog, name: str | None) -> Rules:
    data = catalog.data
    model = catalog.models.get(name) if name is not None else None
    snap = training_snapshot(catalog, name) if name is not None else None
    entries = [m for m in (snap, model) if m is not None]

    def first(attr: str):
        return next((getattr(m, attr) for m in entries if getattr(m, attr) is not None), None)

    return Rules(name, snap.id if snap is not None else None,
                 data["chat_formats"][first("chat_format") or data["chat_format"]],
                 data["tool_tokens"][first("tool_tokens") or data["tool_tokens_default"]],
                 first("max_example_tokens"))
