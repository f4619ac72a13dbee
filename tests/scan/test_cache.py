"""The scan cache: a re-run gives the same report without reading unchanged files, and never a stale one."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli import cli
from migrator.findings import ScanError
from migrator.scan import runner
from migrator.scan.cache import CACHE_ENV, ScanCache
from migrator.scan.runner import scan_paths

ROOT = Path(__file__).resolve().parents[2]
LEGACY = 'import openai\n\nopenai.FineTune.create(training_file="f", model="curie")\n'
CLEAN = 'import openai\n\nopenai.FineTuningJob.create(training_file="f", model="babbage-002")\n'


@pytest.fixture
def app(tmp_path, monkeypatch):
    """A copy of fixtures/legacy_app, scanned from inside so paths come out relative."""
    shutil.copytree(ROOT / "fixtures" / "legacy_app", tmp_path / "app")
    monkeypatch.chdir(tmp_path / "app")
    return tmp_path / "app"


def cache_dir() -> Path:
    return Path(os.environ[CACHE_ENV])


def scan_json(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["scan", ".", "--format", "json", "--as-of", "2024-06-01", *args])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def no_reading(monkeypatch):
    """Fail the test if the runner reads a file or parses anything."""
    def refuse(*args, **kwargs):
        raise AssertionError("a file was read although the cache holds it")
    monkeypatch.setattr(runner, "read_sources", lambda paths, **named: iter(refuse() for _ in paths))
    monkeypatch.setattr(runner, "run_pool", lambda func, sources, *rest: [refuse() for _ in sources])


def test_second_run_is_identical_and_reads_nothing(app, monkeypatch):
    first = scan_json()
    assert first[0] == 1 and len(first[1]["findings"]) == 28
    assert list(cache_dir().glob("scan-*.json"))
    no_reading(monkeypatch)
    assert scan_json() == first


def test_counts_come_back_from_the_cache(app):
    cold = scan_paths(["."])
    cache = ScanCache(cache_dir())
    scan_paths(["."], cache=cache)
    warm = scan_paths(["."], cache=ScanCache(cache_dir()))
    assert warm.files_cached == warm.files_scanned + 1  # data/train.jsonl: of no kind we scan, skipped
    assert (warm.findings, warm.errors, warm.files_scanned, warm.files_parsed) == \
        (cold.findings, cold.errors, cold.files_scanned, cold.files_parsed)


def test_an_edit_that_keeps_size_and_mtime_is_seen(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "a.py"
    path.write_text(LEGACY)
    st = path.stat()
    assert scan_json()[1]["summary"]["findings"] == 2
    path.write_text(LEGACY.replace('"curie"', '"ada"').replace('"f"', '"fff"'))  # same length
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # mtime restored, as rsync -t or touch -r do
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    findings = scan_json()[1]["findings"]
    assert [f["legacy"] for f in findings] == ["openai.FineTune.create", "ada"]


def test_fixed_file_is_rescanned(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(LEGACY)
    assert scan_json()[0] == 1
    (tmp_path / "a.py").write_text(CLEAN)
    assert scan_json() == (0, scan_json("--no-cache")[1])


def test_another_catalog_does_not_reuse_results(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(LEGACY)
    extra = tmp_path / "extra.toml"
    extra.write_text('[models.curie]\nreplacement = "babbage-002"\n')
    assert [f["replacement"] for f in scan_json()[1]["findings"]][1] == "davinci-002"
    assert [f["replacement"] for f in scan_json("--catalog", str(extra))[1]["findings"]][1] == "babbage-002"
    assert len(list(cache_dir().glob("scan-*.json"))) == 2


def test_moving_to_another_directory_shows_paths_from_there(tmp_path, monkeypatch):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(LEGACY)
    monkeypatch.chdir(tmp_path / "pkg")
    assert {f["path"] for f in scan_json()[1]["findings"]} == {"a.py"}
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["scan", "pkg", "--format", "json"])
    assert {f["path"] for f in json.loads(result.stdout)["findings"]} == {"pkg/a.py"}


def test_parse_errors_are_cached(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "py2.py").write_text('print "hello"\nopenai.FineTune.create(model="curie")\n')
    first = scan_json()[1]
    assert [e["path"] for e in first["errors"]] == ["py2.py"]
    no_reading(monkeypatch)
    assert scan_json()[1] == first


def test_read_failures_are_tried_again(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(LEGACY)
    real = runner.read_sources
    monkeypatch.setattr(runner, "read_sources",
                        lambda paths, **named: iter([ScanError("a.py", "cannot read: Permission denied")]))
    code, doc = scan_json()
    assert (code, doc["errors"], doc["findings"]) == (1, [{"path": "a.py", "reason": "cannot read: Permission denied"}], [])
    monkeypatch.setattr(runner, "read_sources", real)
    code, doc = scan_json()
    assert (code, doc["errors"], len(doc["findings"])) == (1, [], 2)


def test_no_cache_neither_reads_nor_writes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(LEGACY)
    scan_json("--no-cache")
    assert not list(cache_dir().glob("*"))


def test_corrupt_cache_is_reported_and_replaced(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(LEGACY)
    expected = scan_json("--no-cache")
    scan_json()
    [cached] = cache_dir().glob("scan-*.json")
    cached.write_bytes(b'{"files": [1, 2')
    result = CliRunner().invoke(cli, ["scan", ".", "--format", "json", "--as-of", "2024-06-01"])
    assert json.loads(result.stdout) == expected[1]
    assert f"warning: ignoring the scan cache {cached}" in result.stderr
    assert json.loads(cached.read_bytes())["files"]  # rewritten whole


def test_malformed_entry_is_a_miss(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(LEGACY)
    expected = scan_json("--no-cache")[1]
    scan_json()
    [cached] = cache_dir().glob("scan-*.json")
    doc = json.loads(cached.read_bytes())
    [key] = doc["files"]
    doc["files"][key] = ["a.py", doc["files"][key][1], True]
    cached.write_text(json.dumps(doc))
    result = CliRunner().invoke(cli, ["scan", ".", "--format", "json", "--as-of", "2024-06-01"])
    assert json.loads(result.stdout) == expected
    assert "ignoring a malformed entry for a.py" in result.stderr


def test_unwritable_cache_warns_and_scans(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(LEGACY)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "cache"))
    result = CliRunner().invoke(cli, ["scan", ".", "--format", "json", "--as-of", "2024-06-01"])
    assert result.exit_code == 1
    assert len(json.loads(result.stdout)["findings"]) == 2
    assert f"warning: cannot write the scan cache in {blocker / 'cache'}" in result.stderr
    assert not list(tmp_path.glob("**/.ft-migrate-*"))


def test_report_reuses_the_scan_cache(app, monkeypatch):
    def report() -> str:
        result = CliRunner().invoke(cli, ["report", ".", "--format", "json", "--as-of", "2024-06-01"])
        assert result.exit_code == 1, result.output
        return result.stdout

    first = report()
    no_reading(monkeypatch)
    assert report() == first
    fresh = CliRunner().invoke(cli, ["report", ".", "--format", "json", "--as-of", "2024-06-01", "--no-cache"])
    assert "a file was read" in str(fresh.exception)  # --no-cache does read


def test_the_as_of_date_keys_the_cache_only_where_answers_change(tmp_path, monkeypatch):
    """Findings name the replacement of the day: a date on which a model retired gets its own
    results; two days with the same lifecycle state share them."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(LEGACY)

    def replacement(day):
        result = CliRunner().invoke(cli, ["scan", ".", "--format", "json", "--as-of", day])
        return json.loads(result.stdout)["findings"][1]["replacement"]

    assert replacement("2026-08-01") == "davinci-002"
    assert replacement("2026-11-28") == "gpt-4.1-mini"
    assert replacement("2026-11-27") == "gpt-4.1-mini"
    assert len(list(cache_dir().glob("scan-*.json"))) == 2
