"""httpx transports that run the translation in-process (sync and async).

``OpenAI(http_client=httpx.Client(transport=LegacyTransport()))`` or, for v0
code, the same transport behind a proxy: each drives a
:meth:`migrator.shim.translate.Shim.handle` generator with real I/O through an
*inner* transport (by default httpx's own connection pool).  Both run one
driver (:func:`_respond`), a generator that decides everything and asks its
transport only for plain I/O (send, read, close, sleep), so a fix to how
answers are relayed lands once for both.  The ASGI
server (:mod:`migrator.shim.app`) is a thin ASGI front over
:class:`AsyncLegacyTransport`, so the in-process and the proxied translation are
the same code.

Each request logs one line on the ``migrator.shim`` logger: method, path,
status, upstream status (or why there is none), milliseconds.  Headers (hence
API keys) and queries are never logged, and the caller's key is masked in any
upstream error text that is.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, AsyncIterator, Iterator

import httpx
import orjson

from migrator.catalog import Catalog

from .config import ShimConfig
from .mapping import error_body, legacy_error
from .protocol import (ClientBodyTimeout, ClientRequest, Emit, Forward, Gather, ReadBody, Reply, Rewrite, Sleep,
                       StartStream, StreamEnd, Upstream, UpstreamFailure, UpstreamReply)
from .translate import KEPT_REPLY_HEADERS, Shim, dumps, is_number, json_reply, sse

log = logging.getLogger("migrator.shim")

# Request headers that carry credentials: masked in anything logged.
SECRET_HEADERS = ("authorization", "api-key", "openai-api-key")
# How much of an error page that is not JSON the shim reads: its message quotes the start.
ERROR_PAGE_BYTES = 64 * 1024
# Headers that no longer describe a body the shim has read and decoded.
DECODED = frozenset({b"content-encoding", b"content-length"})
# Response headers that describe the upstream hop; a forwarded body is re-framed.
RESPONSE_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade",
                          "trailer"})


def client_request(request: httpx.Request) -> ClientRequest:
    raw = request.url.raw_path.decode("ascii")
    path, _, query = raw.partition("?")
    headers = tuple((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in request.headers.raw)
    return ClientRequest(request.method, path, query, headers)


def _origin(request: httpx.Request) -> str:
    url = request.url
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


class _Exchange:
    """One request in flight: its generator, its body stream and what the log line needs.

    ``origin`` is where today's calls go when the config names no upstream (the
    host the client asked for); ``timeout`` is the client's own httpx timeout,
    if it set one.

    The timeout bounds the whole request, not each upstream call: a translated
    answer that needs several calls (a create, then its events and files) still
    comes within it, so a client never gives up on a create that succeeded and
    retries it.  Once an event stream has started, each poll gets the full timeout.
    """

    __slots__ = ("client", "body", "origin", "timeout", "deadline", "gen", "started", "upstream_status", "cause",
                 "logged", "config")

    def __init__(self, shim: Shim, client: ClientRequest, body: Any, origin: str | None,
                 timeout: dict | None = None) -> None:
        self.client = client
        self.body = body
        self.config = shim.config
        self.origin = self.config.upstream or origin
        self.timeout = timeout or dict.fromkeys(("connect", "read", "write", "pool"), self.config.timeout)
        longest = max((t for t in self.timeout.values() if t is not None), default=None)
        self.deadline = None if longest is None else time.monotonic() + longest
        self.gen = shim.handle(client)
        self.started = time.perf_counter()
        self.upstream_status: int | None = None
        self.cause: str | None = None  # why the last upstream call got no answer
        self.logged = False

    def upstream_request(self, up: Upstream) -> httpx.Request:
        url = self.origin + up.path + ("?" + up.query if up.query else "")
        stream, content = None, up.body
        if up.stream_client_body and (self.client.header("content-length") is not None
                                      or self.client.header("transfer-encoding") is not None):
            stream, content = self.body, None  # a body without a length stays chunked
        out = httpx.Request(up.method, url, headers=list(up.headers), content=content, stream=stream,
                            extensions={"timeout": self.remaining()})
        if stream is not None:  # httpx frames only the bodies it builds itself
            out.headers["host"] = out.url.netloc.decode("ascii")
            if "content-length" not in out.headers:
                out.headers["transfer-encoding"] = "chunked"
        return out

    def remaining(self) -> dict:
        """The httpx timeouts for the next upstream call: what is left of the request's time."""
        if self.deadline is None:
            return self.timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise httpx.PoolTimeout(f"the {self.config.timeout:g} s this request may wait on the upstream ran out")
        return {k: left if v is None else min(v, left) for k, v in self.timeout.items()}

    def failed(self, exc: httpx.HTTPError) -> UpstreamFailure:
        """``exc`` as the core sees it; remembered for the log line."""
        failure = _failure(exc)
        self.cause = self.mask(str(failure))
        return failure

    def mask(self, text: str) -> str:
        """``text`` without the caller's credentials, for logs."""
        for name in SECRET_HEADERS:
            value = self.client.header(name)
            if value:
                for secret in {value, value.partition(" ")[2]} - {""}:
                    text = text.replace(secret, "***")
        return text

    def log(self, status: int) -> None:
        if self.logged:
            return
        self.logged = True
        ms = (time.perf_counter() - self.started) * 1000
        if self.upstream_status is not None:
            upstream = str(self.upstream_status)
        else:
            upstream = f"- ({self.cause})" if self.cause else "-"
        log.info("%s %s %d upstream=%s %.1fms", self.client.method, self.client.path, status, upstream, ms)


