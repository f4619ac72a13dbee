"""Finding builders shared by every scanner (Python, notebooks, text, config, JS).

Each scanner locates a thing (a model id, a URL, a CLI command); these helpers
decide, from the catalog alone, what it means: rule, replacement, whether `fix`
rewrites it, and the message.  Keeping that here means a Python string and a YAML
value naming ``curie`` produce the very same finding.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from dataclasses import dataclass

from migrator.advice import for_model as advise
from migrator.catalog import Catalog
from migrator.findings import Finding


class ScanFailure(Exception):
    """The file as a whole cannot be understood (e.g. invalid notebook JSON); the reason says why."""


@dataclass(frozen=True)
class Span:
    """Where a finding sits: 1-based lines and columns, end exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int
    cell: int | None = None

    def shifted(self, line_offset: int = 0, column_offset: int = 0) -> "Span":
        return Span(self.line + line_offset, self.column + column_offset,
                    self.end_line + line_offset, self.end_column + column_offset, self.cell)


class LineIndex:
    """Character offsets in a text to 1-based line/column spans, for the scanners that read raw text."""

    def __init__(self, text: str, *, line_offset: int = 0, cell: int | None = None):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.line_offset = line_offset
        self.cell = cell

    def point(self, offset: int) -> tuple[int, int]:
        idx = bisect.bisect_right(self.starts, offset) - 1
        return idx + 1 + self.line_offset, offset - self.starts[idx] + 1

    def span(self, start: int, end: int) -> Span:
        """The span of ``text[start:end]`` (``end`` exclusive, ``end > start``)."""
        line, col = self.point(start)
        end_line, end_col = self.point(end - 1)
        return Span(line, col, end_line, end_col + 1, self.cell)


def finding(path: str, span: Span, rule: str, kind: str, legacy: str,
            replacement: str | None, fixable: bool, message: str) -> Finding:
    return Finding(path=path, line=span.line, column=span.column, end_line=span.end_line,
                   end_column=span.end_column, rule=rule, kind=kind, legacy=legacy,
                   replacement=replacement, fixable=fixable, message=message, cell=span.cell)


def left_manual(findings: list[Finding], why: str) -> list[Finding]:
    """``findings`` with each fixable one made manual, ``why`` (fix leaves them) added to its message."""
    return [dataclasses.replace(f, fixable=False, message=f"{f.message} ({why})") if f.fixable else f
            for f in findings]


def model_finding(name: str, path: str, span: Span, catalog: Catalog, *,
                  fixable: bool = True, context: str = "", purpose: str = "inference",
                  moves_to_chat: bool = False) -> Finding | None:
    """The finding for a model id used as a model, or None if it is not legacy.

    ``fixable`` is False where the scanner knows `fix` cannot rewrite the place
    (e.g. a config file value, a JavaScript argument); the catalog may also say a
    swap alone is not enough (edit models), and so may the date: once the target
    takes another format (a completion model → chat), a name swap would break the
    call, unless ``moves_to_chat``: the call is one `fix` moves to chat completions
    whole.  The replacement is the lifecycle's answer for ``catalog.as_of``.
    """
    where = f" ({context})" if context else ""
    model = catalog.legacy_model(name)
    if model is not None:
        advice = advise(catalog, name, purpose)
        shut = model.shutdown.date.isoformat() if model.shutdown else catalog.shutdown.isoformat()
        verb = "was" if model.shutdown is None or model.shutdown.date <= catalog.as_of else "will be"
        msg = f"model {name!r}{where} {verb} shut down on {shut}; {advice.text}"
        if model.note:
            msg += f" ({model.note})"
        moved = moves_to_chat and advice.resolution.format_change == ("completion", "chat")
        return finding(path, span, "FT020", "model", name, advice.target,
                       bool(fixable and (advice.write or moved) and model.fixable), msg)
    base = catalog.fine_tuned_base(name)
    if base is not None:
        advice = advise(catalog, name, "fine-tuning")
        if advice.target is not None and advice.write:
            todo = advice.extended(" and map the new ft:... name with --model-map")
        else:
            todo = advice.text
        verb = "was" if catalog.shutdown <= catalog.as_of else "will be"
        msg = (f"fine-tuned model {name!r}{where} {verb} shut down on {catalog.shutdown.isoformat()} "
               f"with the legacy fine-tunes endpoint; {todo}")
        return finding(path, span, "FT021", "fine-tuned-model", name, None, False, msg)
    later = catalog.retired_since(name)
    if later is not None:  # e.g. a 2023 replacement written by an earlier migration
        advice = advise(catalog, name, purpose)
        doubt = "" if later.shutdown.confidence == "official" else f" (a {later.shutdown.confidence} date, unconfirmed)"
        msg = f"model {name!r}{where} was shut down on {later.shutdown.date.isoformat()}{doubt}; {advice.text}"
        moved = moves_to_chat and advice.resolution.format_change == ("completion", "chat")
        return finding(path, span, "FT022", "model", name, advice.target, bool(fixable and moved), msg)
    return None


