"""The deprecation catalog: ft-migrate's single source of truth.

Every fact that code needs (which models were shut down and when, their
replacements, prices, endpoint/field/status/SDK/CLI mappings) lives in
``catalog.toml`` beside this module.  Scan, fix, shim, data and report all read it
through :func:`load_catalog`, so a later deprecation is a data change, not a code
change.  Users layer their own TOML files on top (``--catalog FILE``); tables are
merged key by key and the result is validated as a whole, and any error names the
file and the entry at fault.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from migrator.toml_text import TomlError, parse_toml

BUILTIN = "catalog.toml"
AS_OF_ENV = "FT_MIGRATE_AS_OF"


class CatalogError(ValueError):
    """A catalog file is unreadable or an entry in it is malformed."""


@dataclass(frozen=True)
class Price:
    """US dollars per 1K tokens; ``None`` where the catalog has no figure."""

    training: float | None = None
    input: float | None = None
    output: float | None = None


CONFIDENCE = ("official", "corroborated", "third-party")  # strongest first
EFFECTS = ("fine-tuning-limited", "fine-tuning-ends")
FORMATS = ("completion", "chat", "embedding", "edit")


@dataclass(frozen=True)
class DateEntry:
    """One dated fact: what happens, when, who says so and how sure it is.

    ``announced`` is when the date became known (None: treated as always known);
    ``effect`` marks the fine-tuning wind-down milestones.
    """

    key: str
    date: dt.date
    label: str
    source: str
    confidence: str = "official"
    announced: dt.date | None = None
    effect: str | None = None
    short: str = ""  # the headline's words for it; the label when empty

    def known_on(self, day: dt.date) -> bool:
        return self.date <= day or self.announced is None or self.announced <= day


@dataclass(frozen=True)
class Model:
    id: str
    status: str  # "shut-down" or "current"
    group: str
    source: str
    replacement: str | None = None
    alternatives: tuple[str, ...] = ()
    fixable: bool = True
    note: str = ""
    shutdown: DateEntry | None = None
    announced: dt.date | None = None
    price: Price | None = None
    fine_tuned_price: Price | None = None
    fine_tunable: bool = False
    fine_tuning_until: DateEntry | None = None
    available: dt.date | None = None
    format: str | None = None  # completion, chat, embedding or edit
    max_example_tokens: int | None = None  # tokens of one training example; longer ones are truncated
    chat_format: str | None = None  # a key of [data.chat_formats]: the training lines it accepts
    tool_tokens: str | None = None  # a key of [data.tool_tokens]: how its tool definitions count
    # The dated snapshots a fine-tuning job on this alias trains on: (from when, snapshot),
    # oldest first; ``None`` = from the start.  See :func:`migrator.lifecycle.training_snapshot`.
    snapshots: tuple[tuple[DateEntry | None, str], ...] = ()

    @property
    def legacy(self) -> bool:
        """One of the models the legacy rules look for (retired on 2024-01-04 or with /v1/engines)."""
        return self.status == "shut-down"

    @property
    def confidence(self) -> str:
        """How sure the model's shutdown date is ("official" when it has none)."""
        return self.shutdown.confidence if self.shutdown is not None else "official"

    def alive_on(self, day: dt.date) -> bool:
        """Released by ``day`` and not yet shut down."""
        return (self.available is None or self.available <= day) and (
            self.shutdown is None or self.shutdown.date > day)


@dataclass(frozen=True)
class ChatFormat:
    """What one version of the chat training format accepts (``[data.chat_formats.<key>]``).

    ``key_roles`` limits a message key to some roles (``weight`` on assistant
    messages only); ``required`` lists the keys a role must have (a ``tool``
    message answers a ``tool_call_id``); ``line_keys`` are the top-level keys
    a line may carry besides ``messages`` (``tools``, ``functions``).
    """

    key: str
    roles: tuple[str, ...]
    message_keys: tuple[str, ...]
    line_keys: tuple[str, ...]
    key_roles: Mapping[str, tuple[str, ...]]
    required: Mapping[str, tuple[str, ...]]
    source: str


@dataclass(frozen=True)
class Endpoint:
    key: str
    legacy: str
    replacement: str | None
    methods: tuple[str, ...]
    shutdown: dt.date
    source: str
    announced: dt.date | None = None
    note: str = ""
    resource: str = ""  # the openai<1 SDK resource that called it (``openai.Answer``), if any
    pattern: re.Pattern[str] = field(repr=False, compare=False, default=None)  # type: ignore[assignment]

    def translate(self, path: str) -> str | None:
        """The replacement path for a concrete legacy ``path``, or None."""
        m = self.pattern.fullmatch(path)
        if m is None or self.replacement is None:
            return None
        out = self.replacement
        for name, value in m.groupdict().items():
            out = out.replace("{" + name + "}", value)
        return out


