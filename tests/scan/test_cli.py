"""`ft-migrate scan` end to end: exit codes, the JSON document, SARIF, errors, -o, parallelism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli import cli

LEGACY = 'import openai\n\nopenai.FineTune.create(training_file="f", model="curie")\n'


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A tiny project; the tests run from inside it so paths come out relative."""
    monkeypatch.chdir(tmp_path)

    def make(files: dict[str, str | bytes]) -> Path:
        for name, content in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return tmp_path

    return make


def run(*args: str):
    return CliRunner().invoke(cli, ["scan", *args])


def test_json_document(tree):
    tree({"a.py": LEGACY, "clean.py": "x = 1\n"})
    result = run(".", "--format", "json", "--as-of", "2024-06-01")
    assert result.exit_code == 1
    assert [list(f) for f in json.loads(result.stdout)["findings"]] == [  # the documented key order
        ["path", "line", "column", "end_line", "end_column", "cell", "rule", "kind", "legacy", "replacement",
         "fixable", "message"]] * 2
    assert json.loads(result.stdout) == {
        "tool": "ft-migrate",
        "version": "0.1.0",
        "as_of": "2024-06-01",
        "shutdown": "2024-01-04",
        "findings": [
            {"path": "a.py", "line": 3, "column": 1, "end_line": 3, "end_column": 57, "cell": None,
             "rule": "FT010", "kind": "sdk-call", "legacy": "openai.FineTune.create",
             "replacement": "openai.FineTuningJob.create", "fixable": True,
             "message": "openai.FineTune.create calls the legacy /v1/fine-tunes endpoint, shut down on "
                        "2024-01-04; use openai.FineTuningJob.create"},
            {"path": "a.py", "line": 3, "column": 49, "end_line": 3, "end_column": 56, "cell": None,
             "rule": "FT020", "kind": "model", "legacy": "curie", "replacement": "davinci-002",
             "fixable": True,
             "message": "model 'curie' (passed as model=) was shut down on 2024-01-04; use 'davinci-002'"},
        ],
        "errors": [],
        "summary": {"files_scanned": 2, "files_with_findings": 1, "findings": 2, "fixable": 2, "manual": 0,
                    "errors": 0, "by_rule": {"FT010": 1, "FT020": 1},
                    "by_kind": {"model": 1, "sdk-call": 1}, "days_since_shutdown": 149,
                    "broken_since": "2024-01-04", "days_broken": 149},
    }


def test_text_output_and_summary_line(tree):
    tree({"a.py": LEGACY})
    result = run("a.py", "--as-of", "2023-12-01")
    assert result.exit_code == 1
    assert result.stdout == (
        "a.py:3:1 FT010 openai.FineTune.create calls the legacy /v1/fine-tunes endpoint, shut down on "
        "2024-01-04; use openai.FineTuningJob.create [fixable]\n"
        "a.py:3:49 FT020 model 'curie' (passed as model=) will be shut down on 2024-01-04; use 'davinci-002' "
        "[fixable]\n")
    assert result.stderr == ("2 findings in 1 file (2 fixable, 0 manual), will break on 2024-01-04 "
                             "(in 34 days).\n")


def test_the_summary_line_dates_a_tree_broken_only_by_a_later_shutdown(tree):
    """Code migrated in 2023 to davinci-002 broke on 2026-09-28, not on 2024-01-04."""
    tree({"a.py": 'import openai\nopenai.FineTuningJob.create(training_file="f", model="davinci-002")\n'})
    result = run("a.py", "--as-of", "2026-11-28")
    assert result.exit_code == 1
    assert result.stdout.startswith("a.py:2:54 FT022 model 'davinci-002' (passed as model=) was shut down on "
                                    "2026-09-28 (a corroborated date, unconfirmed); fine-tune gpt-4.1-mini")
    assert result.stderr == "1 finding in 1 file (0 fixable, 1 manual), broken since 2026-09-28 (61 days).\n"


def test_nothing_found_exits_0(tree):
    tree({"clean.py": '"""Ada Lovelace and Marie Curie."""\ndavinci_config = {"babbage": 1}\n'})
    result = run(".", "--as-of", "2024-06-01")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "No legacy fine-tuning or GPT-3 usage found in 1 file.\n"