def _config(config: ShimConfig | None, settings: dict[str, Any]) -> ShimConfig:
    """The given config with ``settings`` on top; by default each request's own host is the upstream."""
    if config is not None:
        return config.merged(**settings)
    return ShimConfig(**{"upstream": None, **settings})


def _failure(exc: httpx.HTTPError) -> UpstreamFailure:
    timeout = isinstance(exc, httpx.TimeoutException)
    return UpstreamFailure(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, timeout=timeout,
                           connected=not isinstance(exc, httpx.ConnectError))


def _internal_error(ex: _Exchange) -> Reply:
    """A bug in the shim: logged with its traceback here, a clean envelope to the client."""
    log.exception("internal error while handling %s %s", ex.client.method, ex.client.path)
    return json_reply(500, error_body("The ft-migrate shim failed on this request; see its log.",
                                      "server_error"), (("x-should-retry", "false"),))


def _internal_event(ex: _Exchange) -> bytes:
    """A bug after a stream's head was sent: logged, and reported in-band (old clients raise on it)."""
    return sse(orjson.loads(_internal_error(ex).body))


def _gathered(results: list) -> list:
    """Replies and httpx errors of a :class:`_FetchAll`, in order; anything else is re-raised."""
    for item in results:
        if isinstance(item, BaseException) and not isinstance(item, httpx.HTTPError):
            raise item
    return results


def _reply_response(ex: _Exchange, reply: Reply) -> httpx.Response:
    ex.log(reply.status)
    return httpx.Response(reply.status, headers=list(reply.headers), content=reply.body)


def _forward_headers(resp: httpx.Response, fwd: Forward) -> list[tuple[bytes, bytes]]:
    out = []
    for k, v in resp.headers.raw:
        name = k.lower().decode("latin-1")
        if name in RESPONSE_HOP or (name == "openai-processing-ms" and not is_number(v.decode("latin-1"))):
            continue  # v0 raises ValueError on every call when that header is not a number (openai 0.27/0.28)
        out.append((k, v))
    return out + [(k.encode("latin-1"), v.encode("latin-1")) for k, v in fwd.headers]


def _media(resp: httpx.Response) -> str:
    return resp.headers.get("content-type", "").split(";")[0].strip().lower()