@dataclass(frozen=True)
class SdkGeneration:
    """One generation of the SDK's fine-tuning surface and what replaces it: the v0
    resource ``openai.FineTune``, the v1 ``client.fine_tunes``, or openai-node v3."""

    legacy: str  # "openai.FineTune", "fine_tunes" (an attribute of a client)
    replacement: str  # "openai.FineTuningJob", "fine_tuning.jobs"
    methods: Mapping[str, str]  # legacy method -> its replacement; "" where there is none
    arguments: Mapping[str, str]  # keyword arguments renamed between the two
    clients: tuple[str, ...]  # the classes whose instances carry ``legacy`` (v1)
    source: str

    def new_method(self, method: str) -> str | None:
        """What replaces ``method``: a name, "" where nothing does, None if it is not a legacy method."""
        return self.methods.get(method)

    @property
    def without_equivalent(self) -> frozenset[str]:
        """The legacy methods nothing replaces (``stream_events``, ``deleteFineTune``)."""
        return frozenset(m for m, new in self.methods.items() if not new)


@dataclass(frozen=True)
class Sdk:
    v0: SdkGeneration  # openai<1
    v1: SdkGeneration  # openai>=1
    js: SdkGeneration  # openai-node v3

    def generations(self) -> tuple[SdkGeneration, ...]:
        return self.v0, self.v1, self.js


@dataclass(frozen=True)
class Statuses:
    """Job statuses of the two APIs."""

    legacy_only: tuple[str, ...]  # never reported by a new job ("pending", "created")
    new_for_legacy: tuple[str, ...]  # what a new job reports where a legacy one said pending
    legacy_for_new: str  # what a legacy client is shown for those
    terminal: tuple[str, ...]
    new: tuple[str, ...]


@dataclass(frozen=True)
class Completions:
    """Moving completions calls to chat completions."""

    v0_legacy: str  # "openai.Completion"
    v0_replacement: str
    v1_legacy: str  # "completions", an attribute of a client
    v1_replacement: str
    js_legacy: str  # "createCompletion", a method of openai-node v3's OpenAIApi
    js_replacement: str
    methods: tuple[str, ...]
    no_equal: Mapping[str, str]  # request field chat has no equal for -> why


@dataclass(frozen=True)
class CreateFlags:
    """The flags of ``openai api fine_tunes.create`` and what becomes of them."""

    kept: tuple[str, ...]
    dropped: tuple[str, ...]
    events_dropped: tuple[str, ...]
    boolean: tuple[str, ...]
    multiple: tuple[str, ...]


@dataclass(frozen=True)
class Cli:
    """The ``openai`` command line (0.27/0.28)."""

    commands: Mapping[str, str]  # "fine_tunes.create" -> "fine_tuning.job.create"; "" where none
    notes: Mapping[str, str]
    tools: Mapping[str, str]  # "fine_tunes.prepare_data" -> what to use instead
    tools_notes: Mapping[str, str]
    create_flags: CreateFlags

    def new_command(self, command: str) -> str | None:
        """What replaces ``command``: a name, "" where nothing does, None if it is not a legacy command."""
        return self.commands.get(command)


