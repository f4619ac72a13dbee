"""The report's figures, built from findings directly (no scan): exact values."""

from __future__ import annotations

import datetime as dt

import pytest

from migrator.catalog import load_catalog
from migrator.findings import Finding, ScanError
from migrator.report import figures
from migrator.scan.runner import ScanResult

CAT = load_catalog()
D = dt.date.fromisoformat


def finding(path: str, rule: str, kind: str, legacy: str, replacement: str | None, fixable: bool,
            line: int = 1, cell: int | None = None, message: str = "msg") -> Finding:
    return Finding(path, line, 1, line, 2, rule, kind, legacy, replacement, fixable, message, cell)


CALL = finding("app/a.py", "FT010", "sdk-call", "openai.FineTune.create", "openai.FineTuningJob.create", True, 3)
MODEL = finding("app/a.py", "FT020", "model", "text-davinci-003", "gpt-3.5-turbo-instruct", True, 5)
TUNED = finding("app/s.py", "FT021", "fine-tuned-model", "curie:ft-acme-2023-03-01-12-00-00", None, False, 2,
                message="fine-tuned model 'curie:ft-acme-2023-03-01-12-00-00' was shut down; re-train it")
ENGINES = finding("old.py", "FT002", "endpoint", "/v1/engines/davinci/completions", "/v1/completions", False, 7)


def build(findings, as_of="2026-11-25", files_scanned=5, training=(), errors=()):
    result = ScanResult(findings=list(findings), errors=[], files_scanned=files_scanned, files_parsed=2)
    return figures.build(result, CAT, D(as_of), list(training), list(errors))


@pytest.mark.parametrize(("findings", "as_of", "text"), [
    ([CALL, MODEL, TUNED], "2026-11-25",
     "3 call sites in 2 files depend on what OpenAI shut down on 2024-01-04: broken since 2024-01-04 (1056 days)."),
    ([CALL], "2024-01-05",
     "1 call site in 1 file depends on what OpenAI shut down on 2024-01-04: broken since 2024-01-04 (1 day)."),
    ([CALL], "2024-01-04",
     "1 call site in 1 file depends on what OpenAI shut down on 2024-01-04: broken since today, 2024-01-04."),
    ([CALL, TUNED], "2023-12-01",
     "2 call sites in 2 files depend on what OpenAI shut down on 2024-01-04: will break in 34 days, on 2024-01-04."),
    ([CALL], "2024-01-03",
     "1 call site in 1 file depends on what OpenAI shut down on 2024-01-04: will break in 1 day, on 2024-01-04."),
    ([], "2026-11-25", "No call site depends on what OpenAI shut down on 2024-01-04 (5 files scanned)."),
    ([CALL, ENGINES], "2026-11-25",
     "1 call site in 1 file depends on what OpenAI shut down on 2024-01-04: broken since 2024-01-04 (1056 days)."
     " 1 more call site depends on what was shut down on 2022-12-03: broken for 1453 days."),
])
def test_headline_text(findings, as_of, text):
    assert build(findings, as_of)["headline"]["text"] == text


def test_headline_figures():
    assert build([CALL, MODEL, TUNED, ENGINES], "2023-12-01")["headline"] == {
        "text": "3 call sites in 2 files depend on what OpenAI shut down on 2024-01-04: will break in 34 days, "
                "on 2024-01-04. 1 more call site depends on what was shut down on 2022-12-03: broken for 363 days.",
        "call_sites": 3,
        "files": 2,
        "shutdown": "2024-01-04",
        "days_since_shutdown": -34,
        "state": "upcoming",
        "earlier": [{"date": "2022-12-03", "call_sites": 1}],
        "total_call_sites": 4,
    }


def test_timeline_has_the_announcements_the_shutdown_and_the_as_of_marker():
    events = build([CALL], "2026-11-25")["timeline"]
    assert [(e["date"], e["kind"]) for e in events] == [
        ("2023-07-06", "announcement"), ("2023-08-22", "announcement"), ("2024-01-04", "shutdown"),
        ("2026-11-25", "as-of")]
    assert events[0]["label"] == CAT.dates["gpt3-announced"].label
    assert events[0]["source"] == CAT.sources["BLOG-0706"]
    assert events[-1] == {"date": "2026-11-25", "kind": "as-of", "label": "as of this report", "source": None}


def test_timeline_adds_an_earlier_shutdown_only_when_code_depends_on_it():
    dates = [e["date"] for e in build([CALL, ENGINES], "2023-12-01")["timeline"]]
    assert dates == ["2022-12-03", "2023-07-06", "2023-08-22", "2023-12-01", "2024-01-04"]


