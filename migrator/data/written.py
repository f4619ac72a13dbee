"""Pass 2 of ``data convert``: each checked example rewritten, and the output as records.

Shared by the single-process convert and its worker processes (each of which
runs it over a piece of the input), so both write the same bytes.
"""

from __future__ import annotations

from typing import BinaryIO, Callable, Iterable, Iterator

import orjson

from migrator.catalog import ChatFormat
from migrator.data.analysis import OK, REJECTED, SKIP
from migrator.data.examples import COMPLETION, Reject, chat_example, completion_example
from migrator.data.transform import Plan


class Written:
    """Pass 2 as records: writes each converted example and yields it as ``check`` would read it back.

    Iterating converts ``records`` (a :class:`~migrator.data.analysis.Reader`'s,
    numbered as in the input) into ``out`` (rejected input lines go to
    ``reject``) and yields ``(output line, status, payload)`` for each example
    written, like a Reader over the output: the payload is checked from the very
    object that was dumped, so the summary equals ``check`` of the output file.
    ``format`` is the output's once an example is written; the input counts are
    set when the iteration ends.
    """

    def __init__(self, records: Iterable, plan: Plan, chat: ChatFormat, out: BinaryIO,
                 reject: Callable[[dict], None]):
        self.records, self.plan, self.chat = records, plan, chat
        self.out, self.reject = out, reject
        self.format: str | None = None
        self.counts: dict[str, int] = {}

    def __iter__(self) -> Iterator[tuple[int, str, object]]:
        dumps, write, build, reject = orjson.dumps, self.out.write, self.plan.builder(), self.reject
        newline = orjson.OPT_APPEND_NEWLINE
        chat, to = self.chat, self.plan.to
        if to == COMPLETION:
            recheck = completion_example
        elif self.plan.source == COMPLETION:
            recheck = _SameShape(chat)
        else:
            recheck = lambda obj: chat_example(obj, chat)  # noqa: E731
        lines = written = blank = rejected = 0
        for line, status, payload in self.records:
            lines += 1
            if status is OK:
                try:
                    obj = build(payload)
                except Reject as exc:
                    payload = str(exc)
                else:
                    write(dumps(obj, option=newline))
                    written += 1
                    self.format = to
                    try:
                        record = (written, OK, recheck(obj))
                    except Reject as exc:
                        record = (written, REJECTED, str(exc))
                    yield record
                    continue
            elif status is SKIP:
                blank += 1
                continue
            reject({"line": line, "reason": payload})
            rejected += 1
        self.out.flush()
        self.counts = {"lines": lines, "written": written, "rejected": rejected, "blank": blank}



class _SameShape:
    """``chat_example`` for the output of a completion → chat plan, checked once.

    Every such example is the same list of roles (``[system,] user,
    assistant``) with non-empty text contents and nothing else
    (:func:`~migrator.data.transform.completion_to_chat`), so the format's
    checks, which look at roles, keys and types, end the same way for all of
    them: the first example is checked, the others get its outcome.
    """

    def __init__(self, chat: ChatFormat):
        self.chat = chat
        self.reason: str | None = None
        self.checked = False

    def __call__(self, obj: dict) -> tuple[list[dict], list[str], dict]:
        if not self.checked:
            try:
                chat_example(obj, self.chat)
            except Reject as exc:
                self.reason = str(exc)
            self.checked = True
        if self.reason is not None:
            raise Reject(self.reason)
        return obj["messages"], [], {}
