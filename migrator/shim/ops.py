"""What it takes to run the shim as a service: health, metrics, request records, a clean stop.

* ``GET /healthz`` says whether the upstream API answered recently.  The probe
  is ``GET /v1/models`` *without credentials* (a 401 proves the API is there;
  no key is needed or spent), and its result is kept ``health_cache`` seconds,
  so a load balancer probing every second does not probe the API every second.
  Any answer below 500 counts as reachable; a 5xx, a timeout or a connection
  failure does not (503).
* ``GET /metrics`` is the Prometheus text format (prometheus-client): requests by
  route family, translated or passed through, status and upstream status, and
  the time until the answer's head went out.  With ``--workers N`` the workers
  share their counts through ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's
  multiprocess mode), so any worker's ``/metrics`` shows the whole server.
* Each proxied request is tracked (:class:`Tracked`): the upstream calls it made
  (seen by :class:`ObservedTransport` around the upstream pool), its status and
  timings, which become the metrics and the JSON log line (:mod:`migrator.shim.logs`).
* On SIGTERM or SIGINT uvicorn stops accepting connections and waits for the
  requests in flight; a legacy event stream (``/v1/fine-tunes/{id}/events?stream=true``)
  follows a job that may run for hours, so instead of being cut when the wait
  runs out it ends at once, cleanly: a last event saying why, then the end of
  the chunked body.

Nothing here keeps state between requests that a client could notice: the
health result and the counters are per process, by design.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import re
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit

import httpx
from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.exposition import choose_encoder

from migrator import __version__
from migrator.catalog import Catalog

from .config import ShimConfig
from .logs import access_line
from .mapping import MappingError, error_body
from .translate import dumps, json_reply, normalize_path, sse

Send = Callable[[dict], Awaitable[None]]

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
# Seconds one health probe may take; a load balancer's own probe timeout should be longer.
HEALTH_TIMEOUT = 5.0
# Today's routes that old clients call and the shim passes through, as metric labels
# (the legacy routes and their replacements come from the catalog); any other path is "other",
# so a client inventing paths cannot inflate the number of series.
PASSTHROUGH_ROUTES = ("/v1/completions", "/v1/chat/completions", "/v1/embeddings", "/v1/files", "/v1/files/{id}",
                      "/v1/files/{id}/content", "/v1/models", "/v1/models/{id}")
OTHER_ROUTE = "other"
# Seconds until an answer's head: a proxied completion can take minutes, the shim's own timeout is 300 s.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
# The catalog's key for the legacy event list, whose ?stream=true the shim serves by polling.
EVENTS_ROUTE_KEY = "fine-tune-events"
SHUTDOWN_MESSAGE = ("The ft-migrate shim serving this stream is shutting down, so the stream ends here; the fine-tune "
                    "itself goes on. Follow it again to see its next events.")
SHIM_WARNING = "299 ft-migrate-shim "

_CURRENT: contextvars.ContextVar["Tracked | None"] = contextvars.ContextVar("ft_migrate_shim_request", default=None)


class Routes:
    """Route families for labels: the template a path matches, never the path itself (ids stay out)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        templates = {ep.replacement for ep in catalog.endpoints if ep.replacement} | set(PASSTHROUGH_ROUTES)
        self.passthrough = [(t, _template_regex(t)) for t in sorted(templates, key=len, reverse=True)]

    def name(self, method: str, raw_path: str) -> tuple[str, str | None, str | None]:
        """``(route label, catalog endpoint key or None, normalized path or None)`` for a request."""
        try:
            path = normalize_path(raw_path)
        except MappingError:
            return OTHER_ROUTE, None, None
        bare = path.rstrip("/") or path
        ep = self.catalog.endpoint(bare, method) or self.catalog.endpoint(bare)
        if ep is not None:
            return ep.legacy, ep.key, path
        for template, regex in self.passthrough:
            if regex.fullmatch(bare):
                return template, None, path
        return OTHER_ROUTE, None, path


def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{(\w+)\\\}", r"[^/]+", re.escape(template)))


@dataclass
class Tracked:
    """One proxied request, from its first byte to its last: what the metrics and the log line say."""

    method: str
    path: str  # as received, without the query
    route: str
    endpoint: str | None  # the catalog's key when the route is legacy
    normalized: str | None
    started: float = field(default_factory=time.perf_counter)
    status: int | None = None
    head_at: float | None = None
    shim_warning: bool = False
    upstream: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of each upstream call
    upstream_status: int | None = None
    upstream_error: str | None = None

    def saw_upstream(self, method: str, path: str) -> None:
        self.upstream.append((method, path))

    @property
    def translated(self) -> bool:
        """The shim changed something: it called the upstream with other requests than the
        client's own, said so in its Warning header, or answered a legacy route itself."""
        if self.shim_warning:
            return True
        if not self.upstream:
            return self.endpoint is not None
        mine = (self.method.upper(), (self.normalized or "").rstrip("/"))
        return any((m, p.rstrip("/")) != mine for m, p in self.upstream)

    @property
    def upstream_label(self) -> str:
        """The last upstream answer's status, ``error`` when the last call got none, ``none`` when none was made."""
        if self.upstream_error is not None:
            return "error"
        return str(self.upstream_status) if self.upstream_status is not None else "none"