@dataclass(frozen=True, eq=False)
class Catalog:
    """The validated, merged catalog.  Build it with :func:`load_catalog`.

    Compared and hashed by identity (``eq=False``): :func:`load_catalog` caches one
    instance per set of files, and per-catalog caches (the prefilter's compiled
    patterns) key on it.
    """

    files: tuple[str, ...]
    sources: Mapping[str, str]
    dates: Mapping[str, DateEntry]
    models: Mapping[str, Model]
    endpoints: tuple[Endpoint, ...]
    legacy_fine_tuned: re.Pattern[str]
    new_fine_tuned: re.Pattern[str]
    fine_tuned_names: Mapping[str, Any]
    request_fields: Mapping[str, Any]
    response_fields: Mapping[str, Mapping[str, str]]
    statuses: Statuses
    objects: Mapping[str, str]
    sdk: Sdk
    cli: Cli
    dependency: Mapping[str, str]
    data: Mapping[str, Any]
    lifecycle: Mapping[str, Any]
    completions: Completions
    # The date the catalog answers for (`--as-of`, default today) and the user's
    # explicit `--target`: set by :func:`load_catalog`, so that every part that
    # is handed a catalog resolves replacements for the same day.
    as_of: dt.date = field(default_factory=lambda: default_as_of())
    target: str | None = None
    # The sha256 of the catalog files' names and bytes: what results kept between runs
    # (the scan cache, the parsed catalog itself) depend on besides the code.
    digest: str = ""

    @property
    def spec(self) -> tuple[tuple[str, ...], dt.date, str | None]:
        """What rebuilds this very catalog in another process: ``load_catalog(*spec)``."""
        return self.files[1:], self.as_of, self.target

    # -- dates ------------------------------------------------------------
    @property
    def shutdown(self) -> dt.date:
        return self.dates["shutdown"].date

    def fine_tuning_events(self) -> list[DateEntry]:
        """The fine-tuning wind-down milestones, oldest first."""
        return sorted((d for d in self.dates.values() if d.effect), key=lambda d: d.date)

    # -- lifecycle (answers by date: see migrator.lifecycle) ----------------
    def base_of(self, name: str) -> str | None:
        """The base model of a fine-tuned name, legacy (``curie:ft-...``) or new (``ft:davinci-002:...``)."""
        for pattern in (self.legacy_fine_tuned, self.new_fine_tuned):
            m = pattern.match(name)
            if m is not None and "base" in pattern.groupindex:
                return m.group("base")
        return None

    # -- models -----------------------------------------------------------
    @functools.cached_property
    def legacy_models(self) -> dict[str, Model]:
        return {k: m for k, m in self.models.items() if m.legacy}

    def model(self, name: str) -> Model | None:
        return self.models.get(name)

    def format_of(self, name: str) -> str | None:
        """The format of a model, of a fine-tune (its base's), or of a dated snapshot
        (``gpt-4.1-mini-2025-04-14`` is ``gpt-4.1-mini``); None when the catalog does not know it."""
        base = self.base_of(name) or name
        entry = self.models.get(base) or next(
            (m for m in sorted(self.models.values(), key=lambda m: -len(m.id)) if base.startswith(m.id + "-")), None)
        return entry.format if entry is not None else None

    def format_alive(self, fmt: str) -> bool:
        """Some model of format ``fmt`` answers on the as-of date."""
        return any(m.format == fmt and m.alive_on(self.as_of) for m in self.models.values())

    def format_ended(self, fmt: str) -> dt.date | None:
        """The day the last model of format ``fmt`` shut down, if none answers on the as-of date."""
        if self.format_alive(fmt):
            return None
        return max((m.shutdown.date for m in self.models.values() if m.format == fmt and m.shutdown is not None),
                   default=None)

    def legacy_model(self, name: str) -> Model | None:
        m = self.models.get(name)
        return m if m is not None and m.legacy else None

    def retired_since(self, name: str) -> Model | None:
        """A model shut down after the legacy API, on or before the as-of date (a 2023
        replacement such as davinci-002 that retired in turn), else None."""
        m = self.models.get(name)
        if m is None or m.legacy or m.shutdown is None or m.shutdown.date > self.as_of:
            return None
        return m

    def model_rule(self, name: str) -> str:
        """The rule a shut-down model is reported under: FT020 for the legacy models, FT022 for later ones."""
        return "FT022" if self.retired_since(name) is not None else "FT020"

    def fine_tuned_base(self, name: str) -> str | None:
        """The base model of a legacy fine-tuned name (``curie:ft-...``), else None."""
        m = self.legacy_fine_tuned.match(name)
        return m.group("base") if m else None

    # -- endpoints --------------------------------------------------------
    def endpoint(self, path: str, method: str | None = None) -> Endpoint | None:
        """The legacy endpoint a concrete URL path hits, most specific first."""
        path = path.split("?", 1)[0].rstrip("/") or "/"
        for ep in self.endpoints:
            if method is not None and method.upper() not in ep.methods:
                continue
            if ep.pattern.fullmatch(path):
                return ep
        return None

    def resource_endpoint(self, names: Iterable[str], method: str) -> Endpoint | None:
        """The endpoint an openai<1 SDK resource call hits, when one of its qualified ``names``
        is ``<resource>.<method>`` of an endpoint that names its resource (``openai.Answer``)."""
        called = set(names)
        return next((ep for ep in self.endpoints if ep.resource and f"{ep.resource}.{method}" in called), None)

    # -- SDK / CLI --------------------------------------------------------
    def sdk_method(self, generation: str, method: str) -> str | None:
        """Replacement method name; '' for no equivalent; None if not a legacy method."""
        return getattr(self.sdk, generation).new_method(method)

    def cli_command(self, command: str) -> str | None:
        """Replacement for ``fine_tunes.X`` ('' = no equivalent), None if unknown."""
        return self.cli.new_command(command)


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def default_as_of() -> dt.date:
    """Today, unless ``$FT_MIGRATE_AS_OF`` (YYYY-MM-DD) pins the date every command answers
    for: a CI job, a test suite or a report that must not change from one day to the next."""
    pinned = os.environ.get(AS_OF_ENV)
    if not pinned:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(pinned)
    except ValueError:
        raise CatalogError(f"${AS_OF_ENV}: {pinned!r} is not a date in YYYY-MM-DD form") from None


def load_catalog(extra: Iterable[str | Path] = (), as_of: dt.date | None = None,
                 target: str | None = None, keep_in: Path | None = None) -> Catalog:
    """The built-in catalog with the user's files in ``extra`` merged on top, answering for
    ``as_of`` (default :func:`default_as_of`) with the user's explicit ``target`` model, if any.

    With ``keep_in`` (the cache directory of the commands that keep one), the parsed
    and validated catalog is kept there between runs: see :func:`_kept`."""
    files = tuple(str(p) for p in extra)
    if keep_in is not None and files not in _PARSED:
        _PARSED[files] = _kept(files, keep_in)
    return _dated(files, as_of or default_as_of(), target)


