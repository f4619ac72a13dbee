"""Code that calls Azure OpenAI: every finding is manual, and the codemods leave the module as it is."""

from __future__ import annotations

import ast
import datetime as dt

import pytest

from migrator.azure import azure_line
from migrator.catalog import load_catalog
from migrator.scan.python import scan_python

CAT = load_catalog(as_of=dt.date(2023, 12, 1))


@pytest.mark.parametrize("source,line", [
    ('import openai\nopenai.api_type = "azure"\n', 2),
    ('import openai as oa\n\n\ndef setup():\n    oa.api_type = "azure_ad"\n', 5),
    ('import os\nos.environ["OPENAI_API_TYPE"] = "azuread"\n', 2),
    ('from openai import AzureOpenAI as C\nclient = C()\n', 2),
    ('import openai\nclient = openai.AsyncAzureOpenAI()\n', 2),
    ('import openai\nr = openai.Completion.create(deployment_id="d", prompt="x")\n', 2),
    ('import openai\nopenai.api_type = "open_ai"\n', None),
    ('import other\nother.api_type = "azure"\n', None),
    ('from other import AzureOpenAI\nclient = AzureOpenAI()\n', None),
], ids=["api_type", "alias-in-function", "environment", "v1-client-alias", "v1-async-client", "deployment_id",
        "openai", "not-openai", "not-openai-client"])
def test_signs_of_azure(source, line):
    assert azure_line(ast.parse(source)) == line


def test_every_finding_of_an_azure_module_is_manual_and_says_why():
    source = ('import openai\n\nopenai.api_type = "azure"\n'
              'job = openai.FineTune.create(training_file="f", model="curie")\n'
              'r = openai.Completion.create(engine="text-davinci-003", prompt="x")\n')
    found = scan_python(source, "m.py", CAT)
    assert [(f.line, f.rule, f.legacy, f.fixable) for f in found] == [
        (4, "FT010", "openai.FineTune.create", False), (4, "FT020", "curie", False),
        (5, "FT020", "text-davinci-003", False)]
    assert found[0].message.endswith(
        "(this module calls Azure OpenAI (line 3), where engine=, deployment_id= and a client's model= name your "
        "deployments and Azure retires models on its own schedule: fix leaves it to you)")
