"""httpx transports that run the translation in-process (sync and async).

``OpenAI(http_client=httpx.Client(transport=LegacyTransport()))`` or, for v0
code, the same transport behind a proxy: each drives a
:meth:`migrator.shim.translate.Shim.handle` generator with real I/O through an
*inner* transport (by default httpx's own connection pool).  The ASGI
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
    """Replies and failures of a :class:`Gather`, in order; anything else is re-raised."""
    for item in results:
        if isinstance(item, BaseException) and not isinstance(item, UpstreamFailure):
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
            continue  # v0 raises ValueError on every call when that header is not a number (wire §7)
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


class LegacyTransport(httpx.BaseTransport):
    """Translate legacy calls in-process, sending today's calls through ``transport``.

    With the default ``config`` the upstream is the host each request names, so
    ``OpenAI()``'s default base URL keeps working; settings (``model_map``,
    ``strict``, ...) can be given as keyword arguments.
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
            step = self._advance(ex, None)
            if isinstance(step, StartStream):
                ex.deadline = None  # from now on, each poll has its own timeout
                ex.log(step.status)
                return httpx.Response(step.status, headers=list(step.headers), stream=_SyncEvents(self, ex))
            if isinstance(step, Forward):
                return self._forward(ex, step)
            return _reply_response(ex, step)
        except Exception:
            ex.gen.close()
            return _reply_response(ex, _internal_error(ex))

    def _send(self, ex: _Exchange, up: Upstream) -> UpstreamReply:
        try:
            resp = self.inner.handle_request(ex.upstream_request(up))
            try:
                resp.read()
            finally:
                resp.close()
        except httpx.HTTPError as exc:
            raise ex.failed(exc) from None
        ex.upstream_status = resp.status_code
        headers = tuple((k.lower(), v) for k, v in resp.headers.multi_items())
        return UpstreamReply(resp.status_code, headers, resp.content)

    def _send_or_failure(self, ex: _Exchange, up: Upstream) -> UpstreamReply | UpstreamFailure:
        try:
            return self._send(ex, up)
        except UpstreamFailure as exc:
            return exc

    def _read_body(self, ex: _Exchange, limit: int) -> bytes | None:
        buf = bytearray()
        for chunk in ex.body:
            buf += chunk
            if len(buf) > limit:
                return None
        return bytes(buf)

    def _advance(self, ex: _Exchange, value: Any) -> Any:
        """Run the generator until it returns, starts a stream or emits bytes."""
        failure: UpstreamFailure | ClientBodyTimeout | None = None
        while True:
            try:
                cmd = ex.gen.throw(failure) if failure is not None else ex.gen.send(value)
            except StopIteration as stop:
                return stop.value
            value, failure = None, None
            try:
                if isinstance(cmd, Upstream):
                    value = self._send(ex, cmd)
                elif isinstance(cmd, Gather):
                    value = [self._send_or_failure(ex, u) for u in cmd.requests]
                elif isinstance(cmd, ReadBody):
                    value = self._read_body(ex, cmd.limit)
                elif isinstance(cmd, Sleep):
                    time.sleep(cmd.seconds)
                else:  # StartStream, Emit
                    return cmd
            except (UpstreamFailure, ClientBodyTimeout) as exc:
                failure = exc

    def _forward(self, ex: _Exchange, fwd: Forward) -> httpx.Response:
        try:
            resp = self.inner.handle_request(ex.upstream_request(fwd.request))
        except httpx.HTTPError as exc:
            return _reply_response(ex, Shim._failure(ex.failed(exc)))
        ex.upstream_status = resp.status_code
        status = fwd.status_map.get(resp.status_code, resp.status_code)
        plan = _plan(resp, fwd)
        if plan == "buffer":
            return self._buffer(ex, resp, status, fwd)
        if plan == "envelope":
            page = bytearray()
            try:
                for chunk in resp.iter_bytes():
                    page += chunk
                    if len(page) >= ERROR_PAGE_BYTES:
                        break
            except httpx.HTTPError as exc:
                return _reply_response(ex, Shim._failure(ex.failed(exc)))
            finally:
                resp.close()
            return _envelope_response(ex, resp, bytes(page), status)
        ex.log(status)
        if plan == "events":
            return httpx.Response(status, headers=_events_headers(resp, fwd),
                                  stream=_SyncWholeEvents(resp, ex, fwd.rewrite), extensions=resp.extensions)
        return httpx.Response(status, headers=_forward_headers(resp, fwd), stream=resp.stream,
                              extensions=resp.extensions)

    def _buffer(self, ex: _Exchange, resp: httpx.Response, status: int, fwd: Forward) -> httpx.Response:
        """Read a JSON answer whole before its head goes out; one larger than
        ``max_body_bytes`` streams on (decoded) from where the reading stopped."""
        chunks = resp.iter_bytes()
        body = bytearray()
        try:
            for chunk in chunks:
                body += chunk
                if len(body) > self.config.max_body_bytes:
                    if fwd.rewrite is not None:
                        resp.close()
                        return _not_rewritable(ex, resp, _within(self.config))
                    ex.log(status)
                    return httpx.Response(status, headers=_decoded_headers(resp, fwd),
                                          stream=_SyncRest(bytes(body), chunks, resp))
        except httpx.HTTPError as exc:
            resp.close()
            return _reply_response(ex, Shim._failure(ex.failed(exc)))
        resp.close()
        return _buffered_response(ex, resp, bytes(body), status, fwd)

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
                step = self.transport._advance(self.ex, None)
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
    """The async twin of :class:`LegacyTransport`; also the engine of the server."""

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
            step = await self._advance(ex, None)
            if isinstance(step, StartStream):
                ex.deadline = None  # from now on, each poll has its own timeout
                ex.log(step.status)
                return httpx.Response(step.status, headers=list(step.headers), stream=_AsyncEvents(self, ex))
            if isinstance(step, Forward):
                return await self._forward(ex, step)
            return _reply_response(ex, step)
        except Exception:
            ex.gen.close()
            return _reply_response(ex, _internal_error(ex))

    async def _send(self, ex: _Exchange, up: Upstream) -> UpstreamReply:
        try:
            resp = await self.inner.handle_async_request(ex.upstream_request(up))
            try:
                await resp.aread()
            finally:
                await resp.aclose()
        except httpx.HTTPError as exc:
            raise ex.failed(exc) from None
        ex.upstream_status = resp.status_code
        headers = tuple((k.lower(), v) for k, v in resp.headers.multi_items())
        return UpstreamReply(resp.status_code, headers, resp.content)

    async def _read_body(self, ex: _Exchange, limit: int) -> bytes | None:
        buf = bytearray()
        async for chunk in ex.body:
            buf += chunk
            if len(buf) > limit:
                return None
        return bytes(buf)

    async def _advance(self, ex: _Exchange, value: Any) -> Any:
        failure: UpstreamFailure | ClientBodyTimeout | None = None
        while True:
            try:
                cmd = ex.gen.throw(failure) if failure is not None else ex.gen.send(value)
            except StopIteration as stop:
                return stop.value
            value, failure = None, None
            try:
                if isinstance(cmd, Upstream):
                    value = await self._send(ex, cmd)
                elif isinstance(cmd, Gather):
                    value = _gathered(await asyncio.gather(*(self._send(ex, u) for u in cmd.requests),
                                                           return_exceptions=True))
                elif isinstance(cmd, ReadBody):
                    value = await self._read_body(ex, cmd.limit)
                elif isinstance(cmd, Sleep):
                    await asyncio.sleep(cmd.seconds)
                else:
                    return cmd
            except (UpstreamFailure, ClientBodyTimeout) as exc:
                failure = exc

    async def _forward(self, ex: _Exchange, fwd: Forward) -> httpx.Response:
        try:
            resp = await self.inner.handle_async_request(ex.upstream_request(fwd.request))
        except httpx.HTTPError as exc:
            return _reply_response(ex, Shim._failure(ex.failed(exc)))
        except ClientBodyTimeout as exc:
            return _reply_response(ex, Shim.body_timeout(exc))
        ex.upstream_status = resp.status_code
        status = fwd.status_map.get(resp.status_code, resp.status_code)
        plan = _plan(resp, fwd)
        if plan == "buffer":
            return await self._buffer(ex, resp, status, fwd)
        if plan == "envelope":
            page = bytearray()
            try:
                async for chunk in resp.aiter_bytes():
                    page += chunk
                    if len(page) >= ERROR_PAGE_BYTES:
                        break
            except httpx.HTTPError as exc:
                return _reply_response(ex, Shim._failure(ex.failed(exc)))
            finally:
                await resp.aclose()
            return _envelope_response(ex, resp, bytes(page), status)
        ex.log(status)
        if plan == "events":
            return httpx.Response(status, headers=_events_headers(resp, fwd),
                                  stream=_AsyncWholeEvents(resp, ex, fwd.rewrite), extensions=resp.extensions)
        return httpx.Response(status, headers=_forward_headers(resp, fwd), stream=resp.stream,
                              extensions=resp.extensions)

    async def _buffer(self, ex: _Exchange, resp: httpx.Response, status: int, fwd: Forward) -> httpx.Response:
        """The async twin of :meth:`LegacyTransport._buffer`."""
        chunks = resp.aiter_bytes()
        body = bytearray()
        try:
            async for chunk in chunks:
                body += chunk
                if len(body) > self.config.max_body_bytes:
                    if fwd.rewrite is not None:
                        await resp.aclose()
                        return _not_rewritable(ex, resp, _within(self.config))
                    ex.log(status)
                    return httpx.Response(status, headers=_decoded_headers(resp, fwd),
                                          stream=_AsyncRest(bytes(body), chunks, resp))
        except httpx.HTTPError as exc:
            await resp.aclose()
            return _reply_response(ex, Shim._failure(ex.failed(exc)))
        await resp.aclose()
        return _buffered_response(ex, resp, bytes(body), status, fwd)

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
                step = await self.transport._advance(self.ex, None)
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
