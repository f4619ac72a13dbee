"""Drive the translation core by hand: canned upstream replies in, commands out."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from migrator.shim.protocol import (ClientRequest, Emit, Gather, ReadBody, Reply, Sleep, StartStream,
                                    Upstream, UpstreamFailure, UpstreamReply)
from migrator.shim.translate import Shim

JSON_HEAD = (("content-type", "application/json"),)


def reply(obj: Any, status: int = 200, headers: tuple = JSON_HEAD) -> UpstreamReply:
    body = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return UpstreamReply(status, headers, body)


@dataclass
class Call:
    """A client request and the body the core gets when it asks (:class:`ReadBody`)."""

    req: ClientRequest
    body: bytes


def request(method: str, target: str, body: Any = None, headers: tuple = ()) -> Call:
    path, _, query = target.partition("?")
    raw = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    return Call(ClientRequest(method, path, query, (("authorization", "Bearer sk-test"), *headers)), raw)


@dataclass
class Run:
    outcome: Any
    upstream: list[Upstream] = field(default_factory=list)
    emitted: list[bytes] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    head: StartStream | None = None
    reads: int = 0

    @property
    def calls(self) -> list[tuple[str, str]]:
        return [(u.method, u.path + ("?" + u.query if u.query else "")) for u in self.upstream]

    @property
    def json(self) -> Any:
        assert isinstance(self.outcome, Reply), self.outcome
        return json.loads(self.outcome.body)

    def header(self, name: str) -> str | None:
        headers = self.outcome.headers if isinstance(self.outcome, Reply) else self.outcome.headers
        return dict(headers).get(name)


def _reply_or_failure(ask: Callable[[Upstream], UpstreamReply], up: Upstream) -> UpstreamReply | UpstreamFailure:
    try:
        return ask(up)
    except UpstreamFailure as exc:
        return exc


def drive(shim: Shim, call: Call, answer: Callable[[Upstream], UpstreamReply | Exception]) -> Run:
    """Run ``shim.handle(call.req)`` to the end; ``answer`` plays the upstream."""
    gen = shim.handle(call.req)
    run = Run(None)
    value: Any = None
    failure: Exception | None = None

    def ask(up: Upstream) -> UpstreamReply:
        run.upstream.append(up)
        result = answer(up)
        if isinstance(result, Exception):
            raise result
        return result

    while True:
        try:
            cmd = gen.throw(failure) if failure is not None else gen.send(value)
        except StopIteration as stop:
            run.outcome = stop.value
            return run
        value, failure = None, None
        try:
            if isinstance(cmd, Upstream):
                value = ask(cmd)
            elif isinstance(cmd, Gather):
                value = [_reply_or_failure(ask, u) for u in cmd.requests]
            elif isinstance(cmd, ReadBody):
                run.reads += 1
                value = None if len(call.body) > cmd.limit else call.body
            elif isinstance(cmd, Sleep):
                run.sleeps.append(cmd.seconds)
            elif isinstance(cmd, StartStream):
                run.head = cmd
            elif isinstance(cmd, Emit):
                run.emitted.append(cmd.data)
            else:  # pragma: no cover - a new command the helper does not know
                raise AssertionError(cmd)
        except UpstreamFailure as exc:
            failure = exc


