"""The report's figures, built from findings directly (no scan): exact values."""

from __future__ import annotations

import datetime as dt

import pytest

from migrator.catalog import load_catalog
from migrator.findings import Finding, ScanError
from migrator.lifecycle import fine_tunable_models
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
    return figures.build(result, load_catalog(as_of=D(as_of)), D(as_of), list(training), list(errors))


@pytest.mark.parametrize(("findings", "as_of", "text"), [
    ([CALL, MODEL, TUNED], "2026-11-25",
     "3 call sites in 2 files depend on what OpenAI shut down on 2024-01-04: broken since 2024-01-04 (1056 days)."
     " Since then: the 2023 targets babbage-002, davinci-002 and gpt-3.5-turbo-instruct shut down: 2026-09-28 "
     "(58 days ago, corroborated, unconfirmed); new fine-tuning jobs end: 2027-01-06 (in 42 days); gpt-4o, "
     "gpt-4o-mini, gpt-4.1 and gpt-4.1-mini shut down: 2027-01-14 (in 50 days, third-party, unconfirmed)."),
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
     " 1 more call site depends on what was shut down on 2022-12-03: broken for 1453 days."
     " Since then: new fine-tuning jobs end: 2027-01-06 (in 42 days)."),
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
        "since": [],
    }


def test_timeline_has_the_announcements_the_shutdown_and_the_as_of_marker():
    events = build([CALL], "2026-11-25")["timeline"]
    assert [(e["date"], e["kind"]) for e in events] == [
        ("2023-07-06", "announcement"), ("2023-08-22", "announcement"), ("2024-01-04", "shutdown"),
        ("2026-05-07", "fine-tuning"), ("2026-07-02", "fine-tuning"), ("2026-11-25", "as-of"),
        ("2027-01-06", "fine-tuning")]
    assert events[0]["label"] == CAT.dates["gpt3-announced"].label
    assert events[0]["source"] == CAT.sources["BLOG-0706"]
    assert events[5] == {"date": "2026-11-25", "kind": "as-of", "label": "as of this report", "source": None,
                         "confidence": None}
    assert events[6]["label"] == CAT.dates["fine-tuning-ends"].label
    assert events[6]["confidence"] == "official"


def test_timeline_runs_to_the_last_date_that_matters_to_the_code():
    """A completion model's chain: the 2023 target's end (corroborated) and the next one's
    (third-party) are on the timeline, marked unconfirmed; not yet announced in 2024."""
    late = build([MODEL], "2026-11-25")["timeline"]
    assert [(e["date"], e["kind"], e["confidence"]) for e in late] == [
        ("2023-07-06", "announcement", "official"), ("2023-08-22", "announcement", "official"),
        ("2024-01-04", "shutdown", "official"), ("2026-09-28", "shutdown", "corroborated"),
        ("2026-11-25", "as-of", None), ("2027-01-14", "shutdown", "third-party")]
    assert late[3]["label"] == ("babbage-002, davinci-002 and gpt-3.5-turbo-instruct shut down "
                                "(corroborated, unconfirmed)")
    early = build([MODEL], "2024-06-01")["timeline"]
    assert [e["date"] for e in early] == ["2023-07-06", "2023-08-22", "2024-01-04", "2024-06-01"]


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
    tuned_path = "re-train it on davinci-002."
    assert build([MODEL, MODEL, TUNED, base], "2023-12-01")["models"] == [
        {"model": "curie", "kind": "base", "call_sites": 1, "replacement": "davinci-002",
         "chain": ["curie", "davinci-002"], "valid_until": None, "confidence": "official", "format_change": None,
         "path_forward": "use 'davinci-002'.", "options": [],
         "price_before": {"input": 0.002, "output": 0.002}, "price_after": {"input": 0.002, "output": 0.002},
         "note": ""},
        {"model": "curie:ft-acme-2023-03-01-12-00-00", "kind": "fine-tuned", "call_sites": 1,
         "replacement": "davinci-002", "chain": ["curie:ft-acme-2023-03-01-12-00-00", "curie", "davinci-002"],
         "valid_until": None, "confidence": "official", "format_change": None, "path_forward": tuned_path,
         "options": [],
         "price_before": {"training": 0.003, "input": 0.012, "output": 0.012},
         "price_after": {"training": 0.006, "input": 0.012, "output": 0.012},
         "note": "must be re-trained; prices are for fine-tuned use"},
        # gpt-3.5-turbo-instruct has no price in the catalog: None, said plainly by the renderers.
        {"model": "text-davinci-003", "kind": "instructgpt", "call_sites": 2, "replacement": "gpt-3.5-turbo-instruct",
         "chain": ["text-davinci-003", "gpt-3.5-turbo-instruct"], "valid_until": None, "confidence": "official",
         "format_change": None, "path_forward": "use 'gpt-3.5-turbo-instruct'.", "options": [],
         "price_before": {"input": 0.02, "output": 0.02}, "price_after": None, "note": ""},
    ]


