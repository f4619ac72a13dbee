"""``ft-migrate fix`` end to end on small trees: exact diffs, writes, exit codes, summaries."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ft_migrate_codemods import REGISTRY
from migrator.fix.cli import fix
from tests.test_codemod_fixtures import as_of

REPO = Path(__file__).resolve().parents[2]

LEGACY = (
    "import openai\n"
    "\n"
    "job = openai.FineTune.create(training_file=\"file-abc\", n_epochs=2)\n"
    "print(job[\"hyperparams\"])\n"
)
MIGRATED = (
    "import openai\n"
    "\n"
    "job = openai.FineTuningJob.create(training_file=\"file-abc\", model=\"davinci-002\", "
    "hyperparameters={\"n_epochs\": 2})\n"
    "print(job[\"hyperparameters\"])\n"
)


def run(*args: str):
    return CliRunner().invoke(fix, list(args), catch_exceptions=False)


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "train.py").write_text(LEGACY)
    (tmp_path / "app" / "other.py").write_text("print('nothing to see')\n")
    (tmp_path / "requirements.txt").write_text("openai==0.27.8  # old\nrequests\n")
    return tmp_path


def test_diff_prints_a_plain_patch_and_writes_nothing(tree: Path) -> None:
    result = run("--diff", ".")
    assert result.exit_code == 1
    assert result.stdout == (
        "--- a/app/train.py\n"
        "+++ b/app/train.py\n"
        "@@ -1,4 +1,4 @@\n"
        " import openai\n"
        " \n"
        "-job = openai.FineTune.create(training_file=\"file-abc\", n_epochs=2)\n"
        "-print(job[\"hyperparams\"])\n"
        "+job = openai.FineTuningJob.create(training_file=\"file-abc\", model=\"davinci-002\", "
        "hyperparameters={\"n_epochs\": 2})\n"
        "+print(job[\"hyperparameters\"])\n"
        "--- a/requirements.txt\n"
        "+++ b/requirements.txt\n"
        "@@ -1,2 +1,2 @@\n"
        "-openai==0.27.8  # old\n"
        "+openai>=0.28.1,<1  # old\n"
        " requests\n"
    )
    assert result.stderr == ("ft-migrate fix: 2 files would be changed, 3 call sites migrated (would be), "
                             "0 manual items left\n")
    assert (tree / "app" / "train.py").read_text() == LEGACY


def test_check_exits_1_without_writing_then_0_when_clean(tree: Path) -> None:
    result = run("--check", "app")
    assert result.exit_code == 1
    assert "Would rewrite app/train.py\n" in result.stderr
    assert (tree / "app" / "train.py").read_text() == LEGACY
    (tree / "app" / "train.py").write_text(MIGRATED)
    result = run("--check", "app")
    assert result.exit_code == 0
    assert result.stderr == "ft-migrate fix: No files would be modified, 0 call sites migrated, 0 manual items left\n"


def test_apply_rewrites_atomically_keeps_mode_and_is_idempotent(tree: Path) -> None:
    target = tree / "app" / "train.py"
    os.chmod(target, 0o751)
    other = tree / "app" / "other.py"
    before = other.stat().st_mtime_ns
    result = run(".")
    assert result.exit_code == 1
    assert target.read_text() == MIGRATED
    assert stat.S_IMODE(target.stat().st_mode) == 0o751
    assert (tree / "requirements.txt").read_text() == "openai>=0.28.1,<1  # old\nrequests\n"
    assert other.stat().st_mtime_ns == before
    assert not [p for p in tree.rglob(".ft-migrate-*")]
    again = run(".")
    assert again.exit_code == 0
    assert again.stderr == "ft-migrate fix: No files were modified, 0 call sites migrated, 0 manual items left\n"
    assert run("--exit-zero-even-if-changed", ".").exit_code == 0


def test_crlf_bom_and_coding_cookie_survive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    src = "\ufeffimport openai\r\nopenai.FineTune.retrieve('ft-1')\r\n".encode("utf-8")
    Path("bom.py").write_bytes(src)
    latin = b"# -*- coding: latin-1 -*-\nimport openai\nopenai.FineTune.list()  # caf\xe9\n"
    Path("latin.py").write_bytes(latin)
    assert run(".").exit_code == 1
    assert Path("bom.py").read_bytes() == "\ufeffimport openai\r\nopenai.FineTuningJob.retrieve('ft-1')\r\n".encode()
    assert Path("latin.py").read_bytes() == latin.replace(b"FineTune.", b"FineTuningJob.")


def test_syntax_error_is_reported_and_the_run_goes_on(tree: Path) -> None:
    (tree / "app" / "broken.py").write_text("import openai\nopenai.FineTune.list(\n")
    result = run(".")
    assert result.exit_code == 1
    assert "app/broken.py: line 2: does not parse as Python 3" in result.stderr
    assert (tree / "app" / "broken.py").read_text() == "import openai\nopenai.FineTune.list(\n"
    assert (tree / "app" / "train.py").read_text() == MIGRATED
    assert result.stderr.endswith("1 file skipped\n")


def test_manual_items_are_listed_with_their_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("follow.py").write_text("import openai\n\nopenai.FineTune.delete('ft-1')\n")
    result = run("follow.py")
    assert result.exit_code == 1
    assert result.stderr == (
        "follow.py:4:1 FT010 openai.FineTune.delete calls the legacy /v1/fine-tunes endpoint, shut down "
        "on 2024-01-04; it has no equivalent\n"
        "ft-migrate fix: 1 file changed, 0 call sites migrated, 1 manual item left in follow.py, "
        "1 TODO comment in the code\n")
    assert Path("follow.py").read_text().splitlines()[2] == (
        "# TODO(ft-migrate FT010): FineTune.delete has no equivalent: there is no job deletion; "
        "delete the fine-tuned model with openai.Model.delete(model_id)")


def test_model_map_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    old = "curie:ft-acme-2023-03-01-12-00-00"
    Path("use.py").write_text(f'import openai\nopenai.Completion.create(model="{old}", prompt="x")\n')
    Path("map.txt").write_text(f"# re-trained models\n{old} = ft:davinci-002:acme::abc123\n")
    assert run("--model-map-file", "map.txt", "use.py").exit_code == 1
    assert Path("use.py").read_text() == ('import openai\nopenai.Completion.create('
                                          'model="ft:davinci-002:acme::abc123", prompt="x")\n')
    bad = run("--model-map", "no-equals-sign", "use.py")
    assert bad.exit_code == 2
    assert "--model-map: expected OLD=NEW, got 'no-equals-sign'" in bad.stderr
    assert run("--diff", "--check", ".").exit_code == 2
    assert run("--only", "FX999", ".").exit_code == 2


def test_missing_path_is_a_usage_error_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("use.py").write_text(LEGACY)
    result = run("use.py", "nowhere")
    assert result.exit_code == 2
    assert result.stderr == "Error: nowhere: no such file or directory\n"
    assert Path("use.py").read_text() == LEGACY  # nothing written before the usage error
    not_a_dir = run("use.py/")
    assert (not_a_dir.exit_code, not_a_dir.stderr) == (2, "Error: use.py/: not a directory\n")
    stdin = run("-")
    assert stdin.exit_code == 2
    assert stdin.stderr == ("Error: reading from standard input ('-') is not supported; name files or "
                            "directories (a file named '-' can be given as ./-)\n")


def test_unreadable_directory_is_reported_and_the_rest_fixed(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "a.py").write_text("import openai\nopenai.FineTune.list()\n")
    (tmp_path / "b.py").write_text("import openai\nopenai.FineTune.list()\n")
    real_scandir = os.scandir

    def scandir(path):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = run(".")
    assert result.exit_code == 1
    assert result.stderr.startswith("locked: cannot list directory: Permission denied\n")
    assert (tmp_path / "b.py").read_text() == "import openai\nopenai.FineTuningJob.list()\n"
    assert (tmp_path / "locked" / "a.py").read_text() == "import openai\nopenai.FineTune.list()\n"


def test_notebook_cells_rewritten_outputs_and_metadata_untouched(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    nb = {"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["openai api fine_tunes.list in prose\n"]},
        {"cell_type": "code", "execution_count": 3, "metadata": {"tags": ["x"]},
         "outputs": [{"output_type": "stream", "name": "stdout", "text": ["FineTune é\n"]}],
         "source": ["%pip install openai==0.27.8\n", "import openai\n",
                    "!openai api fine_tunes.list\n", "openai.FineTune.list()"]},
    ], "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}
    Path("nb.ipynb").write_text(json.dumps(nb))
    assert run("nb.ipynb").exit_code == 1
    out = json.loads(Path("nb.ipynb").read_text())
    assert out["cells"][0] == nb["cells"][0]
    assert out["cells"][1]["outputs"] == nb["cells"][1]["outputs"]
    assert out["cells"][1]["metadata"] == {"tags": ["x"]}
    assert out["cells"][1]["source"] == ['%pip install "openai>=0.28.1,<1"\n', "import openai\n",
                                         "!openai api fine_tuning.job.list\n", "openai.FineTuningJob.list()"]
    assert Path("nb.ipynb").read_text() == json.dumps(out, indent=1, ensure_ascii=False) + "\n"
    assert run("nb.ipynb").exit_code == 0


def test_pins_are_left_alone_without_v0_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("requirements.txt").write_text("openai==0.27.8\n")
    Path("x.py").write_text('import openai\nopenai.Completion.create(model="ada", prompt="p")\n')
    assert run(".").exit_code == 1
    assert Path("requirements.txt").read_text() == "openai==0.27.8\n"


@pytest.mark.parametrize("cls", list(REGISTRY.values()), ids=list(REGISTRY))
def test_each_codemod_runs_alone_under_libcst_tool(cls, tmp_path: Path) -> None:
    module = cls.__module__.rsplit(".", 1)[-1]
    case = next(p for p in sorted((REPO / "fixtures" / module).glob("*.input.py"))
                if not p.name.startswith("noop_") and not p.with_name(
                    p.name.replace(".input.py", ".model-map")).exists())
    target = tmp_path / "case.py"
    target.write_bytes(case.read_bytes())
    proc = subprocess.run([sys.executable, "-m", "libcst.tool", "codemod", "--no-format",
                           f"{module}.{cls.__name__}", str(target), "--as-of", as_of(case).isoformat()],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert target.read_bytes() == case.with_name(case.name.replace(".input.py", ".expected.py")).read_bytes()


def test_findings_fix_did_not_rewrite_are_listed_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a.py").write_text('import openai\nopenai.FineTune.list()\nopenai.Completion.create(model="ada")\n')
    result = run("--only", "FX001", "a.py")
    assert Path("a.py").read_text() == 'import openai\nopenai.FineTuningJob.list()\nopenai.Completion.create(model="ada")\n'
    assert result.stderr == (
        "a.py:3:32 FT020 model 'ada' (passed as model=) will be shut down on 2024-01-04; use 'babbage-002' [fixable]\n"
        "ft-migrate fix: 1 file changed, 1 call site migrated, 1 manual item left in a.py\n")


def test_a_symlink_given_stays_a_link_and_its_target_is_fixed(tree: Path) -> None:
    os.symlink("app/train.py", "link.py")
    result = run("link.py")
    assert result.exit_code == 1
    assert os.path.islink("link.py") and os.readlink("link.py") == "app/train.py"
    assert (tree / "app" / "train.py").read_text() == MIGRATED
    assert not [p for p in tree.rglob("*ft-migrate*")]


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another owner needs root")
def test_owner_and_mode_are_kept(tree: Path) -> None:
    target = tree / "app" / "train.py"
    os.chown(target, 4321, 4322)
    os.chmod(target, 0o640)
    assert run("app").exit_code == 1
    st = target.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (4321, 4322, 0o640)
    assert target.read_text() == MIGRATED


def test_read_only_and_hard_linked_files_are_reported_and_left_alone(tree: Path) -> None:
    (tree / "app" / "train.py").unlink()
    ro = tree / "app" / "ro.py"
    ro.write_text(LEGACY)
    os.chmod(ro, 0o444)
    linked = tree / "app" / "linked.py"
    linked.write_text(LEGACY)
    os.link(linked, tree / "elsewhere.py")
    result = run("app")
    assert result.exit_code == 1
    assert result.stderr == (
        "app/linked.py: has 2 hard links, which replacing it would break; left alone\n"
        "app/ro.py: is read-only (mode 0444); left alone\n"
        "ft-migrate fix: No files were modified, 0 call sites migrated, 0 manual items left, 2 files skipped\n")
    assert ro.read_text() == LEGACY and linked.read_text() == LEGACY
    assert os.stat(linked).st_nlink == 2 and stat.S_IMODE(ro.stat().st_mode) == 0o444


def test_links_out_of_the_tree_and_loops_are_reported_and_left_alone(tree: Path, tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("outside") / "shared.py"
    outside.write_text(LEGACY)
    os.symlink(outside, tree / "app" / "shared.py")
    os.symlink("loop_b.py", tree / "app" / "loop_a.py")
    os.symlink("loop_a.py", tree / "app" / "loop_b.py")
    os.symlink("train.py", tree / "app" / "alias.py")  # inside the tree: fixed once, as train.py
    result = run("app")
    assert result.exit_code == 1
    assert result.stderr == (
        "app/loop_a.py: symlink loop; left alone\n"
        "app/loop_b.py: symlink loop; left alone\n"
        f"app/shared.py: symlink to {outside}, outside the tree; left alone\n"
        "ft-migrate fix: 1 file changed, 2 call sites migrated, 0 manual items left, 3 files skipped\n")
    assert outside.read_text() == LEGACY
    assert (tree / "app" / "train.py").read_text() == MIGRATED
    assert os.path.islink(tree / "app" / "alias.py") and os.path.islink(tree / "app" / "shared.py")


def test_fix_names_the_convert_command_and_model_for_each_legacy_training_file(tree: Path) -> None:
    """The code half and the data half name the same model: the one `data check` prices on."""
    (tree / "data").mkdir()
    (tree / "data" / "train.jsonl").write_text('{"prompt": "a\\n\\n###\\n\\n", "completion": " b END"}\n')
    (tree / "data" / "chat.jsonl").write_text(
        '{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}\n')
    today = run("--check", "--as-of", "2026-11-28")
    assert today.stderr.splitlines()[-2:] == [
        "Training data: data/train.jsonl (prompt/completion data): re-train on gpt-4.1-mini after "
        "`ft-migrate data convert --to chat data/train.jsonl -o data/train.chat.jsonl`",
        "ft-migrate fix: 2 files would be changed, 3 call sites migrated (would be), 0 manual items left, "
        "1 TODO comment in the code"]
    then = run("--check", "--as-of", "2023-12-01")
    assert then.stderr.splitlines()[-2] == (
        "Training data: data/train.jsonl (prompt/completion data): re-train on davinci-002 after "
        "`ft-migrate data convert --to completion data/train.jsonl -o data/train.clean.jsonl`")
    run()  # migrated: a run with nothing left to do says nothing about the data
    assert run("--check").stderr == "ft-migrate fix: No files would be modified, 0 call sites migrated, 0 manual items left\n"
