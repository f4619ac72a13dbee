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
    *listed, summary = fixed.stderr.splitlines()
    scanned = runner.invoke(cli, ["scan", "--no-cache", "."])
    assert listed == scanned.stdout.splitlines()
    assert len(listed) == 8
    assert summary == ("ft-migrate fix: 8 files changed, 19 call sites migrated, 8 manual items left in Makefile, "
                       "app/settings.py, config/settings.yaml, notebooks/experiments.ipynb, scripts/retrain.sh, "
                       "..., 5 TODO comments in the code")
    dry = CliRunner().invoke(cli, ["fix", "--diff", "."])
    assert dry.stderr.splitlines()[:-1] == listed  # nothing rewritten now: the same manual work