class ObservedTransport(httpx.AsyncBaseTransport):
    """The upstream pool, with each call noted on the request being served (if any)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, upstream: str | None) -> None:
        self.inner = inner
        self.prefix = urlsplit(upstream).path.rstrip("/") if upstream else ""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        tracked = _CURRENT.get()
        if tracked is None:
            return await self.inner.handle_async_request(request)
        path = request.url.raw_path.decode("ascii").partition("?")[0]  # percent-encoded, as the client's
        if self.prefix and path.startswith(self.prefix):
            path = path[len(self.prefix):]
        tracked.saw_upstream(request.method, path)
        try:
            resp = await self.inner.handle_async_request(request)
        except httpx.HTTPError as exc:
            tracked.upstream_status, tracked.upstream_error = None, type(exc).__name__
            raise
        tracked.upstream_status, tracked.upstream_error = resp.status_code, None
        return resp

    async def aclose(self) -> None:
        await self.inner.aclose()

    def __getattr__(self, name: str) -> Any:
        """The pool's own attributes (its shards, its limits) stay reachable through the wrapper."""
        return getattr(self.inner, name)


class Metrics:
    """The shim's Prometheus metrics, in this app's own registry (or the multiprocess directory)."""

    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        # In multiprocess mode the values live in files, and a scrape reads them all (see render).
        self.registry = None if self.multiprocess else CollectorRegistry()
        self.requests = Counter(
            "ft_migrate_shim_requests", "Requests proxied by the shim, by route family, whether the shim "
            "translated them, the status it answered and the last upstream status.",
            ("method", "route", "handling", "status", "upstream_status"), registry=self.registry)
        self.latency = Histogram(
            "ft_migrate_shim_response_head_seconds", "Seconds until the answer's status and headers went out "
            "(an event stream lasts as long as its job: its length is not latency).",
            ("route", "handling"), buckets=LATENCY_BUCKETS, registry=self.registry)

    def record(self, tracked: Tracked) -> None:
        handling = "translated" if tracked.translated else "passthrough"
        status = str(tracked.status) if tracked.status is not None else "499"
        self.requests.labels(tracked.method.upper(), tracked.route, handling, status, tracked.upstream_label).inc()
        if tracked.head_at is not None:
            self.latency.labels(tracked.route, handling).observe(tracked.head_at - tracked.started)

    def render(self, accept: str | None) -> tuple[bytes, str]:
        if self.multiprocess:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        else:
            registry = self.registry
        encoder, content_type = choose_encoder(accept or "")
        return encoder(registry), content_type