def _plan(resp: httpx.Response, fwd: Forward) -> str:
    """How a forwarded answer goes back to the client.

    ``envelope``: an error page that is not JSON (an HTML 502 from a load
    balancer) is read and rewritten into the envelope old clients parse.
    ``buffer``: a JSON answer is read whole (up to ``max_body_bytes``) before its
    head goes out, so an upstream that dies mid-body or sends broken JSON gets a
    502 envelope rather than a truncated 200.  ``events``: a server-sent event
    stream goes out event by event, so a stream the upstream cuts ends with an
    in-band error event, not mid-line.  ``stream``: anything else (file contents)
    streams through untouched.  A success the forward rewrites is an event stream
    or is read whole (a body that is not JSON then gets a 502).
    """
    media = _media(resp)
    if fwd.request.method == "HEAD" or resp.status_code in (204, 304):  # no body to check
        return "stream"
    if media.endswith("json"):
        return "buffer"
    if resp.status_code >= 400:
        return "envelope"
    if media == "text/event-stream" and (fwd.rewrite is not None
                                         or resp.headers.get("content-encoding", "identity") == "identity"):
        return "events"
    return "buffer" if fwd.rewrite is not None else "stream"


def _envelope_response(ex: _Exchange, resp: httpx.Response, page: bytes, status: int) -> httpx.Response:
    body = legacy_error(resp.status_code, page, resp.headers.get("content-type"))
    return _reply_response(ex, json_reply(status, body, _kept_headers(resp)))


def _kept_headers(resp: httpx.Response) -> tuple[tuple[str, str], ...]:
    return tuple((k, v) for k in KEPT_REPLY_HEADERS if (v := resp.headers.get(k)) is not None)


def _buffered_response(ex: _Exchange, resp: httpx.Response, raw: bytes, status: int,
                       fwd: Forward) -> httpx.Response:
    """A JSON answer read whole (``raw``, decoded): forwarded as it is when it is what
    old clients parse; an error body not in the legacy envelope is rewritten into
    it, and a success that is not JSON becomes a 502."""
    try:
        body = orjson.loads(raw)
    except ValueError:
        body = None
        if resp.is_success:
            return _reply_response(ex, json_reply(502, error_body(
                f"The upstream API answered HTTP {resp.status_code} with a body that is not JSON.",
                "server_error"), _kept_headers(resp)))
    if resp.status_code >= 400 and not _is_envelope(body):
        return _reply_response(ex, json_reply(status, legacy_error(resp.status_code, raw, _media(resp)),
                                              _kept_headers(resp)))
    if resp.is_success and fwd.rewrite is not None:
        rebuilt = fwd.rewrite.whole(body)
        if rebuilt is None:
            return _not_rewritable(ex, resp, "the answer it was asked for")
        raw = dumps(rebuilt)
    ex.log(status)
    return httpx.Response(status, headers=_decoded_headers(resp, fwd), content=raw)


def _within(config: ShimConfig) -> str:
    return f"within the shim's limit of {config.max_body_bytes} bytes"


def _not_rewritable(ex: _Exchange, resp: httpx.Response, what: str) -> httpx.Response:
    return _reply_response(ex, json_reply(502, error_body(
        f"The upstream API answered HTTP {resp.status_code} with a body that is not {what}.", "server_error"),
        _kept_headers(resp)))


def _decoded_headers(resp: httpx.Response, fwd: Forward) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in _forward_headers(resp, fwd) if k.lower() not in DECODED]


def _events_headers(resp: httpx.Response, fwd: Forward) -> list[tuple[bytes, bytes]]:
    """A forwarded event stream's head: a rewritten one is decoded and re-framed."""
    return _decoded_headers(resp, fwd) if fwd.rewrite is not None else _forward_headers(resp, fwd)


def _is_envelope(body: Any) -> bool:
    err = body.get("error") if isinstance(body, dict) else None
    return isinstance(err, dict) and {"message", "type", "param", "code"} <= set(err)


_EVENT_END = (b"\n\n", b"\r\n\r\n")


def _whole_events(pending: bytes) -> tuple[bytes, bytes]:
    """``pending`` split after its last complete event: (what can go out, what waits)."""
    cut = max((pending.rfind(end) + len(end) if pending.rfind(end) >= 0 else 0) for end in _EVENT_END)
    return pending[:cut], pending[cut:]


def _rewritten(rewrite: Rewrite | None, events: bytes) -> bytes:
    return events if rewrite is None else rewrite.events(events)


def _cut_stream_event(ex: _Exchange, exc: httpx.HTTPError) -> bytes:
    failure = ex.failed(exc)
    return sse(error_body(f"The upstream API stopped in the middle of the stream: {failure}", "server_error"))


