"""The catalog: the built-in facts, user extension files and their error messages."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from migrator.catalog import CatalogError, load_catalog
from migrator.cli import cli


def test_builtin_dates_and_models():
    cat = load_catalog()
    assert cat.shutdown == dt.date(2024, 1, 4)
    assert {k: (v.date.isoformat(), v.confidence) for k, v in cat.dates.items()} == {
        "engines-shutdown": ("2022-12-03", "official"),
        "gpt3-announced": ("2023-07-06", "official"),
        "fine-tunes-announced": ("2023-08-22", "official"),
        "shutdown": ("2024-01-04", "official"),
        "turbo-alias-0125": ("2024-02-16", "third-party"),
        "babbage-002-fine-tuning-closed": ("2025-07-22", "third-party"),
        "completion-era-announced": ("2025-09-26", "corroborated"),
        "legacy-snapshots-announced": ("2026-04-22", "official"),
        "fine-tuning-new-orgs-closed": ("2026-05-07", "official"),
        "fine-tuning-inactive-orgs-closed": ("2026-07-02", "official"),
        "completion-era-shutdown": ("2026-09-28", "corroborated"),
        "turbo-1106-shutdown": ("2026-09-28", "third-party"),
        "legacy-snapshots-shutdown": ("2026-10-23", "official"),
        "text-embedding-3-small-shutdown": ("2026-10-23", "third-party"),
        "fine-tuning-ends": ("2027-01-06", "official"),
        "gpt-4o-family-shutdown": ("2027-01-14", "third-party"),
    }
    assert [(d.date.isoformat(), d.effect) for d in cat.fine_tuning_events()] == [
        ("2026-05-07", "fine-tuning-limited"), ("2026-07-02", "fine-tuning-limited"),
        ("2027-01-06", "fine-tuning-ends")]
    replacements = {m: cat.models[m].replacement for m in ("ada", "babbage", "curie", "davinci",
                                                          "text-davinci-003", "text-curie-001")}
    assert replacements == {"ada": "babbage-002", "babbage": "babbage-002", "curie": "davinci-002",
                            "davinci": "davinci-002", "text-davinci-003": "gpt-3.5-turbo-instruct",
                            "text-curie-001": "gpt-3.5-turbo-instruct"}
    # Every legacy model's replacement is itself a current model of the catalog.
    for model in cat.legacy_models:
        repl = cat.models[model].replacement
        assert repl is None or cat.models[repl].status == "current", model
    assert cat.legacy_model("gpt-3.5-turbo") is None
    # The 2023 replacements carry their own end, with how sure it is.
    for name in ("babbage-002", "davinci-002", "gpt-3.5-turbo-instruct"):
        assert (cat.models[name].shutdown.date, cat.models[name].confidence) == (dt.date(2026, 9, 28), "corroborated")
    assert cat.models["gpt-3.5-turbo"].shutdown.date == dt.date(2026, 10, 23)
    assert cat.models["gpt-3.5-turbo"].confidence == "official"


def test_fine_tuned_name_patterns():
    cat = load_catalog()
    assert cat.fine_tuned_base("curie:ft-acme-2023-03-01-12-00-00") == "curie"
    assert cat.fine_tuned_base("davinci:ft-personal-2022-11-30-10-00-00") == "davinci"
    assert cat.fine_tuned_base("ft:davinci-002:acme::8abc") is None
    assert cat.base_of("ft:davinci-002:acme::8abc") == "davinci-002"
    assert cat.base_of("curie:ft-acme-2023-03-01-12-00-00") == "curie"
    assert cat.new_fine_tuned.match("ft:gpt-3.5-turbo-0613:acme::8abc")


@pytest.mark.parametrize(("method", "path", "expected"), [
    ("POST", "/v1/fine-tunes", "/v1/fine_tuning/jobs"),
    ("GET", "/v1/fine-tunes/ft-abc", "/v1/fine_tuning/jobs/ft-abc"),
    ("POST", "/v1/fine-tunes/ft-abc/cancel", "/v1/fine_tuning/jobs/ft-abc/cancel"),
    ("GET", "/v1/fine-tunes/ft-abc/events", "/v1/fine_tuning/jobs/ft-abc/events"),
    ("POST", "/v1/engines/davinci/completions", "/v1/completions"),
])
def test_endpoint_translation(method, path, expected):
    assert load_catalog().endpoint(path, method).translate(path) == expected


def test_request_fields_and_prices():
    cat = load_catalog()
    assert cat.request_fields["into_hyperparameters"] == ["n_epochs", "batch_size", "learning_rate_multiplier"]
    assert "prompt_loss_weight" in cat.request_fields["dropped"]
    assert cat.request_fields["default_model"] == "curie"
    assert cat.models["davinci-002"].fine_tuned_price.training == 0.006
    assert cat.models["babbage-002"].fine_tuned_price.training == 0.0004
    assert cat.models["gpt-3.5-turbo"].fine_tuned_price.training == 0.008


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_user_file_adds_a_deprecation_and_overrides_a_replacement(tmp_path):
    user = write(tmp_path, "mine.toml", '''
[sources]
MINE = "our own deprecation notes"

[dates.gpt4-0314-shutdown]
date = "2024-06-13"
label = "gpt-4-0314 shut down"
confidence = "official"
source = "MINE"

[models."gpt-4-0314"]
status = "shut-down"
group = "base"
replacement = "gpt-4"
shutdown = "gpt4-0314-shutdown"
source = "MINE"

[models."gpt-4"]
status = "current"
group = "base"
source = "MINE"

[models.curie]
replacement = "babbage-002"
''')
    cat = load_catalog([user])
    assert cat.legacy_model("gpt-4-0314").replacement == "gpt-4"
    assert cat.legacy_model("gpt-4-0314").shutdown.date == dt.date(2024, 6, 13)
    assert cat.models["curie"].replacement == "babbage-002"
    assert cat.models["curie"].group == "base"  # the rest of the built-in entry is kept
    assert load_catalog().models["curie"].replacement == "davinci-002"  # no leak into the default


@pytest.mark.parametrize(("text", "message"), [
    ('[models.curie]\nreplacement = "nonexistent-model"\n',
     "catalog entry models.curie.replacement: replacement 'nonexistent-model' is not a model in the catalog"),
    ('[models.x]\nstatus = "shut-down"\ngroup = "base"\nreplacement = "davinci-002"\nsource = "NOPE"\n',
     "catalog entry models.x.source: unknown source 'NOPE' (add it to [sources])"),
    ("models = [\n", "not valid TOML: Invalid value (at end of document)"),
    ('[dates.x]\ndate = "2026-01-01"\nlabel = "x"\nsource = "DERIVED"\n',
     "catalog entry dates.x.confidence: missing required field"),
    ('[dates.x]\ndate = "2026-01-01"\nlabel = "x"\nconfidence = "rumour"\nsource = "DERIVED"\n',
     "catalog entry dates.x.confidence: expected one of ['corroborated', 'official', 'third-party'], got 'rumour'"),
    ('[models.y]\nstatus = "current"\ngroup = "chat"\nshutdown = "2026-01-01"\nreplacement = ""\nsource = "DERIVED"\n',
     "catalog entry models.y.confidence: a literal shutdown date needs a confidence "
     "(official, corroborated, third-party)"),
])
def test_malformed_user_file_names_the_entry(tmp_path, text, message):
    user = write(tmp_path, "bad.toml", text)
    with pytest.raises(CatalogError) as err:
        load_catalog([user])
    assert str(err.value) == f"{user}: {message}"


def test_scan_reports_a_bad_catalog_and_exits_2(tmp_path):
    user = write(tmp_path, "bad.toml", '[models.curie]\nreplacement = "nonexistent-model"\n')
    result = CliRunner().invoke(cli, ["scan", str(tmp_path), "--catalog", user])
    assert result.exit_code == 2
    assert ("catalog entry models.curie.replacement: replacement 'nonexistent-model' "
            "is not a model in the catalog") in result.output
    assert "Traceback" not in result.output


def test_missing_catalog_file(tmp_path):
    missing = str(tmp_path / "absent.toml")
    with pytest.raises(CatalogError) as err:
        load_catalog([missing])
    assert str(err.value).startswith(f"{missing}: cannot read catalog file: ")


def test_sdk_cli_status_and_completions_answers_are_typed():
    """Typed answers, with the raw ``["key"]`` reading kept for the scanner not yet switched."""
    from migrator.catalog import Cli, Completions, Sdk, SdkGeneration, Statuses

    cat = load_catalog(as_of=dt.date(2023, 12, 1))
    assert isinstance(cat.sdk, Sdk) and isinstance(cat.sdk.v0, SdkGeneration)
    assert (cat.sdk.v0.legacy, cat.sdk.v0.replacement) == ("openai.FineTune", "openai.FineTuningJob")
    assert (cat.sdk.v1.legacy, cat.sdk.v1.replacement) == ("fine_tunes", "fine_tuning.jobs")
    assert cat.sdk.v0.new_method("list_events") == "list_events" and cat.sdk.v0.new_method("stream_events") == ""
    assert cat.sdk.v0.new_method("train") is None
    assert cat.sdk.v0.without_equivalent == {"stream_events", "astream_events", "delete", "adelete"}
    assert cat.sdk.js.without_equivalent == {"deleteFineTune"}
    assert cat.sdk.v1.arguments == {"fine_tune_id": "fine_tuning_job_id", "id": "fine_tuning_job_id"}
    assert isinstance(cat.cli, Cli) and cat.cli.new_command("fine_tunes.create") == "fine_tuning.job.create"
    assert cat.cli.new_command("fine_tunes.follow") == ""
    assert "--n_epochs" in cat.cli.create_flags.kept
    assert isinstance(cat.statuses, Statuses)
    assert (cat.statuses.legacy_only, cat.statuses.new_for_legacy) == (("pending", "created"),
                                                                       ("validating_files", "queued"))
    assert cat.statuses.terminal == ("succeeded", "failed", "cancelled")
    assert isinstance(cat.completions, Completions) and cat.completions.methods == ("create", "acreate")
    assert set(cat.completions.no_equal) == {"echo", "suffix", "best_of", "logprobs"}


def test_no_part_reads_the_raw_tables():
    """Every part reads the typed answers (``catalog.sdk.v0.methods``), not keyed tables."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    raw = re.compile(r"\.(sdk|cli|statuses|completions)\[|\bsdk\[\"v[01]\"\]")
    readers = {path.relative_to(root).as_posix() for folder in ("migrator", "codemods")
               for path in (root / folder).rglob("*.py") if raw.search(path.read_text(encoding="utf-8"))}
    assert readers == set()
