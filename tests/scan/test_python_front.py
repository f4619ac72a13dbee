"""The Python front end on ``ast``: names by scope, positions, string tokens, the statements kept."""

from __future__ import annotations

import ast
import textwrap

import pytest

from migrator.catalog import load_catalog
from migrator.lang.python import Module, parse_hot
from migrator.scan.prefilter import statement_matcher
from migrator.scan.python import scan_python

CAT = load_catalog()


def names_at(source: str, dotted: str) -> list[set[str]]:
    """The qualified names of every expression spelled ``dotted`` in ``source``, in order."""
    module = Module(textwrap.dedent(source))
    found = [n for n in ast.walk(module.tree) if isinstance(n, (ast.Name, ast.Attribute))
             and ast.unparse(n) == dotted and isinstance(getattr(n, "ctx", None), ast.Load)]
    found.sort(key=lambda n: (n.lineno, n.col_offset))
    return [module.names(n) for n in found]


def test_imports_and_aliases_resolve_as_libcst_resolves_them():
    assert names_at("import openai as oa\noa.FineTune.create\n", "oa.FineTune.create") == [
        {"openai.FineTune.create"}]
    assert names_at("from openai import FineTune as FT\nFT.list\n", "FT.list") == [{"openai.FineTune.list"}]
    assert names_at("import a.b\na.b.c\na.x\n", "a.b.c") == [{"a.b.c"}]
    assert names_at("import a.b\na.x\n", "a.x") == [{"a.x"}]
    assert names_at("from .config import DEFAULT\nDEFAULT\n", "DEFAULT") == [{".config.DEFAULT"}]
    assert names_at("from . import config\nconfig.X\n", "config.X") == [{".config.X"}]


def test_scopes_shadow_skip_classes_and_redirect():
    source = """\
        import openai

        def shadowed(openai):
            return openai.FineTune

        class Holder:
            openai = None

            def method(self):
                return openai.FineTune

        def rebinds():
            global openai
            openai = object()
            return openai.FineTune

        listed = [openai.FineTune for openai in range(3)]
        """
    assert names_at(source, "openai.FineTune") == [
        {"shadowed.<locals>.openai.FineTune"},  # a parameter
        {"openai.FineTune"},  # the class body is not in a method's view
        {"openai.FineTune"},  # global: the module's name (the import and the function's assignment)
        {"<comprehension>.openai.FineTune"},  # a comprehension's target is its own
    ]


def test_columns_count_characters_not_utf8_bytes():
    [f] = scan_python('import openai\nnote = "é"; openai.FineTune.list()\n', "m.py", CAT)
    assert (f.line, f.column, f.end_column) == (2, 13, 35)


def test_implicitly_concatenated_strings_are_read_token_by_token():
    source = 'import openai\nopenai.Completion.create(prompt="x", model=("text-davinci-003"\n  "-ignored"))\n' \
             'URL = ("https://api.openai.com"\n       "/v1/fine-tunes")\n'
    found = [(f.line, f.column, f.end_column, f.rule, f.legacy) for f in scan_python(source, "m.py", CAT)]
    # the model is one token of two: not a model argument, but a string naming a legacy model
    assert found == [(2, 45, 63, "FT020", "text-davinci-003"), (5, 9, 23, "FT001", "/v1/fine-tunes")]


def test_tuple_spans_leave_out_their_parentheses():
    source = 'import subprocess\nsubprocess.run(("openai", "api", "fine_tunes.list"))\n'
    [f] = scan_python(source, "m.py", CAT)
    assert (f.line, f.column, f.end_column, f.rule) == (2, 17, 51, "FT040")


MANY = "".join(f"def helper_{i}(x):\n    return x + {i}\n\n\n" for i in range(40))


def test_only_imports_and_statements_that_matter_are_kept():
    source = ("import os\nfrom openai import FineTune as FT\n\n\n" + MANY
              + "def start(path):\n    return FT.create(training_file=path)\n\n\n"
              + "def dull():\n    return os.sep\n")
    tree = parse_hot(source, statement_matcher(CAT)).tree
    assert [getattr(n, "name", type(n).__name__) for n in tree.body] == ["Import", "ImportFrom", "start"]


def test_names_bound_at_the_top_keep_their_uses():
    source = ('import openai\n\nft = openai.FineTune\nalso = ft\n\n\n' + MANY
              + 'def go():\n    return also.list()\n')
    tree = parse_hot(source, statement_matcher(CAT)).tree
    assert [getattr(n, "name", type(n).__name__) for n in tree.body] == ["Import", "Assign", "Assign", "go"]
    assert [(f.line, f.rule) for f in scan_python(source, "m.py", CAT)] == [(3, "FT012"), (168, "FT010")]


def test_a_syntax_error_anywhere_is_the_files():
    source = "import openai\nopenai.FineTune.list()\n" + MANY + "def broken(:\n    pass\n"
    with pytest.raises(SyntaxError):
        parse_hot(source, statement_matcher(CAT))


def test_a_long_operator_chain_is_walked_without_recursion():
    source = "import openai\nx = " + " + ".join(["1"] * 800) + "\nopenai.FineTune.list()\n"
    assert [(f.line, f.rule) for f in scan_python(source, "m.py", CAT)] == [(3, "FT010")]


def test_columns_on_lines_after_a_line_separator_inside_a_string():
    """U+2028 ends a line for str.splitlines, not for Python: the lines after it keep their columns."""
    source = 'import openai\nsep = "\u2028"\nnote = "é"; openai.FineTune.list()\n'
    [f] = scan_python(source, "m.py", CAT)
    assert (f.line, f.column, f.end_column) == (3, 13, 35)
