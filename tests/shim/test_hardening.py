"""Requests no legacy client sends on purpose, and upstreams that misbehave: every answer is the
legacy JSON envelope with a sensible status, nothing escapes the upstream's /v1, nothing loops.

Requests go over raw sockets where an HTTP client would tidy them up first (dot segments,
odd methods, absolute-form targets, bodies that never end).
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import time
from dataclasses import dataclass

import httpx
import pytest

from tests.fakes import FakeResponse

KEY = "sk-hardening-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name]


def raw(url: str, head: bytes, body: bytes = b"", *, method: str = "GET", timeout: float = 5) -> Answer:
    """Send ``head`` (request line and headers, CRLF-terminated) and ``body`` as they are; read the answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head + b"\r\n" + body)
        resp = http.client.HTTPResponse(sock, method=method)
        resp.begin()
        return Answer(resp.status, resp.getheaders(), resp.read())


def envelope(answer: Answer) -> dict:
    """The legacy error envelope of ``answer``, checked to have all four keys."""
    assert answer.all("content-type") == ["application/json"], answer.headers
    err = answer.json["error"]
    assert set(err) == {"message", "type", "param", "code"}, err
    return err


# -- dot segments ----------------------------------------------------------------
@pytest.mark.parametrize("target", [
    "/v1/../../../admin/secrets",
    "/v1/%2e%2e/%2E%2E/admin/secrets",
    "/../admin/secrets",
    "/v1/files/..%2f..%2f..%2fadmin",
    "/v1/models/./../../admin",
])
def test_dot_segments_never_leave_v1_or_the_upstream_prefix(today, shim_at, target):
    url = shim_at(today.url + "/prefix")
    answer = raw(url, f"GET {target} HTTP/1.1\r\nHost: shim\r\nAuthorization: Bearer {KEY}\r\n".encode())
    assert answer.status == 400
    err = envelope(answer)
    assert err["type"] == "invalid_request_error"
    assert err["message"].startswith("Invalid URL ")
    assert today.requests == []  # the key went nowhere


def test_dot_segments_that_stay_inside_are_resolved_before_forwarding(today, shim_at):
    url = shim_at(today.url + "/prefix")
    answer = raw(url, f"GET /v1/fine-tunes/x/../../models HTTP/1.1\r\nHost: shim\r\nAuthorization: Bearer {KEY}\r\n"
                 .encode())
    assert answer.status == 404  # the fake has no /prefix: what matters is the path it was asked for
    assert today.calls() == [("GET", "/prefix/v1/models")]


# -- malformed requests ----------------------------------------------------------------
def test_unknown_method_is_a_legacy_405(today, shim_url):
    answer = raw(shim_url, b"BREW /v1/models HTTP/1.1\r\nHost: shim\r\n")
    assert answer.status == 405
    assert envelope(answer)["message"] == ("The shim does not handle the HTTP method BREW; it handles GET, POST, "
                                           "PUT, PATCH, DELETE, HEAD, OPTIONS.")
    assert today.requests == []


def test_absolute_form_target_is_a_legacy_400(today, shim_url):
    answer = raw(shim_url, b"GET http://api.openai.com/v1/models HTTP/1.1\r\nHost: api.openai.com\r\n")
    assert answer.status == 400
    assert envelope(answer)["message"].startswith("The ft-migrate shim is not an HTTP proxy")
    assert today.requests == []


def test_non_ascii_header_value_is_a_400_naming_the_header(today, shim_url):
    answer = raw(shim_url, b"GET /v1/models HTTP/1.1\r\nHost: shim\r\nOpenAI-Organization: caf\xc3\xa9\r\n")
    assert answer.status == 400
    assert envelope(answer)["message"] == ("The openai-organization header holds non-ASCII characters; HTTP header "
                                           "values must be ASCII.")
    assert today.requests == []


@pytest.mark.parametrize("path", ["/v1/fine-tunes", "/v1/completions"])
def test_deeply_nested_json_is_a_400(today, shim_url, path):
    body = b"[" * 100_000 + b"]" * 100_000
    answer = raw(shim_url, f"POST {path} HTTP/1.1\r\nHost: shim\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(body)}\r\n".encode(), body, method="POST")
    assert answer.status == 400
    assert envelope(answer)["message"] == ("We could not parse the JSON body of your request: it is nested too "
                                           "deeply.")


def test_body_over_the_limit_is_413_before_it_is_sent(today, shim_at):
    """A declared length over the limit is refused at once: the body is never waited for."""
    url = shim_at(today.url, max_body_bytes=1000)
    started = time.monotonic()
    answer = raw(url, b"POST /v1/fine-tunes HTTP/1.1\r\nHost: shim\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 10000000000\r\n", method="POST")
    assert answer.status == 413 and time.monotonic() - started < 2
    assert envelope(answer)["message"] == "The request body is larger than the shim's limit of 1000 bytes."
    assert answer.all("connection") == ["close"]  # the 10 GB are not read and thrown away


