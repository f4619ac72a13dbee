"""Field-by-field mappings between the legacy fine-tunes shapes and today's API.

Pure functions over decoded JSON, driven by the catalog (field lists, statuses,
object names, defaults), so they can be unit-tested without any HTTP and a
catalog change changes the shim.  The legacy shapes are the ones the old
clients read: a ``fine-tune`` object with
``hyperparams`` holding numbers, file *objects* in ``training_files`` /
``validation_files`` / ``result_files``, events oldest first without ``id``,
``type`` or ``data``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Collection, Mapping

from migrator.advice import for_model as advise
from migrator.catalog import Catalog


class MappingError(ValueError):
    """The request cannot be translated; ``param`` names the offending field."""

    def __init__(self, message: str, param: str | None = None, code: str | None = None,
                 status: int = 400) -> None:
        super().__init__(message)
        self.param = param
        self.code = code
        self.status = status


def error_body(message: str, type: str = "invalid_request_error", param: str | None = None,
               code: str | None = None) -> dict:
    """The error envelope both client generations parse: all four keys, always."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def legacy_error(status: int, body: bytes, content_type: str | None) -> dict:
    """An upstream error answer as a legacy envelope (same meaning, all keys present).

    A non-JSON error page (an HTML 502 from a load balancer) becomes a message
    quoting its start, so the old client still raises with a readable text.
    """
    err: Any = None
    try:
        err = json.loads(body).get("error")
    except (ValueError, AttributeError):
        pass
    if isinstance(err, str):
        err = {"message": err}
    if not isinstance(err, dict):
        text = body[:200].decode("utf-8", "replace").strip()
        kind = content_type.split(";")[0] if content_type else "no content type"
        return error_body(f"upstream answered HTTP {status} ({kind}): {text}" if text
                          else f"upstream answered HTTP {status} with an empty body",
                          "server_error" if status >= 500 else "invalid_request_error")
    return error_body(str(err.get("message") or f"upstream answered HTTP {status}"),
                      str(err.get("type") or ("server_error" if status >= 500 else "invalid_request_error")),
                      err.get("param"), err.get("code"))


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelChoice:
    """What to send upstream for a model name the client asked for."""

    model: str
    note: str = ""  # a caveat worth a warning header (e.g. embeddings must be redone)
    chat: bool = False  # a completions call answered by chat completions (see migrator.shim.chat)


def map_model(name: str, cat: Catalog, model_map: Mapping[str, str],
              purpose: str = "inference") -> ModelChoice:
    """The model to send upstream for ``name`` on the catalog's date.

    The user's mapping wins.  A shut-down model goes to what the lifecycle says
    replaces it for ``purpose`` (a completion, an embedding, a fine-tune) where a
    name swap keeps the request valid; where it does not (no completion model is
    left, nothing can be fine-tuned any more) the request is refused with what to
    do instead, never sent to a dead model.  A model fine-tuned through the legacy
    API has no automatic equivalent (its weights are gone), so without a mapping
    it is refused with a message that says which mapping to add.  Anything else
    is left alone.
    """
    if name in model_map:
        return ModelChoice(model_map[name])
    legacy = cat.legacy_model(name)
    if legacy is not None:
        advice = advise(cat, name, purpose)
        shut = legacy.shutdown.date.isoformat() if legacy.shutdown else cat.shutdown.isoformat()
        if advice.write and legacy.fixable:
            note = advice.text if advice.resolution.format_change or advice.resolution.valid_until else ""
            return ModelChoice(advice.write, "; ".join(filter(None, (note, legacy.note))))
        if legacy.fixable or advice.target is None:
            raise MappingError(f"The model `{name}` was shut down on {shut}; {advice.text}. Start the shim with "
                               f"--model-map '{name}=<model>' to choose one.",
                               param="model", code="model_not_found", status=404)
        return ModelChoice(name)
    if cat.fine_tuned_base(name) is not None:
        advice = advise(cat, name, "fine-tuning")
        raise MappingError(
            f"The model `{name}` was fine-tuned through the legacy fine-tunes API, shut down on "
            f"{cat.shutdown.isoformat()}, and the shim has no mapping for it: {advice.text}; then start the "
            f"shim with --model-map '{name}=<new ft: model>' (or add it under [model_map] in --config).",
            param="model", code="model_not_found", status=404)
    return ModelChoice(name)


