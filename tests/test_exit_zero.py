"""``--exit-zero`` on scan and report: the output is the same, only the exit status changes."""

from __future__ import annotations

import json

from click.testing import CliRunner

from migrator.cli import cli

LEGACY = 'import openai\n\nopenai.FineTune.create(training_file="f", model="curie")\n'


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_scan_exit_zero_reports_but_does_not_fail(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(LEGACY)
    (tmp_path / "latin.py").write_bytes(b"\xff\xfe openai.FineTune.list()\n")
    for fmt in ("text", "json", "sarif", "github"):
        failing = run("scan", ".", "--format", fmt)
        report_only = run("scan", ".", "--format", fmt, "--exit-zero")
        assert (failing.exit_code, report_only.exit_code) == (1, 0), fmt
        assert report_only.stdout == failing.stdout and "FT010" in report_only.stdout, fmt
        assert report_only.stderr == failing.stderr, fmt
    assert run("scan", "missing.py", "--exit-zero").exit_code == 2  # a usage error is still one


def test_report_exit_zero(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(LEGACY)
    failing = run("report", ".", "--format", "json")
    report_only = run("report", ".", "--format", "json", "--exit-zero")
    assert (failing.exit_code, report_only.exit_code) == (1, 0)
    assert json.loads(report_only.stdout)["summary"]["findings"] == 2
    assert report_only.stdout == failing.stdout
