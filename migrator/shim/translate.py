"""The translation core: legacy requests in, today's API calls out, legacy answers back.

:meth:`Shim.handle` turns one :class:`~migrator.shim.protocol.ClientRequest` into
a generator of commands (see :mod:`migrator.shim.protocol`); it never touches a
socket, so every route is unit-tested by feeding it canned upstream replies, and
the server and the httpx transports are thin drivers over the same code.

Which paths are legacy, what they become, which fields survive, how statuses,
objects and models map: all of it comes from the catalog.  Nothing is kept
between requests (an event stream's "already sent" set lives in its own
generator), so any number of workers or hosts can serve the same clients.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any, Callable, Generator, Iterable
from urllib.parse import quote, unquote, urlencode

import orjson

from migrator.catalog import Catalog

from .chat import CHAT_ANSWERS, CHAT_PATH, chat_request, chat_route, no_equal_text
from .config import KEEPALIVES, ShimConfig
from .mapping import (MappingError, ModelChoice, error_body, job_file_ids, jobs_request, legacy_error,
                      legacy_event, legacy_fine_tune, map_model)
from .protocol import (ClientBodyTimeout, ClientRequest, Emit, Forward, Gather, Handler, Headers, ReadBody,
                       Reply, Sleep, StartStream, StreamEnd, Upstream, UpstreamFailure, UpstreamReply, warning_header)
from .uploads import convert_upload

# Request headers that describe one hop, not the request; never forwarded.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te",
                        "trailer", "transfer-encoding", "upgrade", "host"})
# Upstream response headers worth handing to an old client on a translated reply
# (Retry-After tells a client that retries a 429 by itself when to do it).
KEPT_REPLY_HEADERS = ("openai-organization", "openai-version", "request-id", "x-request-id", "retry-after",
                      "retry-after-ms")
# A reply the client must not retry by itself: the upstream may have acted already.
NO_RETRY = (("x-should-retry", "false"),)
JSON = (("content-type", "application/json"),)
SSE_HEAD = (("content-type", "text/event-stream"), ("cache-control", "no-cache"))
# v0 completion/embedding calls retry a 409 in a hot loop without sleeping (openai 0.27/0.28).
NO_CONFLICT = {409: 503}
COMPLETIONS = "/v1/completions"
MODEL_BODIES = {COMPLETIONS, "/v1/embeddings"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_SLASHES = re.compile(r"/{2,}")
_SEPARATORS = re.compile(r"[/\\]")


class UpstreamError(Exception):
    """The upstream answered a translated call with an error status, or a 2xx whose
    body is not what was asked for (``status`` 502, ``what`` names the expected shape)."""

    def __init__(self, reply: UpstreamReply, status: int | None = None, what: str = "JSON") -> None:
        super().__init__(reply.status)
        self.reply = reply
        self.status = status or reply.status
        self.what = what

    def describe(self) -> str:
        """Short, for a warning header: ``HTTP 429`` or ``HTTP 200 that is not JSON``."""
        if self.status != self.reply.status:
            return f"HTTP {self.reply.status} that is not {self.what}"
        return f"HTTP {self.reply.status}"


def normalize_path(path: str) -> str:
    """The API path an old client meant (base URLs with or without /v1 and slashes), dot segments resolved.

    v0 joins ``api_base + path`` blindly, so a base with a trailing slash sends
    ``/v1//fine-tunes``, one without ``/v1`` sends ``/fine-tunes``, and v1's
    module-level ``base_url`` without a slash sends ``/v1fine-tunes``.

    ``.`` and ``..`` segments (percent-encoded ones too) are resolved *here*,
    before anything looks at the path: the HTTP client that sends the request
    upstream would resolve them after every check, so ``/v1/../admin`` would
    reach ``/admin`` on the upstream, the caller's key attached.  A ``..`` that
    would climb out of the version segment (``/v1``), or a segment hiding a dot
    segment behind an encoded slash, raises :class:`MappingError` (400).
    """
    path = _SLASHES.sub("/", path or "/")
    if not (path == "/v1" or path.startswith("/v1/")):
        if path.startswith("/v1"):
            rest = path[3:]
            # "/v1fine-tunes" (a missing slash), but not "/v10/..." or other versions.
            if rest[:1].isalpha():
                path = "/v1/" + rest
        else:
            path = "/v1" + path
    if "." not in path and "%" not in path:
        return path
    kept: list[str] = []
    segments = path.split("/")[1:]
    for seg in segments:
        decoded = unquote(seg)
        if decoded in (".", ".."):
            if decoded == "..":
                if len(kept) <= 1:
                    raise MappingError(f"Invalid URL {path!r}: a '..' segment climbs out of /{segments[0]}; "
                                       f"the shim forwards only paths under it.")
                kept.pop()
            continue
        if any(part in (".", "..") for part in _SEPARATORS.split(decoded)):
            raise MappingError(f"Invalid URL {path!r}: a segment hides a dot segment behind an encoded slash.")
        kept.append(seg)
    trailing = "/" if unquote(segments[-1]) in ("", ".", "..") else ""  # "/v1/models/." is "/v1/models/"
    return "/" + "/".join(kept).rstrip("/") + trailing


def dumps(obj: Any) -> bytes:
    """Compact JSON, fast; stdlib json for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(obj)
    except orjson.JSONEncodeError:
        return json.dumps(obj, separators=(",", ":")).encode()