def builtin_path() -> str:
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), BUILTIN)


# The parsed catalog of each set of files, once per process.
_PARSED: dict[tuple[str, ...], Catalog] = {}


@functools.lru_cache(maxsize=32)
def _dated(files: tuple[str, ...], as_of: dt.date, target: str | None) -> Catalog:
    # One instance per (files, date, target): per-catalog caches key on identity.
    return dataclasses.replace(_load(files), as_of=as_of, target=target)


def _load(extra: tuple[str, ...]) -> Catalog:
    found = _PARSED.get(extra)
    if found is None:
        found = _PARSED[extra] = _build(_read(extra))
    return found


def _read(extra: tuple[str, ...]) -> list[tuple[str, bytes]]:
    """Each catalog file's name (as errors give it) and bytes, the built-in one first."""
    with open(builtin_path(), "rb") as f:
        texts = [(BUILTIN, f.read())]
    for path in extra:
        try:
            with open(path, "rb") as f:
                texts.append((path, f.read()))
        except OSError as exc:
            raise CatalogError(f"{path}: cannot read catalog file: {exc.strerror or exc}") from None
    return texts


def _digest(texts: list[tuple[str, bytes]]) -> str:
    # loaded on use, for start-up speed (hashlib loads OpenSSL)
    import hashlib

    digest = hashlib.sha256()
    for name, raw in texts:
        digest.update(hashlib.sha256(name.encode() + b"\0" + raw).digest())
    return digest.hexdigest()


def _build(texts: list[tuple[str, bytes]]) -> Catalog:
    merged: dict[str, Any] = {}
    origin: dict[tuple[str, ...], str] = {}
    for name, raw in texts:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CatalogError(f"{name}: cannot read catalog file: {exc}") from None
        data = _parse(text, name)
        _mark(data, (), name, origin)
        _merge(merged, data)
    catalog = _Validator(merged, origin, tuple(name for name, _ in texts)).catalog()
    return dataclasses.replace(catalog, digest=_digest(texts))


