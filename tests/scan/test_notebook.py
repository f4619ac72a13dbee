"""Notebooks: magics to the shell lexer, %pip to the pin check, the rest to the Python scanner."""

from __future__ import annotations

import json

import pytest

from migrator.catalog import load_catalog
from migrator.findings import Finding
from migrator.scan.common import ScanFailure
from migrator.scan.notebook import scan_notebook
from migrator.scan.runner import scan_paths

CAT = load_catalog()


def notebook(*cells: tuple[str, object], minified: bool = True) -> str:
    nb = {"cells": [{"cell_type": kind, "metadata": {}, "source": src} for kind, src in cells],
          "metadata": {"kernelspec": {"language": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb) if minified else json.dumps(nb, indent=1)


class FakePython:
    """Records what the notebook scanner hands to the Python scanner."""

    def __init__(self) -> None:
        self.sources: list[str] = []

    def __call__(self, source: str, path: str) -> list[Finding]:
        self.sources.append(source)
        return []


def rows(found) -> list[tuple]:
    return [(f.cell, f.line, f.column, f.end_column, f.rule, f.legacy, f.fixable) for f in found]


def test_shell_and_pip_magics_with_cells_counted_like_jupyter():
    fake = FakePython()
    text = notebook(("markdown", ["# Title\n"]),
                    ("code", ["%pip install -q openai==0.27.8\n", "!openai api fine_tunes.follow -i ft-1\n",
                              "import openai\n", "    !pip install 'openai<0.27'\n", "%matplotlib inline\n",
                              "openai?\n"]))
    assert rows(scan_notebook(text, "nb.ipynb", CAT, fake)) == [
        (2, 1, 17, 31, "FT050", "openai==0.27.8", True),
        (2, 2, 2, 30, "FT040", "openai api fine_tunes.follow", False),
        (2, 4, 18, 31, "FT050", "openai<0.27", True),
    ]
    assert fake.sources == ["pass\npass\nimport openai\n    pass\npass\npass\n"]


def test_bang_line_inside_triple_quoted_string_is_not_a_magic():
    fake = FakePython()
    source = 'x = """\n!openai api fine_tunes.list\n"""\ny = (1,\n!ls)\n'
    assert scan_notebook(notebook(("code", source)), "nb.ipynb", CAT, fake) == []
    assert fake.sources == [source]


def test_python_findings_get_the_cell_number():
    def python(source: str, path: str) -> list[Finding]:
        return [Finding(path, 2, 1, 2, 5, "FT010", "sdk-call", "x", None, False, "m")]

    found = scan_notebook(notebook(("code", "a\nb\n"), ("raw", "c"), ("code", "d\ne\n")), "nb.ipynb", CAT, python)
    assert [(f.cell, f.line) for f in found] == [(1, 2), (3, 2)]


def test_bash_cell_magic_and_writefile():
    fake = FakePython()
    text = notebook(("code", "%%bash\n# openai api fine_tunes.list\nopenai api fine_tunes.list\n"),
                    ("code", "%%writefile requirements.txt\nopenai==0.27.4\n"),
                    ("code", "%%time\nx = 1\n"))
    assert rows(scan_notebook(text, "nb.ipynb", CAT, fake)) == [
        (1, 3, 1, 27, "FT040", "openai api fine_tunes.list", True),
        (2, 2, 1, 15, "FT050", "openai==0.27.4", True),
    ]
    assert fake.sources == ["\nx = 1\n"]


def test_markdown_cells_are_read_as_markdown():
    text = notebook(("markdown", "Run `openai api fine_tunes.list`.\n"))
    assert rows(scan_notebook(text, "nb.ipynb", CAT, FakePython())) == [
        (1, 1, 6, 32, "FT040", "openai api fine_tunes.list", False)]


def test_pretty_printed_notebook_source_as_string_and_nbformat3():
    pretty = notebook(("code", "!openai api fine_tunes.list\n"), minified=False)
    assert rows(scan_notebook(pretty, "nb.ipynb", CAT, FakePython()))[0][:2] == (1, 1)
    v3 = json.dumps({"worksheets": [{"cells": [{"cell_type": "code", "input": ["!openai api fine_tunes.list\n"]}]}],
                     "nbformat": 3})
    assert rows(scan_notebook(v3, "nb.ipynb", CAT, FakePython()))[0][:2] == (1, 1)


def test_crlf_cell_source():
    found = scan_notebook(notebook(("code", "x = 1\r\n!openai api fine_tunes.list\r\n")), "nb.ipynb", CAT, FakePython())
    assert rows(found) == [(1, 2, 2, 28, "FT040", "openai api fine_tunes.list", True)]


def test_suppression_comment_inside_a_cell():
    text = notebook(("code", "!openai api fine_tunes.list  # ft-migrate: ignore[FT040]\n"))
    assert scan_notebook(text, "nb.ipynb", CAT, FakePython()) == []


def test_invalid_notebook_json_names_line_and_column():
    with pytest.raises(ScanFailure, match=r"^invalid notebook JSON: line 2 column 8: Expecting ':' delimiter$"):
        scan_notebook('{"cells": [\n  {"a" 1}]}', "nb.ipynb", CAT, FakePython())
    with pytest.raises(ScanFailure, match=r'^not a Jupyter notebook: no "cells" list$'):
        scan_notebook("[]", "nb.ipynb", CAT, FakePython())
    with pytest.raises(ScanFailure, match=r"^not a Jupyter notebook: cell 1 source is not text$"):
        scan_notebook('{"cells": [{"cell_type": "code", "source": 3}]}', "nb.ipynb", CAT, FakePython())


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