# ---------------------------------------------------------------------------
# POST /v1/fine-tunes  →  POST /v1/fine_tuning/jobs
# ---------------------------------------------------------------------------
@dataclass
class CreateTranslation:
    body: dict
    dropped: list[str] = field(default_factory=list)  # legacy fields with no equivalent
    ignored: list[str] = field(default_factory=list)  # keys no API knows (leaked SDK kwargs)
    notes: list[str] = field(default_factory=list)  # other changes worth telling


def jobs_request(legacy: Any, cat: Catalog, model_map: Mapping[str, str]) -> CreateTranslation:
    """Translate a legacy create body (flat or ``hyperparameters`` form).

    Omitted model = the legacy default (curie), mapped to its replacement;
    omitted ``n_epochs`` = the legacy default (4) rather than today's "auto", so
    the job trains as it did; nulls mean "default" and are omitted; the suffix
    is cut to today's limit.
    """
    if not isinstance(legacy, dict):
        raise MappingError("The request body must be a JSON object.")
    rf = cat.request_fields
    kept, into_hp, dropped = rf["kept"], rf["into_hyperparameters"], rf["dropped"]
    out = CreateTranslation({})
    hp: dict[str, Any] = {}
    nested = legacy.get("hyperparameters")
    if nested is not None:
        if not isinstance(nested, dict):
            raise MappingError("hyperparameters must be an object", param="hyperparameters")
        for key, value in nested.items():
            if key not in into_hp:
                raise MappingError(f"Unknown hyperparameter {key!r}; known: {', '.join(into_hp)}",
                                   param="hyperparameters")
            if value is not None:
                hp[key] = value
    for key, value in legacy.items():
        if key == "hyperparameters":
            continue
        if key in into_hp:
            if value is not None:
                hp[key] = value  # the flat form wins over the nested one
        elif key in kept:
            if value is not None:
                out.body[key] = value
        elif key in dropped:
            if value is not None:
                out.dropped.append(key)
        else:
            out.ignored.append(key)
    if "training_file" not in out.body:
        raise MappingError("Missing required parameter: training_file", param="training_file")
    asked = out.body.get("model", rf["default_model"])
    if not isinstance(asked, str):
        raise MappingError("model must be a string", param="model")
    choice = map_model(asked, cat, model_map, "fine-tuning")
    out.body["model"] = choice.model
    if choice.note:
        out.notes.append(choice.note)
    if out.body["model"] != asked:
        out.notes.append(f"model {asked} -> {out.body['model']}")
    hp.setdefault("n_epochs", rf["legacy_default_n_epochs"])
    out.body["hyperparameters"] = {k: hp[k] for k in into_hp if k in hp}
    suffix = out.body.get("suffix")
    if isinstance(suffix, str) and len(suffix) > rf["suffix_max_length"]:
        out.body["suffix"] = suffix[:rf["suffix_max_length"]]
        out.notes.append(f"suffix cut to {rf['suffix_max_length']} characters")
    return out


# ---------------------------------------------------------------------------
# Responses: FineTuningJob → FineTune, job events → fine-tune events
# ---------------------------------------------------------------------------
def legacy_status(status: Any, cat: Catalog) -> Any:
    return cat.statuses.legacy_for_new if status in cat.statuses.new_for_legacy else status


def legacy_event(event: Mapping[str, Any], cat: Catalog) -> dict:
    """``{object, created_at, level, message}`` only: v0 raises on an ``error`` key,
    and ``id``/``type``/``data`` have no legacy meaning."""
    return {"object": cat.objects["legacy_event"], "created_at": event.get("created_at"),
            "level": event.get("level"), "message": event.get("message")}


