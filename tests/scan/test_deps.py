"""openai pins (FT050) in every dependency file format, positive and negative."""

from __future__ import annotations

import pytest

from migrator.catalog import load_catalog
from migrator.scan.cli_lines import pip_install_findings
from migrator.scan.common import Span
from migrator.scan.deps import (
    requirement_finding,
    scan_pipfile,
    scan_pyproject,
    scan_requirements,
    scan_setup_cfg,
    scan_setup_py,
)

CAT = load_catalog()
REASON = ("FineTuningJob is missing before 0.27.9 and its list_events sends the wrong cursor parameter in 0.27.x")


def rows(found) -> list[tuple]:
    return [(f.line, f.column, f.end_line, f.end_column, f.rule, f.legacy, f.replacement, f.fixable) for f in found]


@pytest.mark.parametrize("spec", ["openai==0.27.4", "openai<0.27", "openai~=0.26.0", "openai==0.28.0",
                                  "openai[datalib]<=0.27.10", "openai>=0.26,<0.28", "OpenAI==0.27.*",
                                  'openai==0.27.4; python_version >= "3.8"'])
def test_pins_that_cannot_reach_the_new_api(spec):
    f = requirement_finding(spec, "r.txt", Span(1, 1, 1, 2), CAT, True)
    assert (f.rule, f.kind, f.legacy, f.replacement, f.fixable) == (
        "FT050", "dependency", spec, "openai>=0.28.1,<1", True)


@pytest.mark.parametrize("spec", ["openai", "openai>=0.27", "openai==0.28.1", "openai>=1", "openai~=1.3",
                                  "openai!=0.28.1,<0.29", "openai @ https://x/openai.whl", "requests==0.27",
                                  "openai-whisper==0.1", "./local/openai"])
def test_pins_that_are_fine(spec):
    assert requirement_finding(spec, "r.txt", Span(1, 1, 1, 2), CAT, True) is None


def test_requirement_message():
    f = requirement_finding("openai==0.27.4", "r.txt", Span(1, 1, 1, 15), CAT, True)
    assert f.message == (f"'openai==0.27.4' cannot install openai>=0.28.1 ({REASON}); use 'openai>=0.28.1,<1' "
                         "or move to openai>=1.0.0 with client.fine_tuning.jobs")


def test_requirements_file_comments_options_continuations_crlf():
    text = ("# openai==0.27.0 in a comment\r\n"
            "-r base.txt\r\n"
            "--index-url https://x/simple\r\n"
            "openai==0.27.4 --hash=sha256:abc  # pinned\r\n"
            "openai<0.27 \\\r\n"
            "    ; python_version > '3'\r\n"
            "requests==2.0\r\n"
            "openai>=0.28.1\r\n")
    assert rows(scan_requirements(text, "requirements.txt", CAT)) == [
        (4, 1, 4, 15, "FT050", "openai==0.27.4", "openai>=0.28.1,<1", True),
        (5, 1, 6, 27, "FT050", "openai<0.27 ; python_version > '3'", "openai>=0.28.1,<1", True),
    ]


def test_pyproject_pep621_and_poetry():
    """fix bumps the quoted PEP 621 requirement, not the Poetry tables (manual)."""
    text = ('[project]\nname = "x"\ndependencies = [\n  "pandas",\n  "openai~=0.26.0",\n]\n'
            '[project.optional-dependencies]\nai = ["openai>=1"]\n'
            '[tool.poetry.dependencies]\npython = "^3.9"\nopenai = "^0.27.0"\n'
            '[tool.poetry.group.dev.dependencies]\nopenai = { version = "0.27.4", extras = ["datalib"] }\n'
            '[tool.black]\nline-length = 99\n')
    assert rows(scan_pyproject(text, "pyproject.toml", CAT)) == [
        (5, 3, 5, 19, "FT050", "openai~=0.26.0", "openai>=0.28.1,<1", True),
        (11, 10, 11, 19, "FT050", "openai = '^0.27.0'", "openai>=0.28.1,<1", False),
        (13, 22, 13, 30, "FT050", "openai = '0.27.4'", "openai>=0.28.1,<1", False),
    ]


@pytest.mark.parametrize("constraint", ["^0.28.1", "*", ">=0.27", "^1.3", "~0.28.1", "0.27.4 || ^1.0"])
def test_poetry_constraints_that_are_fine(constraint):
    assert scan_pyproject(f'[tool.poetry.dependencies]\nopenai = "{constraint}"\n', "pyproject.toml", CAT) == []


def test_pipfile():
    """fix does not edit a Pipfile (nor setup.cfg, setup.py or a script): manual."""
    text = '[packages]\nopenai = "==0.27.2"\nrequests = "*"\n[dev-packages]\nopenai = {version = "<0.27"}\n'
    assert rows(scan_pipfile(text, "Pipfile", CAT)) == [
        (2, 10, 2, 20, "FT050", "openai = '==0.27.2'", "openai>=0.28.1,<1", False),
        (5, 21, 5, 28, "FT050", "openai = '<0.27'", "openai>=0.28.1,<1", False),
    ]
    assert scan_pipfile('[packages]\nopenai = "*"\n', "Pipfile", CAT) == []


def test_setup_cfg():
    text = "[options]\ninstall_requires =\n    requests\n    openai<0.27  # old\n[options.extras_require]\nai = openai==0.27.4\n"
    assert rows(scan_setup_cfg(text, "setup.cfg", CAT)) == [
        (4, 5, 4, 16, "FT050", "openai<0.27", "openai>=0.28.1,<1", False),
        (6, 6, 6, 20, "FT050", "openai==0.27.4", "openai>=0.28.1,<1", False),
    ]


def test_setup_py_strings_not_comments():
    text = 'from setuptools import setup\n# "openai==0.1"\nsetup(install_requires=[\'openai==0.27.8\', "openai"])\n'
    assert rows(scan_setup_py(text, "setup.py", CAT)) == [
        (3, 25, 3, 41, "FT050", "openai==0.27.8", "openai>=0.28.1,<1", False)]


def test_setup_py_python2_falls_back_to_lines():
    text = 'print "x"\nsetup(install_requires=["openai==0.27.8"]\n'
    assert rows(scan_setup_py(text, "setup.py", CAT)) == [
        (2, 25, 2, 41, "FT050", "openai==0.27.8", "openai>=0.28.1,<1", False)]


def test_notebook_pip_line():
    assert rows(pip_install_findings("%pip install -q openai==0.27.8 pandas", "nb.ipynb", Span(3, 1, 3, 38, 2),
                                     CAT)) == [(3, 17, 3, 31, "FT050", "openai==0.27.8", "openai>=0.28.1,<1", False)]
    assert pip_install_findings("%pip install openai>=1", "nb.ipynb", Span(1, 1, 1, 23), CAT) == []
