"""Notebooks: magics to the shell lexer, %pip to the pin check, the rest to the Python scanner."""

from __future__ import annotations

import json

import pytest

from migrator import notebook_program
from migrator.catalog import load_catalog
from migrator.findings import ScanError
from migrator.scan.common import ScanFailure
from migrator.scan.notebook import scan_notebook
from migrator.scan.runner import scan_paths

CAT = load_catalog()


def notebook(*cells: tuple[str, object], minified: bool = True) -> str:
    nb = {"cells": [{"cell_type": kind, "metadata": {}, "source": src} for kind, src in cells],
          "metadata": {"kernelspec": {"language": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb) if minified else json.dumps(nb, indent=1)


def program_text(text: str) -> str:
    """The Python program the notebook's code cells make, as the scanner reads it."""
    nb = json.loads(text)
    cells = [notebook_program.code_cell(n, n - 1, notebook_program.cell_source(c, n))
             for n, c in enumerate(nb["cells"], 1) if c["cell_type"] == "code"]
    return notebook_program.Program([c for c in cells if c is not None]).text


def rows(found) -> list[tuple]:
    return [(f.cell, f.line, f.column, f.end_column, f.rule, f.legacy, f.fixable) for f in found]


def test_shell_and_pip_magics_with_cells_counted_like_jupyter():
    text = notebook(("markdown", ["# Title\n"]),
                    ("code", ["%pip install -q openai==0.27.8\n", "!openai api fine_tunes.follow -i ft-1\n",
                              "import openai\n", "    !pip install 'openai<0.27'\n", "%matplotlib inline\n",
                              "openai?\n"]))
    # no code here moves to openai.FineTuningJob: fix leaves the pins (manual)
    found = scan_notebook(text, "nb.ipynb", CAT)
    assert found[0].message.endswith("(fix bumps a notebook's pin only along with fine-tunes code it moves to the "
                                     "v0 jobs resource in that notebook, and this one has none)")
    assert rows(found) == [
        (2, 1, 17, 31, "FT050", "openai==0.27.8", False),
        (2, 2, 2, 30, "FT040", "openai api fine_tunes.follow", False),
        (2, 4, 18, 31, "FT050", "openai<0.27", False),
    ]
    assert program_text(text) == ("pass  # ft-migrate: IPython line 2.1\npass  # ft-migrate: IPython line 2.2\n"
                                  "import openai\n    pass  # ft-migrate: IPython line 2.4\n"
                                  "pass  # ft-migrate: IPython line 2.5\npass  # ft-migrate: IPython line 2.6\n")


def test_pip_lines_are_fixable_in_a_notebook_whose_code_moves_to_jobs():
    """fix bumps the %pip/!pip lines of a notebook it moves to openai.FineTuningJob, nothing else."""
    text = notebook(("code", ["%pip install -q openai==0.27.8\n", "!python -m pip install openai==0.27.8\n"]),
                    ("code", "%%bash\npip install openai==0.27.8\n"),
                    ("code", "import openai\nopenai.FineTune.list()\n"))
    found = scan_notebook(text, "nb.ipynb", CAT)
    assert rows(found) == [
        (1, 1, 17, 31, "FT050", "openai==0.27.8", True),
        (1, 2, 24, 38, "FT050", "openai==0.27.8", False),
        (2, 2, 13, 27, "FT050", "openai==0.27.8", False),
        (3, 2, 1, 23, "FT010", "openai.FineTune.list", True),
    ]
    assert found[1].message.endswith("(fix bumps pins only in requirements files, pyproject.toml dependency "
                                     "lists and a notebook's %pip/!pip install lines: change this one by hand)")


def test_a_cell_that_does_not_parse_makes_the_whole_notebook_manual():
    """fix leaves a notebook with a cell that does not parse as it is, shell lines and all."""
    text = notebook(("code", "!openai api fine_tunes.list\n"), ("code", "x = (\n"),
                    ("code", "import openai\nopenai.FineTune.list()\n"))
    found = scan_notebook(text, "nb.ipynb", CAT)
    assert rows(found) == [(1, 1, 2, 28, "FT040", "openai api fine_tunes.list", False),
                           (3, 2, 1, 23, "FT010", "openai.FineTune.list", False)]
    assert found[1].message.endswith("(fix leaves this notebook as it is while one of its cells does not parse as "
                                     "Python 3: make it parse, then run fix again)")


def test_bang_line_inside_triple_quoted_string_is_not_a_magic():
    source = 'x = """\n!openai api fine_tunes.list\n"""\ny = (1,\n!ls)\n'
    errors: list[ScanError] = []
    assert scan_notebook(notebook(("code", source)), "nb.ipynb", CAT, errors) == []
    assert program_text(notebook(("code", source))) == source
    assert errors == [ScanError("nb.ipynb", "cell 1: line 5: does not parse as Python 3 (invalid syntax); "
                                            "only line-level rules applied to it")]


def test_python_findings_get_the_cell_number():
    text = notebook(("code", "import openai\n\n"), ("raw", "c"),
                    ("code", "x = 1\nopenai.FineTune.list()\n"))
    found = scan_notebook(text, "nb.ipynb", CAT)
    assert [(f.cell, f.line, f.rule) for f in found] == [(3, 2, "FT010")]


def test_bash_cell_magic_and_writefile():
    text = notebook(("code", "%%bash\n# openai api fine_tunes.list\nopenai api fine_tunes.list\n"),
                    ("code", "%%writefile requirements.txt\nopenai==0.27.4\n"),
                    ("code", "%%time\nx = 1\n"))
    assert rows(scan_notebook(text, "nb.ipynb", CAT)) == [
        (1, 3, 1, 27, "FT040", "openai api fine_tunes.list", True),
        (2, 2, 1, 15, "FT050", "openai==0.27.4", False),  # a file the cell writes: fix leaves it
    ]
    assert program_text(text) == "pass  # ft-migrate: IPython line 3.1\nx = 1\n"


def test_markdown_cells_are_read_as_markdown():
    text = notebook(("markdown", "Run `openai api fine_tunes.list`.\n"))
    assert rows(scan_notebook(text, "nb.ipynb", CAT)) == [
        (1, 1, 6, 32, "FT040", "openai api fine_tunes.list", False)]


def test_pretty_printed_notebook_source_as_string_and_nbformat3():
    pretty = notebook(("code", "!openai api fine_tunes.list\n"), minified=False)
    assert rows(scan_notebook(pretty, "nb.ipynb", CAT))[0][:2] == (1, 1)
    v3 = json.dumps({"worksheets": [{"cells": [{"cell_type": "code", "input": ["!openai api fine_tunes.list\n"]}]}],
                     "nbformat": 3})
    assert rows(scan_notebook(v3, "nb.ipynb", CAT))[0][:2] == (1, 1)


def test_crlf_cell_source():
    found = scan_notebook(notebook(("code", "x = 1\r\n!openai api fine_tunes.list\r\n")), "nb.ipynb", CAT)
    assert rows(found) == [(1, 2, 2, 28, "FT040", "openai api fine_tunes.list", True)]


def test_suppression_comment_inside_a_cell():
    text = notebook(("code", "!openai api fine_tunes.list  # ft-migrate: ignore[FT040]\n"))
    assert scan_notebook(text, "nb.ipynb", CAT) == []


def test_invalid_notebook_json_names_line_and_column():
    with pytest.raises(ScanFailure, match=r"^invalid notebook JSON: line 2 column 8: Expecting ':' delimiter$"):
        scan_notebook('{"cells": [\n  {"a" 1}]}', "nb.ipynb", CAT)
    with pytest.raises(ScanFailure, match=r'^not a Jupyter notebook: no "cells" list$'):
        scan_notebook("[]", "nb.ipynb", CAT)
    with pytest.raises(ScanFailure, match=r"^not a Jupyter notebook: cell 1 source is not text$"):
        scan_notebook('{"cells": [{"cell_type": "code", "source": 3}]}', "nb.ipynb", CAT)


def test_through_the_runner_with_the_real_python_scanner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = ["%pip install openai==0.27.8\n", "import openai\n", "for m in ['a']:\n", "    !echo $m\n",
           "openai.FineTune.create(training_file='f', model='curie')\n"]
    (tmp_path / "nb ü.ipynb").write_text(notebook(("markdown", "x"), ("code", src)), encoding="utf-8")
    result = scan_paths(["."], jobs=1)
    assert result.errors == []
    assert [(f.path, f.cell, f.line, f.column, f.rule, f.legacy) for f in result.findings] == [
        ("nb ü.ipynb", 2, 1, 14, "FT050", "openai==0.27.8"),
        ("nb ü.ipynb", 2, 5, 1, "FT010", "openai.FineTune.create"),
        ("nb ü.ipynb", 2, 5, 49, "FT020", "curie"),
    ]


# The cells are one program, as the kernel runs them: a name imported in one cell
# is the same name in the next.
TWO_CELLS = notebook(
    ("markdown", "# Retrain\n"),
    ("code", ["import openai\n", "%matplotlib inline\n"]),
    ("code", ["job = openai.FineTune.create(training_file='file-1', model='curie')\n",
              "!openai api fine_tunes.follow -i $job.id\n"]),
    ("code", ["def complete(prompt):\n",
              "    return openai.Completion.create(engine='davinci', prompt=prompt)\n"]),
)


def test_a_name_imported_in_one_cell_resolves_in_the_next():
    errors: list[ScanError] = []
    found = scan_notebook(TWO_CELLS, "nb.ipynb", CAT, errors)
    assert errors == []
    assert [(f.cell, f.line, f.column, f.end_line, f.end_column, f.rule, f.legacy, f.fixable) for f in found] == [
        (3, 1, 7, 1, 68, "FT010", "openai.FineTune.create", True),
        (3, 1, 60, 1, 67, "FT020", "curie", True),
        (3, 2, 2, 2, 30, "FT040", "openai api fine_tunes.follow", False),
        (4, 2, 44, 2, 53, "FT020", "davinci", True),
    ]


def test_a_cell_that_does_not_parse_is_left_out_of_the_program_and_named():
    text = notebook(("code", "import openai\n"), ("code", "print 'legacy'\nopenai.FineTune.list()\n"),
                    ("code", "openai.FineTune.cancel(id='ft-1')\n"))
    errors: list[ScanError] = []
    found = scan_notebook(text, "nb.ipynb", CAT, errors)
    assert [(f.cell, f.line, f.rule, f.legacy) for f in found] == [
        (2, 2, "FT010", "openai.FineTune.list"), (3, 1, "FT010", "openai.FineTune.cancel")]
    assert [e.reason.split(" (")[0] for e in errors] == ["cell 2: line 1: does not parse as Python 3"]