def _kept(extra: tuple[str, ...], directory: Path) -> Catalog:
    """The catalog of ``extra``, unpickled from ``directory`` when this code parsed these very
    bytes before, else built and pickled there.

    Why: parsing the TOML and validating it is a tenth of a re-scan served from the
    scan cache (about 11 ms of 0.16 s on the 1M-line benchmark tree), unpickling
    it about 1 ms.  The file is named by the digest of the code and of every
    catalog file's bytes, so an edit to either is a miss, never a stale answer.  A
    missing, unreadable or foreign file is a miss too, and a file that cannot be
    written only costs the next run the parse: the scan cache beside it warns
    about a directory it cannot write.
    """
    # loaded on use: only the commands that keep a cache come here
    import hashlib
    import pickle

    from migrator import atomic
    from migrator.code_fingerprint import code_fingerprint

    texts = _read(extra)
    key = hashlib.sha256(f"{code_fingerprint()}\0{_digest(texts)}".encode()).hexdigest()
    path = Path(directory) / f"catalog-{key[:32]}.pickle"
    try:
        with open(path, "rb") as f:
            found = pickle.load(f)
        if isinstance(found, Catalog):
            return found
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        pass  # rebuilt and written again below
    found = _build(texts)
    try:
        Path(directory).mkdir(parents=True, exist_ok=True)
        atomic.write_bytes(path, pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass  # the scan cache warns about this directory; the next run parses again
    return found


def _parse(text: str, name: str) -> dict[str, Any]:
    try:
        return parse_toml(text)
    except TomlError as exc:
        raise CatalogError(f"{name}: not valid TOML: {exc}") from None


def _mark(data: Mapping[str, Any], prefix: tuple[str, ...], name: str, origin: dict) -> None:
    """Remember which file last set each entry, so errors can name it."""
    for key, value in data.items():
        path = (*prefix, key)
        origin[path] = name
        if isinstance(value, dict) and len(path) < 3:
            _mark(value, path, name, origin)


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> None:
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


class _Validator:
    """Turns the merged raw tables into typed entries, naming any bad entry."""

    def __init__(self, raw: dict[str, Any], origin: dict, files: tuple[str, ...]):
        self.raw = raw
        self.origin = origin
        self.files = files

    def fail(self, path: tuple[str, ...], reason: str) -> CatalogError:
        where = self.files[-1]
        for n in range(len(path), 0, -1):
            if path[:n] in self.origin:
                where = self.origin[path[:n]]
                break
        dotted = ".".join(f'"{p}"' if "." in p else p for p in path)
        return CatalogError(f"{where}: catalog entry {dotted}: {reason}")

    def table(self, path: tuple[str, ...], value: Any = None) -> dict[str, Any]:
        if value is None:
            value = self.raw
            for p in path:
                if not isinstance(value, dict) or p not in value:
                    raise self.fail(path, "missing table")
                value = value[p]
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a table, got {type(value).__name__}")
        return value

    def get(self, path, entry, key, kind, default=..., choices=None):
        if key not in entry:
            if default is ...:
                raise self.fail((*path, key), "missing required field")
            return default
        value = entry[key]
        ok = {
            "str": isinstance(value, str),
            "num": isinstance(value, (int, float)) and not isinstance(value, bool),
            "int": isinstance(value, int) and not isinstance(value, bool),
            "bool": isinstance(value, bool),
            "strlist": isinstance(value, list) and all(isinstance(v, str) for v in value),
        }[kind]
        if not ok:
            names = {"str": "a string", "num": "a number", "int": "an integer",
                     "bool": "true or false", "strlist": "a list of strings"}
            raise self.fail((*path, key), f"expected {names[kind]}, got {value!r}")
        if choices is not None and value not in choices:
            raise self.fail((*path, key), f"expected one of {sorted(choices)}, got {value!r}")
        return value

    def source(self, path, entry) -> str:
        src = self.get(path, entry, "source", "str")
        if src not in self.sources:
            raise self.fail((*path, "source"), f"unknown source {src!r} (add it to [sources])")
        return src

    def date_ref(self, path, entry, key, required=True) -> dt.date | None:
        """A plain date: a key of [dates] or a literal YYYY-MM-DD."""
        ref = self.get(path, entry, key, "str", default=... if required else None)
        if ref is None:
            return None
        if ref in self.dates:
            return self.dates[ref].date
        try:
            return dt.date.fromisoformat(ref)
        except ValueError:
            raise self.fail((*path, key), f"{ref!r} is neither a key of [dates] nor YYYY-MM-DD") from None

    def date_entry(self, path, entry, key, required=True) -> DateEntry | None:
        """A key of [dates], or a literal YYYY-MM-DD dated by the entry's own
        ``confidence`` and ``source`` (and ``announced``, if given)."""
        ref = self.get(path, entry, key, "str", default=... if required else None)
        if ref is None:
            return None
        if ref in self.dates:
            return self.dates[ref]
        try:
            day = dt.date.fromisoformat(ref)
        except ValueError:
            raise self.fail((*path, key), f"{ref!r} is neither a key of [dates] nor YYYY-MM-DD") from None
        if "confidence" not in entry:
            raise self.fail((*path, "confidence"), f"a literal {key} date needs a confidence "
                                                   f"({', '.join(CONFIDENCE)})")
        confidence = self.get(path, entry, "confidence", "str", choices=set(CONFIDENCE))
        announced_on = self.date_ref(path, entry, "announced", required=False)
        return DateEntry(f"{path[-1]}.{key}", day, f"{path[-1]}: {key}", self.source(path, entry),
                         confidence, announced_on)

    def price(self, path, entry, key) -> Price | None:
        if key not in entry:
            return None
        table = self.table((*path, key), entry[key])
        unknown = set(table) - {"training", "input", "output"}
        if unknown:
            raise self.fail((*path, key), f"unknown price field(s) {sorted(unknown)}")
        values = {k: self.get((*path, key), table, k, "num", None) for k in ("training", "input", "output")}
        for k, v in values.items():
            if v is not None and v < 0:
                raise self.fail((*path, key, k), f"a price cannot be negative ({v})")
        return Price(**values)

    def regex(self, path, entry, key) -> re.Pattern[str]:
        text = self.get(path, entry, key, "str")
        try:
            return re.compile(text)
        except re.error as exc:
            raise self.fail((*path, key), f"not a valid regular expression: {exc}") from None

    # -- sections ---------------------------------------------------------
    def catalog(self) -> Catalog:
        schema = self.raw.get("schema")
        if schema != 1:
            raise self.fail(("schema",), f"unsupported catalog schema {schema!r} (expected 1)")
        self.sources = {k: self.get(("sources",), self.table(("sources",)), k, "str")
                        for k in self.table(("sources",))}
        self.dates = self.parse_dates()
        self.data = self.parse_data()  # models name its chat formats
        models = self.parse_models()
        ftn = self.table(("fine_tuned_names",))
        legacy_ft = self.regex(("fine_tuned_names",), ftn, "legacy_pattern")
        if "base" not in legacy_ft.groupindex:
            raise self.fail(("fine_tuned_names", "legacy_pattern"), "needs a (?P<base>...) group")
        new_ft = self.regex(("fine_tuned_names",), ftn, "new_pattern")
        self.source(("fine_tuned_names",), ftn)
        for key in ("legacy_example", "new_example"):
            example = self.get(("fine_tuned_names",), ftn, key, "str")
            pattern = legacy_ft if key.startswith("legacy") else new_ft
            if not pattern.match(example):
                raise self.fail(("fine_tuned_names", key), f"{example!r} does not match its pattern")
        return Catalog(
            files=self.files,
            sources=self.sources,
            dates=self.dates,
            models=models,
            endpoints=self.parse_endpoints(),
            legacy_fine_tuned=legacy_ft,
            new_fine_tuned=new_ft,
            fine_tuned_names=ftn,
            request_fields=self.parse_request_fields(),
            response_fields=self.parse_response_fields(),
            statuses=self.parse_statuses(),
            objects=self.parse_flat_strings(("objects",)),
            sdk=self.parse_sdk(),
            cli=self.parse_cli(),
            dependency=self.parse_flat_strings(("dependency",)),
            data=self.data,
            lifecycle=self.parse_lifecycle(),
            completions=self.parse_completions(),
        )

    def parse_dates(self) -> dict[str, DateEntry]:
        out = {}
        for key, entry in self.table(("dates",)).items():
            path = ("dates", key)
            entry = self.table(path, entry)
            raw = entry.get("date")
            if isinstance(raw, str):
                try:
                    raw = dt.date.fromisoformat(raw)
                except ValueError:
                    raise self.fail((*path, "date"), f"{raw!r} is not YYYY-MM-DD") from None
            if not isinstance(raw, dt.date):
                raise self.fail((*path, "date"), "missing or not a date")
            out[key] = DateEntry(key, raw, self.get(path, entry, "label", "str"), self.source(path, entry),
                                 self.get(path, entry, "confidence", "str", choices=set(CONFIDENCE)),
                                 None, self.get(path, entry, "effect", "str", None, choices=set(EFFECTS)),
                                 self.get(path, entry, "short", "str", ""))
        for key, entry in self.table(("dates",)).items():  # announced may name a later entry
            ref = self.get(("dates", key), entry, "announced", "str", None)
            if ref is None:
                continue
            if ref in out:
                announced = out[ref].date
            else:
                try:
                    announced = dt.date.fromisoformat(ref)
                except ValueError:
                    raise self.fail(("dates", key, "announced"),
                                    f"{ref!r} is neither a key of [dates] nor YYYY-MM-DD") from None
            out[key] = dataclasses.replace(out[key], announced=announced)
        if "shutdown" not in out:
            raise self.fail(("dates", "shutdown"), "missing required entry")
        return out

    def parse_lifecycle(self) -> dict[str, Any]:
        path = ("lifecycle",)
        t = self.table(path)
        out = {"warn_days": self.get(path, t, "warn_days", "int"),
               "after_fine_tuning": tuple(self.get(path, t, "after_fine_tuning", "strlist"))}
        self.source(path, t)
        return out

    def parse_models(self) -> dict[str, Model]:
        models = {}
        table = self.table(("models",))
        for key, entry in table.items():
            path = ("models", key)
            entry = self.table(path, entry)
            status = self.get(path, entry, "status", "str", choices={"shut-down", "current"})
            replacement = self.get(path, entry, "replacement", "str", None)
            if status == "shut-down" and "replacement" not in entry:
                raise self.fail((*path, "replacement"), "a shut-down model needs a replacement (\"\" for none)")
            models[key] = Model(
                id=key,
                status=status,
                group=self.get(path, entry, "group", "str"),
                source=self.source(path, entry),
                replacement=replacement or None,
                alternatives=tuple(self.get(path, entry, "alternatives", "strlist", [])),
                fixable=self.get(path, entry, "fixable", "bool", True),
                note=self.get(path, entry, "note", "str", ""),
                shutdown=self.date_entry(path, entry, "shutdown", required=status == "shut-down"),
                announced=self.date_ref(path, entry, "announced", required=False),
                price=self.price(path, entry, "price"),
                fine_tuned_price=self.price(path, entry, "fine_tuned_price"),
                fine_tunable=self.get(path, entry, "fine_tunable", "bool", False),
                fine_tuning_until=self.date_entry(path, entry, "fine_tuning_until", required=False),
                available=self.date_ref(path, entry, "available", required=False),
                format=self.get(path, entry, "format", "str", None, choices=set(FORMATS)),
                max_example_tokens=self.get(path, entry, "max_example_tokens", "int", None),
                chat_format=self.get(path, entry, "chat_format", "str", None, choices=set(self.data["chat_formats"])),
                tool_tokens=self.get(path, entry, "tool_tokens", "str", None, choices=set(self.data["tool_tokens"])),
                snapshots=self.snapshots(path, entry),
            )
            if models[key].shutdown is not None and "replacement" not in entry:
                raise self.fail((*path, "replacement"), "a model with a shutdown date needs a replacement "
                                                        "(\"\" for none)")
        for key, m in models.items():
            for _since, snapshot in m.snapshots:
                if snapshot not in models:
                    raise self.fail(("models", key, "snapshots"),
                                    f"snapshot {snapshot!r} is not a model in the catalog")
            for target in filter(None, (m.replacement, *m.alternatives)):
                if target not in models:
                    raise self.fail(("models", key, "replacement"), f"replacement {target!r} is not a model in the catalog")
        return models

    def snapshots(self, path, entry) -> tuple[tuple[DateEntry | None, str], ...]:
        """``snapshots = [{ model = "...", since = "<date>" }, ...]``, oldest first."""
        raw = entry.get("snapshots", [])
        if not isinstance(raw, list):
            raise self.fail((*path, "snapshots"), f"expected a list of tables, got {raw!r}")
        out = []
        for i, item in enumerate(raw):
            where = (*path, "snapshots", str(i))
            item = self.table(where, item)
            dated = {**item, "source": item.get("source", self.get(path, entry, "source", "str"))}
            since = self.date_entry(where, dated, "since", required=False)
            out.append((since, self.get(where, item, "model", "str")))
        if any(a[0] is not None and b[0] is not None and a[0].date >= b[0].date for a, b in zip(out, out[1:])):
            raise self.fail((*path, "snapshots"), "snapshots must be listed oldest first")
        return tuple(out)

    def parse_endpoints(self) -> tuple[Endpoint, ...]:
        out = []
        for key, entry in self.table(("endpoints",)).items():
            path = ("endpoints", key)
            entry = self.table(path, entry)
            legacy = self.get(path, entry, "legacy", "str")
            if not legacy.startswith("/"):
                raise self.fail((*path, "legacy"), f"a path must start with '/', got {legacy!r}")
            regex = re.escape(legacy)
            regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/?#]+)", regex)
            out.append(Endpoint(
                key=key,
                legacy=legacy,
                replacement=self.get(path, entry, "replacement", "str") or None,
                methods=tuple(m.upper() for m in self.get(path, entry, "methods", "strlist")),
                shutdown=self.date_ref(path, entry, "shutdown"),
                announced=self.date_ref(path, entry, "announced", required=False),
                note=self.get(path, entry, "note", "str", ""),
                resource=self.get(path, entry, "resource", "str", ""),
                source=self.source(path, entry),
                pattern=re.compile(regex),
            ))
        # Most specific (longest literal) first, so /v1/engines/x/completions wins over /v1/engines.
        out.sort(key=lambda e: -len(e.legacy))
        return tuple(out)

    def parse_request_fields(self) -> dict[str, Any]:
        path = ("request_fields",)
        t = self.table(path)
        out = {k: self.get(path, t, k, "strlist") for k in ("kept", "into_hyperparameters", "dropped")}
        out["dropped_reason"] = self.get(path, t, "dropped_reason", "str")
        out["default_model"] = self.get(path, t, "default_model", "str")
        out["legacy_default_n_epochs"] = self.get(path, t, "legacy_default_n_epochs", "int")
        out["legacy_default_prompt_loss_weight"] = self.get(path, t, "legacy_default_prompt_loss_weight", "num")
        out["suffix_max_length"] = self.get(path, t, "suffix_max_length", "int")
        self.source(path, t)
        if out["default_model"] not in self.raw["models"]:
            raise self.fail((*path, "default_model"), f"{out['default_model']!r} is not a model in the catalog")
        return out

    def parse_response_fields(self) -> dict[str, dict[str, str]]:
        out = {}
        for key, entry in self.table(("response_fields",)).items():
            path = ("response_fields", key)
            entry = self.table(path, entry)
            out[key] = {"replacement": self.get(path, entry, "replacement", "str"),
                        "fix": self.get(path, entry, "fix", "str", "manual",
                                        choices={"rename", "first-id", "drop-id", "manual"}),
                        "note": self.get(path, entry, "note", "str", ""),
                        "source": self.source(path, entry)}
        return out

    def parse_statuses(self) -> Statuses:
        path = ("statuses",)
        t = self.table(path)
        out: dict[str, Any] = {k: tuple(self.get(path, t, k, "strlist"))
                               for k in ("legacy_only", "new_for_legacy", "terminal", "new")}
        out["legacy_for_new"] = self.get(path, t, "legacy_for_new", "str")
        if out["legacy_for_new"] not in out["legacy_only"]:
            raise self.fail((*path, "legacy_for_new"), f"{out['legacy_for_new']!r} is not in legacy_only")
        self.source(path, t)
        return Statuses(**out)

    def parse_flat_strings(self, path: tuple[str, ...]) -> dict[str, str]:
        t = self.table(path)
        out = {k: self.get(path, t, k, "str") for k in t}
        self.source(path, t)
        return out

    def parse_sdk(self) -> Sdk:
        out = {}
        for gen in ("v0", "v1", "js"):
            path = ("sdk", gen)
            t = self.table(path)
            methods = self.table((*path, "methods"), t.get("methods"))
            arguments = self.table((*path, "arguments"), t.get("arguments", {}))
            out[gen] = SdkGeneration(
                legacy=self.get(path, t, "legacy", "str"),
                replacement=self.get(path, t, "replacement", "str"),
                clients=tuple(self.get(path, t, "clients", "strlist", [])),
                methods={k: self.get((*path, "methods"), methods, k, "str") for k in methods},
                arguments={k: self.get((*path, "arguments"), arguments, k, "str") for k in arguments},
                source=self.source(path, t),
            )
        return Sdk(**out)

    def parse_completions(self) -> Completions:
        path = ("completions",)
        t = self.table(path)
        no_equal = self.table((*path, "no_equal"), t.get("no_equal"))
        out: dict[str, Any] = {k: self.get(path, t, k, "str")
                               for k in ("v0_legacy", "v0_replacement", "v1_legacy", "v1_replacement", "js_legacy",
                                         "js_replacement")}
        out["methods"] = tuple(self.get(path, t, "methods", "strlist"))
        out["no_equal"] = {k: self.get((*path, "no_equal"), no_equal, k, "str") for k in no_equal}
        self.source(path, t)
        return Completions(**out)

    def parse_cli(self) -> Cli:
        path = ("cli",)
        t = self.table(path)
        out: dict[str, Any] = {}
        for sub in ("commands", "notes", "tools", "tools_notes"):
            table = self.table((*path, sub), t.get(sub))
            out[sub] = {k: self.get((*path, sub), table, k, "str") for k in table}
        flags = self.table((*path, "create_flags"), t.get("create_flags"))
        create = {k: tuple(self.get((*path, "create_flags"), flags, k, "strlist"))
                  for k in ("kept", "dropped", "events_dropped")}
        for k in ("boolean", "multiple"):
            create[k] = tuple(self.get((*path, "create_flags"), flags, k, "strlist", []))
        self.source((*path, "meta"), self.table((*path, "meta"), t.get("meta")))
        return Cli(**out, create_flags=CreateFlags(**create))

    def parse_data(self) -> dict[str, Any]:
        path = ("data",)
        t = self.table(path)
        out: dict[str, Any] = {}
        for k in ("separators", "stop_sequences"):
            out[k] = tuple(self.get(path, t, k, "strlist"))
        out["encoding"] = self.get(path, t, "encoding", "str")
        out["chat_formats"] = self.parse_chat_formats()
        out["tool_tokens"] = self.parse_tool_tokens()
        out["chat_format"] = self.get(path, t, "chat_format", "str", choices=set(out["chat_formats"]))
        out["tool_tokens_default"] = self.get(path, t, "tool_tokens_default", "str", choices=set(out["tool_tokens"]))
        for k in ("min_examples", "recommended_examples", "legacy_max_chars", "tokens_per_message",
                  "tokens_per_name", "tokens_per_example", "epochs_target", "epochs_min_target_examples",
                  "epochs_max_target_examples", "epochs_min", "epochs_max", "separator_max_chars",
                  "prompt_prefix_max_chars", "completion_prefix_min_chars"):
            out[k] = self.get(path, t, k, "int")
        for k in ("separators", "stop_sequences"):
            if not out[k] or not all(out[k]):
                raise self.fail((*path, k), "needs at least one entry and no empty strings")
        self.source(path, t)
        return out

    def parse_chat_formats(self) -> dict[str, ChatFormat]:
        out = {}
        for key, entry in self.table(("data", "chat_formats")).items():
            path = ("data", "chat_formats", key)
            entry = self.table(path, entry)
            lists = {k: tuple(self.get(path, entry, k, "strlist")) for k in ("roles", "message_keys", "line_keys")}
            for k in ("roles", "message_keys"):
                if not lists[k] or not all(lists[k]):
                    raise self.fail((*path, k), "needs at least one entry and no empty strings")
            if "role" not in lists["message_keys"] or "messages" not in lists["line_keys"]:
                raise self.fail(path, 'message_keys needs "role" and line_keys needs "messages"')
            maps = {}
            for k, names, values in (("key_roles", "message_keys", "roles"), ("required", "roles", "message_keys")):
                table = self.table((*path, k), entry.get(k, {}))
                maps[k] = {}
                for name in table:
                    if name not in lists[names]:
                        raise self.fail((*path, k, name), f"{name!r} is not in {names}")
                    maps[k][name] = tuple(self.get((*path, k), table, name, "strlist"))
                    unknown = set(maps[k][name]) - set(lists[values])
                    if unknown:
                        raise self.fail((*path, k, name), f"{sorted(unknown)} not in {values}")
            out[key] = ChatFormat(key, lists["roles"], lists["message_keys"], lists["line_keys"],
                                  maps["key_roles"], maps["required"], self.source(path, entry))
        return out

    def parse_tool_tokens(self) -> dict[str, dict[str, int]]:
        out = {}
        names = ("func_init", "prop_init", "prop_key", "enum_init", "enum_item", "func_end")
        for key, entry in self.table(("data", "tool_tokens")).items():
            path = ("data", "tool_tokens", key)
            entry = self.table(path, entry)
            out[key] = {k: self.get(path, entry, k, "int") for k in names}
            self.source(path, entry)
        return out
