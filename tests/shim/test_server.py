"""The ASGI server over real sockets against the fake of today's API: faults, pass-through, logging."""

from __future__ import annotations

import json
import logging
import socket

import httpx

from migrator.shim.translate import Shim
from tests.fakes import FakeResponse

KEY = "sk-secret-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}


def client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url + "/v1", headers=AUTH, timeout=10)


def test_create_and_get_through_the_server(today, shim_url):
    fid = today.api.add_file("train.jsonl", b'{"prompt":"a ->","completion":" b\\n"}\n')["id"]
    with client(shim_url) as c:
        created = c.post("/fine-tunes", json={"training_file": fid, "model": "babbage", "n_epochs": 1})
        assert created.status_code == 200
        assert created.headers["content-type"] == "application/json"
        job = created.json()
        assert (job["object"], job["model"], job["status"], job["hyperparams"]["n_epochs"]) == (
            "fine-tune", "babbage-002", "pending", 1)
        got = c.get(f"/fine-tunes/{job['id']}").json()
    assert got["status"] == "pending"  # queued upstream
    assert today.calls() == [
        ("POST", "/v1/fine_tuning/jobs"), ("GET", f"/v1/fine_tuning/jobs/{job['id']}/events?limit=100"),
        ("GET", f"/v1/files/{fid}"),
        ("GET", f"/v1/fine_tuning/jobs/{job['id']}"), ("GET", f"/v1/fine_tuning/jobs/{job['id']}/events?limit=100"),
        ("GET", f"/v1/files/{fid}")]
    sent = today.requests[0]
    assert sent.json == {"training_file": fid, "model": "babbage-002", "hyperparameters": {"n_epochs": 1}}
    assert sent.headers["authorization"] == f"Bearer {KEY}"


def test_upstream_error_keeps_status_and_envelope(today, shim_url):
    today.script(FakeResponse.error(500, "The server had an error", "server_error"), path="/v1/fine_tuning/jobs")
    with client(shim_url) as c:
        r = c.get("/fine-tunes")
    assert r.status_code == 500
    assert r.json() == {"error": {"message": "The server had an error", "type": "server_error", "param": None,
                                  "code": None}}


def test_legacy_endpoint_not_translated_answers_like_today(today, shim_url):
    """An endpoint the shim does not translate reaches the upstream unchanged (and its 404)."""
    with client(shim_url) as c:
        r = c.post("/answers", json={"question": "q"})
    assert r.status_code == 404
    assert r.json()["error"]["message"] == "Invalid URL (POST /v1/answers)"


def test_unreachable_upstream_is_502(shim_at):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens once closed
    url = shim_at(f"http://127.0.0.1:{port}")
    with client(url) as c:
        r = c.get("/fine-tunes")
        passthrough = c.get("/models")
    assert r.status_code == 502 and passthrough.status_code == 502
    assert r.json()["error"]["type"] == "server_error"
    assert r.json()["error"]["message"].startswith("The upstream API could not be reached: ConnectError")


def test_upstream_timeout_is_504(today, shim_at):
    url = shim_at(today.url, timeout=0.2)
    today.script(FakeResponse.json({"object": "list", "data": [], "has_more": False}, delay=1.0),
                 path="/v1/fine_tuning/jobs")
    with client(url) as c:
        r = c.get("/fine-tunes")
    assert r.status_code == 504
    assert r.json()["error"]["type"] == "timeout"


def test_malformed_json_is_400_and_big_body_413(today, shim_at):
    url = shim_at(today.url, max_body_bytes=1000)
    with client(url) as c:
        bad = c.post("/fine-tunes", content=b'{"training_file": ', headers={"content-type": "application/json"})
        big = c.post("/fine-tunes", json={"training_file": "x" * 2000})
    assert bad.status_code == 400
    assert bad.json()["error"]["message"].startswith("We could not parse the JSON body of your request")
    assert big.status_code == 413
    assert today.requests == []


def test_internal_error_is_a_clean_500_without_traceback(today, shim_url, monkeypatch, caplog):
    def broken(self, req):
        raise RuntimeError("bug")
        yield  # pragma: no cover
    monkeypatch.setattr(Shim, "_list", broken)
    with caplog.at_level(logging.ERROR, "migrator.shim"), client(shim_url) as c:
        r = c.get("/fine-tunes")
    assert r.status_code == 500
    assert r.headers["x-should-retry"] == "false"
    assert r.json() == {"error": {"message": "The ft-migrate shim failed on this request; see its log.",
                                  "type": "server_error", "param": None, "code": None}}
    assert "Traceback" not in r.text


def test_one_log_line_per_request_without_the_key(today, shim_url, caplog):
    with caplog.at_level(logging.INFO, "migrator.shim"), client(shim_url) as c:
        c.get("/fine-tunes")
        c.post("/completions", json={"model": "ada", "prompt": "x"})
        c.get("/models?key=" + KEY)
    lines = [r.getMessage() for r in caplog.records if r.name == "migrator.shim"]
    assert len(lines) == 3
    assert [line.split(" ")[:4] for line in lines] == [
        ["GET", "/v1/fine-tunes", "200", "upstream=200"],
        ["POST", "/v1/completions", "200", "upstream=200"],
        ["GET", "/v1/models", "200", "upstream=200"]]
    assert all(line.endswith("ms") for line in lines)
    assert not any(KEY in line for line in caplog.text.splitlines())


