"""Blanking uninteresting statements must never change what the Python scanner finds."""

from __future__ import annotations

import textwrap

import pytest

from migrator.catalog import load_catalog
from migrator.scan import python as python_scanner
from migrator.scan.reduce import reduce_source

CAT = load_catalog()

FILLER = "".join(f"def helper_{i}(x):\n    return x + {i}\n\n\n" for i in range(60))

MODULE = textwrap.dedent('''\
    """Module docstring mentioning nothing."""
    from __future__ import annotations

    import os; import openai as oa
    from openai import OpenAI

    DEFAULT = "curie"
    UNRELATED = {"babbage": 1}
    client = OpenAI()


    class Jobs:
        """A class with one interesting method among dull ones."""

        limit = 10

        def dull(self):
            return os.getcwd()

        @staticmethod
        def start(path, model=DEFAULT):
            return oa.FineTune.create(training_file=path, model=model)

        def dull_too(self):
            return [i for i in range(self.limit)]


    class Dull:
        def a(self):
            return 1

        def b(self):
            return 2


    def listing():
        return client.fine_tunes.list()


    def report(job):
        if job["status"] == "pending":
            return job["hyperparams"]["n_epochs"]
        return None
    ''') + FILLER + 'TAIL = "text-davinci-003"\nopenai_result = oa.Completion.create(model=TAIL, prompt="x")\n'


def scan(source: str, reduce: bool, monkeypatch) -> list:
    with monkeypatch.context() as m:
        if not reduce:
            m.setattr(python_scanner, "reduce_source", lambda s, c: (s, None))
        return python_scanner.scan_python(source, "m.py", CAT)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_findings_identical_with_and_without_reduction(monkeypatch, newline):
    source = MODULE.replace("\n", newline)
    full = scan(source, False, monkeypatch)
    reduced = scan(source, True, monkeypatch)
    assert reduced == full
    assert [(f.line, f.rule) for f in full] == [
        (7, "FT020"), (22, "FT010"), (37, "FT011"), (41, "FT031"), (42, "FT030"), (284, "FT020")]


def test_reduction_drops_dull_code_and_maps_lines_back():
    reduced, origin = reduce_source(MODULE, CAT)
    assert len(origin) == reduced.count("\n") < MODULE.count("\n") // 4
    kept = [(origin[n], line) for n, line in enumerate(reduced.splitlines()) if line.strip()]
    assert kept[:13] == [
        (2, "from __future__ import annotations"),
        (4, "import os; import openai as oa"),
        (5, "from openai import OpenAI"),
        (7, 'DEFAULT = "curie"'),
        (8, 'UNRELATED = {"babbage": 1}'),  # the coarse prefilter words keep it: harmless
        (9, "client = OpenAI()"),
        (12, "class Jobs:"),
        (13, "    pass"),  # the docstring
        (15, "    pass"),  # limit = 10
        (17, "    pass"),  # dull()
        (20, "    @staticmethod"),
        (21, "    def start(path, model=DEFAULT):"),
        (22, "        return oa.FineTune.create(training_file=path, model=model)"),
    ]
    assert "helper_" not in reduced and "class Dull" not in reduced


def test_short_sources_are_reduced_too_and_unparsable_ones_left_alone():
    assert reduce_source("x = 1\n", CAT) == ("", [])
    assert reduce_source("import openai\nx = 1\n", CAT) == ("import openai\n", [1])
    broken = "print 'py2'\n" * 300
    assert reduce_source(broken, CAT) == (broken, None)


def test_a_constant_flowing_into_model_in_a_plain_function_is_kept(monkeypatch):
    """`model=NAME` alone keeps a function: the constant it names may hold a legacy model."""
    source = ('import openai\n\nLEGACY = "text-davinci-003"\n\n' + FILLER +
              'def complete(client, prompt):\n    return client.completions.create(model=LEGACY, prompt=prompt)\n')
    full = scan(source, False, monkeypatch)
    assert [(f.line, f.rule, f.legacy) for f in full] == [(3, "FT020", "text-davinci-003")]
    assert scan(source, True, monkeypatch) == full


@pytest.mark.parametrize("source", [
    # an import alias of the resource, used where nothing else is interesting
    "from openai import FineTune as FT\n\n\nasync def main():\n    await FT.alist()\n",
    # an alias bound by assignment, then a chain of them
    "import openai\n\nft = openai.FineTune\nalso = ft\n\n\ndef go():\n    return also.list()\n",
    # the alias shares a line with an unrelated import
    "import os; from openai import FineTune as FT\n\n\ndef go():\n    return FT.list(), os.sep\n",
])
def test_names_bound_by_interesting_statements_keep_their_uses(monkeypatch, source):
    full = scan(source, False, monkeypatch)
    assert [f.rule for f in full][-1] == "FT010"  # the call through the alias
    assert scan(source, True, monkeypatch) == full


def test_an_unrelated_import_on_an_interesting_line_keeps_nothing_else():
    source = "import os; import openai as oa\n\n\ndef dull():\n    return os.sep\n"
    assert reduce_source(source, CAT) == ("import os; import openai as oa\n", [1])
