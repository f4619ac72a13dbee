import json

import orjson
import pytest
from click.testing import CliRunner

from migrator.cli import cli
from migrator.data import check_file, check_with_costs, costs
from migrator.data.check import auto_epochs
from tests.data.conftest import FIXTURES


def completion_tokens(enc, path):
    out = []
    for raw in path.read_bytes().splitlines():
        try:
            row = orjson.loads(raw.removeprefix(b"\xef\xbb\xbf"))
        except orjson.JSONDecodeError:
            continue
        if isinstance(row, dict) and isinstance(row.get("prompt"), str) and isinstance(row.get("completion"), str) \
                and row["completion"]:
            out.append(len(enc.encode_ordinary(row["prompt"])) + len(enc.encode_ordinary(row["completion"])))
    return out


def chat_tokens(enc, messages):
    return 3 + sum(3 + sum(len(enc.encode_ordinary(v)) for v in m.values()) + ("name" in m) for m in messages)


def usd(cat, model, billable, epochs):
    return round(cat.models[model].fine_tuned_price.training * billable / 1000 * epochs, 6)


def test_legacy_train_summary(reference, cat):
    path = FIXTURES / "legacy_train.jsonl"
    per = completion_tokens(reference, path)
    assert len(per) == 12
    assert check_file(path) == {
        "file": str(path), "format": "completion", "lines": 12, "valid": 12, "rejected": [], "warnings": [],
        "separator": "\n\n###\n\n", "stop": "\n",
        "tokens": {"total": sum(per), "billable": sum(per), "max_example": max(per)},
        "epochs": 8, "cost": {"model": "davinci-002", "usd": usd(cat, "davinci-002", sum(per), 8)},
    }


def test_defects_summary(reference, cat):
    path = FIXTURES / "defects.jsonl"
    per = completion_tokens(reference, path)
    assert len(per) == 6  # lines 1, 2, 7, 8, 9, 14
    summary = check_file(path, model="babbage-002", epochs=2)
    assert summary == {
        "file": str(path), "format": "completion", "lines": 16, "valid": 6,
        "rejected": [
            {"line": 4, "reason": 'missing_field: no "completion"'},
            {"line": 5, "reason": 'not_string: "prompt" is an array, not a string'},
            {"line": 6, "reason": "empty_completion: the completion is empty"},
            {"line": 10, "reason": "invalid_json: unexpected end of data (column 42)"},
            {"line": 11, "reason": "invalid_utf8: byte 0xff at column 13 is not valid UTF-8"},
            {"line": 12, "reason": "data_type: the line is an array, not a JSON object"},
            {"line": 15, "reason": "wrong_format: a chat example in a prompt/completion file"},
            {"line": 16, "reason": 'not_string: "completion" is null, not a string'},
        ],
        "warnings": [
            {"line": None, "code": "too_few_examples",
             "message": "6 valid examples; fine-tuning needs at least 10 (50 or more usually work better)"},
            {"line": None, "code": "extra_keys",
             "message": "1 examples have keys other than prompt and completion ('id'); they are ignored "
                        "(first at line 9)"},
            {"line": 7, "code": "duplicate", "message": "the same example as line 2"},
            {"line": 8, "code": "long_example",
             "message": "10008 characters: the legacy tool dropped examples over 10000 characters"},
        ],
        "separator": " ->", "stop": "\n",
        "tokens": {"total": sum(per), "billable": sum(per), "max_example": max(per)},
        "epochs": 2, "cost": {"model": "babbage-002", "usd": usd(cat, "babbage-002", sum(per), 2)},
    }


def test_chat_defects_summary(reference, cat):
    path = FIXTURES / "chat_defects.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    per = [chat_tokens(reference, rows[i - 1]["messages"]) for i in (1, 9, 10, 12)]
    summary = check_file(path)
    assert summary == {
        "file": str(path), "format": "chat", "lines": 12, "valid": 4,
        "rejected": [
            {"line": 2, "reason": "data_type: the line is a string, not a JSON object"},
            {"line": 3, "reason": 'missing_messages_list: no "messages" list'},
            {"line": 4, "reason": 'message_missing_key: message 1 has no "content"'},
            {"line": 5, "reason": "message_unrecognized_key: message 1 has 'weight'"},
            {"line": 6, "reason": "unrecognized_role: message 1 has role 'function'"},
            {"line": 7, "reason": "missing_content: message 1 content is empty"},
            {"line": 8, "reason": "example_missing_assistant_message: no assistant message"},
            {"line": 11, "reason": "wrong_format: a prompt/completion example in a chat file"},
        ],
        "warnings": [
            {"line": None, "code": "too_few_examples",
             "message": "4 valid examples; fine-tuning needs at least 10 (50 or more usually work better)"},
            {"line": None, "code": "extra_keys",
             "message": "1 examples have keys other than messages ('source'); they are ignored (first at line 12)"},
            {"line": None, "code": "no_system_message",
             "message": "2 of 4 examples have no system message (first at line 9)"},
            {"line": None, "code": "no_user_message",
             "message": "1 of 4 examples have no user message (first at line 10)"},
        ],
        "separator": None, "stop": None,
        "tokens": {"total": sum(per), "billable": sum(per), "max_example": max(per)},
        "epochs": 25, "cost": {"model": "gpt-3.5-turbo", "usd": usd(cat, "gpt-3.5-turbo", sum(per), 25)},
    }


