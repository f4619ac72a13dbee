"""The parsed catalog kept in the cache directory between runs (``load_catalog(keep_in=...)``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from migrator import catalog as catalog_module
from migrator.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[1]
EXTRA = '[models.curie]\nreplacement = "babbage-002"\n'


@pytest.fixture
def fresh(monkeypatch):
    """A process that has parsed no catalog yet; call it again to forget once more."""
    def forget():
        monkeypatch.setattr(catalog_module, "_PARSED", {})
        catalog_module._dated.cache_clear()
    forget()
    yield forget
    catalog_module._dated.cache_clear()


def no_parsing(monkeypatch):
    def refuse(texts):
        raise AssertionError("the catalog was parsed although a kept one matches")
    monkeypatch.setattr(catalog_module, "_build", refuse)


def answers(cat) -> dict:
    return {"replacements": {k: m.replacement for k, m in cat.models.items()},
            "dates": {k: d.date.isoformat() for k, d in cat.dates.items()},
            "files": cat.files, "endpoints": [e.legacy for e in cat.endpoints]}


def test_a_kept_catalog_is_read_back_without_parsing(tmp_path, fresh, monkeypatch):
    built = answers(load_catalog())
    fresh()
    first = load_catalog(keep_in=tmp_path / "cache")
    assert [p.name.startswith("catalog-") and p.suffix == ".pickle" for p in (tmp_path / "cache").iterdir()] == [True]
    fresh()
    no_parsing(monkeypatch)
    again = load_catalog(keep_in=tmp_path / "cache")
    assert answers(again) == answers(first) == built
    assert again.base_of("curie:ft-personal-2023-01-01-00-00-00") == "curie"


def test_an_edited_catalog_file_is_parsed_again(tmp_path, fresh):
    extra = tmp_path / "mine.toml"
    extra.write_text(EXTRA)
    assert load_catalog([extra], keep_in=tmp_path / "cache").models["curie"].replacement == "babbage-002"
    extra.write_text(EXTRA.replace("babbage-002", "davinci-002"))  # same size: the bytes key it
    fresh()
    assert load_catalog([extra], keep_in=tmp_path / "cache").models["curie"].replacement == "davinci-002"
    assert len(list((tmp_path / "cache").iterdir())) == 2


def test_a_bad_extra_file_is_still_an_error_naming_it(tmp_path, fresh):
    extra = tmp_path / "mine.toml"
    extra.write_text("[models.curie\n")
    with pytest.raises(catalog_module.CatalogError, match=f"^{extra}: not valid TOML: "):
        load_catalog([extra], keep_in=tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("junk", [b"", b"not a pickle", b"\x80\x05K\x01.", b"\x80\x05cos\nno_such_thing\n."])
def test_a_damaged_kept_catalog_is_rebuilt(tmp_path, fresh, junk):
    load_catalog(keep_in=tmp_path)
    (kept,) = tmp_path.iterdir()
    kept.write_bytes(junk)
    fresh()
    assert answers(load_catalog(keep_in=tmp_path)) == answers(load_catalog())
    assert kept.read_bytes() != junk  # written again


def test_a_directory_that_cannot_be_written_costs_only_the_parse(tmp_path, fresh):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert answers(load_catalog(keep_in=blocker / "cache")) == answers(load_catalog())


def scan(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FT_MIGRATE_CACHE_DIR": str(tmp_path / "cache"), "FT_MIGRATE_AS_OF": "2023-12-01"}
    return subprocess.run([sys.executable, "-m", "migrator", "scan", "app", "--format", "json", *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, check=False)


def test_scan_keeps_the_catalog_and_no_cache_keeps_nothing(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "a.py").write_text('import openai\nopenai.FineTune.create(training_file="f", model="curie")\n')
    uncached = scan(tmp_path, "--no-cache")
    assert uncached.returncode == 1, uncached.stderr
    assert not (tmp_path / "cache").exists()
    runs = [scan(tmp_path) for _ in range(2)]
    assert sorted(p.name.split("-")[0] for p in (tmp_path / "cache").iterdir()) == ["catalog", "scan"]
    assert [json.loads(r.stdout)["findings"] for r in runs] == [json.loads(uncached.stdout)["findings"]] * 2
    assert [r.stderr for r in runs] == ["", ""]
