"""The model a training file is priced and re-trained on when none is named, on the catalog's date.

Kept apart from the checker so that ``fix`` and ``report`` can name the model (and
``migrator.data.retrain`` the command) without loading the tokenizer.
"""

from __future__ import annotations

from migrator.catalog import Catalog, Model
from migrator.lifecycle import fine_tunable_models, resolve


def default_model(catalog: Catalog, fmt: str) -> Model | None:
    """The model a file is priced on without ``--model``, on the catalog's date (None when
    no model takes new fine-tuning jobs that day: see :func:`no_model_note`).

    What the lifecycle says replaces the legacy default model (``curie``) for
    fine-tuning on data of this format (``davinci-002`` for prompt/completion data
    in 2023); else the first model of that format that takes new jobs; else what
    replaces it with a format change (today a chat model: the file must be
    converted, and the summary says so).
    """
    legacy = catalog.request_fields["default_model"]
    for purpose in (f"fine-tuning:{fmt}", "fine-tuning"):
        res = resolve(catalog, legacy, purpose)
        if res.target is not None and res.target in catalog.models:
            return catalog.models[res.target]
        same = fine_tunable_models(catalog, fmt)
        if same:
            return same[0]
    return None


def no_model_reason(catalog: Catalog) -> str:
    """Why no model takes new fine-tuning jobs on the catalog's date, and the options left."""
    res = resolve(catalog, catalog.request_fields["default_model"], "fine-tuning")
    options = "; or ".join(res.advice)
    return (f"no model takes new fine-tuning jobs on {catalog.as_of.isoformat()} ({res.reason})"
            + (f"; options: {options}" if options else ""))


def no_model_note(catalog: Catalog) -> dict:
    """The warning of a summary priced on no model: why, and what is left to do."""
    return {"line": None, "code": "no_fine_tuning",
            "message": no_model_reason(catalog) + "; --model prices the file for one"}