# -- the one driver: both transports run it ----------------------------------
# What the driver asks a transport to do; the transport answers with the result, or
# throws the httpx.HTTPError / ClientBodyTimeout it met back into the driver.
@dataclass(frozen=True, slots=True)
class _Fetch:
    """Send ``request`` and read its whole answer: an :class:`UpstreamReply`."""

    request: httpx.Request


@dataclass(frozen=True, slots=True)
class _FetchAll:
    """Several :class:`_Fetch` at once (concurrently where the transport can): a list
    holding, for each, its reply or the httpx.HTTPError it met."""

    requests: tuple[httpx.Request, ...]


@dataclass(frozen=True, slots=True)
class _ClientBody:
    """The client's whole body, at most ``limit`` bytes: bytes, or None when larger."""

    body: Any
    limit: int


@dataclass(frozen=True, slots=True)
class _Pause:
    seconds: float


@dataclass(frozen=True, slots=True)
class _Open:
    """Send ``request``; its response, body unread."""

    request: httpx.Request


@dataclass(frozen=True, slots=True)
class _ReadUpTo:
    """Read ``resp`` (decoded) until more than ``limit`` bytes or its end:
    ``(bytes, the unread rest as an iterator or None)``.  On an error the transport closes it."""

    resp: httpx.Response
    limit: int


@dataclass(frozen=True, slots=True)
class _Close:
    resp: httpx.Response


@dataclass(frozen=True, slots=True)
class _Stream:
    """A response whose body the transport streams from ``resp``: ``kind`` is
    ``events`` (whole events, rebuilt by ``rewrite``), ``rest`` (``head`` then ``rest``)
    or ``raw`` (untouched); ``core`` streams what the translation core emits."""

    kind: str
    status: int
    headers: list
    resp: httpx.Response | None = None
    rewrite: Rewrite | None = None
    head: bytes = b""
    rest: Any = None


_RETHROWN = (httpx.HTTPError, ClientBodyTimeout)


def _upstream_reply(resp: httpx.Response) -> UpstreamReply:
    return UpstreamReply(resp.status_code, tuple((k.lower(), v) for k, v in resp.headers.multi_items()),
                         resp.content)


def _send(ex: _Exchange, up: Upstream):
    try:
        reply = yield _Fetch(ex.upstream_request(up))
    except httpx.HTTPError as exc:
        raise ex.failed(exc) from None
    ex.upstream_status = reply.status
    return reply


def _send_all(ex: _Exchange, ups: tuple[Upstream, ...]):
    """The replies of a :class:`Gather`, each a reply or the :class:`UpstreamFailure` it met."""
    requests, out = [], []
    for up in ups:
        try:
            requests.append(ex.upstream_request(up))
        except httpx.HTTPError as exc:  # the request's time ran out before it was sent
            return [ex.failed(exc)] * len(ups)
    for result in (yield _FetchAll(tuple(requests))):
        if isinstance(result, httpx.HTTPError):
            out.append(ex.failed(result))
        else:
            ex.upstream_status = result.status
            out.append(result)
    return out


def _advance(ex: _Exchange):
    """Run the core's generator until it returns, starts a stream or emits bytes."""
    value: Any = None
    failure: UpstreamFailure | ClientBodyTimeout | None = None
    while True:
        try:
            cmd = ex.gen.throw(failure) if failure is not None else ex.gen.send(value)
        except StopIteration as stop:
            return stop.value
        value, failure = None, None
        try:
            if isinstance(cmd, Upstream):
                value = yield from _send(ex, cmd)
            elif isinstance(cmd, Gather):
                value = yield from _send_all(ex, cmd.requests)
            elif isinstance(cmd, ReadBody):
                value = yield _ClientBody(ex.body, cmd.limit)
            elif isinstance(cmd, Sleep):
                yield _Pause(cmd.seconds)
            else:  # StartStream, Emit
                return cmd
        except (UpstreamFailure, ClientBodyTimeout) as exc:
            failure = exc


def _respond(ex: _Exchange):
    """The whole answer to one request: an httpx.Response, or a :class:`_Stream` to wrap."""
    step = yield from _advance(ex)
    if isinstance(step, StartStream):
        ex.deadline = None  # from now on, each poll has its own timeout
        ex.log(step.status)
        return _Stream("core", step.status, list(step.headers))
    if isinstance(step, Forward):
        return (yield from _forward(ex, step))
    return _reply_response(ex, step)


