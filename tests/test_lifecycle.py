"""The lifecycle resolver: what replaces a model, on which date, for which purpose."""

from __future__ import annotations

import datetime as dt

import pytest

from migrator.catalog import load_catalog
from migrator.lifecycle import PURPOSES, fine_tunable_models, lifecycle_state, resolve, target_warnings

D = dt.date.fromisoformat
# 20 dates from 2023-01-01 to 2027-12-31, with every catalog date and its eve among them
# where they matter most (the shutdowns and the end of fine-tuning).
DATES = [D(d) for d in (
    "2023-01-01", "2023-07-05", "2023-08-22", "2023-12-01", "2024-01-03", "2024-01-04", "2024-06-01",
    "2025-04-14", "2025-07-22", "2025-09-26", "2026-05-07", "2026-08-01", "2026-09-27", "2026-09-28",
    "2026-10-23", "2026-11-28", "2027-01-05", "2027-01-06", "2027-01-14", "2027-12-31")]


def _names(catalog):
    return [*catalog.models, "curie:ft-acme-2023-03-01-12-00-00", "ft:davinci-002:acme::8abc123",
            "ft:gpt-4.1-mini-2025-04-14:acme::xyz", "no-such-model"]


def test_twenty_dates_every_model_every_purpose_never_dead_never_loops_always_a_reason():
    checked = 0
    for day in DATES:
        catalog = load_catalog(as_of=day)
        for name in _names(catalog):
            for purpose in PURPOSES:
                res = resolve(catalog, name, purpose)
                checked += 1
                assert len(res.chain) == len(set(res.chain)), (day, name, purpose, res.chain)
                if res.target is None:
                    assert res.reason, (day, name, purpose)
                    continue
                target = catalog.models.get(res.target)
                assert target is not None
                assert target.alive_on(day), (day, name, purpose, res.target)
                if purpose.startswith("fine-tuning") and not res.same_model:
                    assert target.fine_tunable, (day, name, purpose, res.target)
                    ends = [d.date for d in (target.fine_tuning_until, *catalog.fine_tuning_events())
                            if d is not None and (d is target.fine_tuning_until or d.effect == "fine-tuning-ends")]
                    assert all(end > day for end in ends), (day, name, purpose, res.target)
                if res.valid_until is not None:
                    assert res.valid_until.date > day
    print(f"resolver: {checked} resolutions over {len(DATES)} dates")
    assert checked == len(DATES) * len(_names(load_catalog())) * len(PURPOSES)


def test_a_loop_in_a_users_catalog_is_a_result(tmp_path):
    loop = tmp_path / "loop.toml"
    loop.write_text('[models.babbage-002]\nreplacement = "davinci-002"\n'
                    '[models.davinci-002]\nreplacement = "babbage-002"\n')
    catalog = load_catalog([loop], as_of=D("2026-11-28"))
    res = resolve(catalog, "curie", "inference")
    assert res.target is None
    assert res.chain == ("curie", "davinci-002", "babbage-002")
    assert res.reason == "the catalog's replacements loop back to 'davinci-002'"


@pytest.mark.parametrize(("day", "name", "purpose", "target", "chain", "until", "change", "confidence"), [
    # The 2023 answers, exactly.
    ("2023-12-01", "curie", "inference", "davinci-002", ("curie", "davinci-002"), None, None, "official"),
    ("2023-12-01", "ada", "fine-tuning", "babbage-002", ("ada", "babbage-002"), None, None, "official"),
    ("2023-12-01", "text-davinci-003", "inference", "gpt-3.5-turbo-instruct",
     ("text-davinci-003", "gpt-3.5-turbo-instruct"), None, None, "official"),
    ("2023-12-01", "curie:ft-acme-2023-03-01-12-00-00", "fine-tuning", "davinci-002",
     ("curie:ft-acme-2023-03-01-12-00-00", "curie", "davinci-002"), None, None, "official"),
    ("2023-12-01", "text-similarity-ada-001", "embeddings", "text-embedding-ada-002",
     ("text-similarity-ada-001", "text-embedding-ada-002"), None, None, "official"),
    # davinci-002 still alive, its end known and not official.
    ("2026-08-01", "curie", "fine-tuning", "davinci-002", ("curie", "davinci-002"), "2026-09-28", None,
     "corroborated"),
    # babbage-002 took no new jobs after 2025-07 (one source): fine-tuning goes to chat.
    ("2026-08-01", "babbage", "fine-tuning", "gpt-4.1-mini", ("babbage", "babbage-002", "gpt-4.1-mini"),
     "2027-01-06", ("completion", "chat"), "third-party"),
    # Today: no completion model left; fine-tuning on chat until 2027-01-06.
    ("2026-11-28", "curie", "inference", "gpt-4.1-mini", ("curie", "davinci-002", "gpt-4.1-mini"), "2027-01-14",
     ("completion", "chat"), "third-party"),
    ("2026-11-28", "curie", "fine-tuning", "gpt-4.1-mini", ("curie", "davinci-002", "gpt-4.1-mini"), "2027-01-06",
     ("completion", "chat"), "corroborated"),
    ("2026-11-28", "curie", "fine-tuning:completion", None, ("curie", "davinci-002", "gpt-4.1-mini"), None, None,
     "corroborated"),
    ("2026-11-28", "gpt-3.5-turbo", "inference", "gpt-4.1-mini", ("gpt-3.5-turbo", "gpt-4.1-mini"), "2027-01-14",
     None, "third-party"),
    ("2026-11-28", "ft:davinci-002:acme::8abc123", "fine-tuning", "gpt-4.1-mini",
     ("ft:davinci-002:acme::8abc123", "davinci-002", "gpt-4.1-mini"), "2027-01-06", ("completion", "chat"),
     "corroborated"),
    # After the end of self-serve fine-tuning.
    ("2027-02-01", "curie", "fine-tuning", None, ("curie", "davinci-002", "gpt-4.1-mini"), None, None, "third-party"),
])
def test_answers_by_date(day, name, purpose, target, chain, until, change, confidence):
    res = resolve(load_catalog(as_of=D(day)), name, purpose)
    assert (res.target, res.chain, res.valid_until and res.valid_until.date.isoformat(), res.format_change,
            res.confidence) == (target, chain, until, change, confidence)


