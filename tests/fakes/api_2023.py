"""A fake of the OpenAI API as it was in 2023, before the 2024-01-04 shutdown.

The legacy program of an end-to-end test runs against this; its migrated copy runs
against :class:`tests.fakes.openai_today.TodayAPI`.  Shapes follow
the 2023 API reference and what the old clients read:
``/v1/fine-tunes`` create / list (everything, oldest first) / retrieve / cancel /
events (oldest first, or streamed until the job ends), FineTune objects with ``hyperparams``, full file objects
in ``training_files``/``validation_files``/``result_files``, status ``pending``
while a job waits; ``/v1/completions`` and ``/v1/engines/{engine}/completions``
for the GPT-3 models and their fine-tunes (JSON, or streamed word by word with ``stream``).

A job moves one status further on every retrieve through the same four stages as
the fake of today's API (its ``validating_files`` and ``queued`` both read
``pending`` here, as the legacy API reported them), so a polling loop makes the
same number of requests against either fake and the recorded requests can be
compared one for one.  Ids count up the same way (``file-000001`` is the first
file in both).
"""

from __future__ import annotations

import itertools
import re
import threading

from migrator.catalog import load_catalog

from .server import FakeResponse, RecordedRequest, Router

ORG = "org-fake"
START = 1_700_000_000
FIELDS = {"training_file", "validation_file", "model", "suffix", "n_epochs", "batch_size",
          "learning_rate_multiplier", "prompt_loss_weight", "compute_classification_metrics",
          "classification_n_classes", "classification_positive_class", "classification_betas"}
STAGES = ["pending", "pending", "running", "succeeded"]


