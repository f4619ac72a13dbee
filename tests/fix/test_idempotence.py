"""``fix`` run on its own output changes nothing, whatever the input.

A hypothesis property composes modules and notebooks from the legacy statements
real code has (consecutive assignments of legacy fine-tuned ids, calls in loops,
FineTune calls, Completion calls, raw HTTP, subprocess argv), placed at module
level, in functions, classes, loops and branches, after other comments, with LF or
CRLF endings, and checks that a second run gives the same bytes and that the
output parses.  The examples found failing along the way are kept as explicit
regression tests below.
"""

from __future__ import annotations

import ast
import datetime as dt
import functools
import json

import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ft_migrate_codemods import gather_codemods
from migrator.catalog import load_catalog
from migrator.fix.notebook import transform_notebook
from migrator.fix.transform import transform_python

# 2023: the 2023 replacements are alive; 2026-11-28: completion calls move to chat.
DATES = (dt.date(2023, 12, 1), dt.date(2024, 6, 1), dt.date(2026, 11, 28))
FT_IDS = ("curie:ft-acme-2023-01-01-00-00-00", "davinci:ft-acme:support-2022-11-02-10-00-00",
          "ada:ft-personal-2022-05-05-05-05-05", "babbage:ft-acme-2021-12-12-12-12-12")
MODELS = ("curie", "davinci", "text-davinci-003", "text-curie-001", "ada", "code-davinci-002")

PROPERTY = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@functools.lru_cache(maxsize=None)
def _catalog(day: dt.date):
    return load_catalog(as_of=day)


def fix_python(data: bytes, day: dt.date) -> bytes:
    return transform_python(data, gather_codemods(), _catalog(day), {}).data


def fix_notebook(data: bytes, day: dt.date) -> bytes:
    return transform_notebook(data, gather_codemods(), _catalog(day), {}).data


# -- statements (each a list of lines, unindented) ------------------------------
names = st.sampled_from(("MODEL", "FT_MODEL", "CLASSIFIER", "m", "base", "OLD_MODEL"))
ft_ids = st.sampled_from(FT_IDS)
models = st.sampled_from(MODELS)


@st.composite
def legacy_id_assignments(draw):
    n = draw(st.integers(1, 3))
    chosen = draw(st.lists(names, min_size=n, max_size=n, unique=True))
    return [f'{name} = "{draw(ft_ids)}"' for name in chosen]


@st.composite
def fine_tune_calls(draw):
    method = draw(st.sampled_from(("create", "retrieve", "list", "cancel", "list_events", "stream_events")))
    if method == "create":
        model = draw(st.one_of(models, ft_ids))
        extra = draw(st.sampled_from(("", ", n_epochs=2", ", prompt_loss_weight=0.1",
                                      ", n_epochs=4, learning_rate_multiplier=0.1, compute_classification_metrics=True")))
        call = f'openai.FineTune.create(training_file="file-abc", model="{model}"{extra})'
    elif method == "list":
        call = "openai.FineTune.list()"
    else:
        call = f'openai.FineTune.{method}("ft-abc")'
    shape = draw(st.sampled_from(("bare", "assign", "events")))
    if shape == "assign":
        return [f"job = {call}", 'print(job["status"])']
    if shape == "events" and method == "list_events":
        return [f"events = {call}", 'first = events["data"][0]']
    return [call]


@st.composite
def completion_calls(draw):
    model = draw(st.one_of(models, ft_ids, st.sampled_from(("MODEL", "FT_MODEL"))))
    literal = model if model in ("MODEL", "FT_MODEL") else f'"{model}"'
    if model in ("MODEL", "FT_MODEL"):
        head = [f'{model} = "{draw(ft_ids)}"']
    else:
        head = []
    key = draw(st.sampled_from(("model", "engine")))
    extra = draw(st.sampled_from(("", ", max_tokens=5", ', stop=["\\n"]', ", temperature=0")))
    call = f'openai.Completion.create({key}={literal}, prompt="Q: hi\\nA:"{extra})'
    shape = draw(st.sampled_from(("bare", "assign", "text")))
    if shape == "assign":
        return [*head, f"r = {call}"]
    if shape == "text":
        return [*head, f"r = {call}", 'answer = r["choices"][0]["text"]']
    return [*head, call]


other_statements = st.sampled_from((
    ['openai.Embedding.create(model="text-similarity-ada-001", input="x")'],
    ['requests.post("https://api.openai.com/v1/fine-tunes", json={"training_file": "f", "model": "curie"})'],
    ['subprocess.run(["openai", "api", "fine_tunes.create", "-t", "f.jsonl", "-m", "curie"])'],
    ['subprocess.run(["openai", "api", "fine_tunes.follow", "-i", "ft-abc"])'],
    ['params = {"model": "ada", "n_epochs": 2}', 'openai.FineTune.create(training_file="f", **params)'],
    ["# a comment of the user's", "x = 2"],
    ['parser.add_argument("--model", "-m", default="text-curie-001")'],
    ['@click.option("--engine", default="davinci")', "def cli(engine):", "    return engine"],
    ["class Engine(str, enum.Enum):", '    FAST = "ada"', '    GOOD = "text-davinci-003"'],
    ["x = 1"],
))

statements = st.one_of(legacy_id_assignments(), fine_tune_calls(), completion_calls(), other_statements)


def _indent(lines: list[str], depth: int) -> list[str]:
    return ["    " * depth + line if line else line for line in lines]


