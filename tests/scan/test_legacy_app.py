"""The shipped example project: every finding, exactly (the README's first command scans it)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.catalog import load_catalog
from migrator.cli import cli

ROOT = Path(__file__).resolve().parents[2]

# (path under fixtures/legacy_app, cell, line, column, rule, legacy, replacement, fixable)
EXPECTED = [
    ('Makefile', None, 6, 2, 'FT041', 'openai tools fine_tunes.prepare_data',
     None, False),
    ('Makefile', None, 9, 2, 'FT040', 'openai api fine_tunes.create',
     'openai api fine_tuning.job.create', True),
    ('Makefile', None, 9, 46, 'FT020', 'davinci',
     'davinci-002', True),
    ('Makefile', None, 12, 2, 'FT040', 'openai api fine_tunes.list',
     'openai api fine_tuning.job.list', True),
    ('app/complete.py', None, 6, 40, 'FT020', 'text-davinci-003',
     'gpt-3.5-turbo-instruct', True),
    ('app/finetune.py', None, 13, 11, 'FT010', 'openai.FineTune.create',
     'openai.FineTuningJob.create', True),
    ('app/finetune.py', None, 24, 11, 'FT010', 'openai.FineTune.retrieve',
     'openai.FineTuningJob.retrieve', True),
    ('app/finetune.py', None, 25, 29, 'FT031', 'pending',
     'validating_files or queued', True),
    ('app/finetune.py', None, 27, 15, 'FT010', 'openai.FineTune.retrieve',
     'openai.FineTuningJob.retrieve', True),
    ('app/finetune.py', None, 28, 27, 'FT030', 'hyperparams',
     'hyperparameters', True),
    ('app/finetune.py', None, 28, 72, 'FT030', 'training_files',
     'training_file', True),
    ('app/finetune.py', None, 33, 43, 'FT010', 'openai.FineTune.list_events',
     'openai.FineTuningJob.list_events', True),
    # BASE_MODEL is imported by app/finetune.py and passed as model= (migrator.scan.links)
    ('app/settings.py', None, 3, 14, 'FT020', 'curie',
     'davinci-002', True),
    ('app/settings.py', None, 4, 14, 'FT021', 'curie:ft-acme-2023-03-01-12-00-00',
     None, False),
    ('app/status_page.py', None, 7, 33, 'FT001', '/fine-tunes',
     '/fine_tuning/jobs', True),
    ('config/settings.yaml', None, 4, 10, 'FT020', 'text-davinci-003',
     'gpt-3.5-turbo-instruct', False),
    ('config/settings.yaml', None, 9, 10, 'FT021', 'curie:ft-acme-2023-03-01-12-00-00',
     None, False),
    ('notebooks/experiments.ipynb', 2, 1, 14, 'FT050', 'openai==0.27.8',
     'openai>=0.28.1,<1', True),
    ('notebooks/experiments.ipynb', 3, 3, 7, 'FT010', 'openai.FineTune.create',
     'openai.FineTuningJob.create', True),
    ('notebooks/experiments.ipynb', 3, 3, 65, 'FT020', 'ada',
     'babbage-002', True),
    ('notebooks/experiments.ipynb', 4, 1, 2, 'FT040', 'openai api fine_tunes.follow',
     None, False),
    ('notebooks/experiments.ipynb', 5, 4, 41, 'FT020', 'text-davinci-002',
     'gpt-3.5-turbo-instruct', True),
    ('requirements.txt', None, 1, 1, 'FT050', 'openai==0.27.8',
     'openai>=0.28.1,<1', True),
    ('scripts/retrain.sh', None, 7, 1, 'FT040', 'openai api fine_tunes.create',
     'openai api fine_tuning.job.create', True),
    ('scripts/retrain.sh', None, 7, 47, 'FT020', 'curie',
     'davinci-002', True),
    ('scripts/retrain.sh', None, 9, 31, 'FT001', '/v1/fine-tunes',
     '/v1/fine_tuning/jobs', False),
    ('web/finetune.js', None, 7, 33, 'FT013', 'createFineTune',
     'fineTuning.jobs.create', False),
    ('web/finetune.js', None, 7, 80, 'FT020', 'davinci',
     'davinci-002', False),
]


def test_legacy_app_findings(monkeypatch):
    """The 2023 answers: the replacements of the first migration, alive then."""
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, ["scan", "fixtures/legacy_app", "--format", "json", "--as-of", "2023-12-01"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    got = [(f["path"].removeprefix("fixtures/legacy_app/"), f["cell"], f["line"], f["column"], f["rule"],
            f["legacy"], f["replacement"], f["fixable"]) for f in doc["findings"]]
    assert got == EXPECTED
    assert doc["errors"] == []
    assert doc["summary"]["by_rule"] == {"FT001": 2, "FT010": 5, "FT013": 1, "FT020": 8, "FT021": 2, "FT030": 2,
                                         "FT031": 1, "FT040": 4, "FT041": 1, "FT050": 2}
    assert result.stderr == ""  # machine formats are quiet; the text format ends with the summary line
    text = CliRunner().invoke(cli, ["scan", "fixtures/legacy_app", "--as-of", "2023-12-01"])
    assert text.stderr == "28 findings in 10 files (20 fixable, 8 manual), will break on 2024-01-04 (in 34 days).\n"


# What changes after the 2023 replacements retired: (path, line, rule, legacy, replacement, fixable).
LATE_MODELS = {
    "2026-08-01": [
        ("Makefile", 9, "FT020", "davinci", "davinci-002", True),
        ("app/complete.py", 6, "FT020", "text-davinci-003", "gpt-3.5-turbo-instruct", True),
        ("app/settings.py", 3, "FT020", "curie", "davinci-002", True),
        ("config/settings.yaml", 4, "FT020", "text-davinci-003", "gpt-3.5-turbo-instruct", False),
        ("notebooks/experiments.ipynb", 3, "FT020", "ada", "gpt-4.1-mini", True),
        ("notebooks/experiments.ipynb", 4, "FT020", "text-davinci-002", "gpt-3.5-turbo-instruct", True),
        ("scripts/retrain.sh", 7, "FT020", "curie", "davinci-002", True),
        ("web/finetune.js", 7, "FT020", "davinci", "davinci-002", False),
    ],
    "2026-11-28": [
        ("Makefile", 9, "FT020", "davinci", "gpt-4.1-mini", True),
        # fix moves these completion calls to chat (FX008); a config value it cannot.
        ("app/complete.py", 6, "FT020", "text-davinci-003", "gpt-4.1-mini", True),
        # moved all the same; the imported fine-tune it names is FT021 in app/settings.py
        ("app/complete.py", 13, "FT020", "CLASSIFIER", None, True),
        ("app/settings.py", 3, "FT020", "curie", "gpt-4.1-mini", True),
        ("config/settings.yaml", 4, "FT020", "text-davinci-003", "gpt-4.1-mini", False),
        ("notebooks/experiments.ipynb", 3, "FT020", "ada", "gpt-4.1-mini", True),
        ("notebooks/experiments.ipynb", 4, "FT020", "text-davinci-002", "gpt-4.1-mini", True),
        ("scripts/retrain.sh", 7, "FT020", "curie", "gpt-4.1-mini", True),
        ("web/finetune.js", 7, "FT020", "davinci", "gpt-4.1-mini", False),
    ],
}


@pytest.mark.parametrize("as_of", sorted(LATE_MODELS))
def test_legacy_app_advice_follows_the_date(monkeypatch, as_of):
    """On 2026-08-01 davinci-002 is still the target, with its end date; on 2026-11-28 no
    finding recommends a model that is shut down, and completion calls move to chat (FX008
    moves the SDK calls; a config value is not fixable) while fine-tunes name the chat model."""
    monkeypatch.chdir(ROOT)
    doc = json.loads(CliRunner().invoke(cli, ["scan", "fixtures/legacy_app", "--format", "json",
                                              "--as-of", as_of]).stdout)
    models = [(f["path"].removeprefix("fixtures/legacy_app/"), f["line"], f["rule"], f["legacy"],
               f["replacement"], f["fixable"]) for f in doc["findings"] if f["rule"] == "FT020"]
    assert models == LATE_MODELS[as_of]
    catalog = load_catalog(as_of=dt.date.fromisoformat(as_of))
    dead = [m for m in catalog.models.values() if not m.alive_on(catalog.as_of) and not m.legacy]
    for f in doc["findings"]:
        advice = f["message"].split("; ", 1)[-1]
        named = [m.id for m in dead if re.search(rf"(?<![\w.-]){re.escape(m.id)}(?![\w.-])", advice)]
        assert named == [], (f["path"], f["line"], f["message"])
    messages = {f["legacy"]: f["message"] for f in doc["findings"]}
    if as_of == "2026-08-01":
        assert messages["curie"].endswith("use 'davinci-002' (valid until 2026-09-28, a corroborated date, "
                                          "unconfirmed); note: since 2026-07-02 organisations with no inference "
                                          "on a fine-tuned model in the past 60 days can no longer create "
                                          "fine-tuning jobs")
    else:
        assert messages["text-davinci-003"].endswith(
            "no completion-format model is left: move the call to chat completions (messages=[...]) with "
            "'gpt-4.1-mini' (valid until 2027-01-14, a third-party date, unconfirmed)")
        assert "re-train it on gpt-4.1-mini (valid until 2027-01-06), which trains on chat-format data: convert " \
               "the training file with `ft-migrate data convert --to chat`" in messages[
                   "curie:ft-acme-2023-03-01-12-00-00"]


def test_ordinary_words_in_the_example_are_not_findings(monkeypatch):
    """'Ada Lovelace' (YAML), Marie Curie (a comment), `curie` in a Markdown cell, a `!` line
    inside a triple-quoted string, a commented-out command: none is a finding."""
    monkeypatch.chdir(ROOT)
    doc = json.loads(CliRunner().invoke(cli, ["scan", "fixtures/legacy_app", "--format", "json"]).stdout)
    places = {(f["path"], f["cell"], f["line"]) for f in doc["findings"]}
    assert ("fixtures/legacy_app/config/settings.yaml", None, 2) not in places
    assert ("fixtures/legacy_app/app/complete.py", None, 12) not in places
    assert ("fixtures/legacy_app/scripts/retrain.sh", None, 6) not in places
    assert not any(cell == 1 for _, cell, _ in places)
    assert ("fixtures/legacy_app/notebooks/experiments.ipynb", 5, 2) not in places