def _endpoint_regex(catalog: Catalog) -> re.Pattern[str]:
    roots = sorted({ep.legacy.split("{", 1)[0].rstrip("/") for ep in catalog.endpoints}, key=len, reverse=True)
    parts = []
    for root in roots:
        rest = root.removeprefix("/v1")
        # A distinctive name (`/fine-tunes`) is also found without the /v1 prefix, as in
        # f"{API_BASE}/fine-tunes"; a plain word (`/search`) only with it.
        distinctive = rest != root and ("-" in rest or "_" in rest)
        parts.append(f"(?:/v1)?{re.escape(rest)}" if distinctive else re.escape(root))
    # The path must end at a non-path character, so /v1/searchable is not /v1/search.
    return re.compile(rf"(?:{'|'.join(parts)})(?:/[^\s\"'`<>(){{}}\\]*)?(?![\w-])")


_ENDPOINT_RE: dict[int, re.Pattern[str]] = {}


def endpoint_matches(text: str, catalog: Catalog):
    """Yield (start, end, path) for each legacy endpoint URL path inside ``text``."""
    rx = _ENDPOINT_RE.get(id(catalog))
    if rx is None:
        rx = _ENDPOINT_RE[id(catalog)] = _endpoint_regex(catalog)
    for m in rx.finditer(text):
        yield m.start(), m.end(), m.group(0)


def endpoint_finding(url_path: str, path: str, span: Span, catalog: Catalog, *,
                     method: str | None = None, fixable: bool = True) -> Finding | None:
    """The finding for a legacy endpoint path (placeholders like ``{id}`` allowed)."""
    clean = url_path.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    prefix = "" if clean.startswith("/v1/") else "/v1"
    full = prefix + clean
    ep = catalog.endpoint(full, method) or catalog.endpoint(full)
    if ep is None:
        return None
    repl = ep.translate(full) or ep.replacement
    if repl and prefix:
        repl = repl.removeprefix(prefix)
    fine_tunes = ep.key.startswith("fine-tune")
    rule = "FT001" if fine_tunes else "FT002"
    msg = f"endpoint {clean} was shut down on {ep.shutdown.isoformat()}"
    if repl:
        msg += f"; use {repl}" + (f" ({ep.note})" if ep.note else "")
    else:
        msg += f"; {ep.note}" if ep.note else "; it has no equivalent"
    return finding(path, span, rule, "endpoint", clean, repl, bool(fixable and repl and fine_tunes), msg)


SUPPRESS = re.compile(r"#\s*ft-migrate:\s*ignore(?:\[(?P<rules>[A-Z0-9,\s]+)\])?")


def unsuppressed(findings: list[Finding], text: str) -> list[Finding]:
    """Drop findings on lines marked ``# ft-migrate: ignore`` (optionally ``[FT020,...]``).

    Shared by every scanner's caller: the runner for whole files, the notebook
    scanner per cell (where line numbers are those of the cell).
    """
    if "ft-migrate:" not in text:
        return findings
    lines = text.splitlines()
    kept = []
    for f in findings:
        mt = SUPPRESS.search(lines[f.line - 1]) if 0 < f.line <= len(lines) else None
        if mt is None or (mt.group("rules") and f.rule not in re.split(r"[,\s]+", mt.group("rules"))):
            kept.append(f)
    return kept
