"""Which model a legacy training file is re-trained on, and the `data convert` command that prepares it."""

from __future__ import annotations

import datetime as dt

import pytest

from migrator.catalog import load_catalog
from migrator.data.retrain import output_name, plan


@pytest.mark.parametrize("day, fmt, expected", [
    ("2023-12-01", "completion", ("davinci-002", "completion",
                                  "ft-migrate data convert --to completion 'my data/train.jsonl' "
                                  "-o 'my data/train.clean.jsonl'")),
    ("2023-12-01", "chat", ("gpt-3.5-turbo", None, None)),
    ("2026-11-28", "completion", ("gpt-4.1-mini", "chat",
                                  "ft-migrate data convert --to chat 'my data/train.jsonl' "
                                  "-o 'my data/train.chat.jsonl'")),
    ("2026-11-28", "chat", ("gpt-4.1-mini", None, None)),
])
def test_the_model_and_command_follow_the_date(day, fmt, expected):
    step = plan("my data/train.jsonl", fmt, load_catalog(as_of=dt.date.fromisoformat(day)))
    assert (step.target, step.to, step.command) == expected
    assert step.note is None


def test_after_fine_tuning_ends_the_plan_says_why_and_what_is_left():
    step = plan("train.jsonl", "completion", load_catalog(as_of=dt.date(2027, 2, 1)))
    assert (step.target, step.to, step.command) == (None, None, None)
    assert step.note.startswith("no model takes new fine-tuning jobs on 2027-02-01 (")
    assert "options: " in step.note and "--model prices" not in step.note
    assert step.sentence() == f"train.jsonl (prompt/completion data): {step.note}"


@pytest.mark.parametrize("path, to, expected", [
    ("train.jsonl", "chat", "train.chat.jsonl"),
    ("data/Train.JSONL", "completion", "data/Train.clean.jsonl"),
    ("data/examples", "chat", "data/examples.chat.jsonl"),
])
def test_output_names_sit_beside_the_input(path, to, expected):
    assert output_name(path, to) == expected
