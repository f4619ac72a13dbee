"""File discovery: .gitignore at every level, --exclude, skipped directories."""

from __future__ import annotations

import os
from pathlib import Path

from migrator.walk import walk


def make(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def found(root: Path, *args, **kwargs) -> list[str]:
    return [p.relative_to(root).as_posix() for p in walk([str(root)], *args, **kwargs).files]


def test_gitignore_nested_and_negated(tmp_path):
    make(tmp_path, {
        ".gitignore": "*.log\nbuild_out/\n!keep.log\n",
        "a.py": "", "debug.log": "", "keep.log": "", "build_out/gen.py": "",
        "pkg/.gitignore": "secret.py\n/local_only.py\n",
        "pkg/secret.py": "", "pkg/local_only.py": "", "pkg/sub/local_only.py": "", "pkg/ok.py": "",
    })
    assert found(tmp_path) == [".gitignore", "a.py", "keep.log", "pkg/.gitignore", "pkg/ok.py",
                               "pkg/sub/local_only.py"]
    assert "debug.log" in found(tmp_path, respect_gitignore=False)


def test_skipped_directories_virtualenvs_and_vendored_sdk(tmp_path):
    make(tmp_path, {
        "app.py": "",
        ".git/config.py": "", "node_modules/openai/index.js": "", "lib/site-packages/x.py": "",
        "myenv/pyvenv.cfg": "", "myenv/lib/y.py": "",
        "third_party/openai/api_resources/fine_tune.py": "", "third_party/openai/__init__.py": "",
        "third_party/other.py": "",
    })
    assert found(tmp_path) == ["app.py", "third_party/other.py"]


def test_exclude_globs(tmp_path):
    make(tmp_path, {"a.py": "", "tests/data/big.py": "", "tests/test_a.py": "", "gen_x.py": ""})
    os.chdir(tmp_path)
    assert [p.as_posix() for p in walk(["."], excludes=("tests/data", "gen_*.py")).files] == [
        "a.py", "tests/test_a.py"]


def test_explicit_file_is_taken_even_if_ignored_and_missing_paths_reported(tmp_path):
    make(tmp_path, {".gitignore": "*.py\n", "a.py": ""})
    result = walk([str(tmp_path / "a.py"), str(tmp_path / "absent")])
    assert [p.name for p in result.files] == ["a.py"]
    assert result.missing == [str(tmp_path / "absent")]


def test_names_with_spaces_and_non_ascii(tmp_path):
    make(tmp_path, {"my scripts/entraînement ä.py": ""})
    assert found(tmp_path) == ["my scripts/entraînement ä.py"]


def test_unreadable_directory_is_reported(tmp_path, monkeypatch):
    make(tmp_path, {"locked/a.py": "", "b.py": ""})
    real_scandir = os.scandir

    def scandir(path):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = walk([str(tmp_path)])
    assert [p.name for p in result.files] == ["b.py"]
    assert result.unreadable == [(str(tmp_path / "locked"), "cannot list directory: Permission denied")]
