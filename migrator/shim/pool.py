"""The upstream connection pools of the server: aiohttp's (the default, see
:class:`AiohttpTransport`), or several small httpcore pools rather than one big one.

httpcore's pool re-checks *every* pooled connection (a ``poll`` and a
``getpeername`` system call each) whenever a request is queued or finishes, so
its cost per request grows with the number of connections: at 32 concurrent
clients that check was most of the server's CPU (bench/bench_shim.py, measured
with cProfile).  Spreading requests round-robin over ``shards`` independent
pools keeps each pool to a few connections, and the cost per request flat.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import AsyncIterator

import httpx

from .protocol import ClientBodyTimeout

DEFAULT_SHARDS = 16
DEFAULT_CONNECTIONS = 256


class ShardedTransport(httpx.AsyncBaseTransport):
    def __init__(self, shards: int = DEFAULT_SHARDS, max_connections: int = DEFAULT_CONNECTIONS) -> None:
        per_shard = max(1, max_connections // shards)
        limits = httpx.Limits(max_connections=per_shard, max_keepalive_connections=per_shard)
        tls = httpx.create_ssl_context()  # one for all shards: building one loads the CA store (~30 ms)
        self.shards = [httpx.AsyncHTTPTransport(limits=limits, verify=tls) for _ in range(shards)]
        self._next = itertools.cycle(self.shards)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await next(self._next).handle_async_request(request)

    async def aclose(self) -> None:
        for shard in self.shards:
            await shard.aclose()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """The server's upstream client: aiohttp's connection pool behind httpx's transport interface.

    Why: the server's throughput is bound by its CPU, and at 32 and 128 concurrent
    clients httpx's pool (sharded as above, or one pool) cost it about twice the CPU
    per proxied request of aiohttp's (bench/bench_shim.py; the figures are in the
    README).  The rest of the shim sees httpx requests, responses and errors as
    before: aiohttp's failures are raised as the httpx errors they correspond to
    (connect and read timeouts, refused connections, bodies cut short), a client's
    stalled upload as the :class:`ClientBodyTimeout` it is, bodies are relayed as
    received (never decompressed: a gzip answer stays gzip, with its header), the
    request target goes out exactly as encoded, and aiohttp adds no header of its
    own.  Like any pool that does not probe idle connections before reuse, it sends
    an idempotent request (GET, DELETE...) once more when the connection it reused
    turns out closed; a POST is never sent twice.
    """

    def __init__(self, max_connections: int = DEFAULT_CONNECTIONS) -> None:
        self.max_connections = max_connections
        self.session = None  # made on first use, inside the server's event loop
        self.tls = httpx.create_ssl_context()  # the CA store httpx would use

    def _session(self):
        # loaded on use: the aiohttp pool is optional
        import aiohttp

        if self.session is None:
            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.max_connections, ssl=self.tls),
                auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"))
        return self.session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # loaded on use: the aiohttp pool is optional
        import aiohttp
        import yarl

        timeout = request.extensions.get("timeout") or {}
        limits = aiohttp.ClientTimeout(total=None, connect=timeout.get("pool"), sock_connect=timeout.get("connect"),
                                       sock_read=timeout.get("read"))
        data = request.content if isinstance(request.stream, httpx.ByteStream) else _chunks(request.stream)
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        try:
            resp = await self._session().request(request.method, yarl.URL(str(request.url), encoded=True),
                                                 headers=headers, data=data or None, allow_redirects=False,
                                                 timeout=limits)
        except aiohttp.ConnectionTimeoutError:
            raise httpx.ConnectTimeout("", request=request) from None
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from None
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            raise _httpx_error(exc, request) from None
        return httpx.Response(resp.status, headers=list(resp.raw_headers), stream=_Body(resp, request),
                              extensions={"http_version": b"HTTP/1.1",
                                          "reason_phrase": (resp.reason or "").encode("latin-1")})

    async def aclose(self) -> None:
        if self.session is not None:
            await self.session.close()


async def _chunks(stream: httpx.AsyncByteStream) -> AsyncIterator[bytes]:
    async for chunk in stream:
        yield chunk


def _httpx_error(exc: BaseException, request: httpx.Request) -> BaseException:
    """The httpx error an aiohttp failure stands for; a client's stalled upload stays itself."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ClientBodyTimeout):
            return cause
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, asyncio.TimeoutError):
        return httpx.ReadTimeout("", request=request)
    return httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}", request=request)


class _Body(httpx.AsyncByteStream):
    """An aiohttp response body as httpx reads one; its failures are httpx's."""

    def __init__(self, resp, request: httpx.Request) -> None:
        self.resp, self.request = resp, request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        # loaded on use: the aiohttp pool is optional
        import aiohttp

        try:
            async for chunk in self.resp.content.iter_any():
                yield chunk
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            raise _httpx_error(exc, self.request) from None

    async def aclose(self) -> None:
        self.resp.release()
