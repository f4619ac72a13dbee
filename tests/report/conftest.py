"""Fixtures for the report tests: tiny projects made on the spot, and the CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli import cli

REPO = Path(__file__).resolve().parents[2]
LEGACY_APP = REPO / "fixtures" / "legacy_app"

# One fixable call (FT010) and one manual finding (FT021) in two files.
FINETUNE_PY = 'import openai\n\nopenai.FineTune.create(training_file="f", model="babbage-002")\n'
SETTINGS_PY = 'MODEL = "curie:ft-acme-2023-03-01-12-00-00"\n'


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """Build a project from {name: text}; the test runs inside it so paths come out relative."""
    monkeypatch.chdir(tmp_path)

    def make(files: dict[str, str]) -> Path:
        for name, content in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        return tmp_path

    return make


@pytest.fixture
def report():
    """Run ``ft-migrate report ARGS`` in-process; returns click's Result."""

    def run(*args: str):
        return CliRunner().invoke(cli, ["report", *args])

    return run
