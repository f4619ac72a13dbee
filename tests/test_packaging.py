"""What `pip install ft-migrate` puts in site-packages: our own names only, and codemods that
LibCST's own tool runs from a user's project."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]


def test_the_package_list_is_every_package_on_disk_and_codemods_install_under_our_name():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = sorted(".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "migrator").rglob("__init__.py")
                     if "__pycache__" not in p.parts)
    assert sorted(config["packages"]) == sorted([*on_disk, "ft_migrate_codemods"])
    assert config["package-dir"] == {"ft_migrate_codemods": "codemods"}
    assert (REPO / "codemods" / "__init__.py").is_file()


def test_no_generic_codemods_module_is_importable_outside_the_checkout(tmp_path):
    probe = ("import importlib.util, ft_migrate_codemods; "
             "print(importlib.util.find_spec('codemods'), len(ft_migrate_codemods.REGISTRY) > 0)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "None True\n"


def test_libcst_tool_runs_a_codemod_in_a_users_own_project(tmp_path):
    """No .libcst.codemod.yaml there: the codemod is named in full, with LibCST's -x."""
    target = tmp_path / "train.py"
    target.write_text('import openai\n\njob = openai.FineTune.create(training_file="file-abc", model="curie", n_epochs=2)\n')
    proc = subprocess.run(
        [sys.executable, "-m", "libcst.tool", "codemod", "-x", "--no-format",
         "ft_migrate_codemods.fine_tune_calls_to_jobs.FineTuneCallsToJobsCommand", "train.py", "--as-of", "2023-12-01"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert target.read_text() == ('import openai\n\njob = openai.FineTuningJob.create(training_file="file-abc", '
                                  'model="davinci-002", hyperparameters={"n_epochs": 2})\n')
