"""Punching dull statements out before the codemods must never change what `fix` writes."""

from __future__ import annotations

import ast
import textwrap

import pytest

from ft_migrate_codemods import gather_codemods
from migrator.catalog import load_catalog
from migrator.fix.holes import _Hints, _names, punch
from migrator.fix.transform import transform_python

CAT = load_catalog()

FILLER = "".join(f"# helper {i}\ndef helper_{i}(x):\n    return x + {i}\n\n\n" for i in range(50))

MODULE = textwrap.dedent('''\
    """Jobs: a module docstring that must stay first."""
    from __future__ import annotations

    import functools
    import openai


    class Tuner:
        """Only one method is legacy."""

        limit = 3

        @functools.lru_cache(maxsize=None)
        def dull(self):
            return self.limit

        def start(self, path):
            job = openai.FineTune.create(training_file=path, n_epochs=2)
            return job["hyperparams"]

        def dull_too(self):
            return [i for i in range(self.limit)]

    ''') + FILLER + 'def last(job_id):\n    return openai.FineTune.retrieve(id=job_id)\n'


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_same_bytes_with_and_without_holes(newline):
    data = MODULE.replace("\n", newline).encode()
    with_holes = transform_python(data, gather_codemods(), CAT)
    without = transform_python(data, gather_codemods(), CAT, holes=False)
    assert with_holes == without
    assert with_holes.data != data and with_holes.sites == without.sites == 3
    text = with_holes.data.decode()
    assert "openai.FineTuningJob.create(training_file=path, model=\"davinci-002\", " \
           "hyperparameters={\"n_epochs\": 2})" in text
    assert "helper_49" in text and "__ft_migrate_hole" not in text
    assert text.startswith('"""Jobs: a module docstring that must stay first."""')


def test_holes_replace_dull_statements_and_restore_exactly():
    punched = punch(MODULE, CAT)
    assert punched is not None
    assert "helper_" not in punched.source and "def dull(" not in punched.source
    assert "def start(self, path):" in punched.source and "def last(job_id):" in punched.source
    assert punched.restore(punched.source) == MODULE


def test_a_lost_or_duplicated_hole_means_no_restore():
    punched = punch(MODULE, CAT)
    first = next(iter(punched.holes))
    assert punched.restore(punched.source.replace(first, "", 1)) is None
    assert punched.restore(punched.source.replace(first, first + first, 1)) is None


def test_small_modules_get_no_holes():
    assert punch("import openai\nopenai.FineTune.list()\n", CAT) is None


def test_a_codemod_altering_a_placeholder_falls_back_to_the_whole_module(monkeypatch):
    """A placeholder lost or doubled by a codemod must not be filled: the full module is transformed."""
    from migrator.fix import holes as holes_module

    real = holes_module.Punched.restore

    def lose_one(self, code):
        return real(self, code.replace(next(iter(self.holes)), "", 1))

    data = MODULE.encode()
    monkeypatch.setattr(holes_module.Punched, "restore", lose_one)
    assert transform_python(data, gather_codemods(), CAT) == transform_python(data, gather_codemods(), CAT,
                                                                              holes=False)


def test_each_placeholder_must_come_back_exactly_once():
    punched = punch(FILLER * 2 + 'import openai\nopenai.FineTune.list()\n' + FILLER, CAT)
    a, b = list(punched.holes)[:2]
    assert punched.restore(punched.source.replace(a, "", 1).replace(b, b + b, 1)) is None


def test_dull_siblings_and_the_comments_between_them_share_one_hole():
    punched = punch(MODULE, CAT)
    filler_holes = [original for original in punched.holes.values() if "helper_0(" in original]
    assert len(filler_holes) == 1 and "helper_49" in filler_holes[0] and "# helper 7\n" in filler_holes[0]


# Dull statements that scope ties to a legacy call: each must stay visible to the codemods.
TIED = {
    "a requests session bound elsewhere": (
        'import requests\n\nsession = requests.Session()\n\n' + FILLER +
        'def start():\n    return session.post("https://api.openai.com/v1/fine-tunes", '
        'json={"training_file": "f", "model": "curie", "n_epochs": 2})\n', {}),
    "a --model-map name in a constant": (
        'import openai\n\nOLD = "acme-legacy"\n\n' + FILLER +
        'openai.FineTune.create(training_file="f", model=OLD)\n', {"acme-legacy": "ft:davinci-002:acme::x"}),
    "a response aliased in a dull statement": (
        'import openai\n\njob = openai.FineTune.retrieve("ft-1")\n\n' + FILLER +
        'view = job\n\n' + FILLER + 'print(view["hyperparams"])\n', {}),
}


@pytest.mark.parametrize("case", list(TIED))
def test_statements_tied_by_scope_to_kept_code_are_not_holed(case):
    source, model_map = TIED[case]
    data = source.encode()
    with_holes = transform_python(data, gather_codemods(), CAT, model_map)
    assert with_holes == transform_python(data, gather_codemods(), CAT, model_map, holes=False)
    assert with_holes.data != data
    assert punch(source, CAT, tuple(model_map)).source.count("__ft_migrate_hole_") >= 1


