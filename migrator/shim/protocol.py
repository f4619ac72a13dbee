"""The messages between the translation core and its adapters.

The core (:mod:`migrator.shim.translate`) never does I/O.  Handling a request is
a generator: it *yields commands* (send this request upstream, send these
concurrently, sleep, start a stream, emit bytes) and *returns an outcome* (a
finished reply, or "forward this request and stream the answer back").  An
adapter drives the generator with real I/O: :mod:`migrator.shim.transport` does it
with httpx transports, sync or async, and both the ASGI server and the
httpx transports sit on those drivers.  So there is exactly one translation,
and it can be tested by feeding it canned upstream replies.
"""

from __future__ import annotations

import orjson
from dataclasses import dataclass, field
from typing import Any, Generator, Iterable, Protocol, Union

Headers = tuple[tuple[str, str], ...]  # names lower-cased, order kept


@dataclass(frozen=True, slots=True)
class ClientRequest:
    """A request as the legacy client sent it, without its body.

    The core asks for the body (:class:`ReadBody`) only on routes that
    translate it, so uploads that are merely forwarded stream through without
    being held in memory.
    """

    method: str
    path: str  # percent-encoded, as received
    query: str  # raw query string, without '?'
    headers: Headers

    def header(self, name: str, default: str | None = None) -> str | None:
        for k, v in self.headers:
            if k == name:
                return v
        return default


@dataclass(frozen=True, slots=True)
class Upstream:
    """A request for the upstream API; ``path`` starts with ``/v1``.

    With ``stream_client_body`` the adapter sends the client's own body stream
    instead of ``body`` (pass-through uploads).
    """

    method: str
    path: str
    query: str = ""
    headers: Headers = ()
    body: bytes = b""
    stream_client_body: bool = False


@dataclass(frozen=True, slots=True)
class UpstreamReply:
    """A buffered upstream answer (body already decoded from gzip)."""

    status: int
    headers: Headers
    body: bytes

    def header(self, name: str, default: str | None = None) -> str | None:
        for k, v in self.headers:
            if k == name:
                return v
        return default

    def json(self) -> Any:
        """The JSON body; raises ValueError (orjson.JSONDecodeError is one) when it is not JSON."""
        return orjson.loads(self.body)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class UpstreamFailure(Exception):
    """The upstream gave no usable answer: it did not answer in time (``timeout``),
    could not be reached, or broke off its answer (``connected``)."""

    def __init__(self, message: str, *, timeout: bool, connected: bool = False) -> None:
        super().__init__(message)
        self.timeout = timeout
        self.connected = connected


class ClientBodyTimeout(Exception):
    """The client stopped sending its request body: no byte came for ``seconds``.

    Raised by the server adapter's body stream; the drivers throw it into the
    core (which answers 408) or catch it around a forwarded request."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no part of the request body arrived for {seconds:g} s")
        self.seconds = seconds


# -- commands (yielded) -----------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReadBody:
    """Read the whole client body, at most ``limit`` bytes; answers bytes, or
    None when the body is larger than the limit."""

    limit: int


@dataclass(frozen=True, slots=True)
class Gather:
    """Send several upstream requests concurrently; answers a list holding, for
    each request in order, its reply or the :class:`UpstreamFailure` it met (one
    lost call must not hide the answers of the others)."""

    requests: tuple[Upstream, ...]


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


@dataclass(frozen=True, slots=True)
class StartStream:
    """Send the response head now; :class:`Emit` commands follow with the body."""

    status: int
    headers: Headers


@dataclass(frozen=True, slots=True)
class Emit:
    data: bytes


Command = Union[ReadBody, Upstream, Gather, Sleep, StartStream, Emit]


# -- outcomes (returned) ----------------------------------------------------
@dataclass(frozen=True, slots=True)
class Reply:
    """A complete response built by the shim."""

    status: int
    headers: Headers
    body: bytes


class Rewrite(Protocol):
    """How a forwarded success is rebuilt for the old client (a chat answer as a
    legacy completion: :class:`migrator.shim.chat.ChatAnswers`)."""

    def whole(self, value: Any) -> Any:
        """A decoded JSON answer rebuilt; None when it is not what was asked for."""

    def events(self, block: bytes) -> bytes:
        """Whole server-sent events rebuilt (b"" when none is left)."""


@dataclass(frozen=True, slots=True)
class Forward:
    """Send ``request`` upstream and stream its answer back untouched, except
    that a status in ``status_map`` is replaced (e.g. never a 409 to a v0
    completion call, which would retry it in a hot loop), and that a success is
    rebuilt by ``rewrite`` when one is given (errors keep the legacy envelope)."""

    request: Upstream
    status_map: dict[int, int] = field(default_factory=dict)
    headers: Headers = ()  # added to the upstream's response headers
    rewrite: Rewrite | None = None


@dataclass(frozen=True, slots=True)
class StreamEnd:
    """Returned after a :class:`StartStream`: the body is complete."""


Outcome = Union[Reply, Forward, StreamEnd]
Handler = Generator[Command, Any, Outcome]


def warning_header(changes: Iterable[str]) -> Headers:
    """An RFC 7234 ``Warning`` naming what the shim changed, for users who look."""
    text = "; ".join(changes).encode("ascii", "backslashreplace").decode("ascii")
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return (("warning", f'299 ft-migrate-shim "{text}"'),) if text else ()