def _forward(ex: _Exchange, fwd: Forward):
    try:
        resp = yield _Open(ex.upstream_request(fwd.request))
    except httpx.HTTPError as exc:
        return _reply_response(ex, Shim._failure(ex.failed(exc)))
    except ClientBodyTimeout as exc:
        return _reply_response(ex, Shim.body_timeout(exc))
    ex.upstream_status = resp.status_code
    status = fwd.status_map.get(resp.status_code, resp.status_code)
    plan = _plan(resp, fwd)
    if plan in ("buffer", "envelope"):
        limit = ex.config.max_body_bytes if plan == "buffer" else ERROR_PAGE_BYTES - 1
        try:
            body, rest = yield _ReadUpTo(resp, limit)
        except httpx.HTTPError as exc:
            return _reply_response(ex, Shim._failure(ex.failed(exc)))
        if plan == "buffer" and rest is not None:  # too large to check: it streams on
            if fwd.rewrite is None:
                ex.log(status)
                return _Stream("rest", status, _decoded_headers(resp, fwd), resp, head=body, rest=rest)
            yield _Close(resp)
            return _not_rewritable(ex, resp, _within(ex.config))
        yield _Close(resp)
        if plan == "envelope":
            return _envelope_response(ex, resp, body, status)
        return _buffered_response(ex, resp, body, status, fwd)
    ex.log(status)
    if plan == "events":
        return _Stream("events", status, _events_headers(resp, fwd), resp, fwd.rewrite)
    return _Stream("raw", status, _forward_headers(resp, fwd), resp)


def _run_failed(ex: _Exchange) -> httpx.Response:
    ex.gen.close()
    return _reply_response(ex, _internal_error(ex))


class LegacyTransport(httpx.BaseTransport):
    """Translate legacy calls in-process, sending today's calls through ``transport``.

    With the default ``config`` the upstream is the host each request names, so
    ``OpenAI()``'s default base URL keeps working; settings (``model_map``,
    ``strict``, ``lenient``, ...) can be given as keyword arguments.  It runs the
    same driver as :class:`AsyncLegacyTransport`, doing its I/O in turn.
    """

    def __init__(self, transport: httpx.BaseTransport | None = None, config: ShimConfig | None = None, *,
                 catalog: Catalog | None = None, **settings: Any) -> None:
        self.config = _config(config, settings)
        self.inner = transport if transport is not None else httpx.HTTPTransport()
        self.shim = Shim(self.config, catalog)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.handle_client(_Exchange(self.shim, client_request(request), request.stream, _origin(request),
                                            request.extensions.get("timeout")))

    def handle_client(self, ex: _Exchange) -> httpx.Response:
        try:
            out = self.run(_respond(ex))
        except Exception:
            return _run_failed(ex)
        if not isinstance(out, _Stream):
            return out
        if out.kind == "core":
            stream: httpx.SyncByteStream = _SyncEvents(self, ex)
        elif out.kind == "events":
            stream = _SyncWholeEvents(out.resp, ex, out.rewrite)
        elif out.kind == "rest":
            stream = _SyncRest(out.head, out.rest, out.resp)
        else:
            return httpx.Response(out.status, headers=out.headers, stream=out.resp.stream,
                                  extensions=out.resp.extensions)
        return httpx.Response(out.status, headers=out.headers, stream=stream,
                              extensions=out.resp.extensions if out.resp is not None else None)

    def run(self, driver):
        """Run ``driver`` to its end, doing each thing it asks for."""
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                op = driver.throw(error) if error is not None else driver.send(value)
            except StopIteration as stop:
                return stop.value
            value, error = None, None
            try:
                value = self._do(op)
            except _RETHROWN as exc:
                error = exc

    def _do(self, op: Any) -> Any:
        if isinstance(op, _Fetch):
            return self._fetch(op.request)
        if isinstance(op, _Open):
            return self.inner.handle_request(op.request)
        if isinstance(op, _ReadUpTo):
            chunks = op.resp.iter_bytes()
            body = bytearray()
            try:
                for chunk in chunks:
                    body += chunk
                    if len(body) > op.limit:
                        return bytes(body), chunks
            except httpx.HTTPError:
                op.resp.close()
                raise
            return bytes(body), None
        if isinstance(op, _Close):
            return op.resp.close()
        if isinstance(op, _ClientBody):
            buf = bytearray()
            for chunk in op.body:
                buf += chunk
                if len(buf) > op.limit:
                    return None
            return bytes(buf)
        if isinstance(op, _FetchAll):
            out: list = []
            for request in op.requests:
                try:
                    out.append(self._fetch(request))
                except httpx.HTTPError as exc:
                    out.append(exc)
            return out
        if isinstance(op, _Pause):
            return time.sleep(op.seconds)
        raise TypeError(op)

    def _fetch(self, request: httpx.Request) -> UpstreamReply:
        resp = self.inner.handle_request(request)
        try:
            resp.read()
        finally:
            resp.close()
        return _upstream_reply(resp)

    def close(self) -> None:
        self.inner.close()