def json_reply(status: int, obj: Any, headers: Headers = ()) -> Reply:
    return Reply(status, JSON + tuple(headers), dumps(obj))


def sse(obj: Any) -> bytes:
    """One server-sent event the way every old client parses it: one line of JSON."""
    return b"data: " + dumps(obj) + b"\n\n"


class Shim:
    """The translation for one configuration; stateless between requests."""

    def __init__(self, config: ShimConfig, catalog: Catalog | None = None) -> None:
        self.config = config
        self.cat = catalog if catalog is not None else config.catalog()
        self.terminal = frozenset(self.cat.statuses.terminal)
        self.jobs_path = self._endpoint_target("fine-tunes")
        self.file_fields = tuple(self.cat.response_fields[k]["replacement"]
                                 for k in ("training_files", "validation_files", "result_files"))
        # Most traffic is not legacy: a prefix test spares it the catalog's regex scan.
        self.legacy_prefixes = tuple({ep.legacy.split("{", 1)[0].rstrip("/") for ep in self.cat.endpoints})

    def _is_job(self, value: Any) -> bool:
        return _is_job(value, self.file_fields)

    def _endpoint_target(self, key: str) -> str:
        for ep in self.cat.endpoints:
            if ep.key == key and ep.replacement:
                return ep.replacement
        raise LookupError(f"the catalog has no replacement for endpoint {key!r}")

    # -- entry point ------------------------------------------------------
    def handle(self, req: ClientRequest) -> Handler:
        """Answer ``req``; any failure becomes a legacy error envelope, never a traceback."""
        try:
            if req.method.upper() not in METHODS:
                raise MappingError(f"The shim does not handle the HTTP method {req.method}; it handles "
                                   f"{', '.join(METHODS)}.", status=405)
            for name, value in req.headers:
                if not value.isascii():  # httpx could not send it upstream anyway
                    raise MappingError(f"The {name} header holds non-ASCII characters; HTTP header values "
                                       f"must be ASCII.")
            return (yield from self._route(req))
        except MappingError as exc:
            # the rest of a body too large to read is not waited for: the connection ends with the answer
            close = (("connection", "close"),) if exc.status == 413 else ()
            return json_reply(exc.status, error_body(str(exc), param=exc.param, code=exc.code), close)
        except UpstreamError as exc:
            return self._upstream_error(exc)
        except UpstreamFailure as exc:
            return self._failure(exc)
        except ClientBodyTimeout as exc:
            return self.body_timeout(exc)

    @staticmethod
    def body_timeout(exc: ClientBodyTimeout) -> Reply:
        return json_reply(408, error_body(f"The request body did not arrive: {exc}."), (("connection", "close"),))

    def _upstream_error(self, exc: UpstreamError) -> Reply:
        r = exc.reply
        if exc.status != r.status:  # a 2xx with a body the shim cannot read
            return json_reply(exc.status, error_body(
                f"The upstream API answered HTTP {r.status} with a body that is not {exc.what}.",
                "server_error"), self._reply_headers(r))
        body = legacy_error(r.status, r.body, r.header("content-type"))
        return json_reply(r.status, body, self._reply_headers(r))

    @staticmethod
    def _failure(exc: UpstreamFailure) -> Reply:
        if exc.timeout:
            return json_reply(504, error_body(f"The upstream API did not answer in time: {exc}", "timeout"))
        if exc.connected:
            return json_reply(502, error_body(f"The upstream API broke off its answer: {exc}", "server_error"))
        return json_reply(502, error_body(f"The upstream API could not be reached: {exc}", "server_error"))

    def _route(self, req: ClientRequest) -> Handler:
        forward_path = normalize_path(req.path)
        path = forward_path.rstrip("/") or forward_path  # "/v1/fine-tunes/ID/" is still that job
        method = req.method.upper()
        ep = self.cat.endpoint(path, method) if path.startswith(self.legacy_prefixes) else None
        key = ep.key if ep is not None else None
        if key == "fine-tunes":
            if method == "POST":
                return (yield from self._create(req))
            return (yield from self._list(req))
        if key in ("fine-tune", "fine-tune-cancel", "fine-tune-events", "fine-tune-delete"):
            job_id = unquote(ep.pattern.fullmatch(path)["id"])
            if key == "fine-tune-delete":
                raise MappingError(
                    f"Deleting a fine-tune has no equivalent in the fine-tuning jobs API ({ep.note}).",
                    param="fine_tune_id", code="unsupported_endpoint", status=404)
            if key == "fine-tune-events":
                if _query_flag(req.query, "stream") == "true":  # exact lowercase, as the old clients send it
                    return (yield from self._stream_events(req, job_id))
                events = yield from self._events(req, job_id)
                return json_reply(200, {"object": "list", "data": [legacy_event(e, self.cat) for e in events]})
            return (yield from self._job(req, job_id, cancel=key == "fine-tune-cancel"))
        if key in ("engine-completions", "engine-embeddings"):
            engine = unquote(ep.pattern.fullmatch(path)["engine"])
            return (yield from self._model_call(req, ep.translate(path), engine))
        if method == "POST" and path in MODEL_BODIES:
            return (yield from self._model_call(req, path, None))
        if method == "POST" and path == "/v1/files" and self.config.convert_uploads:
            return (yield from convert_upload(self, req, path))
        return self.forward(req, forward_path)

    # -- plumbing ---------------------------------------------------------
    def upstream_headers(self, req: ClientRequest, content_type: str | None = None, *,
                         keep_length: bool = False) -> Headers:
        """The caller's end-to-end headers (its key and organization included: they
        go to the configured upstream only), with this hop's and the body's own
        headers replaced."""
        drop = HOP_BY_HOP | {"content-type"} | (set() if keep_length else {"content-length"})
        out = tuple((k, v) for k, v in req.headers if k not in drop)
        if content_type is not None:
            out += (("content-type", content_type),)
        elif keep_length and req.header("content-type") is not None:
            out += (("content-type", req.header("content-type")),)
        return out

    def forward(self, req: ClientRequest, path: str) -> Forward:
        """Pass the request through untouched, body streamed (uploads are never buffered)."""
        return Forward(Upstream(req.method.upper(), path, req.query, self.upstream_headers(req, keep_length=True),
                                stream_client_body=True))

    def _get(self, req: ClientRequest, path: str, query: dict | None = None) -> Upstream:
        return Upstream("GET", path, urlencode(query or {}), self.upstream_headers(req))

    @staticmethod
    def _json(reply: UpstreamReply, what: str = "JSON", shape: Callable[[Any], bool] | None = None) -> Any:
        """The reply's JSON; an error status, a body that is not JSON or not of the
        expected ``shape`` (described by ``what``) raises :class:`UpstreamError`."""
        if not reply.ok:
            raise UpstreamError(reply)
        try:
            value = reply.json()
        except ValueError:
            raise UpstreamError(reply, status=502) from None
        if shape is not None and not shape(value):
            raise UpstreamError(reply, status=502, what=what)
        return value

    def _call(self, up: Upstream, what: str = "JSON",
              shape: Callable[[Any], bool] | None = None) -> Generator[Any, Any, tuple[Any, UpstreamReply]]:
        reply = yield up
        return self._json(reply, what, shape), reply

    def read_body(self, req: ClientRequest) -> Generator[Any, Any, bytes]:
        """The whole client body, at most ``max_body_bytes``; a declared length over
        the limit is refused before a byte of the body is read."""
        limit = self.config.max_body_bytes
        length = (req.header("content-length") or "").strip()
        body = None if length.isdigit() and int(length) > limit else (yield ReadBody(limit))
        if body is None:
            raise MappingError(f"The request body is larger than the shim's limit of {limit} bytes.", status=413)
        return body

    def read_json(self, req: ClientRequest) -> Generator[Any, Any, Any]:
        """The client's JSON body; bad JSON is the client's 400, not the shim's 500."""
        return parse_json((yield from self.read_body(req)))

    @staticmethod
    def _reply_headers(reply: UpstreamReply) -> Headers:
        out = tuple((k, v) for k in KEPT_REPLY_HEADERS if (v := reply.header(k)) is not None)
        ms = reply.header("openai-processing-ms")
        if ms is not None and is_number(ms):  # v0 raises on a non-numeric value (openai 0.27/0.28)
            out += (("openai-processing-ms", ms),)
        return out

    def _pages(self, req: ClientRequest, path: str, fresh: Callable[[dict], bool], notes: list[str]):
        """The items of a paged upstream list, in its order, up to the first one that
        is not ``fresh``; with the reply of the last page read.

        An upstream that keeps answering ``has_more`` is read for at most
        ``max_pages`` pages and ``max_paging_seconds``; the cut is told in ``notes``.
        """
        items: list[dict] = []
        after: str | None = None
        deadline = time.monotonic() + self.config.max_paging_seconds
        pages = 0
        while True:
            query = {"limit": self.config.page_size, **({"after": after} if after else {})}
            page, reply = yield from self._call(self._get(req, path, query), "a list", _is_page)
            pages += 1
            data = page.get("data") or []
            for item in data:
                if not fresh(item):
                    return items, reply
                items.append(item)
            last = data[-1].get("id") if data else None
            if not page.get("has_more") or not isinstance(last, str) or last == after:
                return items, reply
            if pages >= self.config.max_pages or time.monotonic() >= deadline:
                notes.append(f"stopped reading {path} after {pages} pages ({len(items)} items) although the "
                             f"upstream said there were more")
                return items, reply
            after = last

    # -- fine-tunes -------------------------------------------------------
    def _create(self, req: ClientRequest) -> Handler:
        body = yield from self.read_json(req)
        tr = jobs_request(body, self.cat, self.config.model_map)
        if tr.dropped and self.config.strict:
            raise MappingError(
                f"{', '.join(tr.dropped)}: no equivalent in the fine-tuning jobs API "
                f"({self.cat.request_fields['dropped_reason']}); the shim runs with --strict.",
                param=tr.dropped[0])
        changes = list(tr.notes)
        if tr.dropped:
            changes.insert(0, f"dropped (no equivalent): {', '.join(tr.dropped)}")
        if tr.ignored:
            changes.append(f"ignored unknown fields: {', '.join(tr.ignored)}")
        reply = yield Upstream("POST", self.jobs_path, "", self.upstream_headers(req, "application/json"),
                               dumps(tr.body))
        return (yield from self._acted(req, reply, "created", changes, tr.dropped))

    def _acted(self, req: ClientRequest, reply: UpstreamReply, verb: str, changes: list[str],
               dropped: list[str] = ()) -> Handler:
        """The answer to a create or cancel the upstream has answered.

        Once it succeeded upstream, the client gets a success whatever the
        follow-up calls (events, files) meet: a client shown an error retries by
        itself, and a retried create is a second paid job.  What could not be
        fetched is left empty (events) or null (file details) and named in the
        Warning header.  A success whose body cannot be read still gets an error
        (there is no job to show), but one marked not to be retried.
        """
        if not reply.ok:
            raise UpstreamError(reply)
        try:
            job = self._json(reply, "a fine-tuning job", self._is_job)
        except UpstreamError as exc:
            return json_reply(502, error_body(
                f"The upstream API {verb} the fine-tune (HTTP {reply.status}) but its answer is not {exc.what}, "
                f"so the shim cannot show it; list your fine-tunes before trying again.", "server_error"),
                self._reply_headers(reply) + NO_RETRY)
        missing: list[str] = []
        try:
            events: list[dict] = yield from self._events(req, job["id"], notes=missing)
        except (UpstreamError, UpstreamFailure) as exc:
            events = []
            missing.append(f"events not fetched ({_describe(exc)})")
        legacy = yield from self._legacy_jobs(req, [job], events, missing, dropped)
        return json_reply(200, legacy[0], self._reply_headers(reply) + warning_header([*changes, *missing]))

    def _list(self, req: ClientRequest) -> Handler:
        """Every job, oldest first, in one list, as ``GET /v1/fine-tunes`` did."""
        notes: list[str] = []
        jobs, reply = yield from self._pages(req, self.jobs_path, lambda job: True, notes)
        if not all(self._is_job(job) for job in jobs):
            raise UpstreamError(reply, status=502, what="a list of fine-tuning jobs")
        jobs.reverse()
        legacy = yield from self._legacy_jobs(req, jobs, None)
        return json_reply(200, {"object": "list", "data": legacy}, self._reply_headers(reply) + warning_header(notes))

    def _job(self, req: ClientRequest, job_id: str, *, cancel: bool) -> Handler:
        path = f"{self.jobs_path}/{quote(job_id, safe='')}"
        if cancel:
            reply = yield Upstream("POST", path + "/cancel", "", self.upstream_headers(req))
            return (yield from self._acted(req, reply, "cancelled", []))
        job, reply = yield from self._call(self._get(req, path), "a fine-tuning job", self._is_job)
        notes: list[str] = []
        events = yield from self._events(req, job_id, notes=notes)
        legacy = yield from self._legacy_jobs(req, [job], events)
        return json_reply(200, legacy[0], self._reply_headers(reply) + warning_header(notes))

    def _legacy_jobs(self, req: ClientRequest, jobs: list[dict], events: list[dict] | None,
                     missing: list[str] | None = None, dropped: Iterable[str] = ()):
        """Jobs as legacy fine-tunes, their file ids expanded to file objects (fetched
        concurrently, once per id).

        A file that cannot be fetched fails the answer, unless ``missing`` is given:
        then it is shown with what is known (its id) and named in ``missing``.
        """
        ids: list[str] = []
        for job in jobs:
            ids.extend(i for i in job_file_ids(job, self.cat) if i not in ids)
        files: dict[str, dict] = {}
        unfetched: list[str] = []
        if ids:
            replies = yield Gather(tuple(self._get(req, f"/v1/files/{quote(i, safe='')}") for i in ids))
            for fid, reply in zip(ids, replies):
                try:
                    if isinstance(reply, UpstreamFailure):
                        raise reply
                    if reply.status != 404:  # a deleted file keeps its place in the list (mapping.missing_file)
                        files[fid] = self._json(reply, "a file object", _is_dict)
                except (UpstreamError, UpstreamFailure) as exc:
                    if missing is None:
                        raise
                    unfetched.append(fid)
                    missing.append(f"file {fid} not fetched ({_describe(exc)})")
        legacy_events = None if events is None else [legacy_event(e, self.cat) for e in events]
        return [legacy_fine_tune(job, files, self.cat, legacy_events, unfetched=unfetched, dropped=dropped)
                for job in jobs]

    def _events(self, req: ClientRequest, job_id: str, seen: set[str] | None = None,
                notes: list[str] | None = None):
        """The job's events not in ``seen``, oldest first.

        Today's events come newest first, paged with ``after`` = the oldest id on
        the page, so reading stops at the first event already seen.
        """
        path = f"{self.jobs_path}/{quote(job_id, safe='')}/events"
        seen = set() if seen is None else seen

        def fresh(event: dict) -> bool:
            eid = event.get("id")
            if not isinstance(eid, str):
                return True
            if eid in seen:
                return False
            seen.add(eid)
            return True

        fresh_events, _ = yield from self._pages(req, path, fresh, [] if notes is None else notes)
        fresh_events.reverse()
        return fresh_events

    def _stream_events(self, req: ClientRequest, job_id: str) -> Handler:
        """Server-sent events made by polling: history first, then the tail, then
        ``[DONE]`` once the job is terminal.  While nothing
        happens, a keep-alive in the configured form goes out every
        ``keepalive_interval`` seconds."""
        path = f"{self.jobs_path}/{quote(job_id, safe='')}"
        job, _ = yield from self._call(self._get(req, path), "a fine-tuning job", self._is_job)  # errors: plain JSON
        seen: set[str] = set()
        events = yield from self._events(req, job_id, seen)
        yield StartStream(200, SSE_HEAD)
        keepalive = KEEPALIVES[self.config.keepalive]
        quiet = 0.0
        try:
            while True:
                for event in events:
                    yield Emit(sse(legacy_event(event, self.cat)))
                    quiet = 0.0
                if job.get("status") in self.terminal:  # fetched before its events: nothing is missed
                    break
                yield Sleep(self.config.poll_interval)
                quiet += self.config.poll_interval
                if quiet >= self.config.keepalive_interval:
                    if keepalive:
                        yield Emit(keepalive)
                    quiet = 0.0
                job, _ = yield from self._call(self._get(req, path), "a fine-tuning job", self._is_job)
                events = yield from self._events(req, job_id, seen)
            yield Emit(b"data: [DONE]\n\n")
        except UpstreamError as exc:  # the head is sent: report in-band, old clients raise on it
            yield Emit(sse(json.loads(self._upstream_error(exc).body)))
        except UpstreamFailure as exc:
            yield Emit(sse(json.loads(self._failure(exc).body)))
        return StreamEnd()

    # -- models -----------------------------------------------------------
    def _model_call(self, req: ClientRequest, path: str, engine: str | None) -> Handler:
        """Completions/embeddings: a shut-down model becomes its replacement, an
        ``/engines/{engine}/...`` call becomes the plain endpoint with ``model``.
        A body that needs no change is forwarded byte for byte; streaming answers
        stream back untouched.  A completions call whose model answers on chat
        completions only (on the catalog's date) is translated: :meth:`_chat`."""
        raw = yield from self.read_body(req)
        body = parse_json(raw)
        if not isinstance(body, dict):
            raise MappingError("The request body must be a JSON object.")
        changes: list[str] = []
        if engine is not None:
            body = {k: v for k, v in body.items() if v is not None}  # the v0 CLI sends explicit nulls
            body["model"] = engine
            changes.append(f"engine {engine} -> {path}")
        model = body.get("model")
        if isinstance(model, str) and path == COMPLETIONS:
            route = chat_route(model, self.cat, self.config.model_map)
            if route is not None:
                return self._chat(req, body, model, route, changes)
        if isinstance(model, str):
            purpose = "embeddings" if path.endswith("/embeddings") else "inference"
            choice = map_model(model, self.cat, self.config.model_map, purpose)
            if choice.model != model:
                body = {k: v for k, v in body.items() if v is not None}
                body["model"] = choice.model
                changes.append(f"model {model} -> {choice.model}" + (f" ({choice.note})" if choice.note else ""))
        headers = self.upstream_headers(req, req.header("content-type") or "application/json")
        if changes:
            raw = dumps(body)
        return Forward(Upstream("POST", path, req.query, headers, raw), NO_CONFLICT, warning_header(changes))

    def _chat(self, req: ClientRequest, body: dict, model: str, route: ModelChoice, changes: list[str]) -> Forward:
        """A completions call sent to chat completions, its answer rebuilt as a legacy
        completion (see :mod:`migrator.shim.chat`).  Fields chat completions have no
        equal for are refused with a 400 naming them, or dropped with ``lenient``."""
        tr = chat_request(body, route.model, self.cat)
        via = f"the shim answers `{model}` with chat completions ({route.note})"
        if tr.no_equal and not self.config.lenient:
            them = "it" if len(tr.no_equal) == 1 else "them"
            raise MappingError(f"Chat completions have no equal for {no_equal_text(tr.no_equal, self.cat)}, and {via}. "
                               f"Leave {them} out, or start the shim with --lenient to drop {them}.",
                               param=tr.no_equal[0])
        target = f"model {model} -> {route.model}" if route.model != model else f"model {model}"
        changes.append(f"completions -> chat completions, {target} ({route.note})")
        if tr.no_equal:
            changes.append(f"dropped (no equal in chat completions): {', '.join(tr.no_equal)}")
        changes.extend(tr.notes)
        return Forward(Upstream("POST", CHAT_PATH, req.query, self.upstream_headers(req, "application/json"),
                                dumps(tr.body)), NO_CONFLICT, warning_header(changes), CHAT_ANSWERS)


