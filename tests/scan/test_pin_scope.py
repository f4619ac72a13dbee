"""Outdated openai pins (FT050): scan calls fixable exactly those fix bumps, which depends on the tree."""

from __future__ import annotations

import datetime as dt

import pytest

from migrator.catalog import load_catalog
from migrator.fix.runner import Changed, Options, fix_paths
from migrator.scan.runner import scan_paths

AS_OF = dt.date(2023, 12, 1)
PINNED = {
    "requirements.txt": "openai==0.27.2\n",
    "pyproject.toml": '[project]\nname = "x"\ndependencies = ["openai==0.27.2"]\n'
                      '[tool.poetry.dependencies]\nopenai = "^0.27.8"\n',
    "Pipfile": '[packages]\nopenai = "==0.27.2"\n',
    "setup.py": 'from setuptools import setup\n\nsetup(install_requires=["openai==0.27.2"])\n',
}
LEGACY = 'import openai\n\njob = openai.FineTune.create(training_file="file-1", model="davinci-002")\n'
# already on the v0 jobs resource, with something else legacy (so the prefilter reads it)
ON_JOBS = 'import openai\n\njob = openai.FineTuningJob.create(training_file="file-1", model="davinci")\n'
ELSEWHERE = 'import openai\n\nr = openai.Completion.create(model="davinci", prompt="x")\n'


def pins(tmp_path, code: dict[str, str]) -> tuple[list[tuple], set[str]]:
    """The FT050 findings of scan (file, line, fixable), and the files whose pins fix bumped."""
    for name, text in {**PINNED, **code}.items():
        (tmp_path / name).write_text(text)
    found = scan_paths([str(tmp_path)], catalog=load_catalog(as_of=AS_OF), jobs=1).findings
    fixed = fix_paths([str(tmp_path)], Options(as_of=AS_OF), jobs=1).of(Changed)
    bumped = {f.shown.rpartition("/")[2] for f in fixed if b"openai>=0.28.1,<1" in f.new}
    return [(f.path.rpartition("/")[2], f.line, f.fixable) for f in found if f.rule == "FT050"], bumped


@pytest.mark.parametrize("code", [{}, {"train.py": ELSEWHERE}], ids=["no-code", "no-fine-tunes-code"])
def test_pins_stay_manual_where_no_code_moves_to_jobs(tmp_path, code):
    found, bumped = pins(tmp_path, code)
    assert found == [("Pipfile", 2, False), ("pyproject.toml", 3, False), ("pyproject.toml", 5, False),
                     ("requirements.txt", 1, False), ("setup.py", 3, False)]
    assert bumped == set()


@pytest.mark.parametrize("code", [{"train.py": LEGACY}, {"train.py": ON_JOBS}], ids=["moved", "already-on-jobs"])
def test_requirements_and_pep621_pins_are_fixed_beside_jobs_code(tmp_path, code):
    found, bumped = pins(tmp_path, code)
    assert found == [("Pipfile", 2, False), ("pyproject.toml", 3, True), ("pyproject.toml", 5, False),
                     ("requirements.txt", 1, True), ("setup.py", 3, False)]
    assert bumped == {"pyproject.toml", "requirements.txt"}


def test_the_message_says_why_a_pin_is_left(tmp_path):
    (tmp_path / "requirements.txt").write_text("openai==0.27.2\n")
    (tmp_path / "setup.py").write_text(PINNED["setup.py"])
    found = {f.path.rpartition("/")[2]: f.message
             for f in scan_paths([str(tmp_path)], catalog=load_catalog(as_of=AS_OF), jobs=1).findings}
    assert found["requirements.txt"].endswith(
        "(fix bumps it only along with fine-tunes code it moves to the v0 jobs resource, and none is among the "
        "files scanned)")
    assert found["setup.py"].endswith(
        "(fix bumps pins only in requirements files, pyproject.toml dependency lists and a notebook's "
        "%pip/!pip install lines: change this one by hand)")


def test_a_scripts_pin_is_read_without_other_legacy_words(tmp_path):
    """A script's `pip install openai==0.27.2` is a (manual) pin finding before fix and after it,
    when fix has removed the script's other legacy words."""
    (tmp_path / "setup.sh").write_text("#!/bin/sh\npip install openai==0.27.2 pandas\npython app.py\n")
    found = scan_paths([str(tmp_path)], catalog=load_catalog(as_of=AS_OF), jobs=1).findings
    assert [(f.path.rpartition("/")[2], f.line, f.rule, f.fixable) for f in found] == [("setup.sh", 2, "FT050", False)]