class API2023:
    """Behaviour of the legacy API; serve it with :class:`tests.fakes.server.FakeServer`."""

    def __init__(self) -> None:
        cat = load_catalog()
        self.models = set(cat.models)
        self.fine_tunable = {k for k, m in cat.models.items() if m.legacy and m.group == "base"}
        self.default_model = cat.request_fields["default_model"]
        self.fine_tuned_base = cat.fine_tuned_base  # a fine-tune (curie:ft-...) answers like its base
        self.files: dict[str, dict] = {}
        self.jobs: dict[str, dict] = {}
        self.stage: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._clock = itertools.count(START)
        self._lock = threading.RLock()
        r = self.router = Router()
        r.add("GET", "/v1/files/{id}", self.get_file)
        r.add("POST", "/v1/fine-tunes", self.create)
        r.add("GET", "/v1/fine-tunes", self.list)
        r.add("GET", "/v1/fine-tunes/{id}", self.retrieve)
        r.add("POST", "/v1/fine-tunes/{id}/cancel", self.cancel)
        r.add("GET", "/v1/fine-tunes/{id}/events", self.events)
        r.add("POST", "/v1/completions", self.completion)
        r.add("POST", "/v1/engines/{engine}/completions", self.completion)

    def __call__(self, req: RecordedRequest) -> FakeResponse:
        if not req.headers.get("authorization", "").startswith("Bearer "):
            return FakeResponse.error(401, "You didn't provide an API key.")
        with self._lock:
            return self.router.dispatch(req, lambda r: FakeResponse.error(404, f"Invalid URL ({r.method} {r.path})"))

    def _id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):06d}"

    def add_file(self, filename: str, data: bytes, purpose: str = "fine-tune") -> dict:
        fid = self._id("file")
        self.files[fid] = {"object": "file", "id": fid, "purpose": purpose, "filename": filename,
                           "bytes": len(data), "created_at": next(self._clock), "status": "processed",
                           "status_details": None}
        return self.files[fid]

    def get_file(self, req: RecordedRequest, id: str) -> FakeResponse:
        if id not in self.files:
            return FakeResponse.error(404, f"No such File object: {id}", param="id")
        return FakeResponse.json(self.files[id])

    # -- fine-tunes ---------------------------------------------------------
    def create(self, req: RecordedRequest) -> FakeResponse:
        body = req.json or {}
        unknown = set(body) - FIELDS
        if unknown:
            return FakeResponse.error(400, f"Unrecognized request argument supplied: {sorted(unknown)[0]}")
        model = body.get("model") or self.default_model
        if model not in self.fine_tunable:
            return FakeResponse.error(400, f"Invalid base model: {model}", param="model")
        files = []
        for key in ("training_file", "validation_file"):
            fid = body.get(key)
            if fid is None and key == "validation_file":
                continue
            if fid not in self.files:
                return FakeResponse.error(400, f"File {fid} does not exist", param=key)
            files.append(self.files[fid])
        jid = self._id("ft")
        now = next(self._clock)
        job = {"object": "fine-tune", "id": jid, "model": model, "created_at": now, "updated_at": now,
               "organization_id": ORG, "fine_tuned_model": None, "status": "pending",
               "hyperparams": {"n_epochs": body.get("n_epochs", 4), "batch_size": body.get("batch_size"),
                               "prompt_loss_weight": body.get("prompt_loss_weight", 0.01),
                               "learning_rate_multiplier": body.get("learning_rate_multiplier")},
               "training_files": files[:1], "validation_files": files[1:], "result_files": [],
               "events": []}
        self.jobs[jid] = job
        self.stage[jid] = 0
        self._event(jid, f"Created fine-tune: {jid}")
        return FakeResponse.json(job)

    def _event(self, jid: str, message: str, level: str = "info") -> None:
        self.jobs[jid]["events"].append({"object": "fine-tune-event", "level": level, "message": message,
                                         "created_at": next(self._clock)})

    def _listed(self, job: dict) -> dict:
        return {k: v for k, v in job.items() if k != "events"}

    def list(self, req: RecordedRequest) -> FakeResponse:
        return FakeResponse.json({"object": "list", "data": [self._listed(j) for j in self.jobs.values()]})

    def retrieve(self, req: RecordedRequest, id: str) -> FakeResponse:
        if id not in self.jobs:
            return FakeResponse.error(404, f"No fine-tune job: {id}", param="id")
        job = self.jobs[id]
        if job["status"] in ("pending", "running"):
            self.stage[id] += 1
            job["status"] = STAGES[self.stage[id]]
            job["updated_at"] = next(self._clock)
            if job["status"] == "running":
                self._event(id, "Fine-tune started")
            elif job["status"] == "succeeded":
                org = ORG.removeprefix("org-")
                job["fine_tuned_model"] = f"{job['model']}:ft-{org}-2023-12-01-00-00-00"
                job["result_files"] = [self.add_file("compiled_results.csv", b"step,loss\n1,0.42\n",
                                                     "fine-tune-results")]
                self._event(id, "Fine-tune succeeded")
        return FakeResponse.json(job)

    def cancel(self, req: RecordedRequest, id: str) -> FakeResponse:
        if id not in self.jobs:
            return FakeResponse.error(404, f"No fine-tune job: {id}", param="id")
        job = self.jobs[id]
        if job["status"] not in ("pending", "running"):
            return FakeResponse.error(400, f"Cannot cancel a job with status {job['status']}")
        job["status"] = "cancelled"
        self._event(id, "Fine-tune cancelled")
        return FakeResponse.json(job)

    def events(self, req: RecordedRequest, id: str) -> FakeResponse:
        """The job's events oldest first; with ``stream=true`` as server-sent events that
        replay the history, follow the job to its end (time passes: it moves through its
        remaining stages) and close with ``[DONE]``, as the legacy stream did."""
        if id not in self.jobs:
            return FakeResponse.error(404, f"No fine-tune job: {id}", param="id")
        if req.params.get("stream") == "true":
            while self.jobs[id]["status"] in ("pending", "running"):
                self.retrieve(req, id)
            return FakeResponse.sse(list(self.jobs[id]["events"]))
        return FakeResponse.json({"object": "list", "data": self.jobs[id]["events"]})

    def completion(self, req: RecordedRequest, engine: str | None = None) -> FakeResponse:
        body = req.json or {}
        model = engine or body.get("model")
        if model not in self.models and self.fine_tuned_base(model or "") not in self.models:
            return FakeResponse.error(404, f"The model `{model}` does not exist", code="model_not_found")
        text = f" echo:{body.get('prompt', '')}"
        if body.get("stream"):  # word by word, each word with the space before it
            words = [w for w in re.split(r"(?= )", text) if w]
            cid = self._id("cmpl")
            return FakeResponse.sse(
                {"id": cid, "object": "text_completion", "created": START, "model": model,
                 "choices": [{"text": w, "index": 0, "logprobs": None,
                              "finish_reason": "stop" if i == len(words) - 1 else None}]}
                for i, w in enumerate(words))
        return FakeResponse.json({
            "id": self._id("cmpl"), "object": "text_completion", "created": START, "model": model,
            "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
