"""Legacy model values in YAML/TOML/JSON/INI/.env config files: exact values only, exact positions."""

from __future__ import annotations

import pytest

from migrator.catalog import load_catalog
from migrator.scan.common import ScanFailure
from migrator.scan.config import scan_config

CAT = load_catalog()


def rows(text: str, fmt: str) -> list[tuple]:
    return [(f.line, f.column, f.end_line, f.end_column, f.rule, f.legacy, f.replacement, f.fixable)
            for f in scan_config(text, "conf", CAT, fmt)]


def test_yaml_values_with_key_path_message():
    text = ("train:\n  model: curie\n  author: Ada Lovelace\n  babbage: hello\n"
            "  models:\n    - 'text-davinci-003'\n    - gpt-4\n  davinci_config: {x: y}\n")
    found = scan_config(text, "conf.yaml", CAT, "yaml")
    assert [f.as_json() for f in found] == [
        {"path": "conf.yaml", "line": 2, "column": 10, "end_line": 2, "end_column": 15, "cell": None,
         "rule": "FT020", "kind": "model", "legacy": "curie", "replacement": "davinci-002", "fixable": False,
         "message": "model 'curie' (in config key \"train.model\") will be shut down on 2024-01-04; use 'davinci-002'"},
        {"path": "conf.yaml", "line": 6, "column": 7, "end_line": 6, "end_column": 25, "cell": None,
         "rule": "FT020", "kind": "model", "legacy": "text-davinci-003", "replacement": "gpt-3.5-turbo-instruct",
         "fixable": False, "message": "model 'text-davinci-003' (in config key \"train.models[0]\") will be shut down "
                                      "on 2024-01-04; use 'gpt-3.5-turbo-instruct'"},
    ]


def test_yaml_fine_tuned_name_and_anchors_once():
    name = "curie:ft-acmeco-2021-03-03-21-44-20"
    assert rows(f"a: &m {name}\nb: *m\n", "yaml") == [(1, 7, 1, 42, "FT021", name, None, False)]


def test_yaml_ci_run_block_and_argv_list():
    text = ("jobs:\n  t:\n    steps:\n      - run: |\n          # openai api fine_tunes.list\n"
            "          openai api fine_tunes.create -t x \\\n            -m \"babbage\"\n"
            "      - command: [\"openai\", \"api\", \"fine_tunes.get\", \"-i\", \"ft-1\"]\n"
            "      - url: https://api.openai.com/v1/engines/davinci/completions\n")
    assert rows(text, "yaml") == [
        (6, 11, 6, 39, "FT040", "openai api fine_tunes.create", "openai api fine_tuning.job.create", True),
        (7, 16, 7, 25, "FT020", "babbage", "babbage-002", True),
        (8, 19, 8, 52, "FT040", "openai api fine_tunes.get", "openai api fine_tuning.job.get", True),
        (9, 36, 9, 67, "FT002", "/v1/engines/davinci/completions", "/v1/completions", False),
    ]


def test_invalid_yaml_is_a_scan_failure_with_position():
    with pytest.raises(ScanFailure, match=r"^invalid YAML: line 3 column 1: expected ',' or ']', but got '<stream end>'$"):
        scan_config("a: b\nc: [d\n", "c.yaml", CAT, "yaml")


def test_toml_values_tables_arrays_inline_tables_and_multiline():
    text = ('# model = "curie"\n[model]\nname = "curie"\nbabbage = "hello"\n'
            "[[runs]]\nengine = 'ada'\n[[runs]]\ncfg = { base_model = \"davinci\", n = 1 }\n"
            'list = [\n  "x",\n  "text-ada-001",\n]\nprompt = """\nAda Lovelace"""\n')
    assert rows(text, "toml") == [
        (3, 8, 3, 15, "FT020", "curie", "davinci-002", False),
        (6, 10, 6, 15, "FT020", "ada", "babbage-002", False),
        (8, 22, 8, 31, "FT020", "davinci", "davinci-002", False),
        (11, 3, 11, 17, "FT020", "text-ada-001", "gpt-3.5-turbo-instruct", False),
    ]
    assert 'in config key "runs[1].cfg.base_model"' in scan_config(text, "c.toml", CAT, "toml")[2].message


def test_invalid_toml_is_a_scan_failure_with_position():
    with pytest.raises(ScanFailure, match=r"^invalid TOML: line 2 column \d+: "):
        scan_config('a = 1\nb = = 2\n', "c.toml", CAT, "toml")


def test_json_values_keys_are_not_values():
    text = '{"model": "ada", "author": "Ada Lovelace", "ada": "x", "davinci_config": {"x": ["y", "curie"]}}'
    assert rows(text, "json") == [
        (1, 11, 1, 16, "FT020", "ada", "babbage-002", False),
        (1, 86, 1, 93, "FT020", "curie", "davinci-002", False),
    ]
    assert 'in config key "davinci_config.x[1]"' in scan_config(text, "c.json", CAT, "json")[1].message


def test_json_script_with_a_command():
    text = '{\n  "scripts": {\n    "train": "openai api fine_tunes.create -m curie"\n  }\n}\n'
    assert rows(text, "json") == [
        (3, 15, 3, 43, "FT040", "openai api fine_tunes.create", "openai api fine_tuning.job.create", True),
        (3, 47, 3, 52, "FT020", "curie", "davinci-002", True),
    ]


def test_invalid_json_is_a_scan_failure_with_position():
    with pytest.raises(ScanFailure, match=r"^invalid JSON: line 2 column 3: Expecting property name"):
        scan_config('{\n  ,}', "c.json", CAT, "json")


def test_ini_sections_quotes_comments_and_continuations():
    text = "[gpt]\nengine = text-curie-001\nname: \"ada\"\n; model = curie\nmodels =\n    davinci\n    gpt-4\nnote = Ada Lovelace\n"
    assert rows(text, "ini") == [
        (2, 10, 2, 24, "FT020", "text-curie-001", "gpt-3.5-turbo-instruct", False),
        (3, 7, 3, 12, "FT020", "ada", "babbage-002", False),
        (6, 5, 6, 12, "FT020", "davinci", "davinci-002", False),
    ]


def test_env_file_with_crlf():
    text = "# MODEL=curie\r\nexport OPENAI_MODEL='curie'\r\nNAME=Ada Lovelace\r\nENGINE=davinci # old\r\n"
    assert rows(text, "env") == [
        (2, 21, 2, 28, "FT020", "curie", "davinci-002", False),
        (4, 8, 4, 15, "FT020", "davinci", "davinci-002", False),
    ]


def test_placeholder_defaults_are_models():
    """`${NAME:default}` (Spring) and `${NAME:-default}` (shell, Compose): the default runs unless the
    variable is set, so a legacy default is reported, on the default itself."""
    text = ('openai:\n  model: ${OPENAI_MODEL:text-davinci-003}\n  engine: "${ENGINE:-curie}"\n'
            '  other: ${MODEL:gpt-4o}\n  plain: ${MODEL}\n')
    assert rows(text, "yaml") == [
        (2, 25, 2, 41, "FT020", "text-davinci-003", "gpt-3.5-turbo-instruct", False),
        (3, 22, 3, 27, "FT020", "curie", "davinci-002", False),
    ]
    found = scan_config(text, "conf", CAT, "yaml")
    assert found[1].message.startswith("model 'curie' (default of ${ENGINE} in config key \"openai.engine\") ")
    assert rows("OPENAI_MODEL=${OPENAI_MODEL:-text-davinci-003}\n", "env") == [
        (1, 30, 1, 46, "FT020", "text-davinci-003", "gpt-3.5-turbo-instruct", False)]
