"""A create or cancel that succeeded upstream is a success for the client, whatever the
follow-up calls the shim makes to build the legacy answer meet.

The SDKs retry a 429 or a 5xx by themselves: had the shim turned a failed follow-up
into an error, a retried create would be a second paid job.  Each follow-up call
(the job's events, each file) is failed in turn, with each fault the fake upstream
can play, through the real server.
"""

from __future__ import annotations

import httpx
import pytest

from migrator.catalog import load_catalog
from migrator.shim.app import create_app
from migrator.shim.config import ShimConfig
from tests.fakes import FakeResponse, FakeServer, TodayAPI
from tests.support.servers import serve_asgi

AUTH = {"Authorization": "Bearer sk-test"}
TIMEOUT = 0.3  # the shim's upstream timeout in these tests

FAULTS = {
    "429": (FakeResponse.error(429, "Rate limit reached", "requests", code="rate_limit_exceeded",
                               headers={"Retry-After": "2"}), "HTTP 429"),
    "500": (FakeResponse.error(500, "The server had an error", "server_error"), "HTTP 500"),
    "503 html": (FakeResponse(503, b"<html>unavailable</html>", {"Content-Type": "text/html"}), "HTTP 503"),
    "invalid json": (FakeResponse(200, b'{"object": "list", "da', {"Content-Type": "application/json"}),
                     "HTTP 200 that is not JSON"),
    "wrong shape": (FakeResponse.json(["not", "an", "object"]), "HTTP 200 that is not a"),
    "closed": (FakeResponse(fault="close"), "no answer: RemoteProtocolError"),
    "truncated": (FakeResponse.json({"object": "list", "data": [], "has_more": False}, fault="truncate"),
                  "no answer: RemoteProtocolError"),
    "stalled": (FakeResponse.json({}, delay=TIMEOUT * 3), "timed out: ReadTimeout"),
}


@pytest.fixture(scope="module")
def served():
    """One fake upstream and one shim for the module (starting servers per case is most of the time)."""
    with FakeServer(TodayAPI()) as upstream, serve_asgi(create_app(
            ShimConfig(upstream=upstream.url, timeout=TIMEOUT), catalog=load_catalog())) as url:
        yield upstream, url


@pytest.fixture
def fresh(served):
    """``(upstream, shim url)`` with the upstream reset: a new API state, no scripts, no requests."""
    upstream, url = served
    upstream.api = TodayAPI()
    upstream._scripts.clear()
    upstream.clear()
    return upstream, url


def _create(c: httpx.Client, fid: str) -> httpx.Response:
    return c.post("/fine-tunes", json={"training_file": fid, "model": "curie", "n_epochs": 1})


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("call", ["events", "file"])
@pytest.mark.parametrize("action", ["create", "cancel"])
def test_a_failed_follow_up_never_turns_a_success_into_an_error(fresh, action, call, fault):
    today, url = fresh
    fid = today.api.add_file("train.jsonl", b'{"prompt":"a","completion":" b"}\n')["id"]
    response, described = FAULTS[fault]
    with httpx.Client(base_url=url + "/v1", headers=AUTH, timeout=10) as c:
        jid = None
        if action == "cancel":
            jid = _create(c, fid).json()["id"]
            today.clear()
        path = f"/v1/files/{fid}" if call == "file" else "/v1/fine_tuning/jobs/*"
        # a GET on a reused connection that turns out closed is sent once more (pool.AiohttpTransport)
        today.script(response, method="GET", path=path, times=2 if fault == "closed" else 1)
        r = c.post(f"/fine-tunes/{jid}/cancel") if action == "cancel" else _create(c, fid)
    assert r.status_code == 200, r.text
    job = r.json()
    acted = [t for m, t in today.calls() if m == "POST"]
    assert acted == ([f"/v1/fine_tuning/jobs/{jid}/cancel"] if jid else ["/v1/fine_tuning/jobs"])
    assert job["object"] == "fine-tune" and job["id"] == "ftjob-000002"
    assert job["status"] == ("cancelled" if action == "cancel" else "pending")
    assert job["hyperparams"]["n_epochs"] == 1 and job["model"] == "davinci-002"
    warning = r.headers["warning"]
    if call == "events":
        assert job["events"] == []
        assert f"events not fetched ({described}" in warning
        # stalled events take all the request's time: then the file is not asked for either
        assert job["training_files"][0]["filename"] == (None if fault == "stalled" else "train.jsonl")
    else:
        assert [e["message"] for e in job["events"]][:1] == [f"Created fine-tuning job: {job['id']}"]
        assert job["training_files"] == [{"id": fid, "object": "file", "bytes": None, "created_at": None,
                                          "filename": None, "purpose": None, "status": None,
                                          "status_details": None}]
        assert f"file {fid} not fetched ({described}" in warning
    if action == "create":  # the warning also tells what the translation changed
        assert warning.startswith('299 ft-migrate-shim "model curie -> davinci-002; ')