def test_chunked_body_over_the_limit_is_413_without_reading_it_whole(today, shim_at):
    """No length given: the shim reads up to the limit and answers while the client is still sending."""
    url = shim_at(today.url, max_body_bytes=1000)
    chunk = b"x" * 1500
    answer = raw(url, b"POST /v1/fine-tunes HTTP/1.1\r\nHost: shim\r\nTransfer-Encoding: chunked\r\n",
                 b"%x\r\n%s\r\n" % (len(chunk), chunk), method="POST")  # never terminated
    assert answer.status == 413


@pytest.mark.parametrize("path", ["/v1/fine-tunes", "/v1/files"])  # a read body and a streamed one
def test_a_body_that_never_finishes_is_408_after_client_timeout(today, shim_at, path):
    url = shim_at(today.url, client_timeout=0.3)
    started = time.monotonic()
    answer = raw(url, f"POST {path} HTTP/1.1\r\nHost: shim\r\nAuthorization: Bearer {KEY}\r\n"
                 f"Content-Type: application/json\r\nContent-Length: 100\r\n".encode(), b'{"training',
                 method="POST")
    assert answer.status == 408 and time.monotonic() - started < 3
    assert envelope(answer)["message"] == ("The request body did not arrive: no part of the request body arrived "
                                           "for 0.3 s.")


# -- upstream misbehaviour ----------------------------------------------------------------
def test_translated_429_keeps_retry_after(today, shim_url):
    today.script(FakeResponse.error(429, "Rate limit reached", "requests", code="rate_limit_exceeded",
                                    headers={"Retry-After": "7", "retry-after-ms": "7000"}),
                 path="/v1/fine_tuning/jobs")
    r = httpx.get(shim_url + "/v1/fine-tunes", headers=AUTH)
    assert r.status_code == 429
    assert (r.headers["retry-after"], r.headers["retry-after-ms"]) == ("7", "7000")


@pytest.mark.parametrize("body", [[], {"data": "x"}, {"data": [1]}, {"object": "list", "data": [{"no": "id"}]}])
def test_wrong_shape_upstream_200_is_502(today, shim_url, body):
    today.script(FakeResponse.json(body), path="/v1/fine_tuning/jobs")
    r = httpx.get(shim_url + "/v1/fine-tunes", headers=AUTH)
    assert r.status_code == 502
    assert r.json()["error"]["message"].startswith("The upstream API answered HTTP 200 with a body that is not a ")


class EndlessJobs:
    """An upstream whose job list always says ``has_more``, with new ids on every page."""

    def __init__(self, delay: float = 0.0) -> None:
        self.pages = 0
        self.delay = delay

    def __call__(self, req):
        self.pages += 1
        time.sleep(self.delay)
        job = {"object": "fine_tuning.job", "id": f"ftjob-{self.pages}", "model": "davinci-002", "created_at": 1,
               "status": "running", "training_file": None, "result_files": []}
        return FakeResponse.json({"object": "list", "data": [job], "has_more": True})


def test_endless_has_more_stops_after_max_pages_and_says_so(shim_at):
    from tests.fakes import FakeServer
    api = EndlessJobs()
    with FakeServer(api) as upstream:
        url = shim_at(upstream.url, max_pages=5)
        r = httpx.get(url + "/v1/fine-tunes", headers=AUTH)
    assert r.status_code == 200
    assert [j["id"] for j in r.json()["data"]] == [f"ftjob-{i}" for i in (5, 4, 3, 2, 1)]
    assert r.headers["warning"] == ('299 ft-migrate-shim "stopped reading /v1/fine_tuning/jobs after 5 pages '
                                    '(5 items) although the upstream said there were more"')
    assert api.pages == 5


def test_endless_has_more_stops_after_max_paging_seconds(shim_at):
    from tests.fakes import FakeServer
    api = EndlessJobs(delay=0.05)
    with FakeServer(api) as upstream:
        url = shim_at(upstream.url, max_pages=10_000, max_paging_seconds=0.3)
        r = httpx.get(url + "/v1/fine-tunes", headers=AUTH)
    assert r.status_code == 200 and "stopped reading /v1/fine_tuning/jobs after" in r.headers["warning"]
    assert 2 <= api.pages < 20


def test_paging_stops_when_the_client_goes(shim_at):
    from tests.fakes import FakeServer
    api = EndlessJobs(delay=0.01)
    with FakeServer(api) as upstream:
        url = shim_at(upstream.url, max_pages=10_000, max_paging_seconds=1000)
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(url + "/v1/fine-tunes", headers=AUTH, timeout=0.3)
        time.sleep(0.2)  # the shim notices the disconnect and cancels its paging
        after_leaving = api.pages
        time.sleep(0.5)
    assert api.pages - after_leaving <= 1  # one page may have been in flight
    assert 5 < after_leaving < 200


