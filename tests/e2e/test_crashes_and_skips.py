"""Files that used to crash a run or vanish from it: each one is reported, and the run goes on.

The commands run in a subprocess: a native parser crash kills the process it
happens in, which must not be the test's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from migrator.findings import ScanError
from migrator.sources import run_pool
from migrator.walk import MAX_BYTES

LEGACY = "import openai\nopenai.FineTune.list()\n"
DEEP = "import openai\nopenai.FineTune.list()\nx = " + "(" * 1300 + "1" + ")" * 1300 + "\n"


def ft_migrate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "LC_ALL": "C.UTF-8", "FT_MIGRATE_CACHE_DIR": str(cwd / ".cache")}
    env.pop("PYTHONIOENCODING", None)
    return subprocess.run([sys.executable, "-m", "migrator", *args], cwd=cwd, capture_output=True, env=env,
                          timeout=300)


@pytest.fixture
def deep_tree(tmp_path: Path) -> Path:
    (tmp_path / "deep.py").write_text(DEEP)
    for i in range(20):  # enough files for the process pool
        (tmp_path / f"m{i:02}.py").write_text(LEGACY)
    return tmp_path


def test_scan_lists_a_too_deeply_nested_file_and_scans_the_rest(deep_tree: Path) -> None:
    proc = ft_migrate("scan", "-j", "2", "--format", "json", ".", cwd=deep_tree)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["errors"] == [{"path": "deep.py", "reason": "line 3: brackets nested more than 200 deep; "
                                                           "not parsed, only line-level rules applied"}]
    assert sorted({f["path"] for f in doc["findings"]}) == ["deep.py", *(f"m{i:02}.py" for i in range(20))]


def test_fix_in_parallel_leaves_a_too_deeply_nested_file_alone_and_fixes_the_rest(deep_tree: Path) -> None:
    proc = ft_migrate("fix", "-j", "2", ".", cwd=deep_tree)
    assert proc.returncode == 1
    assert proc.stderr.decode().splitlines() == [
        "deep.py: line 3: brackets nested more than 200 deep; left alone",
        "deep.py:2:8 FT010 openai.FineTune.list calls the legacy /v1/fine-tunes endpoint, shut down on 2024-01-04; "
        "use openai.FineTuningJob.list (fix leaves a file it cannot parse as it is: make it parse as Python 3, "
        "then run fix again)",
        "ft-migrate fix: 20 files changed, 20 call sites migrated, 1 manual item left in deep.py, 1 file skipped"]
    assert (deep_tree / "deep.py").read_text() == DEEP
    assert all((deep_tree / f"m{i:02}.py").read_text() == "import openai\nopenai.FineTuningJob.list()\n"
               for i in range(20))


def test_a_deeply_nested_notebook_cell_is_named(tmp_path: Path) -> None:
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": src}
                    for src in (LEGACY, DEEP.split("\n", 2)[2])], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nb.ipynb").write_text(json.dumps(nb))
    proc = ft_migrate("scan", "--format", "json", "nb.ipynb", cwd=tmp_path)
    doc = json.loads(proc.stdout)
    assert doc["errors"] == [{"path": "nb.ipynb", "reason": "cell 2: line 1: brackets nested more than 200 deep; "
                                                            "only line-level rules applied to it"}]
    assert [(f["cell"], f["line"], f["rule"]) for f in doc["findings"]] == [(1, 2, "FT010")]
    proc = ft_migrate("fix", "nb.ipynb", cwd=tmp_path)
    assert proc.stderr.decode().splitlines()[0] == ("nb.ipynb: cell 2: line 1: brackets nested more than 200 deep; "
                                                    "left alone")


@pytest.mark.parametrize("expression,reason,python_refuses", [
    ("not " * 6000 + "1", "expressions nested too deeply for Python to compile", True),
    ("lambda: " * 6000 + "1", "expressions nested too deeply for Python to compile", True),
    ("1 if 1 else " * 6000 + "1", "expressions nested too deeply for Python to compile", True),
    # one flat node to CPython, which scan reads with; LibCST, which fix rewrites with, would crash
    (" and ".join(["a"] * 20000), "line 3: a chain of 20,000 and/or operands, too long to parse", False),
], ids=["not", "lambda", "conditional", "and"])
def test_other_nesting_that_crashes_or_hangs_the_parser_is_listed(tmp_path: Path, expression: str,
                                                                   reason: str, python_refuses: bool) -> None:
    (tmp_path / "deep.py").write_text(f"import openai\nopenai.FineTune.list()\nx = {expression}\n")
    proc = ft_migrate("scan", "--format", "json", "deep.py", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["errors"] == ([{"path": "deep.py", "reason": f"{reason}; not parsed, only line-level rules applied"}]
                             if python_refuses else [])
    assert [(f["line"], f["rule"]) for f in doc["findings"]] == [(2, "FT010")]
    proc = ft_migrate("fix", "deep.py", cwd=tmp_path)
    assert proc.stderr.decode().splitlines()[0] == f"deep.py: {reason}; left alone"


def _die_on_b(source: tuple, arg: object) -> str:
    if source[1] == "b.py":
        os.kill(os.getpid(), signal.SIGKILL)  # as a segfault would: no exception, the process is gone
    return source[1]


def test_a_worker_that_dies_loses_only_its_own_file() -> None:
    sources = [(f"{n}.py", f"{n}.py", "python", b"") for n in ["a", "b", *(f"c{i}" for i in range(20))]]
    out = run_pool(_die_on_b, sources, None, 2, lambda s: ScanError(s[1], "crashed"))
    assert out == ["a.py", ScanError("b.py", "crashed"), *(f"c{i}.py" for i in range(20))]
    lost = sum(isinstance(o, ScanError) for o in out)
    print(f"worker killed: {lost} of {len(sources)} files lost, {len(sources) - lost} results kept")


@pytest.mark.parametrize("command", ["scan", "fix"])
def test_a_file_over_the_size_limit_is_reported_not_skipped_silently(tmp_path: Path, command: str) -> None:
    big = LEGACY + "# padding\n" * (MAX_BYTES // 10)
    (tmp_path / "big.py").write_text(big)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "also_big.py").write_text(big)
    (tmp_path / "src" / "small.py").write_text(LEGACY)
    size = f"{len(big):,}"
    reason = f"{size} bytes, over the 5 MB limit for source files; skipped"
    if command == "scan":
        proc = ft_migrate("scan", "--format", "json", "big.py", "src", cwd=tmp_path)
        doc = json.loads(proc.stdout)
        assert doc["errors"] == [{"path": "big.py", "reason": reason}, {"path": "src/also_big.py", "reason": reason}]
        assert [f["path"] for f in doc["findings"]] == ["src/small.py"]
    else:
        proc = ft_migrate("fix", "big.py", "src", cwd=tmp_path)
        assert proc.stderr.decode().splitlines() == [
            f"big.py: {reason}", f"src/also_big.py: {reason}",
            "ft-migrate fix: 1 file changed, 1 call site migrated, 0 manual items left, 2 files skipped"]
        assert proc.returncode == 1
        assert (tmp_path / "big.py").read_text() == big


@pytest.fixture
def latin1_name(tmp_path: Path) -> Path:
    name = os.fsdecode(b"caf\xe9.py")
    (tmp_path / name).write_text(LEGACY)
    return tmp_path


def test_a_file_name_that_is_not_utf8_through_json(latin1_name: Path) -> None:
    proc = ft_migrate("scan", "--format", "json", ".", cwd=latin1_name)
    assert proc.returncode == 1, proc.stderr
    assert b'"path": "caf\\udce9.py"' in proc.stdout
    doc = json.loads(proc.stdout.decode("utf-8"))  # strict: valid UTF-8
    assert [os.fsencode(f["path"]) for f in doc["findings"]] == [b"caf\xe9.py"]


def test_a_file_name_that_is_not_utf8_through_sarif(latin1_name: Path) -> None:
    proc = ft_migrate("scan", "--format", "sarif", "-o", "out.sarif", ".", cwd=latin1_name)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads((latin1_name / "out.sarif").read_bytes().decode("utf-8"))
    [result] = doc["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "caf%E9.py"


def test_a_file_name_that_is_not_utf8_through_o(latin1_name: Path) -> None:
    proc = ft_migrate("scan", "-o", "out.txt", ".", cwd=latin1_name)
    assert proc.returncode == 1, proc.stderr
    assert (latin1_name / "out.txt").read_bytes().decode("utf-8").splitlines() == [
        "caf\\xe9.py:2:1 FT010 openai.FineTune.list calls the legacy /v1/fine-tunes endpoint, shut down on "
        "2024-01-04; use openai.FineTuningJob.list [fixable]"]
    proc = ft_migrate("scan", "--format", "json", "-o", "out.json", ".", cwd=latin1_name)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads((latin1_name / "out.json").read_bytes().decode("utf-8"))
    assert [os.fsencode(f["path"]) for f in doc["findings"]] == [b"caf\xe9.py"]


def test_a_file_name_that_is_not_utf8_through_fix(latin1_name: Path) -> None:
    env_utf8 = {"PYTHONIOENCODING": "utf-8"}  # strict, as in any UTF-8 locale
    proc = subprocess.run([sys.executable, "-m", "migrator", "fix", "--diff", "."], cwd=latin1_name,
                          capture_output=True, env={**os.environ, **env_utf8}, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.decode("utf-8").splitlines()[:2] == ['--- "a/caf\\351.py"', '+++ "b/caf\\351.py"']
    proc = subprocess.run([sys.executable, "-m", "migrator", "fix", "-v", "."], cwd=latin1_name,
                          capture_output=True, env={**os.environ, **env_utf8}, timeout=300)
    assert proc.stderr.decode("utf-8").splitlines() == [
        "Catalog files: catalog.toml; answers as of 2023-12-01",
        "Rewriting caf\\xe9.py", "ft-migrate fix: 1 file changed, 1 call site migrated, 0 manual items left"]
    assert (latin1_name / os.fsdecode(b"caf\xe9.py")).read_text() == "import openai\nopenai.FineTuningJob.list()\n"


@pytest.mark.parametrize("fmt", ["json", "markdown", "html"])
def test_a_file_name_that_is_not_utf8_through_report(latin1_name: Path, fmt: str) -> None:
    proc = ft_migrate("report", "--format", fmt, "-o", f"report.{fmt}", ".", cwd=latin1_name)
    assert proc.returncode == 1, proc.stderr
    text = (latin1_name / f"report.{fmt}").read_bytes().decode("utf-8")
    assert ("caf\\udce9.py" if fmt == "json" else "caf\\xe9.py") in text


def test_a_config_file_nested_too_deeply_is_listed_not_an_internal_error(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from migrator.scan.runner import scan_paths

    monkeypatch.chdir(tmp_path)
    Path("settings.yaml").write_text("model: curie\nx: " + "[" * 100_000 + "]" * 100_000 + "\n")
    Path("other.yaml").write_text("model: curie\n")
    result = scan_paths(["."], jobs=1)
    assert result.errors == [ScanError("settings.yaml", "nested too deeply to read; file skipped")]
    assert [(f.path, f.legacy) for f in result.findings] == [("other.yaml", "curie")]


def test_a_named_file_of_no_known_kind_is_said_to_be_skipped(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("openai api fine_tunes.list\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.txt").write_text("openai api fine_tunes.list\n")  # found, not named: passed over
    reason = "not a kind of file ft-migrate reads (by its name or a #! line); skipped"
    for _ in range(2):  # the second time with the cache of the first
        doc = json.loads(ft_migrate("scan", "--format", "json", "notes.txt", "docs", cwd=tmp_path).stdout)
        assert doc["errors"] == [{"path": "notes.txt", "reason": reason}]
    proc = ft_migrate("fix", "notes.txt", "docs", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.decode().splitlines()[0] == f"notes.txt: {reason}"
