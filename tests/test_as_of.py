"""Every command answers for its --as-of date: fix, data, the shim, --target, models list.

The scan and the report have their own dated golden tests
(``tests/scan/test_legacy_app.py``, ``tests/report/test_legacy_app.py``).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.catalog import load_catalog
from migrator.cli import cli
from migrator.shim.config import ShimConfig
from migrator.shim.translate import Shim
from tests.shim.helpers import drive, reply, request

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "fixtures" / "legacy_app" / "data" / "train.jsonl"


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def dead_on(day: str) -> list[str]:
    """Models of the catalog shut down on ``day`` that the 2023 migration recommended or later chains name."""
    catalog = load_catalog(as_of=__import__("datetime").date.fromisoformat(day))
    return [m.id for m in catalog.models.values() if not m.legacy and not m.alive_on(catalog.as_of)
            and m.available is None]


def _written(diff: str) -> str:
    """The code lines a diff adds (TODO comments left out: they name old models on purpose)."""
    return "\n".join(line for line in diff.splitlines()
                     if line.startswith("+") and not line.startswith("+++") and "TODO(ft-migrate" not in line)


@pytest.fixture
def legacy_app(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "fixtures" / "legacy_app", tmp_path / "app")
    monkeypatch.chdir(tmp_path / "app")
    return tmp_path / "app"


@pytest.mark.parametrize(("day", "written", "absent"), [
    ("2023-12-01", {"davinci-002", "babbage-002", "gpt-3.5-turbo-instruct"}, {"gpt-4.1-mini"}),
    ("2026-08-01", {"davinci-002", "gpt-3.5-turbo-instruct", "gpt-4.1-mini"}, set()),
    ("2026-11-28", {"gpt-4.1-mini"}, {"davinci-002", "babbage-002", "gpt-3.5-turbo-instruct"}),
])
def test_fix_writes_only_models_alive_on_the_date(legacy_app, day, written, absent):
    result = run("fix", "--diff", ".", "--as-of", day)
    assert result.exit_code == 1, result.stderr
    code = _written(result.stdout)
    for model in written:
        assert re.search(rf"(?<![\w.-]){re.escape(model)}(?![\w.-])", code), (day, model)
    for model in absent | set(dead_on(day)):
        assert not re.search(rf"(?<![\w.-]){re.escape(model)}(?![\w.-])", code), (day, model)
    if day == "2026-08-01":
        assert "'curie' was shut down: use 'davinci-002' (valid until 2026-09-28, a corroborated date, " \
               "unconfirmed)" in result.stdout
    if day == "2026-11-28":
        # No completion model is left: the Completion calls move to chat completions (FX008),
        # the classifier's prompt without the separator its training data is converted without.
        assert ('+    response = openai.ChatCompletion.create(model=engine, messages=[{"role": "user", "content": '
                'f"Summarize:\\n{text}\\n"}], max_tokens=200)\n'
                '+    return response["choices"][0]["message"]["content"].strip()\n') in result.stdout
        assert ("+    # TODO(ft-migrate FT020): 'text-davinci-003' was shut down and no completion-format model is "
                "left: the call now uses chat completions (messages=[...]) with 'gpt-4.1-mini' (valid until "
                "2027-01-14, a third-party date, unconfirmed)\n") in result.stdout
        assert ('+    response = openai.ChatCompletion.create(model=CLASSIFIER, messages=[{"role": "user", '
                '"content": ticket}], max_tokens=1)\n') in result.stdout
        assert "openai.Completion.create" not in _written(result.stdout)


def test_fix_today_then_check_is_clean(legacy_app):
    assert run("fix", ".", "--as-of", "2026-11-28").exit_code == 1
    again = run("fix", "--check", ".", "--as-of", "2026-11-28")
    assert again.exit_code == 0, again.stderr
    assert "No files would be modified" in again.stderr


def test_fix_with_a_target_that_retires_soon_warns(legacy_app):
    result = run("fix", "--diff", "app/complete.py", "--as-of", "2026-08-01", "--target", "davinci-002")
    assert ("ft-migrate: warning: --target: davinci-002 will be shut down on 2026-09-28 (in 58 days) "
            "(corroborated date, unconfirmed)") in result.stderr
    assert '+MODEL = "davinci-002"' in result.stdout or "davinci-002" in _written(result.stdout)


def test_a_model_map_to_a_dead_model_warns(legacy_app):
    result = run("fix", "--diff", "app/settings.py", "--as-of", "2026-11-28", "--model-map",
                 "curie:ft-acme-2023-03-01-12-00-00=ft:davinci-002:acme::8abc123")
    assert ("ft-migrate: warning: --model-map: ft:davinci-002:acme::8abc123 was shut down on 2026-09-28 "
            "(corroborated date, unconfirmed)") in result.stderr


@pytest.mark.parametrize(("day", "model", "fmt", "usd"), [
    ("2023-12-01", "davinci-002", "completion", 0.018336),
    ("2026-08-01", "davinci-002", "completion", 0.018336),
    ("2026-11-28", "gpt-4.1-mini", "chat", None),
])
def test_data_check_prices_on_what_replaces_the_legacy_default_that_day(day, model, fmt, usd):
    result = run("data", "check", str(TRAIN), "--format", "json", "--as-of", day)
    summary = json.loads(result.stdout)
    assert (summary["cost"]["model"], summary["cost"]["usd"]) == (model, usd)
    assert any(w["code"] == "needs_conversion" for w in summary["warnings"]) == (fmt == "chat")


def test_data_check_warns_about_a_model_that_no_longer_trains():
    result = run("data", "check", str(TRAIN), "--model", "davinci-002", "--format", "json", "--as-of", "2026-11-28")
    assert result.stderr == (
        "ft-migrate: warning: --model: davinci-002 was shut down on 2026-09-28 (corroborated date, unconfirmed)\n"
        "ft-migrate: warning: --model: new fine-tuning jobs on davinci-002 stopped on 2026-09-28 (corroborated "
        "date, unconfirmed)\n")


def test_models_list_on_a_date():
    result = run("models", "list", "--as-of", "2026-11-28")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "davinci-002: shut down 2026-09-28 (corroborated); replaced by gpt-4.1-mini" in lines
    assert "curie: shut down 2024-01-04; replaced by gpt-4.1-mini" in lines
    assert "gpt-4.1-mini: shuts down 2027-01-14 (third-party); no model after 'gpt-4.1-mini' is named in the " \
           "catalog; choose one with --target or check the live dates with `ft-migrate models sync`" in lines
    early = run("models", "list", "--as-of", "2023-12-01").stdout.splitlines()
    assert "curie: shuts down 2024-01-04; replaced by davinci-002" in early


# -- the shim -------------------------------------------------------------------------


def _shim(day: str) -> Shim:
    return Shim(ShimConfig(upstream="http://up.test", as_of=day), ShimConfig(as_of=day).catalog())


def test_shim_today_answers_a_completion_on_a_dead_model_with_chat():
    """No completion model is left: the call goes to chat completions with the resolver's target."""
    outcome = drive(_shim("2026-11-28"), request("POST", "/v1/completions", {"model": "text-davinci-003",
                                                                            "prompt": "hi"}),
                    lambda up: pytest.fail(f"the shim forwards, it does not call: {up}")).outcome
    assert (outcome.request.method, outcome.request.path) == ("POST", "/v1/chat/completions")
    assert json.loads(outcome.request.body) == {"model": "gpt-4.1-mini",
                                                "messages": [{"role": "user", "content": "hi"}]}
    assert outcome.headers == (("warning", '299 ft-migrate-shim "completions -> chat completions, model '
                                "text-davinci-003 -> gpt-4.1-mini ('text-davinci-003' was shut down and no "
                                "completion-format model is left: the call now uses chat completions "
                                "(messages=[...]) with 'gpt-4.1-mini' (valid until 2027-01-14, a third-party date, "
                                'unconfirmed))"'),)