def test_files_rules_and_fix_commands():
    odd = finding("my dir/it's.py", "FT010", "sdk-call", "openai.FineTune.list", "openai.FineTuningJob.list", True)
    doc = build([CALL, MODEL, TUNED, odd])
    assert doc["files"] == [
        {"path": "app/a.py", "findings": 2, "fixable": 2, "manual": 0, "rules": ["FT010", "FT020"],
         "fix_command": "ft-migrate fix app/a.py"},
        {"path": "app/s.py", "findings": 1, "fixable": 0, "manual": 1, "rules": ["FT021"], "fix_command": None},
        {"path": "my dir/it's.py", "findings": 1, "fixable": 1, "manual": 0, "rules": ["FT010"],
         "fix_command": "ft-migrate fix 'my dir/it'\"'\"'s.py'"},
    ]
    assert doc["fix"] == {
        "files": ["app/a.py", "my dir/it's.py"],
        "call_sites": 3,
        "command": "ft-migrate fix app/a.py 'my dir/it'\"'\"'s.py'",
        "preview": "ft-migrate fix --diff app/a.py 'my dir/it'\"'\"'s.py'",
    }
    assert [(r["rule"], r["name"], r["findings"], r["fixable"], r["manual"]) for r in doc["rules"]] == [
        ("FT010", "v0-fine-tune-call", 2, 2, 0), ("FT020", "legacy-model", 1, 1, 0),
        ("FT021", "legacy-fine-tuned-model", 1, 0, 1)]


def test_no_fix_command_without_fixable_findings():
    assert build([TUNED])["fix"] == {"files": [], "call_sites": 0, "command": None, "preview": None}


def test_manual_items_say_what_to_do():
    edit = finding("e.py", "FT020", "model", "text-davinci-edit-001", "gpt-4", False, 9, cell=2,
                   message="model 'text-davinci-edit-001' was shut down")
    assert build([CALL, TUNED, edit])["manual"] == [
        {"path": "app/s.py", "line": 2, "cell": None, "rule": "FT021", "legacy": "curie:ft-acme-2023-03-01-12-00-00",
         "replacement": None,
         "what_to_do": "fine-tuned model 'curie:ft-acme-2023-03-01-12-00-00' was shut down; re-train it."},
        {"path": "e.py", "line": 9, "cell": 2, "rule": "FT020", "legacy": "text-davinci-edit-001",
         "replacement": "gpt-4",
         "what_to_do": "model 'text-davinci-edit-001' was shut down. "
                       "the /v1/edits endpoint is gone too: move the call to /v1/chat/completions."},
    ]


def test_models_in_use_with_prices_from_the_catalog():
    base = finding("b.py", "FT020", "model", "curie", "davinci-002", True)
    assert build([MODEL, MODEL, TUNED, base])["models"] == [
        {"model": "curie", "kind": "base", "call_sites": 1, "replacement": "davinci-002",
         "price_before": {"input": 0.002, "output": 0.002}, "price_after": {"input": 0.002, "output": 0.002},
         "note": ""},
        {"model": "curie:ft-acme-2023-03-01-12-00-00", "kind": "fine-tuned", "call_sites": 1,
         "replacement": "davinci-002",
         "price_before": {"training": 0.003, "input": 0.012, "output": 0.012},
         "price_after": {"training": 0.006, "input": 0.012, "output": 0.012},
         "note": "must be re-trained on the replacement; prices are for fine-tuned use"},
        # gpt-3.5-turbo-instruct has no price in the catalog: None, said plainly by the renderers.
        {"model": "text-davinci-003", "kind": "instructgpt", "call_sites": 2, "replacement": "gpt-3.5-turbo-instruct",
         "price_before": {"input": 0.02, "output": 0.02}, "price_after": None, "note": ""},
    ]


def test_candidates_are_the_fine_tunable_current_models():
    assert figures.candidate_models(CAT) == ["babbage-002", "davinci-002", "gpt-3.5-turbo"]


def test_training_errors_join_the_scan_errors_and_the_summary():
    doc = build([CALL], errors=[ScanError("data/bad.jsonl", "training file not checked: cannot read")])
    assert doc["errors"] == [{"path": "data/bad.jsonl", "reason": "training file not checked: cannot read"}]
    assert doc["summary"]["errors"] == 1


def test_the_report_is_the_scan_document_plus_its_figures():
    from migrator.output.json_doc import document

    result = ScanResult(findings=[CALL], errors=[], files_scanned=1, files_parsed=1)
    doc = figures.build(result, CAT, D("2026-11-25"), [], [])
    scan_doc = document(result, CAT, D("2026-11-25"))
    assert {k: doc[k] for k in scan_doc} == scan_doc
    assert list(doc)[len(scan_doc):] == ["headline", "timeline", "files", "rules", "fix", "manual", "models",
                                         "training", "shim"]
    assert doc["shim"]["command"] == "ft-migrate shim serve"
    assert doc["shim"]["environment"]["OPENAI_API_BASE"] == "http://127.0.0.1:8787/v1"