def test_over_limit_is_billed_at_the_limit(reference, cat):
    path = FIXTURES / "over_limit.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    per = [chat_tokens(reference, r["messages"]) for r in rows]
    limit = 4096  # gpt-3.5-turbo trained gpt-3.5-turbo-0613 on 2023-12-01
    assert per[-1] > limit
    summary = check_file(path)
    billable = sum(min(limit, t) for t in per)
    assert summary["tokens"] == {"total": sum(per), "billable": billable, "max_example": per[-1]}
    assert summary["warnings"][-1] == {
        "line": 11, "code": "over_token_limit",
        "message": f"{per[-1]} tokens, over gpt-3.5-turbo's {limit}-token limit (gpt-3.5-turbo-0613 on 2023-12-01): "
                   f"the example will be truncated to {limit} tokens"}
    assert summary["epochs"] == 9 and summary["cost"]["usd"] == usd(cat, "gpt-3.5-turbo", billable, 9)


@pytest.mark.parametrize("n, epochs", [(1, 25), (4, 25), (5, 20), (12, 8), (34, 3), (100, 3), (8333, 3),
                                       (8334, 2), (25001, 1), (0, 3)])
def test_auto_epochs(cat, n, epochs):
    assert auto_epochs(n, cat.data) == epochs


def test_costs_side_by_side(reference, cat):
    path = FIXTURES / "legacy_train.jsonl"
    per = completion_tokens(reference, path)
    chat = []
    for line in path.read_text().splitlines():
        row = json.loads(line)
        chat.append(chat_tokens(reference, [{"role": "user", "content": row["prompt"][:-len("\n\n###\n\n")]},
                                            {"role": "assistant", "content": row["completion"][1:-1]}]))
    table = costs(check_file(path))
    assert table == [
        {"model": "babbage-002", "format": "completion", "examples": 12,
         "tokens": {"total": sum(per), "billable": sum(per), "max_example": max(per)}, "epochs": 8,
         "usd": usd(cat, "babbage-002", sum(per), 8)},
        {"model": "davinci-002", "format": "completion", "examples": 12,
         "tokens": {"total": sum(per), "billable": sum(per), "max_example": max(per)}, "epochs": 8,
         "usd": usd(cat, "davinci-002", sum(per), 8)},
        {"model": "gpt-3.5-turbo", "format": "chat", "examples": 12,
         "tokens": {"total": sum(chat), "billable": sum(chat), "max_example": max(chat)}, "epochs": 8,
         "usd": usd(cat, "gpt-3.5-turbo", sum(chat), 8)},
    ]
    assert check_file(path, model="gpt-3.5-turbo")["tokens"]["total"] == sum(chat)


def run(*args):
    result = CliRunner().invoke(cli, ["data", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def test_cli_check_exit_codes_and_json(tmp_path):
    code, out, _ = run("check", FIXTURES / "legacy_train.jsonl", "--format", "json")
    assert code == 0 and json.loads(out) == check_file(FIXTURES / "legacy_train.jsonl")
    assert run("check", FIXTURES / "defects.jsonl")[0] == 1
    assert run("check", FIXTURES / "chat_valid.jsonl")[0] == 0
    code, _, err = run("check", tmp_path / "missing.jsonl")
    assert code == 2 and "missing.jsonl: no such file or directory" in err
    code, _, err = run("check", FIXTURES / "legacy_train.jsonl", "--model", "curie")
    assert code == 2 and "'curie' is not a fine-tunable model" in err
    code, _, err = run("check", FIXTURES / "legacy_train.jsonl", "--epochs", "0")
    assert code == 2 and "epochs must be a positive integer" in err


def test_cli_check_text(reference, cat):
    path = FIXTURES / "missing_separator.jsonl"
    code, out, _ = run("check", path)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"{path}: completion format, 12 lines, 12 valid, 0 rejected, 4 warnings"
    assert lines[1] == "separator '\\n\\n###\\n\\n', stop sequence ' END'"
    assert lines[3] == (f"{path}: missing_separator: 2 of 12 prompts do not end with the separator "
                        "'\\n\\n###\\n\\n' (first at line 4)")
    assert lines[-5].split() == ["model", "format", "examples", "billable", "tokens", "epochs", "cost"]
    assert set(lines[-4]) == {"─"}
    table = costs(path)
    assert [row.split() for row in lines[-3:]] == [
        [c["model"], c["format"], f"{c['examples']:,}", f"{c['tokens']['billable']:,}", str(c["epochs"]),
         f"${c['usd']:.4f}" if c["usd"] < 0.01 else f"${c['usd']:,.2f}"] for c in table]


def test_csv_and_tsv(cat):
    csv_summary = check_file(FIXTURES / "train.csv")
    assert (csv_summary["lines"], csv_summary["valid"], csv_summary["rejected"]) == (6, 3, [
        {"line": 8, "reason": "empty_completion: the completion is empty"},
        {"line": 11, "reason": "invalid_utf8: the row is not valid UTF-8"}])
    tsv = check_file(FIXTURES / "train.tsv")
    assert (tsv["lines"], tsv["valid"], tsv["separator"], tsv["stop"]) == (3, 2, " ->", " END")


def test_conventions_warnings():
    warnings = check_file(FIXTURES / "conventions.jsonl")["warnings"]
    assert [w["code"] for w in warnings] == ["no_separator", "no_stop", "no_leading_space", "common_prompt_prefix"]
    assert warnings[0]["message"].endswith("(the legacy tool suggests ' ->')")
    assert warnings[2]["message"] == "8 of 12 completions do not start with a space (first at line 2)"


@pytest.mark.parametrize("name", ["legacy_train.jsonl", "chat_valid.jsonl", "defects.jsonl", "chat_defects.jsonl",
                                  "conventions.jsonl", "train.csv"])
def test_check_with_costs_is_check_file_and_costs_from_one_read(name):
    path = str(FIXTURES / name)
    models = ("babbage-002", "davinci-002", "gpt-3.5-turbo")
    assert check_with_costs(path, models) == (check_file(path), costs(path, models))
