"""A fake of today's OpenAI API (after the 2024-01-04 shutdown), for the shim's
and the fixer's end-to-end tests.

Shapes follow ``shared/spec/fine-tuning-api.md``: ``/v1/fine_tuning/jobs``
create / list (``after``, ``limit``, ``has_more``, newest first) / retrieve /
cancel / events (newest first, ``after`` pagination), ``/v1/files`` upload /
list / retrieve / content, ``/v1/completions`` and ``/v1/chat/completions``
(JSON and streamed), ``/v1/models``.  What was shut down answers like the real API does now: the
legacy endpoints with 404 "Invalid URL (METHOD /v1/...)", legacy models with 404
``model_not_found``.

Everything is deterministic: ids count up, the clock ticks one second per
event, and a job moves one status further on every retrieve (validating_files →
queued → running → succeeded), so a client that follows a job terminates.  A
job whose suffix contains ``fail`` ends ``failed`` instead.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import threading
from typing import Any

from migrator.catalog import load_catalog

from .server import FakeResponse, RecordedRequest, Router

ORG = "org-fake"
START = 1_700_000_000
FINE_TUNABLE_SNAPSHOTS = {"gpt-3.5-turbo": "gpt-3.5-turbo-0613"}
JOB_FIELDS = {"model", "training_file", "validation_file", "hyperparameters", "suffix"}
HYPERPARAMETERS = {"n_epochs", "batch_size", "learning_rate_multiplier"}
PROGRESS = ["validating_files", "queued", "running", "succeeded"]


class TodayAPI:
    """Behaviour of the current API; serve it with :class:`tests.fakes.server.FakeServer`."""

    def __init__(self, as_of: dt.date | None = None) -> None:
        """``as_of``: serve only the models alive on that day (2026-11-28: chat models only)."""
        cat = load_catalog()
        self.formats = {k: m.format for k, m in cat.models.items()}
        self.base_of = cat.base_of
        if as_of is None:
            self.models = {k for k, m in cat.models.items() if not m.legacy}
            self.models |= set(FINE_TUNABLE_SNAPSHOTS.values())
        else:
            self.models = {k for k, m in cat.models.items() if m.alive_on(as_of)}
        self.fine_tunable = {k for k, m in cat.models.items() if m.fine_tunable}
        self.terminal = set(cat.statuses.terminal)
        self.files: dict[str, dict] = {}
        self.contents: dict[str, bytes] = {}
        self.jobs: dict[str, dict] = {}
        self.events: dict[str, list[dict]] = {}  # oldest first, per job
        self._ids = itertools.count(1)
        self._clock = itertools.count(START)
        self._lock = threading.RLock()
        r = self.router = Router()
        r.add("POST", "/v1/files", self.upload_file)
        r.add("GET", "/v1/files", self.list_files)
        r.add("GET", "/v1/files/{id}", self.get_file)
        r.add("GET", "/v1/files/{id}/content", self.file_content)
        r.add("POST", "/v1/fine_tuning/jobs", self.create_job)
        r.add("GET", "/v1/fine_tuning/jobs", self.list_jobs)
        r.add("GET", "/v1/fine_tuning/jobs/{id}", self.retrieve_job)
        r.add("POST", "/v1/fine_tuning/jobs/{id}/cancel", self.cancel_job)
        r.add("GET", "/v1/fine_tuning/jobs/{id}/events", self.list_events)
        r.add("POST", "/v1/completions", self.completion)
        r.add("POST", "/v1/chat/completions", self.chat_completion)
        r.add("GET", "/v1/models", self.list_models)
        r.add("GET", "/v1/models/{id}", self.get_model)
        r.add("DELETE", "/v1/models/{id}", self.delete_model)

    def __call__(self, req: RecordedRequest) -> FakeResponse:
        if not req.headers.get("authorization", "").startswith("Bearer "):
            return FakeResponse.error(401, "You didn't provide an API key.")
        with self._lock:
            return self.router.dispatch(req, self.invalid_url)

    # -- helpers ----------------------------------------------------------
    def _id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):06d}"

    @staticmethod
    def invalid_url(req: RecordedRequest) -> FakeResponse:
        return FakeResponse.error(404, f"Invalid URL ({req.method} {req.path})")

    def _no_model(self, model: str) -> FakeResponse:
        return FakeResponse.error(
            404, f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found")

    @staticmethod
    def _page(items: list[dict], req: RecordedRequest) -> FakeResponse:
        """``items`` newest first; ``after`` = the id of the last item already seen."""
        try:
            limit = int(req.params.get("limit", 20))
        except ValueError:
            return FakeResponse.error(400, "limit must be an integer", param="limit")
        after = req.params.get("after")
        if after is not None:
            ids = [i["id"] for i in items]
            items = items[ids.index(after) + 1:] if after in ids else []
        return FakeResponse.json({"object": "list", "data": items[:limit], "has_more": len(items) > limit})

    # -- files ------------------------------------------------------------
    def upload_file(self, req: RecordedRequest) -> FakeResponse:
        if not req.headers.get("content-type", "").startswith("multipart/form-data"):
            return FakeResponse.error(400, "Expected multipart/form-data")
        parts = req.multipart
        if "file" not in parts or "purpose" not in parts:
            return FakeResponse.error(400, "Missing file or purpose", param="file")
        purpose = parts["purpose"].data.decode()
        if purpose not in ("fine-tune", "assistants"):
            return FakeResponse.error(400, f"Invalid purpose: {purpose}", param="purpose")
        return FakeResponse.json(self.add_file(parts["file"].filename or "file", parts["file"].data, purpose))

    def add_file(self, filename: str, data: bytes, purpose: str = "fine-tune") -> dict:
        """Store a file directly (test setup) and return its object."""
        with self._lock:
            fid = self._id("file")
            self.files[fid] = {"object": "file", "id": fid, "purpose": purpose, "filename": filename,
                               "bytes": len(data), "created_at": next(self._clock),
                               "status": "processed", "status_details": None}
            self.contents[fid] = data
            return self.files[fid]

    def list_files(self, req: RecordedRequest) -> FakeResponse:
        return FakeResponse.json({"object": "list", "data": list(self.files.values())})

    def get_file(self, req: RecordedRequest, id: str) -> FakeResponse:
        if id not in self.files:
            return FakeResponse.error(404, f"No such File object: {id}", param="id")
        return FakeResponse.json(self.files[id])

    def file_content(self, req: RecordedRequest, id: str) -> FakeResponse:
        if id not in self.files:
            return FakeResponse.error(404, f"No such File object: {id}", param="id")
        return FakeResponse(200, self.contents[id], {"Content-Type": "application/octet-stream"})

    # -- fine-tuning jobs -------------------------------------------------
    def create_job(self, req: RecordedRequest) -> FakeResponse:
        try:
            body = req.json
        except ValueError:
            return FakeResponse.error(400, "We could not parse the JSON body of your request.")
        if not isinstance(body, dict):
            return FakeResponse.error(400, "The request body must be a JSON object.")
        for key in body:
            if key not in JOB_FIELDS:
                return FakeResponse.error(400, f"Unrecognized request argument supplied: {key}")
        model = body.get("model")
        if not model:
            return FakeResponse.error(400, "you must provide a model parameter", param="model")
        base = model.split(":")[1] if model.startswith("ft:") else model
        if base not in self.fine_tunable:
            return FakeResponse.error(400, f"Model {model} is not available for fine-tuning or does not exist.",
                                      param="model", code="model_not_available")
        for key in ("training_file", "validation_file"):
            fid = body.get(key)
            if (key == "training_file" or fid is not None) and fid not in self.files:
                return FakeResponse.error(400, f"Invalid file format or file not found: {fid}", param=key)
        hp = body.get("hyperparameters") or {}
        if not isinstance(hp, dict) or set(hp) - HYPERPARAMETERS:
            return FakeResponse.error(400, f"Invalid hyperparameters: {hp}", param="hyperparameters")
        suffix = body.get("suffix")
        if suffix is not None and len(suffix) > 18:
            return FakeResponse.error(400, "suffix must be at most 18 characters", param="suffix")
        jid = self._id("ftjob")
        job = {"object": "fine_tuning.job", "id": jid, "model": FINE_TUNABLE_SNAPSHOTS.get(model, model),
               "created_at": next(self._clock), "finished_at": None, "fine_tuned_model": None,
               "organization_id": ORG, "result_files": [], "status": "validating_files",
               "validation_file": body.get("validation_file"), "training_file": body["training_file"],
               "hyperparameters": {k: hp.get(k, "auto") for k in ("n_epochs", "batch_size",
                                                                    "learning_rate_multiplier")},
               "trained_tokens": None, "error": None, "suffix": suffix}
        self.jobs[jid] = job
        self.events[jid] = []
        self._event(jid, f"Created fine-tuning job: {jid}")
        files = f"Validating training file: {job['training_file']}"
        if job["validation_file"]:
            files += f" and validation file: {job['validation_file']}"
        self._event(jid, files)
        return FakeResponse.json(self._public(job))

    @staticmethod
    def _public(job: dict) -> dict:
        return {k: v for k, v in job.items() if k != "suffix"}

    def _event(self, jid: str, message: str, level: str = "info", type: str = "message",
               data: Any = None) -> None:
        self.events[jid].append({"object": "fine_tuning.job.event", "id": self._id("ftevent"),
                                 "created_at": next(self._clock), "level": level, "message": message,
                                 "data": data, "type": type})

    def advance(self, jid: str) -> None:
        """Move a job one status further, posting the events the real API posts."""
        job = self.jobs[jid]
        if job["status"] in self.terminal:
            return
        job["status"] = PROGRESS[PROGRESS.index(job["status"]) + 1]
        if job["status"] == "queued":
            self._event(jid, "Files validated, moving job to queued state")
        elif job["status"] == "running":
            self._event(jid, "Fine-tuning job started")
        elif job["suffix"] and "fail" in job["suffix"]:
            job.update(status="failed", finished_at=next(self._clock),
                       error={"code": "invalid_training_file", "message": "The job failed validation.",
                              "param": "training_file"})
            self._event(jid, "The job failed validation.", level="error")
        else:
            hp = job["hyperparameters"]
            epochs = hp["n_epochs"] if hp["n_epochs"] != "auto" else 3
            job["hyperparameters"] = {"n_epochs": epochs,
                                      "batch_size": 1 if hp["batch_size"] == "auto" else hp["batch_size"],
                                      "learning_rate_multiplier": 2.0 if hp["learning_rate_multiplier"] == "auto"
                                      else hp["learning_rate_multiplier"]}
            self._event(jid, f"Step 1/{epochs}: training loss=0.42", type="metrics",
                        data={"step": 1, "train_loss": 0.42})
            base = job["model"].split("-0613")[0]
            model = f"ft:{base}:{ORG}:{job['suffix'] or ''}:{jid[-6:]}"
            result = self.add_file("step_metrics.csv", b"step,train_loss\n1,0.42\n", "fine-tune-results")
            self.models.add(model)
            job.update(status="succeeded", fine_tuned_model=model, finished_at=next(self._clock),
                       result_files=[result["id"]], trained_tokens=1234)
            self._event(jid, f"New fine-tuned model created: {model}")
            self._event(jid, "The job has successfully completed")

    def list_jobs(self, req: RecordedRequest) -> FakeResponse:
        return self._page([self._public(j) for j in reversed(self.jobs.values())], req)

    def retrieve_job(self, req: RecordedRequest, id: str) -> FakeResponse:
        if id not in self.jobs:
            return FakeResponse.error(404, f"Could not find fine tune job: {id}", param="fine_tune_id")
        self.advance(id)
        return FakeResponse.json(self._public(self.jobs[id]))

    def cancel_job(self, req: RecordedRequest, id: str) -> FakeResponse:
        if id not in self.jobs:
            return FakeResponse.error(404, f"Could not find fine tune job: {id}", param="fine_tune_id")
        job = self.jobs[id]
        if job["status"] in self.terminal:
            return FakeResponse.error(400, f"Job has already completed: {id}")
        job.update(status="cancelled", finished_at=next(self._clock))
        self._event(id, "Fine tuning process stopping due to job cancellation", level="warn")
        return FakeResponse.json(self._public(job))

    def list_events(self, req: RecordedRequest, id: str) -> FakeResponse:
        if id not in self.jobs:
            return FakeResponse.error(404, f"Could not find fine tune job: {id}", param="fine_tune_id")
        return self._page(list(reversed(self.events[id])), req)

    # -- models and completions ---------------------------------------------
    def _model_object(self, mid: str) -> dict:
        return {"id": mid, "object": "model", "created": START, "owned_by": ORG if mid.startswith("ft:") else "openai"}

    def list_models(self, req: RecordedRequest) -> FakeResponse:
        return FakeResponse.json({"object": "list", "data": [self._model_object(m) for m in sorted(self.models)]})

    def get_model(self, req: RecordedRequest, id: str) -> FakeResponse:
        return FakeResponse.json(self._model_object(id)) if id in self.models else self._no_model(id)

    def delete_model(self, req: RecordedRequest, id: str) -> FakeResponse:
        if id not in self.models:
            return self._no_model(id)
        self.models.discard(id)
        return FakeResponse.json({"id": id, "object": "model", "deleted": True})

    def completion(self, req: RecordedRequest) -> FakeResponse:
        try:
            body = req.json
        except ValueError:
            return FakeResponse.error(400, "We could not parse the JSON body of your request.")
        model = (body or {}).get("model")
        if not model:
            return FakeResponse.error(400, "you must provide a model parameter", param="model")
        if model not in self.models:
            return self._no_model(model)
        if self.formats.get(model) == "chat":
            return FakeResponse.error(404, "This is a chat model and not supported in the v1/completions endpoint. "
                                           "Did you mean to use v1/chat/completions?")
        prompt = body.get("prompt", "")
        text = f" echo:{prompt}"
        cid = self._id("cmpl")
        if body.get("stream"):
            words = text.split(" ")[1:]
            return FakeResponse.sse(
                {"id": cid, "object": "text_completion", "created": START, "model": model,
                 "choices": [{"text": " " + w, "index": 0, "logprobs": None,
                              "finish_reason": "stop" if i == len(words) - 1 else None}]}
                for i, w in enumerate(words))
        return FakeResponse.json({
            "id": cid, "object": "text_completion", "created": START, "model": model,
            "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

    def _chat_model(self, model: str) -> str | None:
        """The served chat model ``model`` is, or a fine-tune (a dated snapshot too) of."""
        base = self.base_of(model) or model
        for served in sorted(self.models, key=len, reverse=True):
            if self.formats.get(served) == "chat" and (base == served or base.startswith(served + "-")):
                return served
        return None

    def chat_completion(self, req: RecordedRequest) -> FakeResponse:
        """Answers ``echo:`` + the last message's content, whole or streamed word by word."""
        try:
            body = req.json
        except ValueError:
            return FakeResponse.error(400, "We could not parse the JSON body of your request.")
        model = (body or {}).get("model")
        if not model:
            return FakeResponse.error(400, "you must provide a model parameter", param="model")
        if self._chat_model(model) is None:
            return self._no_model(model)
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not isinstance(messages[-1], dict):
            return FakeResponse.error(400, "'messages' must be a non-empty array", param="messages")
        text = f"echo:{messages[-1].get('content', '')}"
        cid = self._id("chatcmpl")
        head = {"id": cid, "created": START, "model": model}
        if body.get("stream"):
            words = [w for w in re.split(r"(?= )", text) if w]  # each word with the space before it
            deltas = [{"role": "assistant", "content": ""}, *({"content": w} for w in words), {}]
            return FakeResponse.sse(
                {**head, "object": "chat.completion.chunk",
                 "choices": [{"index": 0, "delta": d, "finish_reason": None if d else "stop"}]}
                for d in deltas)
        return FakeResponse.json({
            **head, "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
