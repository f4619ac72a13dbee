"""openai-node v3 calls, legacy models and endpoint URLs in JS/TS, never in comments or prose."""

from __future__ import annotations

import datetime as dt

from migrator.catalog import load_catalog
from migrator.scan.javascript import scan_javascript, tokenize

CAT = load_catalog()


def rows(text: str) -> list[tuple]:
    return [(f.line, f.column, f.end_line, f.end_column, f.rule, f.legacy, f.replacement, f.fixable)
            for f in scan_javascript(text, "app.ts", CAT)]


def test_v3_calls_with_exact_finding():
    found = scan_javascript("const r = await openai.createFineTune({ training_file: id });\n", "app.js", CAT)
    assert [f.as_json() for f in found] == [{
        "path": "app.js", "line": 1, "column": 24, "end_line": 1, "end_column": 38, "cell": None,
        "rule": "FT013", "kind": "sdk-call", "legacy": "createFineTune", "replacement": "fineTuning.jobs.create",
        "fixable": False,
        "message": "createFineTune() (openai-node v3 OpenAIApi) calls the legacy /v1/fine-tunes endpoint, shut down "
                   "on 2024-01-04; use fineTuning.jobs.create() (openai-node v4 openai.fineTuning.jobs)"}]


def test_every_v3_method_and_no_equivalent_delete():
    text = ("api.listFineTunes();\napi?.retrieveFineTune(id);\napi.cancelFineTune(id);\n"
            "api.listFineTuneEvents(id);\napi.deleteFineTune(id);\n")
    assert rows(text) == [
        (1, 5, 1, 18, "FT013", "listFineTunes", "fineTuning.jobs.list", False),
        (2, 6, 2, 22, "FT013", "retrieveFineTune", "fineTuning.jobs.retrieve", False),
        (3, 5, 3, 19, "FT013", "cancelFineTune", "fineTuning.jobs.cancel", False),
        (4, 5, 4, 23, "FT013", "listFineTuneEvents", "fineTuning.jobs.listEvents", False),
        (5, 5, 5, 19, "FT013", "deleteFineTune", None, False),
    ]


def test_comments_strings_and_non_calls_are_not_findings():
    text = ("// openai.createFineTune({model: 'curie'})\n/* api.listFineTunes()\n   'davinci' */\n"
            "const s = 'createFineTune(x)';\nconst f = createFineTune;\nconst name = 'Ada Lovelace';\n"
            "const who = 'ada';  // Marie Curie\nconst davinci_config = { babbage: 'x' };\n"
            "if (model === 'curie') {}\n")
    assert rows(text) == []


def test_models_as_arguments_properties_and_assignments():
    text = ("openai.createCompletion('text-davinci-003');\n"
            "const job = { model: \"curie\", 'base_model': `davinci` };\n"
            "const DEFAULT_MODEL = 'ada';\nrun(x, `curie:ft-acmeco-2021-03-03-21-44-20`);\n"
            "call(`${m}curie`);\n")
    assert rows(text) == [
        (1, 25, 1, 43, "FT020", "text-davinci-003", "gpt-3.5-turbo-instruct", False),
        (2, 22, 2, 29, "FT020", "curie", "davinci-002", False),
        (2, 45, 2, 54, "FT020", "davinci", "davinci-002", False),
        (3, 23, 3, 28, "FT020", "ada", "babbage-002", False),
        (4, 8, 4, 45, "FT021", "curie:ft-acmeco-2021-03-03-21-44-20", None, False),
    ]


def test_endpoint_urls_in_strings_and_templates():
    text = ("fetch('https://api.openai.com/v1/fine-tunes');\n"
            "fetch(`${BASE}/v1/fine-tunes/${id}/events`, { method: 'GET' });\n"
            "const re = /\\/v1\\/fine-tunes/; // https://api.openai.com/v1/engines\n")
    assert rows(text) == [
        (1, 30, 1, 44, "FT001", "/v1/fine-tunes", "/v1/fine_tuning/jobs", False),
        (2, 7, 2, 43, "FT001", "/v1/fine-tunes/{id}/events", "/v1/fine_tuning/jobs/{id}/events", False),
    ]


def test_cli_command_in_a_string():
    assert rows("execSync('openai api fine_tunes.create -t f -m curie');\n") == [
        (1, 11, 1, 39, "FT040", "openai api fine_tunes.create", "openai api fine_tuning.job.create", False),
        (1, 48, 1, 53, "FT020", "curie", "davinci-002", False),
    ]


def test_regex_literal_with_quotes_does_not_derail_the_tokenizer():
    text = "const r = x.match(/it's \"q\"/g);\nopenai.listFineTunes();\nconst d = a / b / 'ada';\n"
    assert rows(text) == [(2, 8, 2, 21, "FT013", "listFineTunes", "fineTuning.jobs.list", False)]
    assert [t.kind for t in tokenize("a / b / c")] == ["ident", "punct", "ident", "punct", "ident"]


def test_crlf_positions():
    assert rows("// x\r\napi.listFineTunes();\r\n") == [
        (2, 5, 2, 18, "FT013", "listFineTunes", "fineTuning.jobs.list", False)]


def test_completions_calls_once_no_completion_model_is_left():
    """From 2026-10-23 every createCompletion() fails: a call whose model is not reported in its
    arguments is a finding of its own; one whose legacy model is reported is not counted twice."""
    text = ("const a = await openai.createCompletion({ model: req.body.model, prompt });\n"
            "const b = await openai.createCompletion({\n  model: 'text-davinci-003',\n  prompt,\n});\n"
            "const c = await openai.createChatCompletion({ model: 'gpt-4o', messages });\n")
    late = load_catalog(as_of=dt.date(2026, 11, 29))
    found = scan_javascript(text, "app.js", late)
    assert [(f.line, f.column, f.rule, f.kind, f.legacy, f.fixable) for f in found] == [
        (1, 24, "FT020", "completions-call", "createCompletion", False),
        (3, 10, "FT020", "model", "text-davinci-003", False),
    ]
    assert found[0].message == ("no completion-format model is left on 2026-11-29: createCompletion() fails whatever "
                                "its model; move it to createChatCompletion() (messages: [...]) with a chat model")
    early = load_catalog(as_of=dt.date(2023, 12, 1))
    assert [f.line for f in scan_javascript(text, "app.js", early)] == [3]