def test_an_accepted_create_whose_answer_is_unreadable_is_an_error_not_to_retry(today, shim_at):
    """No job to show, so an error; but marked so that the v1 SDK does not retry it."""
    url = shim_at(today.url)
    fid = today.api.add_file("train.jsonl", b"{}\n")["id"]
    today.script(FakeResponse(200, b"<html>ok</html>", {"Content-Type": "text/html"}), method="POST",
                 path="/v1/fine_tuning/jobs")
    with httpx.Client(base_url=url + "/v1", headers=AUTH, timeout=10) as c:
        r = _create(c, fid)
    assert r.status_code == 502
    assert r.headers["x-should-retry"] == "false"
    assert r.json() == {"error": {
        "message": "The upstream API created the fine-tune (HTTP 200) but its answer is not JSON, "
                   "so the shim cannot show it; list your fine-tunes before trying again.",
        "type": "server_error", "param": None, "code": None}}


def test_a_refused_create_keeps_its_status_and_retry_after(today, shim_at):
    """The create itself failing is an error, as it was: nothing was created, a retry is safe."""
    url = shim_at(today.url)
    today.script(FAULTS["429"][0], method="POST", path="/v1/fine_tuning/jobs")
    with httpx.Client(base_url=url + "/v1", headers=AUTH, timeout=10) as c:
        r = _create(c, "file-x")
    assert r.status_code == 429
    assert r.headers["retry-after"] == "2"
    assert r.json()["error"]["code"] == "rate_limit_exceeded"


def test_v1_sdk_that_retries_429_creates_one_job(v1_venv, today, shim_at):
    """openai 1.3.0 retries a 429 by itself: a 429 on a follow-up must not reach it."""
    url = shim_at(today.url)
    fid = today.api.add_file("train.jsonl", b"{}\n")["id"]
    today.script(FAULTS["429"][0], method="GET", path=f"/v1/files/{fid}", times=5)
    proc = v1_venv.run_python(
        "import json, openai\n"
        "ft = openai.OpenAI(max_retries=3).fine_tunes.create(training_file=%r)\n"
        "print(json.dumps([ft.id, ft.status]))\n" % fid,
        env={"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": url + "/v1"}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == '["ftjob-000002", "pending"]'
    assert [t for m, t in today.calls() if m == "POST"] == ["/v1/fine_tuning/jobs"]


def test_the_timeout_bounds_the_whole_create_not_each_call(fresh):
    """A client that gave up on a slow answer would retry the create: so the follow-ups share
    the request's time; once it has run out, what is left is named, not waited for."""
    today, url = fresh
    fid = today.api.add_file("train.jsonl", b"{}\n")["id"]
    today.script(FakeResponse.json({}, delay=TIMEOUT * 3), method="GET", path="/v1/fine_tuning/jobs/*")
    with httpx.Client(base_url=url + "/v1", headers=AUTH, timeout=10) as c:
        r = _create(c, fid)
    assert r.status_code == 200 and r.json()["events"] == []
    assert r.headers["warning"].endswith(
        f"events not fetched (timed out: ReadTimeout); file {fid} not fetched (timed out: PoolTimeout: "
        f"the {TIMEOUT:g} s this request may wait on the upstream ran out)\"")
    assert [m for m, _ in today.calls()] == ["POST", "GET"]  # the file was not asked for
