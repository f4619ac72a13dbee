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
    assert (before["fixable"], before["manual"]) == (19, 8)

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
