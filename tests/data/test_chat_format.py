"""Today's chat training format, per-model example limits and tool tokens, by as-of date.

On 2023-12-01 a job on gpt-3.5-turbo trained gpt-3.5-turbo-0613: examples of at most
4,096 tokens in the chat format of August 2023.  Later the alias trained
gpt-3.5-turbo-0125 (16,385 tokens), and today's fine-tunable chat models take
``weight``, function and tool calls and ``tools``/``functions`` lists.
"""

from __future__ import annotations

import datetime as dt
import json

import orjson
import pytest
from click.testing import CliRunner

from migrator.catalog import load_catalog
from migrator.cli import cli
from migrator.data import check_file, costs, tokens
from migrator.data.convert import convert_file
from migrator.data.rules import rules_for
from tests.data.conftest import FIXTURES

EARLY, MID, TODAY = dt.date(2023, 12, 1), dt.date(2024, 6, 1), dt.date(2026, 11, 28)
TOOLS = FIXTURES / "chat_tools.jsonl"
LONG = FIXTURES / "long_chat.jsonl"

WEATHER = {"type": "function", "function": {
    "name": "get_current_weather", "description": "Get the current weather in a given location",
    "parameters": {"type": "object", "properties": {
        "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
        "unit": {"type": "string", "description": "The unit of temperature to return",
                 "enum": ["celsius", "fahrenheit"]}},
        "required": ["location"]}}}


def leaves(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item)


def cookbook_tokens(enc, example, k):
    """The data-prep notebook's count (text leaves of every value), plus the token-counting
    notebook's count of the line's tool definitions with the constants ``k``."""
    enc = enc.encode_ordinary
    n = 3 + sum(3 + sum(len(enc(t)) for v in m.values() for t in leaves(v)) + ("name" in m)
                for m in example["messages"])
    defs = example.get("tools") or example.get("functions") or []
    for d in defs:
        f = d["function"] if d.get("type") == "function" else d
        n += k["func_init"] + len(enc(f["name"] + ":" + f.get("description", "").removesuffix(".")))
        props = f.get("parameters", {}).get("properties", {})
        if props:
            n += k["prop_init"]
            for name, p in props.items():
                n += k["prop_key"]
                if "enum" in p:
                    n += k["enum_init"] + sum(k["enum_item"] + len(enc(e)) for e in p["enum"])
                n += len(enc(f"{name}:{p['type']}:{p.get('description', '').removesuffix('.')}"))
    return n + (k["func_end"] if defs else 0)


def test_tools_count_as_the_cookbook_measured_against_the_api(cat):
    """OpenAI's token-counting notebook prints 105 prompt tokens, the API's own count, for this
    request on gpt-3.5-turbo (cl100k_base); the counter gives the same with gpt-3.5's constants."""
    seen = []
    counter = tokens.TokenCounter(cat.data, lambda tags, ns: seen.extend(ns),
                                  tool_tokens=cat.data["tool_tokens"]["gpt-3.5"])
    system = "You are a helpful assistant that can answer to questions about the weather."
    counter.add_chat(1, [{"role": "system", "content": system},
                         {"role": "user", "content": "What's the weather like in San Francisco?"}], {"tools": [WEATHER]})
    counter.flush()
    assert seen == [105]


REJECTED_TODAY = [
    {"line": 5, "reason": 'invalid_weight: message 2 "weight" is 2, not 0 or 1'},
    {"line": 6, "reason": "message_unrecognized_key: message 1 has 'weight', which only assistant messages take"},
    {"line": 7, "reason": 'message_missing_key: message 3 (tool) has no "tool_call_id"'},
    {"line": 8, "reason": 'message_missing_key: message 3 (function) has no "name"'},
    {"line": 9, "reason": 'message_missing_key: message 2 has no "content"'},
    {"line": 10, "reason": "missing_content: message 2 content is null"},
    {"line": 11, "reason": 'invalid_call: message 2 tool call 1 function "arguments" is an object, not a string'},
    {"line": 12, "reason": "invalid_tools: tool 1 \"type\" is 'retrieval', not \"function\""},
    {"line": 13, "reason": 'data_type: "parallel_tool_calls" is a string, not true or false'},
    {"line": 14, "reason": "unrecognized_role: message 1 has role 'developer'"},
    {"line": 15, "reason": "message_unrecognized_key: message 2 has 'tool_call_id', which only tool messages take"},
    {"line": 16, "reason": "message_unrecognized_key: message 2 has 'refusal'"},
    {"line": 17, "reason": 'invalid_call: message 2 has both "function_call" and "tool_calls"'},
]


