"""The report as data: the scan's JSON document plus the figures people act on.

Every renderer (HTML, Markdown, JSON) reads only the dictionary built here, so
the three formats always say the same thing.  Dates, replacements and prices come
from the catalog; the finding shape comes from the scan's own JSON document
(:func:`migrator.output.json_doc.document`), never re-derived.
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections import Counter, defaultdict
from dataclasses import replace

from migrator.advice import for_model as advise
from migrator.catalog import Catalog, DateEntry, Price
from migrator.findings import Finding, ScanError, shutdown_of
from migrator.lifecycle import Resolution, fine_tunable_models, resolve
from migrator.output.json_doc import document
from migrator.rules import RULES
from migrator.scan.runner import ScanResult

# Catalog date keys drawn on the timeline, in addition to the as-of marker.
TIMELINE_DATES = ("gpt3-announced", "fine-tunes-announced", "shutdown")

# Findings about fine-tuning itself: the fine-tuning wind-down matters to such code.
FINE_TUNING_KINDS = ("fine-tuned-model", "sdk-call", "cli", "response-field")

# Where `ft-migrate shim serve` listens by default (loopback, port 8787).
SHIM_BASE_URL = "http://127.0.0.1:8787/v1"


def build(result: ScanResult, catalog: Catalog, as_of: dt.date, training: list[dict],
          training_errors: list[ScanError]) -> dict:
    """The report document: ``document(...)`` of the scan plus the report's sections."""
    if training_errors:
        result = replace(result, errors=sorted([*result.errors, *training_errors]))
    doc = document(result, catalog, as_of)
    findings = result.findings
    by_date = _by_shutdown_date(findings, catalog)
    later = later_dates(findings, catalog, bool(training))
    doc.update({
        "headline": headline(findings, by_date, catalog, as_of, result.files_scanned, later),
        "timeline": timeline(by_date, catalog, as_of, later),
        "files": files_table(findings),
        "rules": rules_table(findings),
        "fix": fix_commands(findings),
        "manual": manual_items(findings, catalog),
        "models": models_in_use(findings, catalog),
        "training": {"candidates": [m.id for m in fine_tunable_models(catalog)], "files": training},
        "shim": shim_instructions(),
    })
    return doc


# -- headline ---------------------------------------------------------------------------


def _by_shutdown_date(findings: list[Finding], catalog: Catalog) -> dict[dt.date, list[Finding]]:
    out: dict[dt.date, list[Finding]] = defaultdict(list)
    for f in findings:
        out[shutdown_of(f, catalog)].append(f)
    return dict(sorted(out.items()))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _since(day: dt.date, as_of: dt.date) -> tuple[str, int]:
    days = (as_of - day).days
    if days > 0:
        return f"broken since {day.isoformat()} ({_plural(days, 'day')})", days
    if days == 0:
        return f"broken since today, {day.isoformat()}", days
    return f"will break in {_plural(-days, 'day')}, on {day.isoformat()}", days


def headline(findings: list[Finding], by_date: dict[dt.date, list[Finding]], catalog: Catalog,
             as_of: dt.date, files_scanned: int, later: list[DateEntry]) -> dict:
    """The one sentence a manager reads, relative to the as-of date."""
    shutdown = catalog.shutdown
    main = by_date.get(shutdown, [])
    when, days = _since(shutdown, as_of)
    files = len({f.path for f in main})
    if main:
        verb = "depends" if len(main) == 1 else "depend"
        text = (f"{_plural(len(main), 'call site')} in {_plural(files, 'file')} {verb} on what OpenAI "
                f"shut down on {shutdown.isoformat()}: {when}.")
    else:
        text = (f"No call site depends on what OpenAI shut down on {shutdown.isoformat()} "
                f"({_plural(files_scanned, 'file')} scanned).")
    earlier = []
    for day, group in by_date.items():
        if day == shutdown:
            continue
        gone = (as_of - day).days
        state = (f"broken for {_plural(gone, 'day')}" if gone > 0 else "broken since today" if gone == 0
                 else f"will break in {_plural(-gone, 'day')}")
        earlier.append({"date": day.isoformat(), "call_sites": len(group)})
        verb = "depends" if len(group) == 1 else "depend"
        text += f" {_plural(len(group), 'more call site')} {verb} on what was shut down on {day.isoformat()}: {state}."
    since = _since_then(later, as_of) if main else []
    if since:
        text += " Since then: " + "; ".join(since) + "."
    return {
        "text": text,
        "call_sites": len(main),
        "files": files,
        "shutdown": shutdown.isoformat(),
        "days_since_shutdown": days,
        "state": "broken" if days > 0 else "shut-down-today" if days == 0 else "upcoming",
        "earlier": earlier,
        "total_call_sites": len(findings),
        "since": since,
    }


