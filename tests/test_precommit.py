"""The pre-commit hooks, run by pre-commit itself on a throw-away git repository.

``pre-commit try-repo`` clones this checkout (its last commit, plus uncommitted
changes to tracked files), builds the hooks' virtualenv with pip (reaching the
package index once, as a user's first ``pre-commit run`` does; pip's cache makes
later builds quick) and runs the hook as a user's ``.pre-commit-config.yaml``
would.  The hooks' ``files`` pattern is checked against the scanner's own idea of
which files it reads, so the two cannot drift apart.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from migrator.scan.filetypes import kind_of

REPO = Path(__file__).resolve().parents[1]
LEGACY = 'import openai\n\nopenai.FineTune.create(training_file="f", model="curie")\n'
FIXED = 'import openai\n\nopenai.FineTuningJob.create(training_file="f", model="davinci-002")\n'


def hooks() -> dict[str, dict]:
    return {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}


def test_the_hooks_run_fix_and_scan_on_the_files_ft_migrate_reads():
    found = hooks()
    assert {k: (h["entry"], h["language"], h["require_serial"]) for k, h in found.items()} == {
        "ft-migrate-fix": ("ft-migrate fix", "python", True),
        "ft-migrate-scan": ("ft-migrate scan", "python", True),
    }
    pattern = re.compile(found["ft-migrate-fix"]["files"])
    assert found["ft-migrate-scan"]["files"] == found["ft-migrate-fix"]["files"]
    names = ["a.py", "pkg/B.PY", "x.pyi", "w.pyw", "nb.ipynb", "run.sh", "r.bash", "z.zsh", "k.ksh",
             "README.md", "d.markdown", "d.mdx", "docs/i.rst", "ci.yml", "ci.yaml", "c.toml", "p.json",
             "t.ini", "s.cfg", "n.conf", "app.js", "m.mjs", "c.cjs", "x.jsx", "t.ts", "m.mts", "c.cts",
             "x.tsx", "setup.py", "sub/pyproject.toml", "setup.cfg", "Pipfile", "requirements.txt",
             "requirements-dev.txt", "requirements/base.in", "constraints.txt", "dev.requirements.txt",
             "Makefile", "GNUmakefile", "makefile", "rules.mk", "Dockerfile", "Dockerfile.dev",
             "web.dockerfile", ".env", ".env.local", "prod.env",
             # and files it does not read:
             "notes.txt", "data.jsonl", "image.png", "Pipfile.lock", "setup.py.orig", "a.py/README",
             "Makefile.am", "script", "LICENSE", "x.pyc", "dir.md/file"]
    for name in names:
        assert bool(pattern.search(name)) == (kind_of(name) is not None), name


@pytest.fixture
def legacy_repo(tmp_path):
    if shutil.which("git") is None:
        pytest.fail("git is needed to test the pre-commit hooks")
    repo = tmp_path / "project"
    repo.mkdir()
    (repo / "train.py").write_text(LEGACY)
    (repo / "notes.txt").write_text("curie and davinci were GPT-3 models\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("PRE_COMMIT", None)
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "legacy"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True)
    return repo, env


def try_repo(repo: Path, env: dict, hook: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(REPO), hook, "--all-files"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=900)


def test_fix_hook_fails_fixes_then_passes_and_scan_hook_follows(legacy_repo):
    repo, env = legacy_repo
    scan = try_repo(repo, env, "ft-migrate-scan")
    assert scan.returncode == 1, scan.stdout + scan.stderr
    assert "ft-migrate scan" in scan.stdout and "Failed" in scan.stdout
    assert "train.py:3:1 FT010 openai.FineTune.create calls the legacy /v1/fine-tunes endpoint" in scan.stdout

    first = try_repo(repo, env, "ft-migrate-fix")
    assert first.returncode == 1, first.stdout + first.stderr
    assert "- files were modified by this hook" in first.stdout
    assert "ft-migrate fix: 1 file changed, 1 call site migrated, 0 manual items left" in first.stdout
    assert (repo / "train.py").read_text() == FIXED
    assert (repo / "notes.txt").read_text() == "curie and davinci were GPT-3 models\n"  # not a file it reads

    second = try_repo(repo, env, "ft-migrate-fix")
    assert second.returncode == 0, second.stdout + second.stderr
    assert re.search(r"ft-migrate fix\.+Passed", second.stdout)
    assert (repo / "train.py").read_text() == FIXED

    scan = try_repo(repo, env, "ft-migrate-scan")
    assert scan.returncode == 0, scan.stdout + scan.stderr
    assert re.search(r"ft-migrate scan\.+Passed", scan.stdout)
