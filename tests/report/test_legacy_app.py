"""The report on the shipped example project, byte for byte, at three as-of dates: the 2023
answers (2023-12-01), davinci-002 still alive but retiring (2026-08-01), and today's
(2026-11-28: the 2023 targets are gone, fine-tuning winds down).

The expected Markdown, JSON and HTML live in ``tests/report/golden/``.  They hold what
the scanners find in ``fixtures/legacy_app`` today; when a scanner learns more,
review the difference and regenerate them with::

    FT_MIGRATE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/report/test_legacy_app.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.report.conftest import LEGACY_APP

GOLDEN = Path(__file__).parent / "golden"
CASES = [("2026-11-28", "markdown", "md"), ("2026-11-28", "json", "json"), ("2026-11-28", "html", "html"),
         ("2026-08-01", "markdown", "md"), ("2026-08-01", "json", "json"),
         ("2023-12-01", "markdown", "md"), ("2023-12-01", "json", "json")]


@pytest.mark.parametrize(("as_of", "fmt", "ext"), CASES)
def test_legacy_app_report(as_of, fmt, ext, report, monkeypatch):
    monkeypatch.chdir(LEGACY_APP)
    result = report(".", "--format", fmt, "--as-of", as_of)
    assert result.exit_code == 1, result.output
    golden = GOLDEN / f"legacy_app.{as_of}.{ext}"
    if os.environ.get("FT_MIGRATE_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == golden.read_text(encoding="utf-8")


def test_golden_headlines_follow_the_as_of_date():
    """The stable facts of the golden files, independent of what the scanners find."""
    late = json.loads((GOLDEN / "legacy_app.2026-11-28.json").read_text(encoding="utf-8"))
    mid = json.loads((GOLDEN / "legacy_app.2026-08-01.json").read_text(encoding="utf-8"))
    early = json.loads((GOLDEN / "legacy_app.2023-12-01.json").read_text(encoding="utf-8"))
    n = late["headline"]["call_sites"]
    assert n + 1 == late["headline"]["total_call_sites"] == len(late["findings"])
    assert late["headline"]["earlier"] == [{"date": "2026-10-23", "call_sites": 1}]
    assert late["headline"]["text"].startswith(  # the completions call whose model is imported: since 2026-10-23
        f"{n} call sites in 10 files depend on what OpenAI shut down on 2024-01-04: broken since 2024-01-04 "
        "(1059 days). 1 more call site depends on what was shut down on 2026-10-23: broken for 36 days. "
        "Since then: the 2023 targets babbage-002, davinci-002 and gpt-3.5-turbo-instruct shut down: "
        "2026-09-28 (61 days ago, corroborated, unconfirmed); new fine-tuning jobs end: 2027-01-06 (in 39 days)")
    assert early["headline"]["text"].endswith("will break in 34 days, on 2024-01-04.")
    # The same sites, and one more once no completion model is left: the completions call whose
    # model is imported (FX008 moves it to chat all the same).
    moved = ("app/complete.py", 13, "FT020")
    late_sites = [(f["path"], f["line"], f["rule"]) for f in late["findings"]]
    assert moved in late_sites
    assert [(f["path"], f["line"], f["rule"]) for f in early["findings"]] == [s for s in late_sites if s != moved]
    assert [e["date"] for e in late["timeline"]] == [
        "2023-07-06", "2023-08-22", "2024-01-04", "2026-05-07", "2026-07-02", "2026-09-28", "2026-10-23",
        "2026-10-23", "2026-11-28",
        "2027-01-06", "2027-01-14"]
    assert [e["date"] for e in early["timeline"]] == ["2023-07-06", "2023-08-22", "2023-12-01", "2024-01-04"]
    # 2023: the 2023 targets; 2026-08-01: still them, with their end; today: none of them.
    assert {m["model"]: m["replacement"] for m in early["models"]}["curie"] == "davinci-002"
    assert {m["model"]: (m["replacement"], m["valid_until"]) for m in mid["models"]}["curie"] == (
        "davinci-002", "2026-09-28")
    dead = {"babbage-002", "davinci-002", "gpt-3.5-turbo-instruct", "gpt-3.5-turbo"}
    assert not dead & {m["replacement"] for m in late["models"]}
    assert not dead & set(late["training"]["candidates"])
    # data/train.jsonl is found by the discovery rule and priced on every candidate model of the day.
    assert [(t["file"], [c["model"] for c in t["costs"]]) for t in early["training"]["files"]] == [
        ("data/train.jsonl", ["babbage-002", "davinci-002", "gpt-3.5-turbo"])]
    assert [(t["file"], [c["model"] for c in t["costs"]]) for t in late["training"]["files"]] == [
        ("data/train.jsonl", ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini"])]


def test_after_fine_tuning_ends_the_report_still_tells_the_way(report, monkeypatch):
    """2027-02-01: nothing takes new fine-tuning jobs; every format renders, the training file is
    still counted, and each legacy fine-tune gets its options instead of a target."""
    monkeypatch.chdir(LEGACY_APP)
    for fmt in ("html", "markdown"):
        assert report(".", "--format", fmt, "--as-of", "2027-02-01").exit_code == 1
    doc = json.loads(report(".", "--format", "json", "--as-of", "2027-02-01").stdout)
    assert doc["training"]["candidates"] == []
    assert [(t["file"], t["examples"], t["costs"]) for t in doc["training"]["files"]] == [("data/train.jsonl", 12, [])]
    tuned = {m["model"]: m for m in doc["models"]}["curie:ft-acme-2023-03-01-12-00-00"]
    assert (tuned["replacement"], tuned["path_forward"]) == (None, "OpenAI takes no new fine-tuning jobs since 2027-01-06.")
    assert len(tuned["options"]) == 2
    md = report(".", "--format", "markdown", "--as-of", "2027-02-01").stdout
    assert "No model takes new fine-tuning jobs on 2027-02-01: see the path forward of each legacy model above." in md
