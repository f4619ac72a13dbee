"""``data check``: the JSON summary of a training file, epochs and training cost.

The summary is the contract shared by the CLI (``--format json``), the report
and the shim, so it is built in one place, here.  Prices, limits, formats and the
epoch rule all come from the catalog.
"""

from __future__ import annotations

import os

from migrator.catalog import Catalog, Model, load_catalog
from migrator.data.analysis import Analysis, analyze
from migrator.data.listing import Listing
from migrator.data.rules import Rules, rules_for
from migrator.data.source import DataError, Source
from migrator.data.target import default_model, no_model_note
from migrator.lifecycle import fine_tunable_models


def _catalog(catalog: Catalog | None) -> Catalog:
    return catalog if catalog is not None else load_catalog()


def auto_epochs(n: int, data) -> int:
    """OpenAI's ``"auto"`` rule: aim at ``epochs_target`` passes, but train on at least
    ``epochs_min_target_examples`` and at most ``epochs_max_target_examples`` examples."""
    target = data["epochs_target"]
    if n == 0:
        return target
    if n * target < data["epochs_min_target_examples"]:
        return min(data["epochs_max"], data["epochs_min_target_examples"] // n)
    if n * target > data["epochs_max_target_examples"]:
        return max(data["epochs_min"], data["epochs_max_target_examples"] // n)
    return target


def trainable_model(catalog: Catalog, name: str) -> Model:
    """The catalog model ``name`` if it can be fine-tuned, else a ``ValueError`` naming the choices."""
    model = catalog.models.get(name)
    if model is None or model.legacy or not model.fine_tunable or model.format not in ("completion", "chat"):
        choices = ", ".join(k for k, m in catalog.models.items() if m.fine_tunable and not m.legacy)
        raise ValueError(f"{name!r} is not a fine-tunable model in the catalog (choose from {choices})")
    return model


def _views_for(model: Model | None, fmt: str | None) -> tuple[str, ...]:
    """The token views a summary on ``model`` needs (the file's own format without a model)."""
    if model is not None:
        return (model.format,)
    return (fmt,) if fmt else ()


def _lowest_limit(catalog: Catalog, fmt: str) -> int:
    """The smallest per-example limit the catalog knows for a model of ``fmt``: an example
    no longer than this is truncated by no known model, so a missing limit cannot matter."""
    return min((m.max_example_tokens for m in catalog.models.values()
                if m.format == fmt and m.max_example_tokens is not None), default=0)


def chat_rules(catalog: Catalog, chosen: Model | None) -> Rules:
    """The rules chat lines are checked against: the chosen model's if it trains on chat,
    else those of the chat model a chat file is priced on by default."""
    if chosen is not None and chosen.format == "chat":
        return rules_for(catalog, chosen)
    return rules_for(catalog, default_model(catalog, "chat"))


def parse_epochs(epochs: int | str) -> int | None:
    """``None`` for ``"auto"``, else a positive int; ``ValueError`` otherwise."""
    if epochs == "auto":
        return None
    try:
        value = int(epochs)
    except (TypeError, ValueError):
        raise ValueError(f"epochs must be a positive integer or 'auto', got {epochs!r}") from None
    if value < 1:
        raise ValueError(f"epochs must be a positive integer or 'auto', got {epochs!r}")
    return value


def price(model: Model, billable: int, epochs: int) -> float | None:
    """USD for ``epochs`` passes over ``billable`` tokens (catalog price per 1K); None
    where the catalog has no training price for the model."""
    if model.fine_tuned_price is None or model.fine_tuned_price.training is None:
        return None
    return round(model.fine_tuned_price.training * billable / 1000 * epochs, 6)


def summarize(result: Analysis, model: Model | None, epochs: int | None, catalog: Catalog,
              note: dict | None = None) -> dict:
    """The JSON summary of ``result`` priced on ``model`` (``epochs`` None = auto); without a
    model (nothing takes new fine-tuning jobs), tokens of the file as it is and ``note``."""
    view = result.views[model.format if model is not None else result.format]
    warnings = list(result.warnings) + ([note] if note else [])
    per_line = Listing(result.listed)
    if model is not None and model.format != result.format:
        warnings.append({"line": None, "code": "needs_conversion",
                         "message": f"{model.id} trains on {model.format} examples: convert the file with "
                                    f"`ft-migrate data convert --to {model.format}`; tokens and cost are "
                                    "for the converted examples"})
        for skip in view.skipped:
            code, _, reason = skip["reason"].partition(": ")
            per_line.add({"line": skip["line"], "code": code,
                          "message": f"left out of the {model.format} conversion: {reason}"})
        per_line.dropped += view.skipped.dropped
    rules = rules_for(catalog, model) if model is not None else None
    limit = rules.limit if rules is not None else None
    if limit is not None:
        trains = f" ({rules.snapshot} on {catalog.as_of.isoformat()})" if rules.snapshot != model.id else ""
        for line, tokens in view.over(limit):
            per_line.add({"line": line, "code": "over_token_limit",
                          "message": f"{tokens} tokens, over {model.id}'s {limit}-token limit{trains}: "
                                     f"the example will be truncated to {limit} tokens"})
    elif model is not None and view.max_example > _lowest_limit(catalog, model.format):
        warnings.append({"line": None, "code": "no_token_limit",
                         "message": f"the longest example has {view.max_example} tokens and the catalog knows no "
                                    f"per-example token limit for {model.id}: billable tokens are not capped and "
                                    "no example is reported as truncated"})
    warnings += per_line
    unlisted = per_line.dropped + result.unlisted_warnings
    if unlisted:
        warnings.append({"line": None, "code": "not_listed",
                         "message": f"{unlisted:,} more per-line warnings are not listed (at most "
                                    f"{result.listed:,} of each kind are)"})
    warnings.sort(key=lambda w: (w["line"] is not None, w["line"] or 0))
    billable = view.billable(limit)
    n_epochs = epochs if epochs is not None else auto_epochs(view.count, catalog.data)
    return {
        "file": result.file,
        "format": result.format,
        "lines": result.lines,
        "valid": result.valid,
        "rejected": result.rejected,
        "warnings": warnings,
        "separator": result.separator,
        "stop": result.stop,
        "tokens": {"total": view.total, "billable": billable, "max_example": view.max_example},
        "epochs": n_epochs,
        "cost": {"model": model.id if model is not None else None,
                 "usd": price(model, billable, n_epochs) if model is not None else None},
    }


def check_source(source: Source, *, model: str | None = None, epochs: int | str = "auto",
                 catalog: Catalog | None = None, listed: int | None = None) -> dict:
    """:func:`check_file` for any :class:`Source`; ``listed`` bounds the per-line lists."""
    cat = _catalog(catalog)
    n_epochs = parse_epochs(epochs)
    chosen = trainable_model(cat, model) if model is not None else None
    views = (chosen.format,) if chosen is not None else ()
    rules = chat_rules(cat, chosen)
    result = analyze(source, cat, views, listed=listed, rules=rules)
    note = None
    if chosen is None:
        chosen = default_model(cat, result.format)
        note = no_model_note(cat) if chosen is None else None
        wanted = _views_for(chosen, result.format)
        if not set(wanted) <= set(result.views):  # today's default trains on the other format
            result = analyze(source, cat, wanted, listed=listed, rules=rules)
    return summarize(result, chosen, n_epochs, cat, note)


def check_file(path: str | os.PathLike, *, model: str | None = None, epochs: int | str = "auto",
               catalog: Catalog | None = None) -> dict:
    """The JSON summary ``ft-migrate data check --format json`` prints, as a dict.

    ``model`` is a fine-tunable catalog model (default: ``davinci-002`` for
    prompt/completion files, ``gpt-3.5-turbo`` for chat files); a model of the
    other format prices the file as ``convert`` would write it.  ``epochs`` is a
    positive int or ``"auto"`` (OpenAI's rule).  Raises
    :class:`~migrator.data.source.DataError` when the file cannot be read and
    ``ValueError`` for a bad ``model``/``epochs``; bad *lines* are never raised,
    they are listed under ``"rejected"``.
    """
    return check_source(Source.from_path(path), model=model, epochs=epochs, catalog=catalog)


def costs(summary_or_path: dict | str | os.PathLike, models=None, *, epochs: int | str = "auto",
          catalog: Catalog | None = None) -> list[dict]:
    """Training cost of one file on several models, side by side (for the report and ``check``).

    Returns one ``{"model", "format", "examples", "tokens": {"total", "billable",
    "max_example"}, "epochs", "usd"}`` per model, in the order given.  A model of
    the other format is priced on the converted examples (``examples`` says how
    many convert), exactly as ``check --model`` would.  Given a summary, the file
    it names is read again (a summary holds the tokens for one model only).
    """
    cat = _catalog(catalog)
    path = summary_or_path["file"] if isinstance(summary_or_path, dict) else summary_or_path
    n_epochs = parse_epochs(epochs)
    chosen = fine_tunable_models(cat) if models is None else [trainable_model(cat, name) for name in models]
    result = analyze(Source.from_path(path), cat, tuple(m.format for m in chosen))
    return costs_of(result, chosen, n_epochs, cat)


def check_with_costs(path: str | os.PathLike, models=None, *,
                     catalog: Catalog | None = None) -> tuple[dict, list[dict]]:
    """``check_file(path)`` and ``costs(path, models)`` from one read of the file.

    Tokenizing is the slow part of both; the report wants both for every
    training file, so it should not pay for it twice.
    """
    cat = _catalog(catalog)
    chosen = fine_tunable_models(cat) if models is None else [trainable_model(cat, name) for name in models]
    result = analyze(Source.from_path(path), cat, tuple(m.format for m in chosen))
    default = default_model(cat, result.format)
    wanted = {m.format for m in chosen} | set(_views_for(default, result.format))
    if not wanted <= set(result.views):  # today's default trains on the other format
        result = analyze(Source.from_path(path), cat, tuple(sorted(wanted)))
    summary = summarize(result, default, None, cat, no_model_note(cat) if default is None else None)
    return summary, costs_of(result, chosen, None, cat)


def costs_of(result: Analysis, models: list[Model], epochs: int | None, catalog: Catalog) -> list[dict]:
    """:func:`costs` for an analysis that has a view for every model's format; each model's
    billable tokens are capped at its own per-example limit on the catalog's date."""
    out = []
    for model in models:
        view = result.views[model.format]
        billable = view.billable(rules_for(catalog, model).limit)
        e = epochs if epochs is not None else auto_epochs(view.count, catalog.data)
        out.append({"model": model.id, "format": model.format, "examples": view.count,
                    "tokens": {"total": view.total, "billable": billable, "max_example": view.max_example},
                    "epochs": e, "usd": price(model, billable, e)})
    return out


__all__ = ["DataError", "auto_epochs", "check_file", "check_source", "check_with_costs", "costs", "costs_of", "default_model", "summarize"]