@pytest.mark.parametrize("args", [["--format", "xml"], ["--as-of", "yesterday"], ["--jobs", "0"]])
def test_usage_errors_exit_2(tree, args):
    tree({"a.py": LEGACY})
    result = run(".", *args)
    assert result.exit_code == 2
    assert result.stdout == ""


def test_bad_input_becomes_errors_and_the_scan_goes_on(tree):
    tree({
        "a.py": LEGACY,
        "latin.py": b"\xff\xfe openai.FineTune.list()\n",
        "py2.py": 'print "hi"\nopenai.FineTune.list()\n',
        "cookie.py": "# -*- coding: klingon -*-\nopenai.FineTune.list()\n",
    })
    result = run(".", "--format", "json", "--as-of", "2024-06-01")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert [(f["path"], f["line"], f["rule"]) for f in doc["findings"]] == [
        ("a.py", 3, "FT010"), ("a.py", 3, "FT020"), ("py2.py", 2, "FT010")]
    assert doc["errors"] == [
        {"path": "cookie.py", "reason": "line 1: unknown encoding: klingon; file skipped"},
        {"path": "latin.py", "reason": "line 1: not valid utf-8 (invalid start byte); file skipped"},
        {"path": "py2.py", "reason": doc["errors"][2]["reason"]},
    ]
    assert doc["errors"][2]["reason"] == ("line 1: does not parse as Python 3 (Missing parentheses in call to 'print'. "
                                          "Did you mean print(...)?); only line-level rules applied")
    assert doc["errors"][2]["reason"].endswith("); only line-level rules applied")


def test_errors_in_text_output(tree):
    tree({"a.py": LEGACY, "latin.py": b"\xff\xfe openai.FineTune.list()\n"})
    result = run("a.py", "latin.py", "--as-of", "2024-06-01")
    assert result.exit_code == 1
    assert result.stderr == ("latin.py: error: line 1: not valid utf-8 (invalid start byte); file skipped\n"
                             "2 findings in 1 file (2 fixable, 0 manual), broken since 2024-01-04 "
                             "(149 days); 1 file could not be fully scanned.\n")


@pytest.mark.parametrize("given, reason", [("nonexistent", "no such file or directory"),
                                           ("a.py/", "not a directory")])
def test_a_path_that_does_not_exist_is_a_usage_error(tree, given, reason):
    tree({"a.py": LEGACY})
    result = run("a.py", given, "--format", "json")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"Error: {given}: {reason}\n")


def test_standard_input_is_refused_by_name(tree):
    tree({"a.py": LEGACY})
    result = run("-")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("Error: reading from standard input ('-') is not supported; name files or "
                             "directories (a file named '-' can be given as ./-)\n")


def test_a_file_that_cannot_be_read_is_not_success_even_with_nothing_found(tree):
    tree({"clean.py": "print('hello')\n", "latin.py": b"\xff\xfe openai.FineTune.list()\n"})
    result = run(".", "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert (doc["findings"], doc["errors"]) == (
        [], [{"path": "latin.py", "reason": "line 1: not valid utf-8 (invalid start byte); file skipped"}])
    assert run("clean.py").exit_code == 0


def test_bom_spaces_and_non_ascii_names(tree):
    tree({"my dir/ünïcode file.py": "\ufeff" + LEGACY})
    result = run(".", "--format", "json")
    doc = json.loads(result.stdout)
    assert [(f["path"], f["line"], f["column"]) for f in doc["findings"]] == [
        ("my dir/ünïcode file.py", 3, 1), ("my dir/ünïcode file.py", 3, 49)]


def test_suppression_comment(tree):
    tree({"a.py": 'import openai\n\nopenai.FineTune.create(model="curie")  # ft-migrate: ignore[FT020]\n'
                  'openai.FineTune.list()  # ft-migrate: ignore\n'})
    doc = json.loads(run(".", "--format", "json").stdout)
    assert [(f["line"], f["rule"]) for f in doc["findings"]] == [(3, "FT010")]


