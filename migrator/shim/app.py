"""The shim as an ASGI app, served by uvicorn from ``ft-migrate shim serve``.

A thin front over :class:`migrator.shim.transport.AsyncLegacyTransport`: the
incoming request becomes a :class:`ClientRequest` whose body is the ASGI receive
stream (so forwarded uploads are never held in memory), the transport answers,
and its body is streamed back.  The app keeps no state between requests apart
from the upstream connection pool (and, per process, the last health probe and
the metrics counters of :mod:`migrator.shim.ops`), so ``--workers N`` and several hosts behind a
load balancer serve the same clients.

It is a bare ASGI callable rather than a framework route, so that every answer,
an unknown method or a proxy-style absolute URL included, is the legacy JSON
envelope, and so that it can watch the connection: a client that goes away
stops its request (no paging or polling on behalf of nobody), and a client that
stops sending its body is answered 408 after ``client_timeout`` seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any, AsyncIterator, Awaitable, Callable

import httpx

from migrator.catalog import Catalog

from . import logs
from .config import ShimConfig
from .mapping import error_body
from .ops import ObservedTransport, Ops
from .pool import AiohttpTransport
from .protocol import ClientBodyTimeout, ClientRequest
from .transport import AsyncLegacyTransport
from .translate import json_reply

CONFIG_ENV = "FT_MIGRATE_SHIM_CONFIG"  # how `serve --workers N` hands the config to each worker
# uvicorn's HTTP parser, whatever else is installed.  Left to itself uvicorn takes httptools
# when it can import it, and httptools answers an unknown method or a proxy-style absolute
# URL with uvicorn's plain-text 400 before the app sees the request, where the shim's
# answer is the legacy envelope (it spends less CPU a request: bench/bench_shim.py).
HTTP_PARSER = "h11"
# uvicorn writes its own Date and Server headers: an upstream's copies would be duplicates.
SERVER_SUPPLIED = frozenset({b"date", b"server"})

Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


class _Connection(httpx.AsyncByteStream):
    """One client connection: its request body, and whether the client is still there.

    Only :meth:`pump` calls ``receive``: it hands the body on through a
    one-message queue (so a forwarded upload keeps its back-pressure), then keeps
    listening, and cancels the request's task when the client disconnects.
    """

    def __init__(self, receive: Receive, client_timeout: float) -> None:
        self.receive = receive
        self.client_timeout = client_timeout
        self.queue: asyncio.Queue[dict] = asyncio.Queue(maxsize=1)
        self.gone = False
        self.answered = False  # the last byte of the answer is on its way: nothing left to stop

    async def pump(self, task: asyncio.Task) -> None:
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                if not self.answered:
                    self.gone = True
                    task.cancel()
                return
            await self.queue.put(message)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            try:
                message = await asyncio.wait_for(self.queue.get(), self.client_timeout)
            except asyncio.TimeoutError:
                raise ClientBodyTimeout(self.client_timeout) from None
            if message.get("body"):
                yield message["body"]
            if not message.get("more_body", False):
                return


class ShimApp:
    """The ASGI application (see the module docstring)."""

    def __init__(self, config: ShimConfig, shim: AsyncLegacyTransport, ops: Ops) -> None:
        self.config = config
        self.shim = shim
        self.ops = ops  # /healthz, /metrics, request records, the clean stop

    async def __call__(self, scope: dict, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if self.ops.owns(scope):
                await self.ops.answer(scope, send)
                return
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.ops.started()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shim.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: dict, receive: Receive, send: Send) -> None:
        tracked, send = self.ops.track(scope, send)
        conn = _Connection(receive, self.config.client_timeout)
        work = asyncio.ensure_future(self._respond(scope, conn, send))
        pump = asyncio.ensure_future(conn.pump(work))
        try:
            await work
        except asyncio.CancelledError:
            if not conn.gone:  # the server is stopping, not the client leaving
                raise
        finally:
            pump.cancel()
            self.ops.finish(tracked)

    async def _respond(self, scope: dict, conn: _Connection, send: Send) -> None:
        target = scope.get("raw_path") or scope["path"].encode()
        if not target.startswith(b"/"):  # "GET http://host/v1/models": the client took the shim for a proxy
            reply = json_reply(400, error_body(
                "The ft-migrate shim is not an HTTP proxy: set the client's API base URL to the shim's "
                "http://HOST:PORT/v1 instead of a proxy setting."), (("connection", "close"),))
            built = httpx.Response(reply.status, headers=list(reply.headers), content=reply.body)
            conn.answered = True
            await _send_reply(send, reply.status, list(built.headers.raw), reply.body)
            return
        headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"])
        client = ClientRequest(scope["method"], target.decode("latin-1"), scope["query_string"].decode("latin-1"),
                               headers)
        ex = self.shim.exchange(client, conn)
        try:
            resp = await self.shim.handle_client(ex)
        except asyncio.CancelledError:
            ex.gen.close()
            ex.log(499)  # the client left before an answer
            raise
        try:
            out = [(k, v) for k, v in resp.headers.raw if k.lower() not in SERVER_SUPPLIED]
            if isinstance(resp.stream, httpx.ByteStream):  # a reply the shim built
                conn.answered = True
                await _send_reply(send, resp.status_code, out, resp.content)
                return
            await send({"type": "http.response.start", "status": resp.status_code, "headers": out})
            async for chunk in self.ops.body(resp):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            conn.answered = True
            await send({"type": "http.response.body", "body": b""})
        finally:
            await resp.aclose()


async def _send_reply(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create_app(config: ShimConfig, *, catalog: Catalog | None = None,
               transport: httpx.AsyncBaseTransport | None = None) -> ShimApp:
    """The ASGI app; ``transport`` (default: :class:`AiohttpTransport`) reaches the upstream."""
    inner = transport if transport is not None else AiohttpTransport()
    catalog = catalog if catalog is not None else config.catalog()
    shim = AsyncLegacyTransport(ObservedTransport(inner, config.upstream), config, catalog=catalog)
    return ShimApp(config, shim, Ops(config, catalog, probe=inner))


def app_from_env() -> ShimApp:
    """Factory for uvicorn workers: the settings come from :data:`CONFIG_ENV` (JSON)."""
    settings: dict[str, Any] = json.loads(os.environ[CONFIG_ENV])
    configure_logging(settings.get("log_format", "text"))
    settings["catalog_files"] = tuple(settings.get("catalog_files", ()))
    return create_app(ShimConfig(**settings))


def configure_logging(log_format: str = "text") -> None:
    """One line per request on stderr (the ``migrator.shim`` logger), in every worker.

    As text, the line holds method, path, status, upstream status (or why the upstream
    gave none) and milliseconds; as JSON, see :mod:`migrator.shim.logs`.  Never
    headers or the query, hence never an API key.
    """
    logs.configure(log_format)