def parse_json(raw: bytes) -> Any:
    """A client's JSON body (empty = ``{}``); what cannot be parsed, nesting too
    deep included, is the client's 400."""
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MappingError(f"We could not parse the JSON body of your request: {exc}") from None
    except RecursionError:
        raise MappingError("We could not parse the JSON body of your request: it is nested too deeply.") from None


def _is_dict(value: Any) -> bool:
    return isinstance(value, dict)


def _is_job(value: Any, file_fields: Iterable[str] = ()) -> bool:
    """Enough of a fine-tuning job to translate: an object with a string id and status,
    and file ids (in ``file_fields``) that are strings, a list of them, or null."""
    if not (isinstance(value, dict) and isinstance(value.get("id"), str)
            and isinstance(value.get("status"), (str, type(None)))):
        return False
    for name in file_fields:
        ids = value.get(name)
        if not all(i is None or isinstance(i, str) for i in (ids if isinstance(ids, list) else [ids])):
            return False
    return True


def _is_page(value: Any) -> bool:
    """A list page: an object whose ``data`` (if any) holds objects."""
    if not isinstance(value, dict):
        return False
    data = value.get("data") or []
    return isinstance(data, list) and all(isinstance(item, dict) for item in data)


def _describe(exc: "UpstreamError | UpstreamFailure") -> str:
    """What went wrong with a follow-up call, short enough for a warning header."""
    if isinstance(exc, UpstreamError):
        return exc.describe()
    return f"{'timed out' if exc.timeout else 'no answer'}: {exc}"


def _query_flag(query: str, name: str) -> str | None:
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if unquote(key) == name:
            return unquote(value)
    return None


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