def later_dates(findings: list[Finding], catalog: Catalog, training: bool) -> list[DateEntry]:
    """The dates after the 2024 shutdown that matter to this code, known on the as-of day:
    the end of every model its replacement chains walk through, and the fine-tuning
    wind-down when the code fine-tunes (or training files were found)."""
    out: dict[str, DateEntry] = {}
    fine_tunes = training
    for f in findings:
        if f.kind in ("model", "fine-tuned-model"):
            for res in _resolutions(f, catalog):
                for name in res.chain[1:]:
                    model = catalog.models.get(name)
                    if model is not None and model.shutdown is not None and model.shutdown.date > catalog.shutdown:
                        out.setdefault(model.shutdown.key, model.shutdown)
                if res.valid_until is not None:
                    out.setdefault(res.valid_until.key, res.valid_until)
        fine_tunes = fine_tunes or f.kind in FINE_TUNING_KINDS or f.rule == "FT001"
    if fine_tunes:
        for event in catalog.fine_tuning_events():
            out.setdefault(event.key, event)
    return sorted((d for d in out.values() if d.known_on(catalog.as_of)), key=lambda d: (d.date, d.key))


def _resolutions(f: Finding, catalog: Catalog) -> list[Resolution]:
    if f.kind == "fine-tuned-model":
        return [resolve(catalog, f.legacy, "fine-tuning")]
    return [resolve(catalog, f.legacy, "inference"), resolve(catalog, f.legacy, "fine-tuning")] if (
        catalog.models.get(f.legacy) is not None and catalog.models[f.legacy].fine_tunable) else [
        resolve(catalog, f.legacy, "inference")]


def _since_then(later: list[DateEntry], as_of: dt.date) -> list[str]:
    """What retired (or will) after the shutdown, in the headline's words, by date: model
    shutdowns and the end of fine-tuning (the partial limits are on the timeline)."""
    out = []
    for entry in later:
        if entry.effect == "fine-tuning-limited":
            continue
        days = (entry.date - as_of).days
        when = (f"{_plural(-days, 'day')} ago" if days < 0 else "today" if days == 0
                else f"in {_plural(days, 'day')}")
        doubt = "" if entry.confidence == "official" else f", {entry.confidence}, unconfirmed"
        out.append(f"{entry.short or entry.label}: {entry.date.isoformat()} ({when}{doubt})")
    return out


# -- timeline ---------------------------------------------------------------------------


def timeline(by_date: dict[dt.date, list[Finding]], catalog: Catalog, as_of: dt.date,
             later: list[DateEntry]) -> list[dict]:
    """The announcements, the shutdown, earlier shutdowns the code hits, what retired
    or stops after it (``later``), and the as-of marker; each with its confidence."""
    events = []
    for entry in later:
        kind = "fine-tuning" if entry.effect else "shutdown"
        doubt = "" if entry.confidence == "official" else f" ({entry.confidence}, unconfirmed)"
        events.append({"date": entry.date.isoformat(), "kind": kind, "label": entry.label + doubt,
                       "source": catalog.sources.get(entry.source, entry.source),
                       "confidence": entry.confidence})
    for key in TIMELINE_DATES:
        entry = catalog.dates.get(key)
        if entry is not None:
            kind = "shutdown" if key == "shutdown" else "announcement"
            events.append({"date": entry.date.isoformat(), "kind": kind, "label": entry.label,
                           "source": catalog.sources.get(entry.source, entry.source),
                           "confidence": entry.confidence})
    for entry in catalog.dates.values():
        if entry.date in by_date and entry.key not in TIMELINE_DATES:
            events.append({"date": entry.date.isoformat(), "kind": "shutdown", "label": entry.label,
                           "source": catalog.sources.get(entry.source, entry.source),
                           "confidence": entry.confidence})
    events.append({"date": as_of.isoformat(), "kind": "as-of", "label": "as of this report", "source": None,
                   "confidence": None})
    events.sort(key=lambda e: (e["date"], e["kind"] == "as-of"))
    return events


# -- tables -----------------------------------------------------------------------------


def fix_command(paths: list[str], *, diff: bool = False) -> str:
    """The exact shell command, with every path quoted for a POSIX shell."""
    return " ".join(["ft-migrate", "fix", *(["--diff"] if diff else []), *map(shlex.quote, paths)])


def files_table(findings: list[Finding]) -> list[dict]:
    rows: dict[str, dict] = {}
    for f in findings:
        row = rows.setdefault(f.path, {"path": f.path, "findings": 0, "fixable": 0, "manual": 0, "rules": set()})
        row["findings"] += 1
        row["fixable" if f.fixable else "manual"] += 1
        row["rules"].add(f.rule)
    out = []
    for path in sorted(rows):
        row = rows[path]
        row["rules"] = sorted(row["rules"])
        row["fix_command"] = fix_command([path]) if row["fixable"] else None
        out.append(row)
    return out


def rules_table(findings: list[Finding]) -> list[dict]:
    counts = Counter(f.rule for f in findings)
    fixable = Counter(f.rule for f in findings if f.fixable)
    out = []
    for rule_id in sorted(counts):
        rule = RULES.get(rule_id)
        out.append({
            "rule": rule_id,
            "name": rule.name if rule else rule_id,
            "summary": rule.summary if rule else "",
            "help": rule.help if rule else "",
            "findings": counts[rule_id],
            "fixable": fixable[rule_id],
            "manual": counts[rule_id] - fixable[rule_id],
        })
    return out


