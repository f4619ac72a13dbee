"""The promise between scan and fix: what scan calls fixable, fix rewrites; the rest stays manual."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from migrator.cli import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "legacy_app"


def test_fix_leaves_only_manual_findings_on_the_example(tmp_path, monkeypatch):
    shutil.copytree(EXAMPLE, tmp_path / "app")
    monkeypatch.chdir(tmp_path / "app")
    runner = CliRunner()
    before = json.loads(runner.invoke(cli, ["scan", ".", "--format", "json"]).stdout)["summary"]
    assert (before["fixable"], before["manual"]) == (20, 8)  # app/settings.py BASE_MODEL, imported into model=

    first = runner.invoke(cli, ["fix", "."])
    assert first.exit_code == 1, first.output  # files changed
    after = json.loads(runner.invoke(cli, ["scan", ".", "--format", "json"]).stdout)
    assert [(f["path"], f["rule"], f["fixable"]) for f in after["findings"]] == [
        ("Makefile", "FT041", False),
        ("app/settings.py", "FT021", False),
        ("config/settings.yaml", "FT020", False),
        ("config/settings.yaml", "FT021", False),
        ("notebooks/experiments.ipynb", "FT040", False),
        ("scripts/retrain.sh", "FT001", False),
        ("web/finetune.js", "FT013", False),
        ("web/finetune.js", "FT020", False),
    ]
    second = runner.invoke(cli, ["fix", ".", "--check"])
    assert second.exit_code == 0, second.output  # idempotent: nothing left to rewrite


def test_fix_lists_the_manual_work_scan_reports_after_it(tmp_path, monkeypatch):
    """Config files, ``prepare_data`` lines, JavaScript: fix names every manual finding, not only its TODOs."""
    shutil.copytree(EXAMPLE, tmp_path / "app")
    monkeypatch.chdir(tmp_path / "app")
    runner = CliRunner()
    fixed = runner.invoke(cli, ["fix", "."])
    *listed, training, summary = fixed.stderr.splitlines()
    scanned = runner.invoke(cli, ["scan", "--no-cache", "."])
    assert listed == scanned.stdout.splitlines()
    assert training == ("Training data: data/train.jsonl (prompt/completion data): re-train on davinci-002 after "
                        "`ft-migrate data convert --to completion data/train.jsonl -o data/train.clean.jsonl`")
    assert len(listed) == 8
    assert summary == ("ft-migrate fix: 8 files changed, 19 call sites migrated, 8 manual items left in Makefile, "
                       "app/settings.py, config/settings.yaml, notebooks/experiments.ipynb, scripts/retrain.sh, "
                       "..., 5 TODO comments in the code")
    dry = CliRunner().invoke(cli, ["fix", "--diff", "."])
    assert dry.stderr.splitlines()[:-1] == [*listed, training]  # nothing rewritten now: the same manual work


EDGES = ["event_streams_to_polling/streams_v0", "event_streams_to_polling/streams_v1",
         "kwargs_dicts_to_jobs/dict_calls_and_updates", "kwargs_dicts_to_jobs/flat_and_star",
         "response_fields_to_jobs/raw_http", "fine_tune_calls_to_jobs/self_attribute",
         "fine_tune_calls_to_jobs/aliases", "fine_tune_calls_to_jobs/alias_kept_for_delete"]


def test_on_the_edges_fix_rewrites_what_scan_calls_fixable_and_keeps_the_manual(tmp_path, monkeypatch):
    """Event streams in loops, dict()/update() requests, raw HTTP answers, aliases on self and
    import aliases: after fix nothing fixable is left, and the manual findings are the same."""
    fixtures = EXAMPLE.parent
    for case in EDGES:
        shutil.copy(fixtures / f"{case}.input.py", tmp_path / f"{case.replace('/', '__')}.py")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def findings() -> list[dict]:
        return json.loads(runner.invoke(cli, ["scan", "--no-cache", ".", "--format", "json"]).stdout)["findings"]

    before = findings()
    assert sum(f["fixable"] for f in before) >= 20
    manual = sorted((f["path"], f["rule"], f["legacy"], f["message"]) for f in before if not f["fixable"])
    assert runner.invoke(cli, ["fix", "."]).exit_code == 1
    after = findings()
    assert [f for f in after if f["fixable"]] == []
    assert sorted((f["path"], f["rule"], f["legacy"], f["message"]) for f in after) == manual
    assert runner.invoke(cli, ["fix", ".", "--check"]).exit_code == 0