class _SyncWholeEvents(httpx.SyncByteStream):
    """A forwarded event stream, sent event by event (rebuilt by ``rewrite`` if given);
    a cut ends with an error event."""

    def __init__(self, resp: httpx.Response, ex: _Exchange, rewrite: Rewrite | None = None) -> None:
        self.resp, self.ex, self.rewrite = resp, ex, rewrite

    def __iter__(self) -> Iterator[bytes]:
        pending = b""
        try:
            for chunk in self.resp.iter_raw() if self.rewrite is None else self.resp.iter_bytes():
                ready, pending = _whole_events(pending + chunk)
                if ready and (ready := _rewritten(self.rewrite, ready)):
                    yield ready
        except httpx.HTTPError as exc:
            yield _cut_stream_event(self.ex, exc)
            return
        if pending and (pending := _rewritten(self.rewrite, pending)):
            yield pending

    def close(self) -> None:
        self.resp.close()


class _SyncRest(httpx.SyncByteStream):
    """An answer too large to check: what was read, then the rest as it comes."""

    def __init__(self, head: bytes, rest: Iterator[bytes], resp: httpx.Response) -> None:
        self.head, self.rest, self.resp = head, rest, resp

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        yield from self.rest

    def close(self) -> None:
        self.resp.close()


class _SyncEvents(httpx.SyncByteStream):
    """The body of a stream the core is writing; closing it (client gone) stops the polling."""

    def __init__(self, transport: LegacyTransport, ex: _Exchange) -> None:
        self.transport, self.ex = transport, ex

    def __iter__(self) -> Iterator[bytes]:
        while True:
            try:
                step = self.transport.run(_advance(self.ex))
            except Exception:
                self.ex.gen.close()
                yield _internal_event(self.ex)
                return
            if not isinstance(step, Emit):
                assert isinstance(step, StreamEnd), step
                return
            yield step.data

    def close(self) -> None:
        self.ex.gen.close()


