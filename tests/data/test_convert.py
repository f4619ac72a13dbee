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
    monkeypatch.setattr(module, "check_source", broken)
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
