import json
import os

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from migrator.cli import cli
from migrator.data import check_file
from migrator.data.convert import convert_bytes, convert_file
from migrator.data.source import DataError
from tests.data.conftest import FIXTURES

EXPECTED = FIXTURES / "expected"
CASES = [  # input, options, expected output, expected rejects
    ("legacy_train.jsonl", {"system": "You are Acme's support agent."}, "legacy_train.chat.jsonl", []),
    ("defects.jsonl", {}, "defects.chat.jsonl", "defects.rejects.jsonl"),
    ("missing_separator.jsonl", {"to": "completion"}, "missing_separator.completion.jsonl", []),
    ("chat_valid.jsonl", {"to": "completion"}, "chat_valid.completion.jsonl", []),
    ("conventions.jsonl", {"to": "completion"}, "conventions.completion.jsonl", []),
    ("train.csv", {}, "train_csv.chat.jsonl", [{"line": 8, "reason": "empty_completion: the completion is empty"},
                                                {"line": 11, "reason": "invalid_utf8: the row is not valid UTF-8"}]),
]


@pytest.mark.parametrize("name, options, expected, rejects", CASES, ids=[c[0] for c in CASES])
def test_convert_exact_output(tmp_path, name, options, expected, rejects):
    out, rej = tmp_path / "out.jsonl", tmp_path / "rejects.jsonl"
    summary = convert_file(FIXTURES / name, out, rejects_path=rej, **options)
    assert out.read_bytes() == (EXPECTED / expected).read_bytes()
    if isinstance(rejects, str):
        rejects = [json.loads(line) for line in (EXPECTED / rejects).read_text().splitlines()]
    assert [json.loads(line) for line in rej.read_text().splitlines()] == rejects
    counts = summary.pop("input")
    assert counts["rejected"] == rejects
    assert counts["lines"] == counts["written"] + len(counts["rejected"]) + counts["blank"]
    assert counts["written"] == len(out.read_bytes().splitlines())
    assert summary == {**check_file(out), "file": str(out)}
    assert sorted(os.listdir(tmp_path)) == ["out.jsonl", "rejects.jsonl"]


def test_defect_counts_add_up(tmp_path):
    counts = convert_file(FIXTURES / "defects.jsonl", tmp_path / "o.jsonl")["input"]
    assert (counts["lines"], counts["written"], len(counts["rejected"]), counts["blank"]) == (16, 6, 8, 2)


def test_refuses_to_overwrite_input(tmp_path):
    src = tmp_path / "in.jsonl"
    data = (FIXTURES / "legacy_train.jsonl").read_bytes()
    src.write_bytes(data)
    os.symlink(src, tmp_path / "link.jsonl")
    for target in (src, tmp_path / "link.jsonl", tmp_path / "." / "in.jsonl"):
        with pytest.raises(DataError, match="would overwrite the input"):
            convert_file(src, target)
    assert src.read_bytes() == data


def test_failure_leaves_output_untouched(tmp_path, monkeypatch):
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"previous\n")
    from migrator.data import convert as module

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(module, "summarize", broken)  # fails after OUT is written, before it replaces OUT
    with pytest.raises(RuntimeError):
        convert_file(FIXTURES / "legacy_train.jsonl", out)
    assert out.read_bytes() == b"previous\n"
    assert os.listdir(tmp_path) == ["out.jsonl"]


def test_convert_bytes_for_the_shim():
    data = (FIXTURES / "defects.jsonl").read_bytes()
    out, rejects = convert_bytes(data)
    assert out == (EXPECTED / "defects.chat.jsonl").read_bytes()
    assert rejects == [json.loads(line) for line in (EXPECTED / "defects.rejects.jsonl").read_text().splitlines()]
    with pytest.raises(ValueError, match="--system applies only"):
        convert_bytes(data, to="completion", system="x")