class AsyncLegacyTransport(httpx.AsyncBaseTransport):
    """The async twin of :class:`LegacyTransport` (the same driver, awaited); also the engine of the server."""

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None, config: ShimConfig | None = None, *,
                 catalog: Catalog | None = None, **settings: Any) -> None:
        self.config = _config(config, settings)
        self.inner = transport if transport is not None else httpx.AsyncHTTPTransport()
        self.shim = Shim(self.config, catalog)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.handle_client(self.exchange(client_request(request), request.stream, _origin(request),
                                                      request.extensions.get("timeout")))

    def exchange(self, client: ClientRequest, body: httpx.AsyncByteStream, origin: str | None = None,
                 timeout: dict | None = None) -> _Exchange:
        """A request as the server adapter hands it over (no ``httpx.Request`` to build)."""
        return _Exchange(self.shim, client, body, origin, timeout)

    async def handle_client(self, ex: _Exchange) -> httpx.Response:
        try:
            out = await self.run(_respond(ex))
        except Exception:
            return _run_failed(ex)
        if not isinstance(out, _Stream):
            return out
        if out.kind == "core":
            stream: httpx.AsyncByteStream = _AsyncEvents(self, ex)
        elif out.kind == "events":
            stream = _AsyncWholeEvents(out.resp, ex, out.rewrite)
        elif out.kind == "rest":
            stream = _AsyncRest(out.head, out.rest, out.resp)
        else:
            return httpx.Response(out.status, headers=out.headers, stream=out.resp.stream,
                                  extensions=out.resp.extensions)
        return httpx.Response(out.status, headers=out.headers, stream=stream,
                              extensions=out.resp.extensions if out.resp is not None else None)

    async def run(self, driver):
        """Run ``driver`` to its end, awaiting each thing it asks for."""
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                op = driver.throw(error) if error is not None else driver.send(value)
            except StopIteration as stop:
                return stop.value
            value, error = None, None
            try:
                value = await self._do(op)
            except _RETHROWN as exc:
                error = exc

    async def _do(self, op: Any) -> Any:
        if isinstance(op, _Fetch):
            return await self._fetch(op.request)
        if isinstance(op, _Open):
            return await self.inner.handle_async_request(op.request)
        if isinstance(op, _ReadUpTo):
            chunks = op.resp.aiter_bytes()
            body = bytearray()
            try:
                async for chunk in chunks:
                    body += chunk
                    if len(body) > op.limit:
                        return bytes(body), chunks
            except httpx.HTTPError:
                await op.resp.aclose()
                raise
            return bytes(body), None
        if isinstance(op, _Close):
            return await op.resp.aclose()
        if isinstance(op, _ClientBody):
            buf = bytearray()
            async for chunk in op.body:
                buf += chunk
                if len(buf) > op.limit:
                    return None
            return bytes(buf)
        if isinstance(op, _FetchAll):
            return _gathered(await asyncio.gather(*(self._fetch(r) for r in op.requests), return_exceptions=True))
        if isinstance(op, _Pause):
            return await asyncio.sleep(op.seconds)
        raise TypeError(op)

    async def _fetch(self, request: httpx.Request) -> UpstreamReply:
        resp = await self.inner.handle_async_request(request)
        try:
            await resp.aread()
        finally:
            await resp.aclose()
        return _upstream_reply(resp)

    async def aclose(self) -> None:
        await self.inner.aclose()


class _AsyncWholeEvents(httpx.AsyncByteStream):
    """A forwarded event stream, sent event by event (rebuilt by ``rewrite`` if given);
    a cut ends with an error event."""

    def __init__(self, resp: httpx.Response, ex: _Exchange, rewrite: Rewrite | None = None) -> None:
        self.resp, self.ex, self.rewrite = resp, ex, rewrite

    async def __aiter__(self) -> AsyncIterator[bytes]:
        pending = b""
        try:
            async for chunk in self.resp.aiter_raw() if self.rewrite is None else self.resp.aiter_bytes():
                ready, pending = _whole_events(pending + chunk)
                if ready and (ready := _rewritten(self.rewrite, ready)):
                    yield ready
        except httpx.HTTPError as exc:
            yield _cut_stream_event(self.ex, exc)
            return
        if pending and (pending := _rewritten(self.rewrite, pending)):
            yield pending

    async def aclose(self) -> None:
        await self.resp.aclose()


class _AsyncRest(httpx.AsyncByteStream):
    """An answer too large to check: what was read, then the rest as it comes."""

    def __init__(self, head: bytes, rest: AsyncIterator[bytes], resp: httpx.Response) -> None:
        self.head, self.rest, self.resp = head, rest, resp

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.head
        async for chunk in self.rest:
            yield chunk

    async def aclose(self) -> None:
        await self.resp.aclose()


class _AsyncEvents(httpx.AsyncByteStream):
    def __init__(self, transport: AsyncLegacyTransport, ex: _Exchange) -> None:
        self.transport, self.ex = transport, ex

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            try:
                step = await self.transport.run(_advance(self.ex))
            except Exception:
                self.ex.gen.close()
                yield _internal_event(self.ex)
                return
            if not isinstance(step, Emit):
                assert isinstance(step, StreamEnd), step
                return
            yield step.data

    async def aclose(self) -> None:
        self.ex.gen.close()


__all__ = ["AsyncLegacyTransport", "LegacyTransport"]
