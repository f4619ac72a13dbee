"""The Python scanner on whole modules: names followed through imports, aliases and scopes."""

from __future__ import annotations

import textwrap

import pytest

from migrator.catalog import load_catalog
from migrator.scan import python as python_scanner

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


def scan(source: str) -> list:
    return python_scanner.scan_python(source, "m.py", CAT)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_findings_in_a_large_module(newline):
    source = MODULE.replace("\n", newline)
    full = scan(source)
    assert [(f.line, f.rule) for f in full] == [
        (7, "FT020"), (22, "FT010"), (37, "FT011"), (41, "FT031"), (42, "FT030"), (284, "FT020")]


def test_a_constant_flowing_into_model_in_a_plain_function():
    """`model=NAME` alone: the constant it names holds a legacy model."""
    source = ('import openai\n\nLEGACY = "text-davinci-003"\n\n' + FILLER +
              'def complete(client, prompt):\n    return client.completions.create(model=LEGACY, prompt=prompt)\n')
    assert [(f.line, f.rule, f.legacy) for f in scan(source)] == [(3, "FT020", "text-davinci-003")]


@pytest.mark.parametrize("source", [
    # an import alias of the resource, used where nothing else is interesting
    "from openai import FineTune as FT\n\n\nasync def main():\n    await FT.alist()\n",
    # an alias bound by assignment, then a chain of them
    "import openai\n\nft = openai.FineTune\nalso = ft\n\n\ndef go():\n    return also.list()\n",
    # the alias shares a line with an unrelated import
    "import os; from openai import FineTune as FT\n\n\ndef go():\n    return FT.list(), os.sep\n",
])
def test_calls_through_aliases_and_their_chains(source):
    assert [f.rule for f in scan(source)][-1] == "FT010"  # the call through the alias
