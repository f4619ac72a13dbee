"""Patterns real legacy projects use, beyond the example app: every finding, exactly.

``fixtures/real_patterns`` holds one small project per kind: Python models that
reach ``model=`` through option defaults, Enum members and imports; Node code
whose v3 client comes from another module, with template-literal URLs; Markdown
commands in prose lists and ``$`` prompts; PowerShell and batch scripts; Ruby.
Each file also holds the traps next to the real thing (history prose, "Ada
Lovelace", keys and options named ``babbage``, commented-out commands), and the
exact list below is what a user sees: a trap that became a finding fails it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from migrator.catalog import load_catalog
from migrator.scan import prefilter
from migrator.scan.filetypes import kind_of
from migrator.scan.runner import scan_paths

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_patterns"

# (path under fixtures/real_patterns, line, column, rule, legacy, replacement, fixable)
EXPECTED = {
    "docs": [
        # "1. Prepare the data: openai tools ..." and "2. Train with openai api ..." in a list
        ("docs/README.md", 8, 22, "FT041", "openai tools fine_tunes.prepare_data", None, False),
        ("docs/README.md", 9, 15, "FT040", "openai api fine_tunes.create", "openai api fine_tuning.job.create", False),
        ("docs/README.md", 9, 70, "FT020", "curie", "davinci-002", False),
        # "$ openai api ..." in an indented block, then at the start of a prose line
        ("docs/README.md", 14, 7, "FT040", "openai api fine_tunes.list", "openai api fine_tuning.job.list", False),
        ("docs/README.md", 18, 3, "FT040", "openai api fine_tunes.follow", None, False),
    ],
    "node": [
        ("node/train.mjs", 7, 16, "FT013", "createFineTune", "fineTuning.jobs.create", False),
        ("node/train.mjs", 7, 59, "FT020", "curie", "davinci-002", False),
        ("node/train.mjs", 8, 15, "FT013", "listFineTuneEvents", "fineTuning.jobs.listEvents", False),
        ("node/train.mjs", 9, 30, "FT001", "/v1/fine-tunes/{id}/events", "/v1/fine_tuning/jobs/{id}/events", False),
        ("node/train.mjs", 10, 31, "FT001", "/v1/fine-tunes/{id}", "/v1/fine_tuning/jobs/{id}", False),
    ],
    "py": [
        # imported by train.py and passed as model= (BASE_MODEL: a model to fine-tune, by its name)
        ("py/settings.py", 5, 14, "FT020", "curie", "davinci-002", True),
        # Tier.BEST.value is passed as model= in train.py; Tier.CHEAP is not
        ("py/settings.py", 12, 12, "FT020", "text-davinci-003", "gpt-3.5-turbo-instruct", False),
        # argparse --model/-m default
        ("py/train.py", 11, 46, "FT020", "text-curie-001", "gpt-3.5-turbo-instruct", True),
        # argparse --checkpoint default, passed as model=args.checkpoint
        ("py/train.py", 13, 45, "FT020", "davinci", "davinci-002", False),
        # click --engine default
        ("py/train.py", 19, 35, "FT020", "davinci", "davinci-002", True),
        # a parameter default passed as model=
        ("py/train.py", 25, 23, "FT020", "text-babbage-001", "gpt-3.5-turbo-instruct", True),
        # a parameter default passed to the legacy CLI's -m (fire exposes train on the command line)
        ("py/train.py", 29, 22, "FT020", "curie", "davinci-002", False),
        ("py/train.py", 30, 20, "FT040", "openai api fine_tunes.create", "openai api fine_tuning.job.create",
         False),  # a command in a string (shell=True): fix rewrites argv lists only
    ],
    "ruby": [
        ("ruby/complete.rb", 5, 52, "FT020", "text-davinci-003", "gpt-3.5-turbo-instruct", False),
        ("ruby/complete.rb", 6, 28, "FT020", "davinci", "davinci-002", False),
        ("ruby/complete.rb", 7, 23, "FT021", "curie:ft-acme-2023-01-01-00-00-00", None, False),
        ("ruby/complete.rb", 8, 38, "FT001", "/v1/fine-tunes", "/v1/fine_tuning/jobs", False),
    ],
    "windows": [
        ("windows/status.cmd", 1, 1, "FT040", "openai api fine_tunes.get", "openai api fine_tuning.job.get", False),
        ("windows/train.bat", 4, 11, "FT020", "curie", "davinci-002", False),
        # a ^ continuation: -m on the next line belongs to the create
        ("windows/train.bat", 6, 1, "FT040", "openai api fine_tunes.create", "openai api fine_tuning.job.create",
         False),
        ("windows/train.bat", 7, 20, "FT020", "ada", "babbage-002", False),
        ("windows/train.ps1", 3, 18, "FT020", "davinci", "davinci-002", False),
        ("windows/train.ps1", 5, 1, "FT040", "openai api fine_tunes.create", "openai api fine_tuning.job.create",
         False),
        ("windows/train.ps1", 7, 1, "FT041", "openai tools fine_tunes.prepare_data", None, False),
    ],
}


def _scan(*parts: str):
    catalog = load_catalog(as_of=dt.date(2023, 12, 1))
    result = scan_paths(list(parts), catalog=catalog, jobs=1)
    assert result.errors == []
    return [(f.path, f.line, f.column, f.rule, f.legacy, f.replacement, f.fixable) for f in result.findings]


@pytest.fixture(autouse=True)
def _inside(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # paths come out relative to the project


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_real_patterns_exact_findings(kind: str) -> None:
    assert _scan(kind) == EXPECTED[kind]


def test_a_model_reaches_another_module_only_through_an_import() -> None:
    """settings.py alone reports only BASE_MODEL, a constant named for a model, which fix replaces
    where it is written (its other constants are only strings there); with train.py, which imports
    Tier, the member it passes as model= is a finding too."""
    assert _scan("py/settings.py") == [("py/settings.py", 5, 14, "FT020", "curie", "davinci-002", True)]
    assert _scan("py") == EXPECTED["py"]


def test_new_file_kinds_go_through_the_prefilter() -> None:
    """PowerShell, batch and Ruby files that mention nothing from the catalog are not read further."""
    catalog = load_catalog(as_of=dt.date(2023, 12, 1))
    assert [kind_of(n) for n in ("a.ps1", "a.psm1", "a.bat", "a.CMD", "a.rb", "a.go")] == [
        "powershell", "powershell", "batch", "batch", "source-lines", "source-lines"]
    assert not prefilter.needs_scan("powershell", b"Write-Host 'Ada Lovelace'\r\n", catalog)
    assert not prefilter.needs_scan("batch", b"@echo off\r\nset PERSON=Ada\r\n", catalog)
    assert not prefilter.needs_scan("source-lines", b'costs = { babbage: 1, person: "Ada Lovelace" }\n', catalog)
    assert prefilter.needs_scan("source-lines", b'client.completions(engine: "davinci")\n', catalog)
