"""Punching dull statements out before the codemods must never change what `fix` writes."""

from __future__ import annotations

import textwrap

import pytest

from codemods import gather_codemods
from migrator.catalog import load_catalog
from migrator.fix.holes import punch
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
