"""Recording HTTP server plumbing shared by every fake OpenAI API.

The plumbing knows nothing about OpenAI: it serves an *API object* (any callable
``api(request) -> FakeResponse``) on 127.0.0.1 on an ephemeral port in a
background thread, speaks HTTP/1.1 with keep-alive (Content-Length replies,
chunked replies for streams), and records every request it receives exactly as
it arrived (method, raw path, query, headers, body).  Fakes of the API of today
(:mod:`tests.fakes.openai_today`) and of 2023 plug their behaviour in on top.

Tests can also script one-off answers (``server.script(...)``) that take
precedence over the API object: upstream faults, slow replies, odd bodies.

Usage::

    with FakeServer(TodayAPI()) as upstream:
        ...  # point a client at upstream.base_url ("http://127.0.0.1:PORT/v1")
        assert upstream.requests[-1].json == {...}
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class RecordedRequest:
    """One request as it reached the fake."""

    method: str
    target: str  # the request target exactly as sent, query included
    headers: dict[str, str]  # lower-cased names
    body: bytes

    @property
    def path(self) -> str:
        """The raw (still percent-encoded) path, without the query."""
        return urlsplit(self.target).path

    @property
    def decoded_path(self) -> str:
        return unquote(self.path)

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query, keep_blank_values=True)

    @property
    def params(self) -> dict[str, str]:
        """The query with one value per key (the last one)."""
        return {k: v[-1] for k, v in self.query.items()}

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def multipart(self) -> dict[str, "Part"]:
        """Parts of a multipart/form-data body, by field name."""
        ctype = self.headers.get("content-type", "")
        msg = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + self.body)
        parts = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            parts[name] = Part(name, part.get_filename(), part.get_content_type(),
                               part.get_payload(decode=True) or b"")
        return parts

    def summary(self) -> tuple[str, str]:
        """``(METHOD, target)``: handy for asserting the sequence of calls."""
        return self.method, self.target


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str
    data: bytes


FAULTS = ("close", "truncate", "cut")


@dataclass
class FakeResponse:
    """A reply: ``body`` bytes (sent with Content-Length) or an iterable of
    chunks (sent chunked, for streams).  ``delay`` seconds pass before the
    status line, to provoke client timeouts.

    ``fault`` breaks the connection on purpose: ``close`` closes it without an
    answer, ``truncate`` sends the head and half the body (Content-Length says
    all of it) and closes, ``cut`` sends a chunked body's chunks and closes
    without the final zero-length chunk (a server dying mid-stream)."""

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    fault: str | None = None

    def __post_init__(self) -> None:
        if self.fault not in (None, *FAULTS):
            raise ValueError(f"fault must be one of {FAULTS}, got {self.fault!r}")

    @classmethod
    def json(cls, obj: Any, status: int = 200, headers: dict[str, str] | None = None,
             **kw: Any) -> "FakeResponse":
        return cls(status, json.dumps(obj).encode(),
                   {"Content-Type": "application/json", **(headers or {})}, **kw)

    @classmethod
    def error(cls, status: int, message: str, type: str = "invalid_request_error",
              param: str | None = None, code: str | None = None, **kw: Any) -> "FakeResponse":
        """The API's error envelope, all four keys present."""
        return cls.json({"error": {"message": message, "type": type, "param": param, "code": code}},
                        status, **kw)

    @classmethod
    def sse(cls, payloads: Iterable[Any], done: bool = True) -> "FakeResponse":
        """Server-sent events, one ``data: <json>`` per payload, then ``[DONE]``."""
        def chunks() -> Iterator[bytes]:
            for p in payloads:
                yield b"data: " + json.dumps(p).encode() + b"\n\n"
            if done:
                yield b"data: [DONE]\n\n"
        return cls(200, chunks(), {"Content-Type": "text/event-stream"})


API = Callable[[RecordedRequest], FakeResponse]


class Router:
    """Maps ``(METHOD, "/v1/things/{id}")`` to handler methods; an API object
    built on it answers unmatched requests with :meth:`not_found`."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., FakeResponse]]] = []

    def add(self, method: str, template: str, handler: Callable[..., FakeResponse]) -> None:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        self._routes.append((method.upper(), re.compile(regex), handler))

    def dispatch(self, req: RecordedRequest, not_found: API) -> FakeResponse:
        path = req.decoded_path
        for method, pattern, handler in self._routes:
            m = pattern.fullmatch(path)
            if m and method == req.method:
                return handler(req, **m.groupdict())
        return not_found(req)


class FakeServer:
    """Serves ``api`` on 127.0.0.1:<ephemeral> in a daemon thread, recording requests."""

    def __init__(self, api: API) -> None:
        self.api = api
        self.requests: list[RecordedRequest] = []
        self._scripts: list[tuple[Callable[[RecordedRequest], bool], FakeResponse, list[int]]] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------
    def start(self) -> "FakeServer":
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-upstream",
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "FakeServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    # -- recording and scripting -------------------------------------------
    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def calls(self) -> list[tuple[str, str]]:
        """Every ``(METHOD, target)`` received, in order."""
        with self._lock:
            return [r.summary() for r in self.requests]

    def script(self, response: FakeResponse, *, method: str | None = None, path: str | None = None,
               times: int = 1, when: Callable[[RecordedRequest], bool] | None = None) -> None:
        """Answer the next ``times`` matching requests with ``response`` instead of the API.

        ``path`` matches the decoded path exactly, or as a prefix when it ends with ``*``.
        """
        def match(req: RecordedRequest) -> bool:
            if method is not None and req.method != method.upper():
                return False
            if path is not None:
                p = req.decoded_path
                if not (p.startswith(path[:-1]) if path.endswith("*") else p == path):
                    return False
            return when is None or when(req)
        with self._lock:
            self._scripts.append((match, response, [times]))

    def _answer(self, req: RecordedRequest) -> FakeResponse:
        with self._lock:
            self.requests.append(req)
            for match, response, left in self._scripts:
                if left[0] > 0 and match(req):
                    left[0] -= 1
                    return response
        return self.api(req)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # head and body are separate writes: no 40 ms delayed-ACK stalls
    fake: FakeServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _handle(self) -> None:
        req = RecordedRequest(self.command, self.path,
                              {k.lower(): v for k, v in self.headers.items()}, self._read_body())
        try:
            resp = self.fake._answer(req)
        except Exception as exc:  # a bug in a fake must show up in the test, not hang it
            resp = FakeResponse.error(500, f"fake upstream crashed: {exc!r}", "server_error")
        if resp.delay:
            time.sleep(resp.delay)
        try:
            self._send(resp)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
            self.close_connection = True

    def _send(self, resp: FakeResponse) -> None:
        if resp.fault is not None:
            self.close_connection = True
        if resp.fault == "close":
            return
        self.send_response_only(resp.status)
        for k, v in resp.headers.items():
            self.send_header(k, v)
        if isinstance(resp.body, (bytes, bytearray)):
            self.send_header("Content-Length", str(len(resp.body)))
            self.end_headers()
            if self.command == "HEAD":  # the head of the answer a GET would get
                return
            self.wfile.write(resp.body[:len(resp.body) // 2] if resp.fault == "truncate" else resp.body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in resp.body:
            if chunk:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
        if resp.fault != "cut":
            self.wfile.write(b"0\r\n\r\n")

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = _handle