def test_shim_2026_08_still_sends_the_2023_target_and_says_until_when():
    run_ = drive(_shim("2026-08-01"), request("POST", "/v1/completions", {"model": "text-davinci-003",
                                                                        "prompt": "hi"}),
                 lambda up: reply({}))
    assert run_.outcome.request.body == b'{"model":"gpt-3.5-turbo-instruct","prompt":"hi"}'
    assert run_.outcome.headers == (("warning", '299 ft-migrate-shim "model text-davinci-003 -> '
                                     "gpt-3.5-turbo-instruct (use 'gpt-3.5-turbo-instruct' (valid until "
                                     '2026-09-28, a corroborated date, unconfirmed))"'),)


def test_shim_today_embeddings_still_go_to_their_replacement():
    run_ = drive(_shim("2026-11-28"), request("POST", "/v1/embeddings", {"model": "text-similarity-ada-001",
                                                                        "input": "x"}),
                 lambda up: reply({}))
    assert json.loads(run_.outcome.request.body)["model"] == "text-embedding-ada-002"


def test_shim_today_creates_the_fine_tune_on_a_chat_model_and_says_the_data_must_be_chat():
    job = {"object": "fine_tuning.job", "id": "ftjob-1", "model": "gpt-4.1-mini", "created_at": 1, "status":
           "validating_files", "training_file": "file-a", "validation_file": None, "result_files": [],
           "hyperparameters": {"n_epochs": 4}, "fine_tuned_model": None, "finished_at": None,
           "organization_id": "org", "trained_tokens": None, "error": None}
    sent = []

    def upstream(up):
        sent.append(up)
        if up.method == "POST":
            return reply(job)
        if "/events" in up.path:
            return reply({"object": "list", "data": [], "has_more": False})
        return reply({"id": "file-a", "object": "file", "bytes": 1, "created_at": 1, "filename": "t.jsonl",
                      "purpose": "fine-tune", "status": "processed"})

    run_ = drive(_shim("2026-11-28"), request("POST", "/v1/fine-tunes", {"training_file": "file-a",
                                                                        "model": "curie"}), upstream)
    assert json.loads(sent[0].body)["model"] == "gpt-4.1-mini"
    warning = run_.header("warning")
    assert "fine-tune gpt-4.1-mini (valid until 2027-01-06), which trains on chat-format data" in warning
    assert "model curie -> gpt-4.1-mini" in warning