@st.composite
def blocks(draw, depth: int = 0):
    """A list of lines at ``depth``: statements, some wrapped in a compound statement."""
    out: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        body = draw(statements)
        if draw(st.booleans()):
            out.append(draw(st.sampled_from(("# setup", "# --- models ---", "#!keep"))))
        wrapper = draw(st.sampled_from(("none", "none", "def", "class", "for", "if", "ifelse", "try", "with")))
        inner = _indent(body, 1)
        if wrapper == "none":
            out.extend(body)
        elif wrapper == "def":
            out += ["def run(items):", *inner, "    return None"] if draw(st.booleans()) else ["def run(items):", *inner]
        elif wrapper == "class":
            out += ["class Trainer:", *_indent(["def go(self, items):", *_indent(body, 1)], 1)]
        elif wrapper == "for":
            out += ["for item in items:", *inner]
        elif wrapper == "if":
            out += ["if ready:", *inner, "    # end of branch"]
        elif wrapper == "ifelse":
            out += ["if ready:", "    pass", "elif other:", *inner, "else:", *inner]
        elif wrapper == "try":
            out += ["try:", *inner, "except Exception:", *inner]
        else:
            out += ["with open('f') as fh:", *inner]
        if draw(st.booleans()):
            out.append("")
    return _indent(out, depth)


@st.composite
def modules(draw):
    head = draw(st.sampled_from(([], ["import openai"], ["import openai, requests, subprocess, enum, click", ""],
                                 ['"""Doc."""', "import openai"], ["# header comment", "import openai"])))
    lines = [*head, *draw(blocks())]
    newline = draw(st.sampled_from(("\n", "\r\n")))
    return newline.join(lines) + newline


@st.composite
def notebooks(draw):
    cells = []
    for k in range(draw(st.integers(1, 4))):
        lines = (["import openai"] if k == 0 and draw(st.booleans()) else []) + draw(blocks())
        cells.append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                      "source": [line + "\n" for line in lines[:-1]] + lines[-1:]})
    nb = {"cells": cells, "metadata": {"kernelspec": {"language": "python", "name": "python3"},
                                       "language_info": {"name": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    return (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode()


def _parses(data: bytes) -> None:
    ast.parse(data)
    cst.parse_module(data)


@PROPERTY
@given(source=modules(), day=st.sampled_from(DATES))
def test_fix_is_idempotent_on_random_legacy_modules(source: str, day: dt.date) -> None:
    data = source.encode()
    _parses(data)  # the generator writes valid Python
    once = fix_python(data, day)
    _parses(once)
    assert fix_python(once, day).decode() == once.decode()


@settings(PROPERTY, max_examples=20)
@given(data=notebooks(), day=st.sampled_from(DATES))
def test_fix_is_idempotent_on_random_legacy_notebooks(data: bytes, day: dt.date) -> None:
    once = fix_notebook(data, day)
    for cell in json.loads(once)["cells"]:
        _parses("".join(cell["source"]).encode())
    assert fix_notebook(once, day).decode() == once.decode()


# -- the defects the property found, each pinned ---------------------------------
A, B = FT_IDS[0], FT_IDS[1]
TWICE = [
    pytest.param(f'MODEL_A = "{A}"\nMODEL_B = "{B}"\n', id="module-top"),
    pytest.param(f'MODEL_A = "{A}"\r\nMODEL_B = "{B}"\r\n', id="module-top-crlf"),
    pytest.param(f'# settings\n# more\nMODEL_A = "{A}"\nMODEL_B = "{B}"\n', id="after-other-comments"),
    pytest.param(f'"""Doc."""\nMODEL_A = "{A}"\n', id="after-docstring"),
    pytest.param(f'class Trainer:\n    # models\n    MODEL = "{A}"\n    OTHER = "{B}"\n', id="class"),
    pytest.param(f'def f():\n    MODEL = "{A}"\n    return MODEL\n', id="function"),
    pytest.param(f'class C:\n    x = 1\n    # end of class\nMODEL = "{A}"\n', id="after-block-footer"),
    pytest.param(f'import openai\nif a:\n    pass\n    # end\nelif openai.Completion.create(model="{A}", prompt="x"):\n'
                 f'    pass\n', id="elif"),
]


@pytest.mark.parametrize("source", TWICE)
@pytest.mark.parametrize("day", [DATES[0], DATES[2]], ids=str)
def test_a_marker_already_above_its_statement_is_not_added_again(source: str, day: dt.date) -> None:
    once = fix_python(source.encode(), day)
    assert once.count(b"TODO(ft-migrate FT021)") == source.count(":ft-")
    assert fix_python(once, day) == once


def test_a_notebook_cell_starting_with_legacy_ids_is_migrated_once() -> None:
    cells = [[f'MODEL_A = "{A}"\n', f'MODEL_B = "{B}"'], ["import openai\n", f'FT = "{A}"']]
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": c}
                    for c in cells],
          "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    data = (json.dumps(nb, indent=1) + "\n").encode()
    once = fix_notebook(data, DATES[0])
    sources = ["".join(c["source"]) for c in json.loads(once)["cells"]]
    assert [s.count("TODO(ft-migrate FT021)") for s in sources] == [2, 1]
    assert fix_notebook(once, DATES[0]) == once


def test_a_command_line_marker_is_found_above_the_users_own_comments() -> None:
    from migrator.fix.cli_lines import transform_text

    todo = ("# TODO(ft-migrate FT040): `openai api fine_tunes.follow` has no equivalent: poll "
            "`openai api fine_tuning.job.get -i ID` instead\r\n")
    script = f"#!/bin/sh\r\n{todo}# wait for the job\r\n# (takes an hour)\r\nopenai api fine_tunes.follow -i ft-abc\r\n"
    out, _ = transform_text(script.encode(), "shell", _catalog(DATES[0]), {})
    assert out.decode() == script