class Health:
    """Upstream reachability, probed without credentials and kept ``cache_seconds``."""

    def __init__(self, upstream: str | None, transport: httpx.AsyncBaseTransport, cache_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.upstream = upstream
        self.transport = transport
        self.cache_seconds = cache_seconds
        self.clock = clock
        self.lock = asyncio.Lock()  # one probe at a time: the others wait for its result
        self.result: tuple[int, dict] | None = None
        self.checked: float = 0.0

    async def check(self) -> tuple[int, dict]:
        async with self.lock:
            if self.result is None or self.clock() - self.checked >= self.cache_seconds:
                self.result = await self._probe()
                self.checked = self.clock()
            return self.result

    async def _probe(self) -> tuple[int, dict]:
        if self.upstream is None:  # library use: each request names its own host
            return 200, {"status": "ok", "upstream": None, "upstream_status": None}
        request = httpx.Request("GET", self.upstream + "/v1/models",
                                headers={"accept": "application/json",
                                         "user-agent": f"ft-migrate-shim/{__version__} health check"},
                                extensions={"timeout": dict.fromkeys(("connect", "read", "write", "pool"),
                                                                     HEALTH_TIMEOUT)})
        try:
            resp = await self.transport.handle_async_request(request)
            await resp.aclose()
        except httpx.HTTPError as exc:
            detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return 503, {"status": "unreachable", "upstream": self.upstream, "upstream_status": None,
                         "error": detail}
        if resp.status_code >= 500:
            return 503, {"status": "unavailable", "upstream": self.upstream, "upstream_status": resp.status_code}
        return 200, {"status": "ok", "upstream": self.upstream, "upstream_status": resp.status_code}


class Ops:
    """The hooks :class:`migrator.shim.app.ShimApp` calls: own paths, request tracking, shutdown."""

    def __init__(self, config: ShimConfig, catalog: Catalog, probe: httpx.AsyncBaseTransport) -> None:
        self.config = config
        self.catalog = catalog
        self.routes = Routes(catalog)
        self.metrics = Metrics()
        self.health = Health(config.upstream, probe, config.health_cache)
        self.json_log = config.log_format == "json"
        self.stopping = asyncio.Event()

    # -- the shim's own paths ---------------------------------------------
    @staticmethod
    def owns(scope: dict) -> bool:
        """``/healthz`` and ``/metrics`` are answered here and never forwarded."""
        return scope["path"] in (HEALTH_PATH, METRICS_PATH)

    async def answer(self, scope: dict, send: Send) -> None:
        method = scope["method"].upper()
        if method not in ("GET", "HEAD"):
            reply = json_reply(405, error_body(f"{scope['path']} answers GET and HEAD only.", code="method_not_allowed"),
                               (("allow", "GET, HEAD"),))
            status, headers, body = reply.status, list(reply.headers), reply.body
        elif scope["path"] == HEALTH_PATH:
            status, obj = await self.health.check()
            headers, body = [("content-type", "application/json"), ("cache-control", "no-store")], dumps(obj)
        else:
            accept = dict(scope["headers"]).get(b"accept", b"").decode("latin-1")
            body, content_type = self.metrics.render(accept)
            status, headers = 200, [("content-type", content_type)]
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        raw.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})

    # -- proxied requests ---------------------------------------------------
    def track(self, scope: dict, send: Send) -> tuple[Tracked, Send]:
        """Start tracking a request: ``(record, send)``; answer through the returned ``send``.

        The record becomes current in this task's context, so the upstream calls made for
        the request (in tasks it starts, too) are noted on it.
        """
        raw = scope.get("raw_path") or scope["path"].encode("latin-1")
        path = raw.decode("latin-1").partition("?")[0]
        route, key, normalized = self.routes.name(scope["method"], path)
        tracked = Tracked(scope["method"], path, route, key, normalized)
        _CURRENT.set(tracked)

        async def watched(message: dict) -> None:
            if message["type"] == "http.response.start":
                tracked.status = message["status"]
                tracked.head_at = time.perf_counter()
                tracked.shim_warning = any(k.lower() == b"warning" and v.startswith(SHIM_WARNING.encode())
                                           for k, v in message.get("headers", ()))
            await send(message)

        return tracked, watched

    def finish(self, tracked: Tracked) -> None:
        """The request is over (answered, or its connection gone): count it and log it."""
        self.metrics.record(tracked)
        if self.json_log:
            access_line(tracked)

    def body(self, resp: httpx.Response) -> AsyncIterator[bytes]:
        """The chunks of an answer; a legacy event stream ends early, and cleanly, when the server stops."""
        tracked = _CURRENT.get()
        stream = resp.aiter_raw()
        if (tracked is None or tracked.endpoint != EVENTS_ROUTE_KEY
                or not resp.headers.get("content-type", "").startswith("text/event-stream")):
            return stream
        return self._until_stopping(stream)

    async def _until_stopping(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        stop = asyncio.ensure_future(self.stopping.wait())
        step: asyncio.Future | None = None
        try:
            while True:
                step = asyncio.ensure_future(chunks.__anext__())
                await asyncio.wait((step, stop), return_when=asyncio.FIRST_COMPLETED)
                if step.done():
                    try:
                        chunk = step.result()
                    except StopAsyncIteration:
                        return
                    yield chunk
                    continue
                step.cancel()  # the job is still running: stop polling it
                await asyncio.gather(step, return_exceptions=True)
                yield sse({"object": self.catalog.objects["legacy_event"], "created_at": int(time.time()),
                           "level": "warn", "message": SHUTDOWN_MESSAGE})
                return
        finally:  # also when the client leaves: nothing may go on polling for nobody
            stop.cancel()
            if step is not None and not step.done():
                step.cancel()

    # -- lifecycle ------------------------------------------------------------
    def started(self) -> None:
        """In the server's event loop, at startup: learn of SIGTERM/SIGINT when uvicorn does.

        uvicorn handles both with ``signal.signal`` while it serves; the handler put
        here sets :attr:`stopping` and hands the signal on to uvicorn's.  Outside the
        main thread (the app served from a test thread) there are no signals to watch.
        """
        if threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(sig)
            if not callable(previous):
                continue

            def handler(signum: int, frame: Any, previous: Callable[..., Any] = previous) -> None:
                loop.call_soon_threadsafe(self.stop)
                previous(signum, frame)

            signal.signal(sig, handler)

    def stop(self) -> None:
        """The server is stopping: open legacy event streams end now."""
        self.stopping.set()