def test_cli_convert(tmp_path):
    runner = CliRunner()
    out = tmp_path / "o.jsonl"
    result = runner.invoke(cli, ["data", "convert", str(FIXTURES / "defects.jsonl"), "-o", str(out)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        f"{FIXTURES / 'defects.jsonl'}: 16 lines: 6 written to {out}, 8 rejected, 2 blank",
        f"{FIXTURES / 'defects.jsonl'}:4: missing_field: no \"completion\""]
    assert result.stdout == ""
    src = FIXTURES / "legacy_train.jsonl"
    result = runner.invoke(cli, ["data", "convert", str(src), "-o", str(src)])
    assert result.exit_code == 2 and "would overwrite the input" in result.stderr
    result = runner.invoke(cli, ["data", "convert", str(src), "-o", str(out), "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["input"]["written"] == 12


# -- property tests ---------------------------------------------------------
SEP, STOP = "\n\n###\n\n", "\n"
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n#"), min_size=1,
               max_size=30).filter(lambda s: s.strip())
pairs = st.lists(st.tuples(text, text), min_size=1, max_size=12)


def jsonl(rows):
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rows)


@settings(max_examples=40, deadline=None)
@given(pairs)
def test_completion_to_chat_loses_nothing(items):
    data = jsonl({"prompt": p + SEP, "completion": " " + c + STOP} for p, c in items)
    out, rejects = convert_bytes(data)
    assert rejects == []
    got = [json.loads(line)["messages"] for line in out.splitlines()]
    assert got == [[{"role": "user", "content": p}, {"role": "assistant", "content": c}] for p, c in items]


@settings(max_examples=40, deadline=None)
@given(pairs)
def test_chat_round_trips_through_completion(items):
    chat = jsonl({"messages": [{"role": "user", "content": p}, {"role": "assistant", "content": c}]}
                 for p, c in items)
    completion, rejects = convert_bytes(chat, to="completion")
    assert rejects == []
    back, rejects = convert_bytes(completion, to="chat")
    assert rejects == [] and back == convert_bytes(chat, to="chat")[0]


# -- bounded memory and the text summary ---------------------------------------
def test_rejects_are_streamed_and_the_summary_keeps_a_bounded_sample(tmp_path, monkeypatch):
    from migrator.data import convert as module

    monkeypatch.setattr(module, "LISTED", 3)
    good = [json.dumps({"prompt": f"Q{i} ->", "completion": f" A{i}\n"}) for i in range(12)]
    bad = [json.dumps({"prompt": f"Q{i} ->"}) for i in range(10)]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(good + bad) + "\n")
    out, rej = tmp_path / "out.jsonl", tmp_path / "rejects.jsonl"
    counts = convert_file(src, out, rejects_path=rej)["input"]
    expected = [{"line": 13 + i, "reason": 'missing_field: no "completion"'} for i in range(10)]
    assert [json.loads(line) for line in rej.read_text().splitlines()] == expected
    assert counts["rejected"] == expected[:3]
    assert counts["rejected_count"] == 10
    assert counts["lines"] == counts["written"] + counts["rejected_count"] + counts["blank"] == 22


def test_per_line_warnings_are_bounded(tmp_path, monkeypatch):
    from migrator.data import convert as module

    monkeypatch.setattr(module, "LISTED", 2)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"prompt": "Q ->", "completion": " A\n"}) + "\n" for _ in range(12)))
    summary = convert_file(src, tmp_path / "out.jsonl")
    duplicates = [w for w in summary["warnings"] if w["code"] == "duplicate"]
    assert [w["line"] for w in duplicates] == [2, 3]
    assert {"line": None, "code": "not_listed",
            "message": "9 more per-line warnings are not listed (at most 2 of each kind are)"} in summary["warnings"]
    assert check_file(src)["warnings"][-1]["line"] == 12  # check itself lists everything
    long = "x" * 10_001
    src.write_text("".join(json.dumps({"prompt": f"{long}{i} ->", "completion": " A\n"}) + "\n" for i in range(5)))
    counts = convert_file(src, tmp_path / "out.jsonl")["input"]
    assert [w["code"] for w in counts["warnings"]] == ["too_few_examples", "common_prompt_prefix", "not_listed",
                                                       "long_example", "long_example"]
    assert counts["warnings"][2]["message"] == "3 more per-line warnings are not listed (at most 2 of each kind are)"


def test_duplicate_candidates_are_bounded(tmp_path, monkeypatch):
    from migrator.data import analysis

    monkeypatch.setattr(analysis, "MAX_DUP_CANDIDATES", 1)
    src = tmp_path / "in.jsonl"
    rows = [{"prompt": f"Q{i % 3} ->", "completion": " A\n"} for i in range(12)]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    warnings = check_file(src)["warnings"]
    assert {"line": None, "code": "duplicates_not_checked",
            "message": "more than 1 examples may repeat earlier ones; 6 further examples were not checked "
                       "for duplicates"} in warnings
    assert [w["line"] for w in warnings if w["code"] == "duplicate"] == [4, 7, 10]


def test_cli_convert_text_summary_prices_the_output(tmp_path, cat):
    out = tmp_path / "o.jsonl"
    src = FIXTURES / "legacy_train.jsonl"
    result = CliRunner().invoke(cli, ["data", "convert", str(src), "-o", str(out)])
    assert result.exit_code == 0
    summary = check_file(out)
    lines = result.stderr.splitlines()
    assert lines[0] == f"{src}: 12 lines: 12 written to {out}, 0 rejected, 0 blank"
    assert lines[1] == (f"{out}: 12 chat examples, {summary['tokens']['total']:,} tokens "
                        f"({summary['tokens']['billable']:,} billable on gpt-3.5-turbo), 1 warnings")
    assert lines[2].split() == ["model", "format", "examples", "billable", "tokens", "epochs", "cost"]
    assert lines[4].split() == ["gpt-3.5-turbo", "chat", "12", f"{summary['tokens']['billable']:,}",
                                str(summary["epochs"]), f"${summary['cost']['usd']:,.2f}"]
    assert [row.split() for row in lines[5:7]] == [["babbage-002", "completion", "-", "-", "-", "-"],
                                                   ["davinci-002", "completion", "-", "-", "-", "-"]]
    assert lines[7] == (f"babbage-002, davinci-002: train on completion examples; `ft-migrate data check {src}` "
                        "prices the input on them")
