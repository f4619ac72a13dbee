"""A scan-only install: no web server, no tokenizer; commands that need one name the extra."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LEGACY = 'import openai\nopenai.FineTune.create(training_file="f", model="curie")\n'

# Runs ft-migrate with the extras' modules made unimportable, as in an install without them.
RUNNER = textwrap.dedent("""
    import sys
    for name in ("tiktoken", "tiktoken_ext", "uvicorn", "sniffio", "aiohttp", "prometheus_client", "starlette"):
        sys.modules[name] = None  # importing it now raises ImportError
    from migrator.cli import main
    main(sys.argv[1:])
""")


def ft_migrate(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", RUNNER, *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO),
                                            "FT_MIGRATE_AS_OF": "2023-12-01", "FT_MIGRATE_CACHE_DIR": str(tmp_path / "c"),
                                            "FT_MIGRATE_CONFIG_DIR": str(tmp_path / "cfg")})


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(LEGACY)
    (tmp_path / "train.jsonl").write_text('{"prompt": "a ->", "completion": " b"}\n')
    return tmp_path


def test_scan_fix_and_models_run_without_the_extras(project: Path) -> None:
    scan = ft_migrate(project, "scan", ".")
    assert (scan.returncode, scan.stderr.splitlines()[-1]) == (
        1, "2 findings in 1 file (2 fixable, 0 manual), will break on 2024-01-04 (in 34 days).")
    fix = ft_migrate(project, "fix", "--diff", ".")
    assert fix.returncode == 1 and "+openai.FineTuningJob.create(" in fix.stdout, fix.stderr
    assert ft_migrate(project, "models", "list").returncode == 0


def test_report_goes_on_and_names_the_training_file_it_could_not_price(project: Path) -> None:
    result = ft_migrate(project, "report", ".", "--format", "json")
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["errors"] == [{
        "path": "train.jsonl",
        "reason": "training file not priced: pricing a training file needs the 'data' extra (tiktoken not "
                  "installed): pip install 'ft-migrate[data]'"}]


@pytest.mark.parametrize("args, extra, modules", [
    (["data", "check", "train.jsonl"], "data", "tiktoken"),
    (["data", "--help"], "data", "tiktoken"),
    (["shim", "serve"], "shim", "uvicorn, sniffio, aiohttp, prometheus_client"),
])
def test_a_command_that_needs_an_extra_names_it(project: Path, args, extra, modules) -> None:
    result = ft_migrate(project, *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (f"Error: ft-migrate {args[0]} needs the '{extra}' extra ({modules} not installed): "
                             f"pip install 'ft-migrate[{extra}]'\n")


def test_the_shim_converting_uploads_needs_the_data_extra(project: Path, monkeypatch) -> None:
    """With the server installed but not the tokenizer, --convert-uploads is refused before serving."""
    from click.testing import CliRunner

    from migrator import extras
    from migrator.cli import cli

    monkeypatch.setitem(sys.modules, "tiktoken", None)
    monkeypatch.chdir(project)
    assert extras.missing("data") == ["tiktoken"]
    result = CliRunner().invoke(cli, ["shim", "serve", "--convert-uploads", "chat"])
    assert result.exit_code == 2
    assert ("--convert-uploads needs the 'data' extra (tiktoken not installed): pip install 'ft-migrate[data]'"
            in result.stderr)