def test_streamed_completion_passes_through_untouched(today, shim_url):
    with client(shim_url) as c, c.stream("POST", "/completions",
                                         json={"model": "curie", "prompt": "a b", "stream": True}) as r:
        body = r.read()
        assert r.headers["content-type"] == "text/event-stream"
        assert r.headers["warning"] == '299 ft-migrate-shim "model curie -> davinci-002"'
    events = [json.loads(line[6:]) for line in body.decode().split("\n\n") if line.startswith("data: {")]
    assert [e["choices"][0]["text"] for e in events] == [" echo:a", " b"]
    assert body.endswith(b"data: [DONE]\n\n")
    assert today.requests[0].json == {"model": "davinci-002", "prompt": "a b", "stream": True}


def test_conflict_on_completions_is_never_409(today, shim_url):
    today.script(FakeResponse.error(409, "busy"), path="/v1/completions")
    with client(shim_url) as c:
        r = c.post("/completions", json={"model": "babbage-002", "prompt": "x"})
    assert r.status_code == 503


def test_upload_streams_through_unchanged(today, shim_url):
    data = b'{"prompt":"p","completion":" c"}\n' * 1000
    with client(shim_url) as c:
        r = c.post("/files", files={"file": ("train.jsonl", data, "application/octet-stream")},
                   data={"purpose": "fine-tune"})
    assert r.status_code == 200
    assert r.json()["bytes"] == len(data) and r.json()["filename"] == "train.jsonl"
    assert today.requests[0].multipart["file"].data == data


def test_event_stream_through_the_server(today, shim_url):
    fid = today.api.add_file("t.jsonl", b"{}\n")["id"]
    with client(shim_url) as c:
        jid = c.post("/fine-tunes", json={"training_file": fid, "model": "davinci"}).json()["id"]
        with c.stream("GET", f"/fine-tunes/{jid}/events", params={"stream": "true"}) as r:
            assert r.headers["content-type"] == "text/event-stream"
            lines = [line for line in r.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    messages = [json.loads(line[6:])["message"] for line in lines[:-1]]
    assert messages == [f"Created fine-tuning job: {jid}", f"Validating training file: {fid}",
                        "Files validated, moving job to queued state", "Fine-tuning job started",
                        "Step 1/4: training loss=0.42", f"New fine-tuned model created: ft:davinci-002:org-fake::{jid[-6:]}",
                        "The job has successfully completed"]


def test_uploads_are_not_bound_by_the_body_limit(today, shim_at):
    """A pass-through upload is streamed, never read whole, so the JSON body limit does not apply."""
    url = shim_at(today.url, max_body_bytes=1000)
    data = b'{"prompt":"p","completion":" c"}\n' * 60000  # ~2 MB
    with client(url) as c:
        r = c.post("/files", files={"file": ("big.jsonl", data)}, data={"purpose": "fine-tune"})
    assert r.status_code == 200 and r.json()["bytes"] == len(data)
    assert today.requests[0].multipart["file"].data == data


def test_forwarded_html_error_becomes_the_envelope_and_bad_processing_ms_is_dropped(today, shim_url):
    today.script(FakeResponse(502, b"<html>bad gateway</html>", {"Content-Type": "text/html"}), path="/v1/models")
    today.script(FakeResponse.json({"object": "list", "data": []}, headers={"openai-processing-ms": ""}),
                 path="/v1/models")
    with client(shim_url) as c:
        bad = c.get("/models")
        ok = c.get("/models")
    assert bad.status_code == 502
    assert bad.json() == {"error": {"message": "upstream answered HTTP 502 (text/html): <html>bad gateway</html>",
                                    "type": "server_error", "param": None, "code": None}}
    assert ok.status_code == 200 and "openai-processing-ms" not in ok.headers


def test_base_url_quirks_reach_the_same_endpoint(today, shim_url):
    """v0 sends ``/v1//fine-tunes`` for a base with a trailing slash and ``/fine-tunes`` without /v1;
    v1's module-level base_url without a slash sends ``/v1fine-tunes`` ."""
    for path in ("/v1//fine-tunes", "/fine-tunes", "/v1fine-tunes"):
        r = httpx.get(shim_url + path, headers=AUTH)
        assert (r.status_code, r.json()) == (200, {"object": "list", "data": []}), path
    assert today.calls() == [("GET", "/v1/fine_tuning/jobs?limit=100")] * 3


def test_updated_at_never_goes_backwards_between_calls_on_one_job(today, shim_url):
    """Retrieve (which reads the events) and list (which does not) agree, call after call."""
    fid = today.api.add_file("t.jsonl", b"{}\n")["id"]
    seen = []
    with client(shim_url) as c:
        job = c.post("/fine-tunes", json={"training_file": fid, "model": "davinci"}).json()
        seen.append(("create", job["updated_at"]))
        while job["status"] not in ("succeeded", "failed", "cancelled"):
            job = c.get(f"/fine-tunes/{job['id']}").json()
            seen.append(("retrieve " + job["status"], job["updated_at"]))
            listed = c.get("/fine-tunes").json()["data"][0]
            seen.append(("list " + listed["status"], listed["updated_at"]))
    stamps = [t for _, t in seen]
    assert stamps == sorted(stamps), seen
    assert stamps[-1] == job["finished_at"]