def fix_commands(findings: list[Finding]) -> dict:
    """One command for every file with something ``ft-migrate fix`` rewrites safely."""
    paths = sorted({f.path for f in findings if f.fixable})
    return {
        "files": paths,
        "call_sites": sum(1 for f in findings if f.fixable),
        "command": fix_command(paths) if paths else None,
        "preview": fix_command(paths, diff=True) if paths else None,
    }


def manual_items(findings: list[Finding], catalog: Catalog) -> list[dict]:
    """Each finding ``fix`` leaves to a person (and each embedding model ``fix`` swaps:
    vectors stored from the old model must be computed again), with what to do about it.

    The finding's own message is specific (it names the replacement, or says there
    is none); the catalog's note on a model adds what a name swap does not fix.  The
    rule's general help is in the by-rule table, not repeated on every row.
    """
    out = []
    for f in findings:
        model = catalog.legacy_model(f.legacy)
        if f.fixable and not (model is not None and model.format == "embedding"):
            continue  # an embedding swap is fixed, but the stored vectors still need a person
        todo = [f.message]
        if model is not None and model.note:
            todo.append(model.note)
        out.append({"path": f.path, "line": f.line, "cell": f.cell, "rule": f.rule, "legacy": f.legacy,
                     "replacement": f.replacement, "what_to_do": " ".join(_sentence(t) for t in todo)})
    return out


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


# -- models and prices ------------------------------------------------------------------


def _price(price: Price | None, fields: tuple[str, ...]) -> dict | None:
    if price is None:
        return None
    values = {k: getattr(price, k) for k in fields}
    return values if any(v is not None for v in values.values()) else None


def models_in_use(findings: list[Finding], catalog: Catalog) -> list[dict]:
    """Legacy models the code names, their replacements and the prices before and after.

    A base or InstructGPT model is priced by usage (input/output per 1K tokens); a
    legacy fine-tuned model by its base's fine-tuned prices, against the
    replacement's fine-tuned prices (training plus usage), since it must be re-trained.
    ``None`` means the catalog has no price for that side.
    """
    sites = Counter(f.legacy for f in findings if f.kind in ("model", "fine-tuned-model"))
    kinds = {f.legacy: f.kind for f in findings if f.kind in ("model", "fine-tuned-model")}
    out = []
    for name in sorted(sites):
        if kinds[name] == "fine-tuned-model":
            base_id = catalog.fine_tuned_base(name)
            base = catalog.models.get(base_id) if base_id else None
            advice = advise(catalog, name, "fine-tuning")
            replacement = catalog.models.get(advice.target or "")
            fields = ("training", "input", "output")
            before = _price(base.fine_tuned_price if base else None, fields)
            after = _price(replacement.fine_tuned_price if replacement else None, fields)
            kind, note = "fine-tuned", "must be re-trained; prices are for fine-tuned use"
        else:
            base = catalog.legacy_model(name)
            if base is None:
                continue
            advice = advise(catalog, name, "inference")
            replacement = catalog.models.get(advice.target or "")
            fields = ("input", "output")
            before = _price(base.price, fields)
            after = _price(replacement.price if replacement else None, fields)
            kind, note = base.group, base.note
        res = advice.resolution
        path = _sentence(advice.summary or advice.text)
        if kinds[name] == "model" and base.fine_tunable:  # a base model is run and fine-tuned
            tuning = advise(catalog, name, "fine-tuning")
            other = _sentence(tuning.summary or tuning.text)
            if other != path:
                path = f"In calls: {path} In fine-tunes: {other}"
        out.append({
            "model": name,
            "kind": kind,
            "call_sites": sites[name],
            "replacement": advice.target,
            "chain": list(res.chain),
            "valid_until": res.valid_until.date.isoformat() if res.valid_until else None,
            "confidence": res.confidence,
            "format_change": list(res.format_change) if res.format_change else None,
            "path_forward": path,
            "options": list(res.advice) if res.target is None else [],
            "price_before": before,
            "price_after": after,
            "note": note,
        })
    return out


# -- the shim ---------------------------------------------------------------------------


def shim_instructions() -> dict:
    return {
        "command": "ft-migrate shim serve",
        "environment": {"OPENAI_API_BASE": SHIM_BASE_URL, "OPENAI_BASE_URL": SHIM_BASE_URL},
        "explanation": ("Until the code is migrated, run the compatibility proxy and point the unmodified "
                        f"code at it: OPENAI_API_BASE for openai<1 and its command line (or openai -b {SHIM_BASE_URL} "
                        "api ...), OPENAI_BASE_URL for openai>=1. The shim translates /v1/fine-tunes calls to "
                        "/v1/fine_tuning/jobs and legacy model names to their replacements; legacy "
                        "fine-tuned models need --model-map OLD=NEW once they are re-trained."),
    }