def test_each_legacy_fine_tune_gets_its_path_forward_by_date():
    """2026-11-28: re-train on a chat model with converted data, before fine-tuning ends;
    2027-02-01: no OpenAI fine-tuning is left, the options say what is."""
    now = build([TUNED], "2026-11-28")["models"][0]
    assert (now["replacement"], now["valid_until"], now["format_change"]) == (
        "gpt-4.1-mini", "2027-01-06", ["completion", "chat"])
    assert now["path_forward"].startswith(
        "re-train it on gpt-4.1-mini (valid until 2027-01-06), which trains on chat-format data: convert the "
        "training file with `ft-migrate data convert --to chat`")
    after = build([TUNED], "2027-02-01")["models"][0]
    assert after["replacement"] is None and after["price_after"] is None
    assert after["path_forward"] == "OpenAI takes no new fine-tuning jobs since 2027-01-06."
    assert after["options"] == list(CAT.lifecycle["after_fine_tuning"])
    assert "ft-migrate shim --upstream" in after["options"][1]


def test_candidates_are_the_fine_tunable_current_models():
    assert [m.id for m in fine_tunable_models(CAT)] == ["babbage-002", "davinci-002", "gpt-3.5-turbo"]


def test_training_errors_join_the_scan_errors_and_the_summary():
    doc = build([CALL], errors=[ScanError("data/bad.jsonl", "training file not checked: cannot read")])
    assert doc["errors"] == [{"path": "data/bad.jsonl", "reason": "training file not checked: cannot read"}]
    assert doc["summary"]["errors"] == 1


def test_the_report_is_the_scan_document_plus_its_figures():
    from migrator.output.json_doc import document

    result = ScanResult(findings=[CALL], errors=[], files_scanned=1, files_parsed=1)
    late = load_catalog(as_of=D("2026-11-25"))
    doc = figures.build(result, late, D("2026-11-25"), [], [])
    scan_doc = document(result, late, D("2026-11-25"))
    assert {k: doc[k] for k in scan_doc} == scan_doc
    assert list(doc)[len(scan_doc):] == ["headline", "timeline", "files", "rules", "fix", "manual", "models",
                                         "training", "shim"]
    assert doc["shim"]["command"] == "ft-migrate shim serve"
    assert doc["shim"]["environment"]["OPENAI_API_BASE"] == "http://127.0.0.1:8787/v1"


def test_an_embedding_swap_is_fixed_but_still_needs_a_person():
    vectors = finding("e.py", "FT020", "model", "text-similarity-ada-001", "text-embedding-ada-002", True, 4,
                      message="model 'text-similarity-ada-001' was shut down; use 'text-embedding-ada-002'")
    doc = build([vectors], "2023-12-01")
    assert doc["fix"]["call_sites"] == 1
    assert doc["manual"] == [{
        "path": "e.py", "line": 4, "cell": None, "rule": "FT020", "legacy": "text-similarity-ada-001",
        "replacement": "text-embedding-ada-002",
        "what_to_do": "model 'text-similarity-ada-001' was shut down; use 'text-embedding-ada-002'. vectors from "
                      "the new model are not comparable with stored v1 vectors: re-embed them."}]