def test_wrong_shape_midway_through_an_event_stream_is_an_in_band_error(today, shim_url):
    fid = today.api.add_file("t.jsonl", b"{}\n")["id"]
    with httpx.Client(base_url=shim_url + "/v1", headers=AUTH, timeout=10) as c:
        jid = c.post("/fine-tunes", json={"training_file": fid}).json()["id"]
        today.clear()
        events_path = f"/v1/fine_tuning/jobs/{jid}/events"
        # the history is read fine, the head goes out; the first poll's page is the wrong shape
        today.script(FakeResponse.json({"object": "list", "data": "nope"}), path=events_path,
                     when=lambda req: sum(r.path == events_path for r in today.requests) == 2)
        with c.stream("GET", f"/fine-tunes/{jid}/events", params={"stream": "true"}) as r:
            body = r.read()  # a cut stream raises here ("incomplete chunked read")
    events = [json.loads(line[6:]) for line in body.decode().split("\n") if line.startswith("data: ")]
    assert events[-1] == {"error": {"message": "The upstream API answered HTTP 200 with a body that is not a list.",
                                    "type": "server_error", "param": None, "code": None}}


# -- item 7: what the shim says about itself ----------------------------------------------
def test_passthrough_answers_carry_one_date_and_one_server_header(today, shim_url):
    """The real API sends both, and so does the server the shim runs in: one of each goes out."""
    today.script(FakeResponse.json({"object": "list", "data": []}, headers={
        "Date": "Mon, 01 Jan 2024 00:00:00 GMT", "Server": "cloudflare"}), path="/v1/models")
    answer = raw(shim_url, f"GET /v1/models HTTP/1.1\r\nHost: shim\r\nAuthorization: Bearer {KEY}\r\n".encode())
    assert answer.status == 200
    assert len(answer.all("date")) == 1 and len(answer.all("server")) == 1


def test_502_log_line_names_the_cause(shim_at, caplog):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens once closed
    url = shim_at(f"http://127.0.0.1:{port}")
    with caplog.at_level(logging.INFO, "migrator.shim"):
        assert httpx.get(url + "/v1/fine-tunes", headers=AUTH).status_code == 502
        assert httpx.get(url + "/v1/models", headers=AUTH).status_code == 502
    lines = [r.getMessage() for r in caplog.records if r.name == "migrator.shim"]
    assert [line.split(" upstream=")[1].rsplit(" ", 1)[0] for line in lines] == [
        f"- (ConnectError: Cannot connect to host 127.0.0.1:{port} ssl:default [Connect call failed "
        f"('127.0.0.1', {port})])"] * 2


def test_head_passes_through_without_a_body(today, shim_url):
    """A JSON head with a length and no body is not a truncated answer."""
    today.script(FakeResponse.json({"object": "list", "data": []}), path="/v1/models")
    answer = raw(shim_url, f"HEAD /v1/models HTTP/1.1\r\nHost: shim\r\nAuthorization: Bearer {KEY}\r\n".encode(),
                 method="HEAD")
    assert (answer.status, answer.body) == (200, b"")
    assert answer.all("content-length") == ["30"]


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_a_forwarded_json_answer_cut_short_is_a_502(today, shim_url, framing):
    """The head of a forwarded JSON answer goes out only once its body has arrived whole."""
    body = json.dumps({"object": "list", "data": [{"id": "m", "object": "model"}] * 50}).encode()
    if framing == "length":
        cut = FakeResponse(200, body, {"Content-Type": "application/json"}, fault="truncate")
    else:
        cut = FakeResponse(200, iter([body[:100]]), {"Content-Type": "application/json"}, fault="cut")
    today.script(cut, path="/v1/models")
    r = httpx.get(shim_url + "/v1/models", headers=AUTH)
    assert r.status_code == 502
    assert r.json()["error"]["message"].startswith("The upstream API broke off its answer: RemoteProtocolError")


def test_a_forwarded_json_answer_over_the_limit_streams_through(today, shim_at):
    url = shim_at(today.url, max_body_bytes=1000)
    body = json.dumps({"object": "list", "data": [{"id": "m" * 50, "object": "model"}] * 100}).encode()
    today.script(FakeResponse(200, iter([body[:700], body[700:]]), {"Content-Type": "application/json"}),
                 path="/v1/models")
    r = httpx.get(url + "/v1/models", headers=AUTH)
    assert r.status_code == 200 and r.content == body


def test_a_huge_error_page_is_not_read_whole(today, shim_url):
    """Only the start of a non-JSON error page is quoted, so only the start is read."""
    sent = []

    def endless_page():
        for _ in range(100_000):  # 100 MB if read whole
            sent.append(1)
            yield b"<html>" + b"x" * 1018
    today.script(FakeResponse(502, endless_page(), {"Content-Type": "text/html"}), path="/v1/models")
    r = httpx.get(shim_url + "/v1/models", headers=AUTH)
    assert r.status_code == 502
    assert r.json()["error"]["message"].startswith("upstream answered HTTP 502 (text/html): <html>xxx")
    assert len(sent) < 20_000  # what the sockets buffered before the shim hung up, not 100 MB
