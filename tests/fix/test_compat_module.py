"""``fix --compat-module``: the event-following helper imported from a module written beside the code."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ft_migrate_codemods.event_streams_to_polling import compat_source
from migrator.catalog import load_catalog
from migrator.fix.cli import fix

LEGACY = ('import openai\n\n\ndef follow(job_id):\n'
          '    for event in openai.FineTune.stream_events(job_id):\n        print(event["message"])\n')
MIGRATED = ('import openai\n{import_line}\n\n\ndef follow(job_id):\n'
            '    for event in _ft_migrate_follow_events(openai.FineTuningJob, job_id):\n'
            '        print(event["message"])\n')


def run(*args: str):
    return CliRunner().invoke(fix, ["--as-of", "2023-12-01", *args], catch_exceptions=False)


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "watch.py").write_text(LEGACY)
    (tmp_path / "script.py").write_text(LEGACY)
    return tmp_path


def test_the_helper_module_is_written_once_per_directory_and_imported(tree: Path) -> None:
    result = run("--compat-module", ".")
    assert result.exit_code == 1, result.stderr
    assert result.stderr.splitlines()[-1] == ("ft-migrate fix: 4 files changed, 2 call sites migrated, "
                                              "0 manual items left")
    line = "from {}ft_migrate_compat import follow_events as _ft_migrate_follow_events"
    assert (tree / "script.py").read_text() == MIGRATED.format(import_line=line.format(""))
    assert (tree / "pkg" / "watch.py").read_text() == MIGRATED.format(import_line=line.format("."))
    helper = compat_source(load_catalog()).encode()
    assert (tree / "ft_migrate_compat.py").read_bytes() == helper
    assert (tree / "pkg" / "ft_migrate_compat.py").read_bytes() == helper
    compile(helper, "ft_migrate_compat.py", "exec")
    again = run("--compat-module", "--check", ".")
    assert again.exit_code == 0, again.stderr


def test_diff_and_check_show_the_new_module_as_new(tree: Path) -> None:
    (tree / "pkg" / "watch.py").unlink()
    diff = run("--compat-module", "--diff", ".")
    assert diff.exit_code == 1
    assert "--- /dev/null\n+++ b/ft_migrate_compat.py\n@@ -0,0 +1," in diff.stdout
    check = run("--compat-module", "--check", ".")
    assert check.stderr.splitlines()[:2] == ["Would write ft_migrate_compat.py", "Would rewrite script.py"]
    assert not (tree / "ft_migrate_compat.py").exists()


def test_a_deleted_helper_module_is_written_again(tree: Path) -> None:
    assert run("--compat-module", ".").exit_code == 1
    (tree / "ft_migrate_compat.py").unlink()
    check = run("--compat-module", "--check", ".")
    assert check.exit_code == 1
    assert check.stderr.splitlines()[0] == "Would write ft_migrate_compat.py"


def test_a_module_of_that_name_with_other_contents_is_left_alone(tree: Path) -> None:
    (tree / "ft_migrate_compat.py").write_text("# mine\n")
    result = run("--compat-module", "script.py")
    assert result.exit_code == 1
    assert (tree / "ft_migrate_compat.py").read_text() == "# mine\n"
    assert ("ft_migrate_compat.py: exists and is not the module ft-migrate writes; left alone "
            "(script.py imports follow_events from it)") in result.stderr.splitlines()


def test_without_the_option_the_helper_is_written_into_the_module(tree: Path) -> None:
    assert run("script.py").exit_code == 1
    text = (tree / "script.py").read_text()
    assert text.count("def _ft_migrate_follow_events(jobs, job_id, poll_seconds=5):") == 1
    assert not (tree / "ft_migrate_compat.py").exists()