def test_no_target_says_why_and_lists_what_is_left():
    catalog = load_catalog(as_of=D("2027-02-01"))
    res = resolve(catalog, "curie:ft-acme-2023-03-01-12-00-00", "fine-tuning")
    assert res.target is None
    assert res.reason == "OpenAI takes no new fine-tuning jobs since 2027-01-06"
    assert res.advice == catalog.lifecycle["after_fine_tuning"]
    edit = resolve(load_catalog(as_of=D("2026-11-28")), "text-davinci-edit-001", "inference")
    assert (edit.target, edit.alternatives) == (None, ("gpt-4.1", "gpt-4o"))
    assert edit.reason.startswith("no model after 'gpt-4' is named in the catalog")


def test_the_wind_down_restrictions_in_force_come_with_a_fine_tuning_answer():
    res = resolve(load_catalog(as_of=D("2026-08-01")), "curie", "fine-tuning")
    assert [c.date.isoformat() for c in res.caveats] == ["2026-05-07", "2026-07-02"]
    assert resolve(load_catalog(as_of=D("2026-08-01")), "curie", "inference").caveats == ()


def test_an_explicit_target_wins_where_it_fits():
    catalog = load_catalog(as_of=D("2026-11-28"), target="gpt-4o-mini")
    res = resolve(catalog, "curie", "fine-tuning")
    assert (res.target, res.explicit, res.format_change) == ("gpt-4o-mini", True, ("completion", "chat"))
    assert res.valid_until.date == D("2027-01-06")
    # An embedding model is never replaced by a chat model.
    assert resolve(catalog, "text-similarity-ada-001", "embeddings").target == "text-embedding-ada-002"
    # A model of the user's own, unknown to the catalog, is taken on their word.
    mine = load_catalog(as_of=D("2026-11-28"), target="acme-llama-ft")
    assert resolve(mine, "curie", "inference").target == "acme-llama-ft"


def test_target_warnings_within_the_window_and_after():
    catalog = load_catalog(as_of=D("2026-08-01"))
    assert target_warnings(catalog, "davinci-002") == [
        "davinci-002 will be shut down on 2026-09-28 (in 58 days) (corroborated date, unconfirmed)"]
    assert target_warnings(catalog, "gpt-4.1-mini") == []
    today = load_catalog(as_of=D("2026-11-28"))
    assert target_warnings(today, "davinci-002") == [
        "davinci-002 was shut down on 2026-09-28 (corroborated date, unconfirmed)"]
    assert target_warnings(today, "gpt-4.1-mini", "fine-tuning") == [
        "gpt-4.1-mini will be shut down on 2027-01-14 (in 47 days) (third-party date, unconfirmed)",
        "new fine-tuning jobs on gpt-4.1-mini stop on 2027-01-06 (in 39 days)"]
    # A fine-tuned model dies with its base.
    assert target_warnings(today, "ft:davinci-002:acme::8abc123") == [
        "ft:davinci-002:acme::8abc123 was shut down on 2026-09-28 (corroborated date, unconfirmed)"]


def test_resolving_is_cached_per_model_date_and_purpose():
    catalog = load_catalog(as_of=D("2026-11-28"))
    assert resolve(catalog, "curie", "inference") is resolve(catalog, "curie", "inference")
    assert resolve(catalog, "curie", "inference") is not resolve(load_catalog(as_of=D("2026-11-27")), "curie",
                                                                 "inference")


def test_cache_state_changes_only_when_a_date_passes_or_is_announced():
    assert lifecycle_state(load_catalog(as_of=D("2026-11-27"))) == lifecycle_state(load_catalog(as_of=D("2026-11-28")))
    assert lifecycle_state(load_catalog(as_of=D("2026-09-27"))) != lifecycle_state(load_catalog(as_of=D("2026-09-28")))
    assert lifecycle_state(load_catalog(as_of=D("2026-11-28"))) != lifecycle_state(
        load_catalog(as_of=D("2026-11-28"), target="gpt-4o"))


def test_candidates_to_fine_tune_by_date():
    def ids(day):
        return [m.id for m in fine_tunable_models(load_catalog(as_of=D(day)))]
    assert ids("2023-12-01") == ["babbage-002", "davinci-002", "gpt-3.5-turbo"]
    assert ids("2026-11-28") == ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini"]
    assert ids("2027-01-06") == []


def test_unknown_purpose_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown purpose 'training'"):
        resolve(load_catalog(), "curie", "training")