def test_todays_format_is_accepted_and_real_faults_rejected(reference):
    cat = load_catalog(as_of=TODAY)
    rows = [json.loads(line) for line in TOOLS.read_text().splitlines()]
    k = cat.data["tool_tokens"]["gpt-4o"]  # gpt-4.1-mini names none: the catalog default
    per = [cookbook_tokens(reference, rows[i - 1], k) for i in (1, 2, 3, 4, 18)]
    assert per == [44, 102, 80, 80, 21]
    assert check_file(TOOLS, catalog=cat) == {
        "file": str(TOOLS), "format": "chat", "lines": 18, "valid": 5, "rejected": REJECTED_TODAY,
        "warnings": [
            {"line": None, "code": "too_few_examples",
             "message": "5 valid examples; fine-tuning needs at least 10 (50 or more usually work better)"},
            {"line": None, "code": "extra_keys",
             "message": "1 examples have keys other than messages ('metadata'); they are ignored (first at line 4)"},
            {"line": None, "code": "no_system_message",
             "message": "4 of 5 examples have no system message (first at line 2)"},
        ],
        "separator": None, "stop": None,
        "tokens": {"total": sum(per), "billable": sum(per), "max_example": max(per)},
        "epochs": 20, "cost": {"model": "gpt-4.1-mini", "usd": None},
    }


def test_the_same_lines_in_2023_are_checked_against_the_august_2023_format(reference):
    cat = load_catalog(as_of=EARLY)
    assert check_file(TOOLS, catalog=cat)["rejected"] == [
        {"line": 1, "reason": "message_unrecognized_key: message 3 has 'weight'"},
        {"line": 2, "reason": "message_unrecognized_key: message 2 has 'tool_calls'"},
        {"line": 3, "reason": "message_unrecognized_key: message 2 has 'function_call'"},
        {"line": 4, "reason": "message_unrecognized_key: message 2 has 'tool_calls'"},
        {"line": 5, "reason": "message_unrecognized_key: message 2 has 'weight'"},
        {"line": 6, "reason": "message_unrecognized_key: message 1 has 'weight'"},
        {"line": 7, "reason": "message_unrecognized_key: message 2 has 'tool_calls'"},
        {"line": 8, "reason": "message_unrecognized_key: message 2 has 'function_call'"},
        {"line": 9, "reason": 'message_missing_key: message 2 has no "content"'},
        {"line": 10, "reason": "missing_content: message 2 content is null"},
        {"line": 11, "reason": "message_unrecognized_key: message 2 has 'tool_calls'"},
        {"line": 14, "reason": "unrecognized_role: message 1 has role 'developer'"},
        {"line": 15, "reason": "message_unrecognized_key: message 2 has 'tool_call_id'"},
        {"line": 16, "reason": "message_unrecognized_key: message 2 has 'refusal'"},
        {"line": 17, "reason": "message_unrecognized_key: message 2 has 'function_call', 'tool_calls'"},
    ]


@pytest.mark.parametrize(("day", "model", "snapshot", "fmt", "limit"), [
    (EARLY, "gpt-3.5-turbo", "gpt-3.5-turbo-0613", "aug-2023", 4096),
    (MID, "gpt-3.5-turbo", "gpt-3.5-turbo-0125", "tools", 16385),
    (TODAY, "gpt-3.5-turbo", "gpt-3.5-turbo-0125", "tools", 16385),
    (TODAY, "gpt-4o-mini", "gpt-4o-mini", "tools", 65536),
    (TODAY, "gpt-4.1-mini", "gpt-4.1-mini", "tools", None),
    (EARLY, "davinci-002", "davinci-002", "tools", 4096),
])
def test_rules_follow_the_snapshot_of_the_day(day, model, snapshot, fmt, limit):
    cat = load_catalog(as_of=day)
    rules = rules_for(cat, cat.models[model])
    assert (rules.snapshot, rules.chat.key, rules.limit) == (snapshot, fmt, limit)


