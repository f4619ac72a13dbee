"""`scan --format github`: workflow-command annotations, escaped as the Actions toolkit escapes them."""

from __future__ import annotations

import json

from click.testing import CliRunner

from migrator.cli import cli
from migrator.findings import Finding, ScanError
from migrator.output import github
from migrator.scan.runner import ScanResult

LEGACY = 'import openai\n\nopenai.FineTune.create(training_file="f", model="curie")\n'
FT010 = ("openai.FineTune.create calls the legacy /v1/fine-tunes endpoint, shut down on 2024-01-04; "
         "use openai.FineTuningJob.create")
FT020 = "model 'curie' (passed as model=) will be shut down on 2024-01-04; use 'davinci-002'"


def run(*args: str):
    return CliRunner().invoke(cli, ["scan", *args])


def test_one_warning_per_finding_then_the_summary(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(LEGACY)
    (tmp_path / "clean.py").write_text("x = 1\n")
    result = run(".", "--format", "github")
    assert result.exit_code == 1
    assert result.stdout == (
        f"::warning file=a.py,line=3,col=1,title=FT010::{FT010}\n"
        f"::warning file=a.py,line=3,col=49,title=FT020::{FT020}\n")
    assert result.stderr == "2 findings in 1 file (2 fixable, 0 manual), will break on 2024-01-04 (in 34 days).\n"


def test_properties_escape_percent_comma_colon_and_line_breaks_and_the_message_its_own_set():
    finding = Finding("dir,x/100%:a.py", 7, 5, 7, 9, "FT020", "model", "curie", None, False,
                      "line one: 50% done,\r\nline two")
    result = ScanResult(findings=[finding], errors=[ScanError("we,ird:%\n.py", "line 1: not valid utf-8")])
    assert github.render(result) == (
        "::warning file=dir%2Cx/100%25%3Aa.py,line=7,col=5,title=FT020::line one: 50%25 done,%0D%0Aline two\n"
        "::error file=we%2Cird%3A%25%0A.py,title=ft-migrate::line 1: not valid utf-8\n")


def test_a_real_file_name_with_comma_colon_and_percent(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "v1,v2:100%.py").write_text(LEGACY)
    result = run(".", "--format", "github")
    assert result.stdout.splitlines()[0] == f"::warning file=v1%2Cv2%3A100%25.py,line=3,col=1,title=FT010::{FT010}"


def test_notebook_findings_sit_on_the_ipynb_line_with_the_cell_in_the_message(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# Train\n"]},
                    {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                     "source": ["import openai\n", "openai.FineTune.list()\n"]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nb.ipynb").write_text(json.dumps(nb, indent=1))
    result = run("nb.ipynb", "--format", "github")
    line = next(i for i, text in enumerate((tmp_path / "nb.ipynb").read_text().splitlines(), 1)
                if "openai.FineTune.list()" in text)
    assert result.stdout.startswith(
        f"::warning file=nb.ipynb,line={line},title=FT010::cell 2, line 2: openai.FineTune.list calls the legacy")


def test_unreadable_files_are_error_annotations(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "latin.py").write_bytes(b"\xff\xfe openai.FineTune.list()\n")
    result = run(".", "--format", "github")
    assert result.exit_code == 1
    assert result.stdout == ("::error file=latin.py,title=ft-migrate::line 1: not valid utf-8 (invalid start byte); "
                             "file skipped\n")

