"""`ft-migrate report --merge`: one organisation report from one JSON document per repository."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from migrator.cli import cli

from .conftest import FINETUNE_PY, SETTINGS_PY


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def documents(tree):
    """Two repositories' documents as a CI matrix leaves them: one scan, one report, in artifact folders."""
    tree({"api/app/finetune.py": FINETUNE_PY, "api/app/settings.py": SETTINGS_PY,
          "api/data/train.jsonl": '{"prompt": "a ->", "completion": " b"}\n', "web/main.py": "print('hello')\n"})
    for repo, command in (("api", "report"), ("web", "scan")):
        os.makedirs(f"artifacts/{repo}")
        result = invoke(command, f"{repo}", "--format", "json", "-o", f"artifacts/{repo}/{repo}.json",
                        "--as-of", "2023-12-01")
        assert result.exit_code in (0, 1), result.output
    return "artifacts"


def test_merged_json_has_a_row_per_repository_and_prefixed_paths(documents):
    result = invoke("report", "--merge", documents, "--format", "json", "--as-of", "2023-12-01")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["repositories"] == {
        "rows": [
            {"repository": "api", "source": "artifacts/api/api.json", "as_of": "2023-12-01", "files_scanned": 2,
             "call_sites": 2, "fixable": 1, "manual": 1, "errors": 0,
             "fine_tuned_models": ["curie:ft-acme-2023-03-01-12-00-00"], "training_files": 1},
            {"repository": "web", "source": "artifacts/web/web.json", "as_of": "2023-12-01", "files_scanned": 1,
             "call_sites": 0, "fixable": 0, "manual": 0, "errors": 0, "fine_tuned_models": [], "training_files": 0},
        ],
        "totals": {"files_scanned": 3, "call_sites": 2, "fixable": 1, "manual": 1, "errors": 0, "training_files": 1,
                   "repositories": 2, "repositories_with_findings": 1,
                   "fine_tuned_models": ["curie:ft-acme-2023-03-01-12-00-00"]},
    }
    assert [(f["path"], f["rule"]) for f in doc["findings"]] == [
        ("api/api/app/finetune.py", "FT010"), ("api/api/app/settings.py", "FT021")]
    assert doc["summary"]["files_scanned"] == 3
    assert [t["file"] for t in doc["training"]["files"]] == ["api/api/data/train.jsonl"]
    assert doc["headline"]["text"].startswith("2 call sites in 2 files depend on what OpenAI shut down on 2024-01-04")


def test_merged_markdown_opens_with_the_repositories(documents):
    result = invoke("report", "--merge", "artifacts/web/web.json", "artifacts/api/api.json", "--format", "markdown",
                    "--as-of", "2023-12-01")
    assert result.exit_code == 1, result.output
    section = result.stdout.split("## Repositories\n\n", 1)[1].split("\n## ", 1)[0]
    assert section == (
        "1 of 2 repositories depend on the legacy API: 2 call sites (1 fixable, 1 manual), "
        "1 legacy fine-tuned model, 1 training file.\n\n"
        "| Repository | Scanned as of | Files | Call sites | Fixable | Manual | Errors | Training files "
        "| Legacy fine-tuned models |\n"
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n"
        "| api | 2023-12-01 | 2 | 2 | 1 | 1 | 0 | 1 | curie:ft-acme-2023-03-01-12-00-00 |\n"
        "| web | 2023-12-01 | 1 | 0 | 0 | 0 | 0 | 0 |  |\n")


def test_html_has_the_repositories_section(documents):
    result = invoke("report", "--merge", documents, "--as-of", "2023-12-01")
    assert result.exit_code == 1
    assert '<section id="repositories">' in result.stdout
    assert "<code>curie:ft-acme-2023-03-01-12-00-00</code>" in result.stdout


def test_clean_repositories_merge_to_exit_0(tree):
    tree({"web/main.py": "print('hello')\n"})
    assert invoke("scan", "web", "--format", "json", "-o", "web.json").exit_code == 0
    result = invoke("report", "--merge", "web.json", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["repositories"]["totals"]["repositories_with_findings"] == 0


@pytest.mark.parametrize("files, args, message", [
    ({"a.json": "{not json"}, ["a.json"], "Error: a.json: not JSON: "),
    ({"a.json": '{"findings": []}'}, ["a.json"],
     "Error: a.json: not an ft-migrate scan or report JSON document (write one with "
     "`ft-migrate scan --format json -o FILE`)\n"),
    ({"a.json": '{"tool": "ft-migrate", "findings": [{"path": "x.py"}], "errors": [], "summary": {}}'}, ["a.json"],
     "Error: a.json: findings[0]: not a finding (missing cell, column, end_column, end_line, fixable, kind, "
     "legacy, line, message, replacement, rule)\n"),
    ({"a.json": '{"tool": "ft-migrate", "findings": [], "summary": {}}'}, ["a.json"],
     "Error: a.json: the document has no valid 'errors'\n"),
    ({"x/a.json": "{}", "y/a.json": "{}"}, ["x/a.json", "y/a.json"], "Error: x/a.json: not an ft-migrate"),
    ({"empty/readme.txt": ""}, ["empty"], "Error: empty: no .json file in this directory\n"),
    ({}, [], "Error: --merge needs the JSON documents (or directories of them) to merge\n"),
    ({"a.json": "{}"}, ["a.json", "--data", "a.json"], "Error: --merge reads JSON documents; --data cannot be used with it\n"),
    ({}, ["missing.json"], "Error: missing.json: no such file or directory\n"),
])
def test_bad_inputs_are_usage_errors_naming_the_file(tree, files, args, message):
    tree(files)
    result = invoke("report", "--merge", *args, "--format", "json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message)


def test_two_documents_for_one_repository_are_refused(tree):
    tree({})
    doc = '{"tool": "ft-migrate", "findings": [], "errors": [], "summary": {"files_scanned": 1}}'
    tree({"x/a.json": doc, "y/a.json": doc})
    result = invoke("report", "--merge", "x", "y")
    assert result.exit_code == 2
    assert result.stderr == ("Error: y/a.json and x/a.json: two documents for repository 'a' "
                             "(a repository is named by its file name)\n")