def test_binary_and_huge_files_are_skipped_and_listed(tree):
    tree({"blob.py": b"\0\0openai.FineTune.create()", "huge.py": "openai.FineTune.list()\n" * 300_000,
          "logo.png": b"\x89PNG\0\0"})
    result = run(".", "--format", "json")
    assert result.exit_code == 1  # files that could not be scanned are not a clean result
    doc = json.loads(result.stdout)
    assert doc["summary"]["files_scanned"] == 0
    assert doc["errors"] == [
        {"path": "blob.py", "reason": "binary content (a NUL byte in the first 8 KB, or UTF-16 text); skipped"},
        {"path": "huge.py", "reason": "6,900,000 bytes, over the 5 MB limit for source files; skipped"}]


def test_parallel_and_serial_scans_agree(tree):
    tree({f"pkg/m{i:02}.py": LEGACY for i in range(40)})
    serial = run(".", "--format", "json", "--jobs", "1", "--as-of", "2024-06-01").stdout
    parallel = run(".", "--format", "json", "--jobs", "2", "--as-of", "2024-06-01").stdout
    assert serial == parallel
    assert len(json.loads(parallel)["findings"]) == 80


def test_output_file_is_written_atomically(tree):
    tree({"a.py": LEGACY})
    result = run(".", "--format", "json", "-o", "out/findings.json")
    assert result.exit_code == 2  # the directory does not exist: a clear error, no partial file
    assert "cannot write out/findings.json" in result.output
    os.mkdir("out")
    result = run(".", "--format", "json", "-o", "out/findings.json")
    assert result.exit_code == 1 and result.stdout == ""
    assert len(json.loads(Path("out/findings.json").read_text())["findings"]) == 2
    assert os.listdir("out") == ["findings.json"]


def test_user_catalog_widens_the_scan(tree):
    tree({"a.py": 'import openai\nopenai.ChatCompletion.create(model="gpt-4-0314", messages=[])\n',
          "mine.toml": '[sources]\nMINE = "ours"\n[dates.g4]\ndate = "2024-06-13"\nlabel = "gpt-4-0314 off"\n'
                       'confidence = "official"\nsource = "MINE"\n[models."gpt-4-0314"]\nstatus = "shut-down"\ngroup = "base"\n'
                       'replacement = "davinci-002"\nshutdown = "g4"\nsource = "MINE"\n'})
    doc = json.loads(run("a.py", "--format", "json", "--catalog", "mine.toml").stdout)
    assert [(f["rule"], f["legacy"], f["message"]) for f in doc["findings"]] == [
        ("FT020", "gpt-4-0314", "model 'gpt-4-0314' (passed as model=) will be shut down on 2024-06-13; "
                                "use 'davinci-002'")]


def test_sarif_document(tree):
    tree({"a.py": LEGACY})
    doc = json.loads(run(".", "--format", "sarif").stdout)
    assert doc["version"] == "2.1.0"
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    run_ = doc["runs"][0]
    rules = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert rules == sorted(rules) and {"FT001", "FT010", "FT020", "FT050"} <= set(rules)
    first = run_["results"][0]
    assert first["ruleId"] == "FT010"
    assert rules[first["ruleIndex"]] == "FT010"
    assert first["level"] == "error"
    assert first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a.py"
    assert first["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 57}
    assert first["partialFingerprints"]


def test_python_dash_m_entry_point(tree):
    tree({"a.py": LEGACY})
    proc = subprocess.run([sys.executable, "-m", "migrator", "scan", "a.py", "--format", "json"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert len(json.loads(proc.stdout)["findings"]) == 2


def test_notebooks_are_always_read(tree):
    """Notebook JSON escapes quotes, so the quoted-model prefilter cannot judge it; a broken
    notebook is reported even when it mentions nothing legacy."""
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": ['import openai\n', 'openai.Completion.create(model="curie", prompt="x")\n']}
    nb = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    tree({"a.ipynb": json.dumps(nb), "broken.ipynb": '{"cells": [\n'})
    doc = json.loads(run(".", "--format", "json").stdout)
    assert [(f["path"], f["cell"], f["line"], f["rule"]) for f in doc["findings"]] == [("a.ipynb", 1, 2, "FT020")]
    assert [e["path"] for e in doc["errors"]] == ["broken.ipynb"]
    assert doc["errors"][0]["reason"].startswith("invalid notebook JSON: line 2 column 1: ")