def missing_file(file_id: str) -> dict:
    """Stands in for a file the upstream no longer has, keeping the list shape."""
    return {"id": file_id, "object": "file", "bytes": 0, "created_at": 0, "filename": file_id,
            "purpose": "fine-tune", "status": "error", "status_details": "not found upstream"}


def unfetched_file(file_id: str) -> dict:
    """Stands in for a file the shim could not fetch (the upstream failed or was
    rate-limited): its id, and null where the shim would otherwise guess."""
    return {"id": file_id, "object": "file", "bytes": None, "created_at": None, "filename": None,
            "purpose": None, "status": None, "status_details": None}


def job_file_ids(job: Mapping[str, Any], cat: Catalog) -> list[str]:
    """Every file id a job refers to, in legacy field order, without repeats."""
    ids: list[str] = []
    for legacy_key in ("training_files", "validation_files", "result_files"):
        value = job.get(cat.response_fields[legacy_key]["replacement"])
        for fid in value if isinstance(value, list) else [value]:
            if isinstance(fid, str) and fid not in ids:
                ids.append(fid)
    return ids


def legacy_fine_tune(job: Mapping[str, Any], files: Mapping[str, dict], cat: Catalog,
                     events: list[dict] | None = None, *, unfetched: Collection[str] = (),
                     dropped: Collection[str] = ()) -> dict:
    """A FineTuningJob as the legacy FineTune object.

    ``files`` maps each id from :func:`job_file_ids` to its file object (ids in
    ``unfetched`` could not be fetched and show only their id); ``events``
    (already legacy, oldest first) is included on create, retrieve and cancel, as
    the legacy API did, and absent in list items.  A hyperparameter the client
    sent that was ``dropped`` is null: showing a value would claim it applies.

    ``updated_at`` is computed from the job alone (its latest own timestamp), never
    from events, which list items do not carry: so it is the same in every answer
    about the job, and never goes backwards from one call to the next.
    """
    rf = cat.response_fields
    hp_new = job.get(rf["hyperparams"]["replacement"])
    hp_new = hp_new if isinstance(hp_new, dict) else {}
    req = cat.request_fields
    hyperparams: dict[str, Any] = {}
    for key in req["into_hyperparameters"]:
        value = hp_new.get(key)
        if value == "auto" or value is None:
            value = req["legacy_default_n_epochs"] if key == "n_epochs" else None
        hyperparams[key] = value
    hyperparams["prompt_loss_weight"] = (None if "prompt_loss_weight" in dropped
                                         else req["legacy_default_prompt_loss_weight"])

    def file_list(legacy_key: str) -> list[dict]:
        value = job.get(rf[legacy_key]["replacement"])
        ids = value if isinstance(value, list) else ([] if value is None else [value])
        return [unfetched_file(fid) if fid in unfetched else files.get(fid) or missing_file(fid) for fid in ids]

    stamps = [job.get(rf["updated_at"]["replacement"]), job.get("created_at")]
    updated = max((t for t in stamps if isinstance(t, int) and not isinstance(t, bool)), default=None)
    out = {
        "object": cat.objects["legacy_job"],
        "id": job.get("id"),
        "hyperparams": hyperparams,
        "organization_id": job.get("organization_id"),
        "model": job.get("model"),
        "training_files": file_list("training_files"),
        "validation_files": file_list("validation_files"),
        "result_files": file_list("result_files"),
        "created_at": job.get("created_at"),
        "updated_at": updated if updated is not None else job.get("created_at"),
        "status": legacy_status(job.get("status"), cat),
        "fine_tuned_model": job.get("fine_tuned_model"),
    }
    if events is not None:
        out["events"] = events
    for extra in ("finished_at", "trained_tokens", "error"):
        if extra in job:
            out[extra] = job[extra]
    return out
