"""The upstream connection pool of the server: several small httpcore pools, not one big one.

httpcore's pool re-checks *every* pooled connection (a ``poll`` and a
``getpeername`` system call each) whenever a request is queued or finishes, so
its cost per request grows with the number of connections: at 32 concurrent
clients that check was most of the server's CPU (bench/bench_shim.py, measured
with cProfile).  Spreading requests round-robin over ``shards`` independent
pools keeps each pool to a few connections, and the cost per request flat.
"""

from __future__ import annotations

import itertools

import httpx

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
