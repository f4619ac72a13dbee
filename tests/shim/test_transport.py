"""The library form: LegacyTransport / AsyncLegacyTransport wrapping another httpx transport."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from migrator.shim import AsyncLegacyTransport, LegacyTransport, ShimConfig

JOB = {"object": "fine_tuning.job", "id": "ftjob-1", "model": "babbage-002", "created_at": 100, "finished_at": None,
       "fine_tuned_model": None, "organization_id": "org-x", "result_files": [], "status": "running",
       "validation_file": None, "training_file": "file-a",
       "hyperparameters": {"n_epochs": 4, "batch_size": 1, "learning_rate_multiplier": 2.0},
       "trained_tokens": None, "error": None}
FILE_A = {"object": "file", "id": "file-a", "purpose": "fine-tune", "filename": "t.jsonl", "bytes": 3,
          "created_at": 90, "status": "processed", "status_details": None}
EVENT = {"object": "fine_tuning.job.event", "id": "ev-1", "created_at": 101, "level": "info",
         "message": "Fine-tuning job started", "data": None, "type": "message"}


class Upstream:
    """A MockTransport handler that plays today's API and records what it was sent."""

    def __init__(self):
        self.seen: list[tuple[str, str, bytes]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, str(request.url), request.content))
        path = request.url.path
        if path == "/v1/fine_tuning/jobs" and request.method == "POST":
            return httpx.Response(200, json={**JOB, "status": "validating_files"})
        if path == "/v1/fine_tuning/jobs/ftjob-1":
            return httpx.Response(200, json=JOB)
        if path == "/v1/fine_tuning/jobs/ftjob-1/events":
            return httpx.Response(200, json={"object": "list", "data": [EVENT], "has_more": False})
        if path == "/v1/files/file-a":
            return httpx.Response(200, json=FILE_A)
        if path == "/v1/models":
            return httpx.Response(200, json={"object": "list", "data": []}, headers={"x-request-id": "r1"})
        return httpx.Response(404, json={"error": {"message": f"Invalid URL ({request.method} {path})",
                                                   "type": "invalid_request_error", "param": None, "code": None}})


def test_sync_transport_keeps_the_requested_host():
    up = Upstream()
    transport = LegacyTransport(httpx.MockTransport(up))
    with httpx.Client(transport=transport, base_url="https://api.openai.com/v1") as c:
        r = c.post("/fine-tunes", json={"training_file": "file-a", "model": "ada", "n_epochs": 4})
        models = c.get("/models")
    assert r.status_code == 200
    assert r.json()["object"] == "fine-tune" and r.json()["status"] == "pending"
    assert r.json()["events"] == [{"object": "fine-tune-event", "created_at": 101, "level": "info",
                                   "message": "Fine-tuning job started"}]
    assert up.seen == [
        ("POST", "https://api.openai.com/v1/fine_tuning/jobs",
         b'{"training_file":"file-a","model":"babbage-002","hyperparameters":{"n_epochs":4}}'),
        ("GET", "https://api.openai.com/v1/fine_tuning/jobs/ftjob-1/events?limit=100", b""),
        ("GET", "https://api.openai.com/v1/files/file-a", b""),
        ("GET", "https://api.openai.com/v1/models", b""),
    ]
    assert models.json() == {"object": "list", "data": []} and models.headers["x-request-id"] == "r1"


def test_settings_as_keywords_and_a_fixed_upstream():
    up = Upstream()
    transport = LegacyTransport(httpx.MockTransport(up), upstream="http://up.test/v1", strict=True)
    with httpx.Client(transport=transport, base_url="http://shim.local/v1") as c:
        r = c.post("/fine-tunes", json={"training_file": "file-a", "prompt_loss_weight": 0.1})
        ok = c.get("/fine-tunes/ftjob-1")
    assert r.status_code == 400 and r.json()["error"]["param"] == "prompt_loss_weight"
    assert ok.json()["hyperparams"] == {"n_epochs": 4, "batch_size": 1, "learning_rate_multiplier": 2.0,
                                        "prompt_loss_weight": 0.01}
    assert up.seen[0][1] == "http://up.test/v1/fine_tuning/jobs/ftjob-1"


@pytest.mark.parametrize("exc, status", [(httpx.ConnectError("refused"), 502), (httpx.ReadTimeout("slow"), 504)])
def test_sync_transport_faults(exc, status):
    def fail(request):
        raise exc
    with httpx.Client(transport=LegacyTransport(httpx.MockTransport(fail)), base_url="http://h/v1") as c:
        translated = c.get("/fine-tunes/ftjob-1")
        forwarded = c.get("/models")
    assert translated.status_code == status and forwarded.status_code == status
    assert translated.json() == forwarded.json()


def test_closing_a_stream_stops_the_polling():
    """A client that goes away must not leave the shim polling a job that never ends."""
    up = Upstream()
    transport = LegacyTransport(httpx.MockTransport(up), poll_interval=0, keepalive_interval=1000)
    with httpx.Client(transport=transport, base_url="http://h/v1") as c:
        with c.stream("GET", "/fine-tunes/ftjob-1/events?stream=true") as r:
            first = next(r.iter_raw())
    assert first == (b'data: {"object":"fine-tune-event","created_at":101,"level":"info",'
                     b'"message":"Fine-tuning job started"}\n\n')
    assert len(up.seen) == 2  # the job and its events; polling stopped with the stream


def test_async_transport_streams_events_to_done():
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events"):
            return httpx.Response(200, json={"object": "list", "data": [EVENT], "has_more": False})
        calls["n"] += 1
        return httpx.Response(200, json={**JOB, "status": "succeeded" if calls["n"] > 2 else "running"})

    async def main() -> list[str]:
        transport = AsyncLegacyTransport(httpx.MockTransport(handler), ShimConfig(upstream=None, poll_interval=0))
        async with httpx.AsyncClient(transport=transport, base_url="http://h/v1") as c:
            async with c.stream("GET", "/fine-tunes/ftjob-1/events", params={"stream": "true"}) as r:
                return [line async for line in r.aiter_lines() if line]

    lines = asyncio.run(main())
    assert lines == ['data: {"object":"fine-tune-event","created_at":101,"level":"info",'
                     '"message":"Fine-tuning job started"}', "data: [DONE]"]
    assert calls["n"] == 3


def test_async_transport_translates_and_forwards():
    up = Upstream()

    async def main():
        transport = AsyncLegacyTransport(httpx.MockTransport(up))
        async with httpx.AsyncClient(transport=transport, base_url="http://h/v1") as c:
            listed = await c.get("/fine-tunes/ftjob-1/events")
            completion = await c.post("/engines/ada/completions", json={"prompt": "x"})
            return listed, completion

    listed, completion = asyncio.run(main())
    assert listed.json() == {"object": "list", "data": [{"object": "fine-tune-event", "created_at": 101,
                                                        "level": "info", "message": "Fine-tuning job started"}]}
    assert up.seen[-1] == ("POST", "http://h/v1/completions", b'{"prompt":"x","model":"babbage-002"}')
    assert completion.status_code == 404  # the mock has no completions: its answer came back as is
    assert json.loads(completion.content)["error"]["message"] == "Invalid URL (POST /v1/completions)"