def test_long_examples_are_priced_at_the_snapshots_limit(reference):
    """The file the cookbook prices at 21,737 billable tokens (16,385-token limit) was priced
    at 8,531 with every gpt-3.5-turbo example capped at 4,096."""
    rows = [json.loads(line) for line in LONG.read_text().splitlines()]
    per = [cookbook_tokens(reference, r, {}) for r in rows]
    assert per == [47, 41, 36, 9876, 40, 33, 32, 11522, 42, 68]
    early = check_file(LONG, model="gpt-3.5-turbo", catalog=load_catalog(as_of=EARLY))
    assert early["tokens"] == {"total": 21737, "billable": 8531, "max_example": 11522}
    assert [w for w in early["warnings"] if w["code"] == "over_token_limit"] == [
        {"line": 4, "code": "over_token_limit", "message": "9876 tokens, over gpt-3.5-turbo's 4096-token limit "
         "(gpt-3.5-turbo-0613 on 2023-12-01): the example will be truncated to 4096 tokens"},
        {"line": 8, "code": "over_token_limit", "message": "11522 tokens, over gpt-3.5-turbo's 4096-token limit "
         "(gpt-3.5-turbo-0613 on 2023-12-01): the example will be truncated to 4096 tokens"},
    ]
    assert early["cost"] == {"model": "gpt-3.5-turbo", "usd": round(0.008 * 8531 / 1000 * 10, 6)}
    for day in (MID, TODAY):
        later = check_file(LONG, model="gpt-3.5-turbo", catalog=load_catalog(as_of=day))
        assert later["tokens"] == {"total": 21737, "billable": 21737, "max_example": 11522}
        assert later["warnings"] == []
        assert later["cost"] == {"model": "gpt-3.5-turbo", "usd": round(0.008 * 21737 / 1000 * 10, 6)}
    today = load_catalog(as_of=TODAY)
    assert [(c["model"], c["tokens"]["billable"]) for c in costs(LONG, catalog=today)] == [
        ("gpt-4o", 21737), ("gpt-4o-mini", 21737), ("gpt-4.1", 21737), ("gpt-4.1-mini", 21737)]
    assert check_file(LONG, catalog=today)["warnings"] == [
        {"line": None, "code": "no_token_limit",
         "message": "the longest example has 11522 tokens and the catalog knows no per-example token limit for "
                    "gpt-4.1-mini: billable tokens are not capped and no example is reported as truncated"}]


def test_cli_check_prices_long_examples_by_date():
    out = CliRunner().invoke(cli, ["data", "check", str(LONG), "--model", "gpt-3.5-turbo", "--format", "json",
                                   "--as-of", "2024-06-01"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["tokens"]["billable"] == 21737


def test_convert_keeps_tools_and_refuses_to_flatten_calls(tmp_path):
    cat = load_catalog(as_of=TODAY)
    out = tmp_path / "out.jsonl"
    summary = convert_file(TOOLS, out, to="chat", catalog=cat)
    rows = [json.loads(line) for line in TOOLS.read_text().splitlines()]
    kept = [rows[i - 1] for i in (1, 2, 3, 4, 18)]
    for row in kept:
        row.pop("metadata", None)
    assert out.read_bytes() == b"".join(orjson.dumps(r) + b"\n" for r in kept)
    assert summary["input"]["rejected"] == REJECTED_TODAY
    flat = tmp_path / "flat.jsonl"
    summary = convert_file(TOOLS, flat, to="completion", catalog=cat)
    assert flat.read_bytes() == b""
    reasons = {r["line"]: r["reason"] for r in summary["input"]["rejected"]}
    assert [reasons[i] for i in (1, 2, 3, 4, 18)] == [
        "not_reversible: only [system,] user, assistant examples with nothing but role and content map to one "
        "prompt and completion"] * 5


def test_convert_to_completion_when_no_completion_model_is_left(tmp_path):
    """Today OUT (prompt/completion) is priced on gpt-4.1-mini, converted back to chat:
    this used to fail with a KeyError once no completion-format model was left."""
    out = tmp_path / "clean.jsonl"
    result = CliRunner().invoke(cli, ["data", "convert", str(FIXTURES / "legacy_train.jsonl"), "-o", str(out),
                                      "--to", "completion", "--format", "json", "--as-of", "2026-11-28"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["format"], summary["valid"], summary["cost"]) == ("completion", 12, {"model": "gpt-4.1-mini",
                                                                                          "usd": None})
    assert summary["warnings"][0]["code"] == "needs_conversion"
    assert summary["tokens"] == check_file(out, model="gpt-4.1-mini", catalog=load_catalog(as_of=TODAY))["tokens"]