@pytest.mark.parametrize("header", [b"\xef\xbb\xbf", b"# -*- coding: latin-1 -*-\n"])
def test_bom_and_encoding_declarations_survive_holes(header):
    body = MODULE.replace('"""Only one method is legacy."""', '"""Only one method is legacy: caf\u00e9."""')
    data = header + body.replace("\n", "\r\n").encode("latin-1" if b"latin-1" in header else "utf-8")
    with_holes = transform_python(data, gather_codemods(), CAT)
    assert with_holes == transform_python(data, gather_codemods(), CAT, holes=False)
    assert with_holes.data.startswith(header) and with_holes.data != data


# A function's own names are not the module's: only what it reads without binding reaches the module.
SHADOWED = ('import openai\n\nparams = {"training_file": "f", "model": "curie"}\n\n'
            'missing = object()\n\n'
            'class Dull:\n    def method(self, params):\n        missing = str(params)\n'
            '        return [missing for params in range(3)]\n\n'
            + FILLER + 'openai.FineTune.create(**params)\nprint(missing)\n')


def test_a_function_local_name_does_not_tie_its_statement_to_the_module():
    """``Dull.method`` binds its own ``params`` and ``missing``: it is holed though kept code uses both names."""
    data = SHADOWED.encode()
    with_holes = transform_python(data, gather_codemods(), CAT)
    assert with_holes == transform_python(data, gather_codemods(), CAT, holes=False)
    assert with_holes.data != data and b"FineTuningJob.create(" in with_holes.data
    punched = punch(SHADOWED, CAT)
    assert "class Dull:" not in punched.source and "helper_0(" not in punched.source
    assert any("class Dull:" in original for original in punched.holes.values())
    assert punched.restore(punched.source) == SHADOWED


# Reads LibCST resolves to the module though the name is also bound in the function.
FREE_READS = {
    "a global read": "def dull():\n    return {name}\n",
    "a read before the local binding": "def dull(r):\n    for i in r:\n        if i:\n"
                                       "            print({name})\n        {name} = i\n",
    "a match capture": "def dull(p):\n    match p:\n        case [{name}]:\n            return {name}\n",
    "a later for's if": "def dull(z):\n    return [a for a in z for {name} in a if {name}]\n",
    "a global declaration": "def dull():\n    global {name}\n    {name} = 1\n",
    "a string annotation": "def dull(x: '{name}'):\n    return x\n",
}


@pytest.mark.parametrize("case", list(FREE_READS))
def test_a_function_reading_a_module_name_stays(case):
    """A dull function whose read (as LibCST resolves it) reaches the kept ``params`` is not holed."""
    source = ('import openai\n\nparams = {"training_file": "f", "model": "curie"}\n\n'
              + FREE_READS[case].format(name="params") + '\n\n' + FILLER + 'openai.FineTune.create(**params)\n')
    data = source.encode()
    with_holes = transform_python(data, gather_codemods(), CAT)
    assert with_holes == transform_python(data, gather_codemods(), CAT, holes=False)
    assert "def dull(" in punch(source, CAT).source


def test_names_count_in_the_namespace_they_live_in():
    tree = ast.parse(textwrap.dedent('''\
        class K(Base):
            attr = 1
            def method(self, arg, default=DEFAULT):
                local = helper(arg)
                [local for comp in arg]
                with open(arg) as fh:
                    fh.read()
                def inner():
                    nonlocal local
                    return local + free
                return lambda q: q + local
        '''))
    bound, imported, used = _names(tree.body[0], _Hints.of(tree))
    assert set(bound) == {"K", "attr", "method"} and not imported
    assert set(used) == {"Base", "DEFAULT", "helper", "open", "free"}


@pytest.mark.parametrize("filler", ["", FILLER])
def test_a_call_through_an_import_alias_is_not_holed(filler):
    """`FT.alist()` mentions no catalog word; the interesting import that binds `FT` keeps it."""
    source = "from openai import FineTune as FT\n\n" + filler + "async def main():\n    await FT.alist()\n"
    data = source.encode()
    with_holes = transform_python(data, gather_codemods(), CAT)
    assert with_holes == transform_python(data, gather_codemods(), CAT, holes=False)
    text = with_holes.data.decode()
    assert text.startswith("from openai import FineTuningJob as FT\n")  # the alias the code uses stays
    assert text.endswith("async def main():\n    await FT.alist()\n")


def test_a_string_hint_that_is_not_code_in_a_function_annotation():
    """``Literal["text-davinci-003"]`` in a signature: LibCST reads the string as a hint and
    ``ast`` cannot parse it, so its words count as reads; that once crashed fix on the
    openai 1.x SDK's own modules ("'Name' object has no attribute 'lineno'")."""
    source = ('from typing import Literal\n\nimport openai\n\n\n'
              'def complete(model: Literal["text-davinci-003", "gpt-3.5-turbo"], prompt: "str") -> "dict":\n'
              '    return openai.Completion.create(model=model, prompt=prompt)\n\n\n'
              + FILLER + 'def last(job_id):\n    return openai.FineTune.retrieve(id=job_id)\n')
    data = source.encode()
    with_holes = transform_python(data, gather_codemods(), CAT)
    assert with_holes == transform_python(data, gather_codemods(), CAT, holes=False)
    assert b"openai.FineTuningJob.retrieve(id=job_id)" in with_holes.data
