"""The shim as an ASGI app (starlette), served by uvicorn from ``ft-migrate shim serve``.

A thin front over :class:`migrator.shim.transport.AsyncLegacyTransport`: the
incoming request becomes an ``httpx.Request`` whose body is the ASGI receive
stream (so forwarded uploads are never held in memory), the transport answers,
and its body is streamed back.  The app keeps no state between requests apart
from the upstream connection pool, so ``--workers N`` and several hosts behind a
load balancer serve the same clients.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from typing import AsyncIterator

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from migrator.catalog import Catalog

from .config import ShimConfig
from .pool import ShardedTransport
from .protocol import ClientRequest
from .transport import AsyncLegacyTransport

CONFIG_ENV = "FT_MIGRATE_SHIM_CONFIG"  # how `serve --workers N` hands the config to each worker
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class _ClientBody(httpx.AsyncByteStream):
    """The client's body as the ASGI server delivers it, chunk by chunk."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.chunks:
            if chunk:
                yield chunk


def create_app(config: ShimConfig, *, catalog: Catalog | None = None,
               transport: httpx.AsyncBaseTransport | None = None) -> Starlette:
    """The ASGI app; ``transport`` (default: :class:`ShardedTransport`) reaches the upstream."""
    inner = transport if transport is not None else ShardedTransport()
    shim = AsyncLegacyTransport(inner, config, catalog=catalog)

    async def endpoint(request: Request) -> Response:
        scope = request.scope
        path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"])
        client = ClientRequest(request.method, path, scope["query_string"].decode("latin-1"), headers)
        resp = await shim.handle_client(shim.exchange(client, _ClientBody(request.stream())))
        if isinstance(resp.stream, httpx.ByteStream):  # a reply the shim built
            out: Response = Response(resp.content, resp.status_code)
        else:
            out = StreamingResponse(resp.aiter_raw(), resp.status_code, background=BackgroundTask(resp.aclose))
        out.raw_headers = list(resp.headers.raw)
        return out

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await shim.aclose()

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=METHODS)], lifespan=lifespan)


def app_from_env() -> Starlette:
    """Factory for uvicorn workers: the settings come from :data:`CONFIG_ENV` (JSON)."""
    configure_logging()
    settings = json.loads(os.environ[CONFIG_ENV])
    settings["catalog_files"] = tuple(settings.get("catalog_files", ()))
    return create_app(ShimConfig(**settings))


def configure_logging() -> None:
    """One line per request on stderr (the ``migrator.shim`` logger), in every worker.

    The line holds method, path, status, upstream status and milliseconds; never
    headers or the query, hence never an API key.
    """
    logger = logging.getLogger("migrator.shim")
    if logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