def test_shim_after_fine_tuning_ends_refuses_a_create_before_sending_it():
    outcome = drive(_shim("2027-02-01"), request("POST", "/v1/fine-tunes", {"training_file": "file-a"}),
                    lambda up: pytest.fail(f"nothing may reach the upstream: {up}")).outcome
    assert outcome.status == 404
    assert "OpenAI takes no new fine-tuning jobs since 2027-01-06" in json.loads(outcome.body)["error"]["message"]


def test_data_check_after_fine_tuning_ends_still_checks_and_says_why_nothing_is_priced():
    result = run("data", "check", str(TRAIN), "--format", "json", "--as-of", "2027-02-01")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["valid"], summary["cost"], summary["tokens"]["total"]) == (12, {"model": None, "usd": None}, 382)
    note = [w for w in summary["warnings"] if w["code"] == "no_fine_tuning"]
    assert note[0]["message"].startswith("no model takes new fine-tuning jobs on 2027-02-01 (OpenAI takes no new "
                                         "fine-tuning jobs since 2027-01-06); options: prompt a current model")
    text = run("data", "check", str(TRAIN), "--as-of", "2027-02-01")
    assert "tokens: 382 (382 billable, longest example 44); no model to price it on" in text.stdout


def test_data_check_text_today_names_models_without_a_price():
    text = run("data", "check", str(TRAIN), "--as-of", "2026-11-28").stdout
    assert "8 epochs on gpt-4.1-mini: no price in the catalog" in text


def test_models_list_leaves_out_models_not_released_on_the_date():
    early = run("models", "list", "--as-of", "2023-12-01", "--all").stdout
    assert "gpt-4.1-mini" not in early and "gpt-3.5-turbo: shuts down 2026-10-23" not in early
    assert "text-embedding-ada-002: no shutdown known" in early.splitlines()
