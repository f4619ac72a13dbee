"""Exact token counts with tiktoken's ``cl100k_base``, loaded offline.

``tiktoken.get_encoding("cl100k_base")`` downloads the BPE file on first use and
caches it in a temp dir; a migration tool run on a CI box or behind a proxy must
not depend on that.  ft-migrate ships the official ``cl100k_base.tiktoken`` file
(``migrator/data/vocab/``, as published by OpenAI for tiktoken), reads it, checks its sha256 against
the value tiktoken itself pins (``tiktoken_ext/openai_public.py``) and build the
encoding with the official split pattern and special tokens.  No cache directory
is read or written and no socket is opened.

What is counted (documented in the README and asserted in the tests):

* chat example, the method of OpenAI's data-prep notebook (NB-late in the
  catalog): ``tokens_per_example`` + Σ over messages of (``tokens_per_message`` +
  the encoded length of every value + ``tokens_per_name`` if the message has a
  name).  The notebook encodes each value as text; a value that is not text is
  counted by its text leaves: a ``function_call`` by its name and arguments, each
  of ``tool_calls`` by its id, type, function name and arguments; ``weight`` (a
  number) adds nothing.  The ``tools`` or ``functions`` of a line are counted as
  OpenAI's token-counting notebook counts them (TOKENS-NB), with the target
  model's constants (``[data.tool_tokens]``): see :func:`definition_parts`;
* prompt/completion example (babbage-002, davinci-002): the encoded length of
  the prompt plus the encoded length of the completion.

Text is encoded with ``encode_ordinary``: a literal ``<|endoftext|>`` inside
training data is ordinary text, never a special token.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import multiprocessing
import os
import threading
import types
from collections import deque
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from importlib import resources
from operator import add
from typing import Mapping, Sequence

import orjson
import tiktoken
from tiktoken_ext import openai_public

# The official file, shipped inside ft-migrate (package, resource path).
BPE_RESOURCE = ("migrator.data", "vocab/cl100k_base.tiktoken")

# Characters per batch handed to a worker: large enough that the hand-off
# costs nothing per text, small enough that a batch of texts stays a few MB.
# At most one batch more than there are workers waits for them (bounded memory).
BATCH_CHARS = 1_000_000
# Worker processes for large inputs (one per CPU, at most 4): tiktoken scales
# poorly over threads (measured 1.1x on 2 CPUs, 1.7x with 2 processes), and
# starting processes (a few tenths of a second) only pays off on large files.
PROCESSES = max(1, min(4, os.cpu_count() or 1))
PARALLEL_MIN_BYTES = 16 << 20


class TokenizerError(RuntimeError):
    """The bundled BPE file is missing or is not the official one."""


def bpe_path() -> str:
    package, name = BPE_RESOURCE
    try:
        path = resources.files(package).joinpath(name)
    except ModuleNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise TokenizerError(
            "the cl100k_base BPE file is missing from this ft-migrate install (migrator/data/vocab/): "
            "reinstall ft-migrate (it counts tokens offline and never downloads the file)"
        )
    return str(path)


def _read_verified(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
    """Stands in for ``tiktoken.load.load_tiktoken_bpe``: the bundled file, never ``url``.

    tiktoken's own loader copies even a local file into its cache directory, so
    the ranks are parsed here; the sha256 is checked against ``expected_hash``,
    the value tiktoken pins for the download.
    """
    if not expected_hash:
        raise TokenizerError(f"tiktoken pins no sha256 for {url}; refusing an unverified BPE file")
    path = bpe_path()
    with open(path, "rb") as f:
        data = f.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected_hash:
        raise TokenizerError(f"{path}: sha256 {digest} is not the official {expected_hash}")
    # "<base64 token> <rank>" per line; the file is the official one, so a split
    # on whitespace pairs them up (decoded by C loops: a third of the start-up)
    fields = data.split()
    return dict(zip(map(binascii.a2b_base64, fields[0::2]), map(int, fields[1::2])))


def official_constructor(name: str) -> types.FunctionType:
    """tiktoken's own constructor for ``name``, loading the bundled file instead of the URL.

    The split pattern, special tokens and expected sha256 stay tiktoken's
    (``tiktoken_ext/openai_public.py``): the function is re-bound to a copy of its
    module globals in which ``load_tiktoken_bpe`` is :func:`_read_verified`, so
    there is no second copy of those constants and no module is patched.
    """
    original = getattr(openai_public, name, None)
    if original is None:
        raise TokenizerError(f"tiktoken has no {name!r} encoding")
    scope = dict(original.__globals__, load_tiktoken_bpe=_read_verified)
    return types.FunctionType(original.__code__, scope, original.__name__)


@functools.lru_cache(maxsize=1)
def encoding(name: str = "cl100k_base") -> tiktoken.Encoding:
    """The offline encoding (the catalog's ``data.encoding``), verified against the official sha256."""
    if name != "cl100k_base":
        raise TokenizerError(f"only the cl100k_base file is bundled, the catalog asks for {name!r}")
    return tiktoken.Encoding(**official_constructor(name)())


class TokenCounter:
    """Counts examples in batches on workers while the caller keeps reading.

    Feed examples with :meth:`add_chat` / :meth:`add_completion`; every
    ``BATCH_CHARS`` characters the pending texts go to a worker, and the
    per-example totals of the batch are handed to ``sink(tags, totals)`` (two
    lists, in the order the examples were added).  Call :meth:`flush` at the
    end.  A tag is whatever the caller needs back (a line number).  The workers are ``PROCESSES``
    processes with ``parallel`` (for large files), else one thread; with
    ``inline`` the caller counts each batch itself (it is a worker process of
    its own, one of several reading parts of a file).

    Why not ``encode_ordinary_batch``: it submits one future per text to a new
    thread pool, and that bookkeeping costs more than encoding a short training
    text (measured about 2-4x slower than a plain loop, see
    ``bench/bench_data.py``).  A worker running a plain loop over a whole batch
    is cheaper, and the counting overlaps with the JSON parsing and writing done
    by the caller.
    """

    def __init__(self, data: dict, sink, encoding_name: str = "cl100k_base", parallel: bool = False,
                 tool_tokens: Mapping[str, int] | None = None, inline: bool = False):
        self.enc = encoding(encoding_name)
        self.tool_tokens = tool_tokens if tool_tokens is not None else data["tool_tokens"][data["tool_tokens_default"]]
        self.encoding_name = encoding_name
        self.parallel = parallel
        self.inline = inline
        self.per_message = data["tokens_per_message"]
        self.per_name = data["tokens_per_name"]
        self.per_example = data["tokens_per_example"]
        self.sink = sink
        self.texts: list[str] = []
        self.pending = _Pending()
        self.chars = 0
        self.role_tokens: dict[str, int] = {}
        self.pool: Executor | None = None
        self.in_flight: deque = deque()

    def add_completion(self, tag, prompt: str, completion: str) -> None:
        self.texts.append(prompt)
        self.texts.append(completion)
        pending = self.pending
        pending.tags.append(tag)
        pending.fixed.append(0)
        pending.sizes.append(2)
        self.chars += len(prompt) + len(completion)
        if self.chars >= BATCH_CHARS:
            self._submit()

    def add_chat(self, tag, messages: Sequence[dict], line: Mapping | None = None) -> None:
        """One chat example: its ``messages`` and the accepted top-level keys of its ``line``."""
        fixed = self.per_example
        per_message, role_tokens = self.per_message, self.role_tokens
        texts = self.texts
        start = len(texts)
        chars = 0
        for message in messages:
            fixed += per_message
            for key, value in message.items():
                if key == "role":
                    # roles are a handful of words: encode each once
                    cached = role_tokens.get(value)
                    if cached is None:
                        cached = role_tokens[value] = len(self.enc.encode_ordinary(value))
                    fixed += cached
                    continue
                if key == "name":
                    fixed += self.per_name
                if type(value) is str:
                    texts.append(value)
                    chars += len(value)
                else:
                    chars += _leaves(value, texts)
        if line:
            definitions = line.get("tools") or line.get("functions") or ()
            if definitions:
                mark = len(texts)
                fixed += definition_parts(definitions, self.tool_tokens, texts)
                chars += sum(len(t) for t in texts[mark:])
        pending = self.pending
        pending.tags.append(tag)
        pending.fixed.append(fixed)
        pending.sizes.append(len(texts) - start)
        self.chars += chars
        if self.chars >= BATCH_CHARS:
            self._submit()

    def _submit(self) -> None:
        if self.inline:
            self._hand_out(self.pending, _lengths(self.enc, self.texts))
            self.texts, self.pending, self.chars = [], _Pending(), 0
            return
        if self.pool is None:
            if self.parallel:
                self.pool = ProcessPoolExecutor(PROCESSES, mp_context=_context())
            else:
                self.pool = ThreadPoolExecutor(1, thread_name_prefix="ft-migrate-tokens")
        while len(self.in_flight) > (PROCESSES if self.parallel else 1):
            self._deliver()
        if self.parallel:
            future = self.pool.submit(_lengths_by_name, self.encoding_name, self.texts)
        else:
            future = self.pool.submit(_lengths, self.enc, self.texts)
        self.in_flight.append((future, self.pending))
        self.texts, self.pending, self.chars = [], _Pending(), 0

    def _deliver(self) -> None:
        future, pending = self.in_flight.popleft()
        self._hand_out(pending, future.result())

    def _hand_out(self, pending: "_Pending", lengths: list[int]) -> None:
        """The batch's totals to the sink: each example's fixed tokens plus its texts' lengths."""
        fixed, sizes = pending.fixed, pending.sizes
        if sizes.count(2) == len(sizes):
            # two texts an example (prompt and completion, user and assistant): summed in C
            totals = list(map(add, fixed, map(add, lengths[0::2], lengths[1::2])))
        else:
            totals, i = [], 0
            for f, n in zip(fixed, sizes):
                totals.append(f + sum(lengths[i:i + n]))
                i += n
        self.sink(pending.tags, totals)

    def flush(self) -> None:
        """Count what is pending and deliver every total; the workers are then stopped."""
        if self.pending.tags:
            self._submit()
        while self.in_flight:
            self._deliver()
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None


class _Pending:
    """The examples of one batch: their tags, their fixed tokens and how many of the batch's texts are theirs."""

    __slots__ = ("tags", "fixed", "sizes")

    def __init__(self) -> None:
        self.tags: list = []
        self.fixed: list[int] = []
        self.sizes: list[int] = []


def _leaves(value, texts: list[str]) -> int:
    """Append the text leaves of a JSON value to ``texts`` (numbers, booleans and null add nothing)."""
    chars = 0
    if type(value) is str:
        texts.append(value)
        return len(value)
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, list):
        return 0
    for item in value:
        chars += _leaves(item, texts)
    return chars


