"""Reading a training file in one streaming pass (two when it is priced in the other format).

Pass 1 validates every line, follows the separator/stop conventions
(:mod:`migrator.data.conventions`), counts tokens of the examples as they are
(on workers, :class:`~migrator.data.tokens.TokenCounter`) and finds
duplicates: the per-example hashes, in file order, go through a fixed-size bit
set (16 MB) that flags possible repeats, and are then scanned for the flagged
ones (at most ``MAX_DUP_CANDIDATES`` of them, ~20 MB), so the first occurrence
is found without reading the file again.  Pass 2 runs only for a *view* in the other
format (the file as ``convert`` would turn it, so a prompt/completion file can
be priced on gpt-3.5-turbo exactly), which needs the separator and stop
sequence pass 1 found.  Per example only its hash, token count and line number
are kept (20 bytes), which is what duplicates, billable tokens and over-limit
warnings for any model need.

The records come from a :class:`Reader` over a file, or from ``convert``
while it writes (so its output is summarized without being read back).  What
they show line by line is kept in a :class:`Findings`, which adds up piece by
piece (``convert``'s workers each read a piece of a large file); the file-level
conclusions are drawn once, by :func:`conclude`.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Mapping

import orjson

from migrator.catalog import ChatFormat
from migrator.data import transform
from migrator.data.conventions import Ending, first_unused, used_candidates
from migrator.data.examples import CHAT, COMPLETION, Reject, chat_example, completion_example, detect_format
from migrator.data.listing import Listing
from migrator.data.rules import Rules, rules_for
from migrator.data.source import BLANK, Record, Source
from migrator.data.target import default_model
from migrator.data.tokens import PARALLEL_MIN_BYTES, TokenCounter

OK, SKIP, REJECTED = "ok", "blank", "rejected"
DUP_BITS = 1 << 27  # 16 MB bit set; a false positive only costs a candidate entry
# Hashes of possible duplicates kept for the final scan (about 100 bytes each with the
# dict that confirms them, so at most ~20 MB); past that, repeats of further
# examples are not looked for and a ``duplicates_not_checked`` warning says so.
MAX_DUP_CANDIDATES = 200_000


class Reader:
    """A source as ``(line, status, payload)``; the format is fixed by the first JSON object.

    ``payload`` is ``(prompt, completion, extra keys)`` or ``(messages, extra
    keys, accepted top-level keys)`` for a usable example (chat lines checked
    against ``chat``, the target model's format), the reason for a rejected line,
    None for a blank one.
    """

    def __init__(self, source: Source | Iterable[Record], chat: ChatFormat, fmt: str | None = None):
        self.source = source  # or the records of a piece of one
        self.chat = chat
        self.format = fmt

    def __iter__(self) -> Iterator[tuple[int, str, object]]:
        chat = self.chat
        records = self.source.records() if isinstance(self.source, Source) else self.source
        for line, value, reason in records:
            if value is BLANK:
                yield line, SKIP, None
                continue
            if reason is not None:
                yield line, REJECTED, reason
                continue
            if self.format is None:
                self.format = detect_format(value)
            try:
                if self.format == CHAT:
                    yield line, OK, chat_example(value, chat)
                else:
                    yield line, OK, completion_example(value)
            except Reject as exc:
                yield line, REJECTED, str(exc)


@dataclass
class View:
    """Token counts of the examples in one format, in file order."""

    format: str
    tokens: array = field(default_factory=lambda: array("I"))
    lines: array = field(default_factory=lambda: array("I"))
    skipped: Listing = field(default_factory=Listing)  # examples with no image in this format

    def add(self, lines: list[int], tokens: list[int]) -> None:
        """The token counts of the examples at ``lines`` (a :class:`~migrator.data.tokens.TokenCounter` sink)."""
        self.lines.extend(lines)
        self.tokens.extend(tokens)

    @property
    def count(self) -> int:
        return len(self.tokens)

    @property
    def total(self) -> int:
        return sum(self.tokens)

    @property
    def max_example(self) -> int:
        return max(self.tokens, default=0)

    def billable(self, limit: int | None) -> int:
        if limit is None or self.max_example <= limit:  # max and sum loop in C
            return self.total
        return sum(t if t < limit else limit for t in self.tokens)

    def over(self, limit: int | None) -> Iterator[tuple[int, int]]:
        if limit is None or self.max_example <= limit:
            return
        for line, t in zip(self.lines, self.tokens):
            if t > limit:
                yield line, t


@dataclass
class Analysis:
    file: str
    format: str
    lines: int = 0
    blank: int = 0
    valid: int = 0
    rejected: Listing = field(default_factory=Listing)
    warnings: list[dict] = field(default_factory=list)
    listed: int | None = None  # the bound on per-line lists (None: everything is listed)
    unlisted_warnings: int = 0  # per-line warnings beyond ``listed``
    separator: str | None = None
    stop: str | None = None
    views: dict[str, View] = field(default_factory=dict)


class _Tally:
    """A convention most lines may break: one warning with a count and the first line."""

    __slots__ = ("count", "first")

    def __init__(self) -> None:
        self.count = 0
        self.first: int | None = None

    def add(self, line: int) -> None:
        self.count += 1
        if self.first is None:
            self.first = line

    def merge(self, other: "_Tally", offset: int = 0) -> None:
        """Add the tally of the lines that come after these (numbered from ``offset`` + 1)."""
        self.count += other.count
        if self.first is None and other.first is not None:
            self.first = other.first + offset


def _warn(out: list, line: int | None, code: str, message: str) -> None:
    out.append({"line": line, "code": code, "message": message})


def _show(text: str) -> str:
    """A separator as users write it in code: ``'\\n\\n###\\n\\n'``."""
    return repr(text)


def analyze(source: Source, catalog, views: tuple[str, ...] = (), tokens: bool = True,
            listed: int | None = None, rules: Rules | None = None) -> Analysis:
    """Check ``source`` and count its tokens in the formats of ``views`` (default: its own).

    Chat lines are checked and tool definitions counted as ``rules`` say (the
    target model's, :func:`~migrator.data.rules.rules_for`; default: the chat
    model that replaces the legacy default on the catalog's date).

    With ``tokens=False`` only the checks run: enough for ``convert``, which
    checks its output instead; duplicates and tokens are then not reported.
    ``listed`` bounds each per-line list (rejected lines, per-line warnings,
    skipped examples) so that memory stays flat on a bad file; the rest is counted.
    """
    rules = rules if rules is not None else default_rules(catalog)
    return analyze_records(source, Reader(source, rules.chat), catalog, views, tokens, listed, rules)


def default_rules(catalog) -> Rules:
    """The rules of the chat model a chat file is priced on without ``--model``."""
    return rules_for(catalog, default_model(catalog, CHAT))


def analyze_records(source: Source, reader: Iterable, catalog, views: tuple[str, ...] = (), tokens: bool = True,
                    listed: int | None = None, rules: Rules | None = None) -> Analysis:
    """:func:`analyze` on ``reader``'s ``(line, status, payload)`` records, which are ``source``'s.

    ``reader`` has a ``format`` attribute, set by the first example at the
    latest (see :class:`Reader`).  ``source`` is read again only for a view in
    the other format or to suggest a missing separator or stop sequence.
    """
    rules = rules if rules is not None else default_rules(catalog)
    counting = Counting(views, source.size >= PARALLEL_MIN_BYTES, False, rules.tool_tokens) if tokens else None
    found = Findings(catalog.data, listed, tokens, counting)
    for _ in found.observe(reader):
        pass
    return conclude(found, source, catalog, views, tokens, rules)


@dataclass(frozen=True)
class Counting:
    """How :class:`Findings` counts the tokens of the examples in their own format.

    Only when that format is one of ``views`` (or ``views`` is empty); on worker
    processes (``parallel``), on the caller (``inline``) or else on a thread.
    """

    views: tuple[str, ...]
    parallel: bool
    inline: bool
    tool_tokens: Mapping[str, int]


class Findings:
    """What the records of a file show line by line, in a form that adds up.

    :func:`analyze_records` passes a whole file through one of these;
    ``convert`` has worker processes pass pieces of a file through one each and
    adds them up in file order with :meth:`merge`, which gives what one pass
    would: the same counts, the same first ``listed`` items of each list (the
    rest counted), the same first line of each tally, the hashes and token
    counts in file order.  What needs the whole file (the conventions, the
    duplicates, the file-level warnings) is concluded once, by :func:`conclude`.

    With ``hashes`` each example's hash is kept for the duplicate check;
    ``counting`` says whether and how its tokens are counted (into ``view``).
    """

    def __init__(self, data: Mapping, listed: int | None = None, hashes: bool = False,
                 counting: Counting | None = None):
        self.format: str | None = None
        self.listed = listed
        self.lines = self.blank = self.valid = self.empty_prompts = 0
        self.rejected = Listing(listed)
        self.warnings = Listing(listed)  # per-line warnings (long examples)
        self.no_space, self.extra, self.no_system, self.no_user = _Tally(), _Tally(), _Tally(), _Tally()
        self.extra_keys: dict[str, None] = {}
        self.prompts = Ending(data["separators"])
        self.completions = Ending(data["stop_sequences"])
        self.long_chars = data["legacy_max_chars"]
        self.hashes = array("q") if hashes else None
        self.hash_lines = array("I") if hashes else None
        self.view: View | None = None
        self.counting = counting
        self._data = data  # for the token counter; not carried back from a worker process
        self._repeats: _Repeats | None = None  # see repeats()

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_data"] = None
        return state

    def repeats(self) -> "_Repeats":
        """The duplicate candidates among the hashes so far; each hash is scanned once, so
        this can run as pieces arrive (``convert`` does) or once at the end."""
        if self._repeats is None:
            self._repeats = _Repeats()
        self._repeats.scan(self.hashes)
        return self._repeats

    def observe(self, records: Iterable) -> Iterator[tuple[int, str, object]]:
        """``records`` passed through, each one accounted for; the counting ends with the last.

        ``records`` has a ``format`` attribute, set by the first example at the
        latest (see :class:`Reader`).
        """
        prompts, completions, no_space, extra = self.prompts, self.completions, self.no_space, self.extra
        no_system, no_user, extra_keys = self.no_system, self.no_user, self.extra_keys
        rejected, warnings, long_chars = self.rejected, self.warnings, self.long_chars
        hashes, hash_lines = self.hashes, self.hash_lines
        keep = hashes is not None
        counter = add_own = is_chat = None
        lines = blank = valid = empty_prompts = 0
        for record in records:
            line, status, payload = record
            lines += 1
            if status is SKIP:
                blank += 1
                yield record
                continue
            if status is REJECTED:
                rejected.add({"line": line, "reason": payload})
                yield record
                continue
            valid += 1
            if is_chat is None:
                self.format = records.format
                is_chat = self.format == CHAT
                counter, add_own = self._counter(is_chat)
            if is_chat:
                messages, keys, accepted = payload
                roles = [m["role"] for m in messages]
                if "system" not in roles:
                    no_system.add(line)
                if "user" not in roles:
                    no_user.add(line)
                if keep:
                    # the whole example: a different weight, call or tool list is a different example
                    hashes.append(hash(orjson.dumps((messages, accepted), option=orjson.OPT_SORT_KEYS)))
                    hash_lines.append(line)
                if add_own is not None:
                    add_own(line, messages, accepted)
            else:
                prompt, completion, keys = payload
                prompts.add(line, prompt)
                if not prompt:
                    empty_prompts += 1
                completions.add(line, completion)
                if completion[0] != " ":
                    no_space.add(line)
                if len(prompt) + len(completion) > long_chars and prompt:
                    warnings.add({"line": line, "code": "long_example",
                                  "message": f"{len(prompt) + len(completion)} characters: the legacy tool dropped "
                                             f"examples over {long_chars} characters"})
                if keep:
                    hashes.append(hash((prompt, completion)))
                    hash_lines.append(line)
                if add_own is not None:
                    add_own(line, prompt, completion)
            if keys:
                extra.add(line)
                extra_keys.update(dict.fromkeys(keys))
            yield record
        self.lines += lines
        self.blank += blank
        self.valid += valid
        self.empty_prompts += empty_prompts
        if counter is not None:
            counter.flush()

    def _counter(self, is_chat: bool):
        """The token counter of the examples in their own format, and its add method (or Nones)."""
        counting = self.counting
        if counting is None or (counting.views and self.format not in counting.views):
            return None, None
        if self.view is None:
            self.view = View(self.format, skipped=Listing(self.listed))
        data = self._data
        counter = TokenCounter(data, self.view.add, data["encoding"], parallel=counting.parallel,
                               tool_tokens=counting.tool_tokens, inline=counting.inline)
        return counter, counter.add_chat if is_chat else counter.add_completion

    def merge(self, other: "Findings", offset: int = 0) -> None:
        """Add the findings of the records that follow these, whose lines are numbered from ``offset`` + 1.

        (``offset`` is 0 when ``other`` numbered its lines as the file does.)
        """
        if self.format is None:
            self.format = other.format
        self.lines += other.lines
        self.blank += other.blank
        self.valid += other.valid
        self.empty_prompts += other.empty_prompts
        for mine, theirs in ((self.rejected, other.rejected), (self.warnings, other.warnings)):
            for item in theirs:
                item["line"] += offset
                mine.add(item)
            mine.dropped += theirs.dropped
        for mine, theirs in ((self.no_space, other.no_space), (self.extra, other.extra),
                             (self.no_system, other.no_system), (self.no_user, other.no_user)):
            mine.merge(theirs, offset)
        self.extra_keys.update(other.extra_keys)
        self.prompts.merge(other.prompts, offset)
        self.completions.merge(other.completions, offset)
        if self.hashes is not None:
            self.hashes.extend(other.hashes)
            self.hash_lines.extend(_shifted(other.hash_lines, offset))
        if other.view is not None:
            if self.view is None:
                self.view = View(other.view.format, skipped=Listing(self.listed))
            self.view.tokens.extend(other.view.tokens)
            self.view.lines.extend(_shifted(other.view.lines, offset))


def _shifted(lines: array, offset: int) -> array:
    return array("I", [line + offset for line in lines]) if offset else lines


def conclude(found: Findings, source: Source, catalog, views: tuple[str, ...] = (), tokens: bool = True,
             rules: Rules | None = None) -> Analysis:
    """The analysis of a whole file from its :class:`Findings`: the file-level warnings, the
    conventions, the duplicates and the views (``tokens``: as :func:`analyze` says)."""
    data = catalog.data
    rules = rules if rules is not None else default_rules(catalog)
    listed = found.listed
    fmt = found.format or COMPLETION
    valid = found.valid
    result = Analysis(source.name, fmt, found.lines, found.blank, valid, found.rejected, found.warnings,
                      listed=listed)
    file_level: list[dict] = []
    if valid < data["min_examples"]:
        _warn(file_level, None, "too_few_examples",
              f"{valid} valid examples; fine-tuning needs at least {data['min_examples']} "
              f"({data['recommended_examples']} or more usually work better)")
    extra = found.extra
    if extra.count:
        expected = "messages" if fmt == CHAT else "prompt and completion"
        _warn(file_level, None, "extra_keys",
              f"{extra.count} examples have keys other than {expected} "
              f"({', '.join(map(repr, found.extra_keys))}); they are ignored (first at line {extra.first})")
    if fmt == CHAT:
        for tally, role in ((found.no_system, "system"), (found.no_user, "user")):
            if tally.count:
                _warn(file_level, None, f"no_{role}_message",
                      f"{tally.count} of {valid} examples have no {role} message (first at line {tally.first})")
    elif valid:
        _conventions(result, found.prompts, found.completions, found.no_space, found.empty_prompts == valid,
                     source, catalog, file_level)
    warnings = found.warnings
    if tokens:
        repeats = found.repeats()
        candidates, unchecked = repeats.candidates, repeats.unchecked
        found._repeats = repeats = None  # its bit set (16 MB) is no longer needed
        if unchecked:
            _warn(file_level, None, "duplicates_not_checked",
                  f"more than {MAX_DUP_CANDIDATES:,} examples may repeat earlier ones; {unchecked:,} further "
                  "examples were not checked for duplicates")
        result.warnings = file_level + warnings
        duplicates = _duplicates(found.hashes, found.hash_lines, candidates, listed)
        found.hashes = found.hash_lines = None
        result.warnings += duplicates
        result.unlisted_warnings = warnings.dropped + duplicates.dropped
        for view_format in dict.fromkeys(views or (fmt,)):
            if view_format == fmt:
                result.views[fmt] = found.view or View(fmt, skipped=Listing(listed))
            else:
                _count_converted(result, source, catalog, view_format, rules)
    else:
        result.warnings = file_level + warnings
        result.unlisted_warnings = warnings.dropped
    result.warnings.sort(key=lambda w: (w["line"] is not None, w["line"] or 0))
    return result


class _Repeats:
    """Which hashes may occur more than once, and how many examples went unchecked.

    A fixed-size bit set flags a hash seen before (or a collision); such
    hashes become candidates, at most ``MAX_DUP_CANDIDATES`` of them.  An
    example flagged once the candidates are full is counted as unchecked.
    """

    def __init__(self) -> None:
        self.bits = bytearray(DUP_BITS >> 3)
        self.candidates: set[int] = set()
        self.unchecked = 0
        self.scanned = 0

    def scan(self, hashes: array) -> None:
        """Scan the hashes appended to ``hashes`` since the last scan."""
        bits, candidates, mask = self.bits, self.candidates, DUP_BITS - 1
        unchecked = 0
        for key in hashes[self.scanned:]:
            b = key & mask
            if bits[b >> 3] & (1 << (b & 7)):
                if len(candidates) < MAX_DUP_CANDIDATES:
                    candidates.add(key)
                elif key not in candidates:
                    unchecked += 1
            else:
                bits[b >> 3] |= 1 << (b & 7)
        self.unchecked += unchecked
        self.scanned = len(hashes)


def _conventions(result: Analysis, prompts: Ending, completions: Ending, no_space: _Tally,
                 open_ended: bool, source: Source, catalog, out: list) -> None:
    data = catalog.data
    n = prompts.count
    sep = prompts.decide()
    stop = completions.decide()
    result.separator, result.stop = sep.ending, stop.ending
    if sep.ending is None or stop.ending is None:
        suggestion = dict(zip(("separator", "stop"), suggest(result, source, catalog)))
    if sep.ending is None:
        if not open_ended:
            _warn(out, None, "no_separator",
                  f"the prompts share no separator; end every prompt with a fixed one that appears "
                  f"nowhere else (the legacy tool suggests {_show(suggestion['separator'])})")
    else:
        if sep.missing:
            _warn(out, None, "missing_separator",
                  f"{sep.missing} of {n} prompts do not end with the separator {_show(sep.ending)} "
                  f"(first at line {sep.first_missing})")
        if len(sep.ending) > data["separator_max_chars"]:
            _warn(out, None, "long_separator",
                  f"the separator {_show(sep.ending)} is longer than {data['separator_max_chars']} characters; "
                  "it wastes tokens in every request")
    if stop.ending is None:
        _warn(out, None, "no_stop",
              f"the completions share no stop sequence; end every completion with a fixed one "
              f"(the legacy tool suggests {_show(suggestion['stop'])})")
    elif stop.missing:
        _warn(out, None, "missing_stop",
              f"{stop.missing} of {n} completions do not end with the stop sequence {_show(stop.ending)} "
              f"(first at line {stop.first_missing})")
    if no_space.count:
        _warn(out, None, "no_leading_space",
              f"{no_space.count} of {n} completions do not start with a space (first at line {no_space.first})")
    prefix = prompts.prefix or ""
    if len(prefix) > data["prompt_prefix_max_chars"]:
        _warn(out, None, "common_prompt_prefix",
              f"every prompt starts with {_show(prefix)}; it costs tokens in every example and request "
              "(move it to a system message with convert --to chat --system)")
    cprefix = completions.prefix or ""
    if stop.ending and cprefix.startswith(" "):
        cprefix = cprefix[1:]
    if len(cprefix.strip()) and len(cprefix) >= data["completion_prefix_min_chars"]:
        _warn(out, None, "common_completion_prefix",
              f"every completion starts with {_show(completions.prefix)}; the model learns nothing from it")


def _duplicates(hashes: array, lines: array, candidates: set[int], listed: int | None) -> Listing:
    """``duplicate`` warnings: every example whose hash is a flagged candidate and came before."""
    found = Listing(listed)
    if not candidates:
        return found
    seen: dict[int, int] = {}
    for key, line in zip(hashes, lines):
        if key in candidates:
            first = seen.setdefault(key, line)
            if first != line:
                found.add({"line": line, "code": "duplicate", "message": f"the same example as line {first}"})
    return found


def _count_converted(result: Analysis, source: Source, catalog, fmt: str, rules: Rules) -> None:
    """Pass 2: the tokens of every example as ``convert`` would write it in ``fmt`` (the other format)."""
    data = catalog.data
    view = result.views[fmt] = View(fmt, skipped=Listing(result.listed))
    counter = TokenCounter(data, view.add, data["encoding"], parallel=source.size >= PARALLEL_MIN_BYTES,
                           tool_tokens=rules.tool_tokens)
    if fmt == CHAT:
        separator, stop = result.separator, result.stop
    else:
        separator, stop = suggest(result, source, catalog, rules.chat)
    for line, status, payload in Reader(source, rules.chat, result.format):
        if status is not OK:
            continue
        try:
            if fmt == CHAT:
                counter.add_chat(line, transform.completion_to_chat(payload[0], payload[1], separator, stop, None))
            else:
                counter.add_completion(line, *transform.chat_to_completion(payload[0], separator, stop, payload[2]))
        except Reject as exc:
            view.skipped.add({"line": line, "reason": str(exc)})
    counter.flush()


def suggest(result: Analysis, source: Source, catalog, chat: ChatFormat | None = None) -> tuple[str, str]:
    """The separator and stop sequence to add: the file's own, else the legacy tool's suggestion.

    The suggestion (the first candidate that no text contains) needs another
    pass over the file, so it is made only when a file lacks one of them.
    """
    data = catalog.data
    if result.separator is not None and result.stop is not None:
        return result.separator, result.stop
    chat = chat if chat is not None else default_rules(catalog).chat
    prompts, answers = _texts(source, chat, result.format, "prompt"), _texts(source, chat, result.format, "answer")
    separator = result.separator or first_unused(data["separators"], used_candidates(data["separators"], prompts, True))
    stop = result.stop or first_unused(data["stop_sequences"], used_candidates(data["stop_sequences"], answers, False))
    return separator, stop


def _texts(source: Source, chat: ChatFormat, fmt: str, part: str) -> Iterator[str]:
    for _line, status, payload in Reader(source, chat, fmt):
        if status is not OK:
            continue
        if fmt == CHAT:
            try:
                pair = transform.chat_prompt_parts(payload[0], payload[2])
            except Reject:
                continue
        else:
            pair = payload[:2]
        yield pair[0] if part == "prompt" else pair[1]