def _text(value) -> str:
    """A schema value as the text it is encoded as: a string as is, anything else as JSON."""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _strip_period(text: str) -> str:
    return text[:-1] if text.endswith(".") else text


def definition_parts(definitions: Sequence, k: Mapping[str, int], texts: list[str]) -> int:
    """The fixed tokens of a line's ``tools`` (or legacy ``functions``); the texts to encode
    are appended to ``texts``.

    Per function: ``func_init`` + the tokens of ``"name:description"`` (a final
    period dropped); if its parameters have properties, ``prop_init`` and per
    property ``prop_key`` + the tokens of ``"name:type:description"``, plus, for an
    ``enum``, ``enum_init`` and per value ``enum_item`` + its tokens; then
    ``func_end`` once.  A missing description or type counts as empty.
    """
    fixed = 0
    for item in definitions:
        function = item.get("function", item) if item.get("type") == "function" else item
        fixed += k["func_init"]
        texts.append(f"{function['name']}:{_strip_period(function.get('description', ''))}")
        properties = (function.get("parameters") or {}).get("properties") or {}
        if isinstance(properties, dict) and properties:
            fixed += k["prop_init"]
            for name, spec in properties.items():
                spec = spec if isinstance(spec, dict) else {}
                fixed += k["prop_key"]
                enum = spec.get("enum")
                if isinstance(enum, list):
                    fixed += k["enum_init"]
                    for value in enum:
                        fixed += k["enum_item"]
                        texts.append(_text(value))
                kind, about = spec.get("type", ""), spec.get("description", "")
                texts.append(f"{name}:{_text(kind)}:{_strip_period(_text(about))}")
    return fixed + k["func_end"]


def _lengths(enc: tiktoken.Encoding, texts: list[str]) -> list[int]:
    encode = enc.encode_ordinary
    return [len(encode(t)) for t in texts]


def _lengths_by_name(name: str, texts: list[str]) -> list[int]:
    """In a worker process: the encoding is inherited (fork) or loaded once, offline, and verified."""
    return _lengths(encoding(name), texts)


def _context() -> multiprocessing.context.BaseContext:
    """fork when this process has no other thread, else forkserver (or the platform's default).

    fork shares the loaded encoding with the workers (measured: the whole
    process tree needs ~115 MB for a 50 MB file, ~200 MB with forkserver, where
    each worker loads its own), but forking a process that runs other threads
    (the library inside a server) can deadlock the child.  ProcessPoolExecutor
    starts its own thread only after it has forked its workers.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context()
