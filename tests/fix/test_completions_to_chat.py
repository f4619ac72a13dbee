"""Data and fix agree: the separator ``data check`` finds in the training prompts is what
``fix`` strips from the runtime prompt of a call it moves to chat completions, by one rule
(:func:`migrator.data.conventions.split_ending`) over one list (the catalog's separators)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from migrator.cli import cli

REPO = Path(__file__).resolve().parents[2]


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_the_example_prompt_loses_the_separator_its_training_data_is_converted_without(tmp_path, monkeypatch):
    shutil.copytree(REPO / "fixtures" / "legacy_app", tmp_path / "app")
    monkeypatch.chdir(tmp_path / "app")
    check = run("data", "check", "data/train.jsonl", "--format", "json", "--as-of", "2026-11-28")
    separator = json.loads(check.stdout)["separator"]
    assert separator == "\n\n###\n\n"
    source = Path("app/complete.py").read_text()
    assert 'prompt=ticket + "\\n\\n###\\n\\n"' in source

    converted = run("data", "convert", "data/train.jsonl", "--to", "chat", "-o", "chat.jsonl")
    assert converted.exit_code == 0, converted.stderr
    first = json.loads(Path("chat.jsonl").read_text().splitlines()[0])
    prompt = json.loads(Path("data/train.jsonl").read_text().splitlines()[0])["prompt"]
    assert first["messages"][0] == {"role": "user", "content": prompt.removesuffix(separator)}

    fixed = run("fix", "app/complete.py", "--as-of", "2026-11-28")
    assert fixed.exit_code == 1, fixed.stderr
    assert ('    response = openai.ChatCompletion.create(model=CLASSIFIER, messages=[{"role": "user", '
            '"content": ticket}], max_tokens=1)\n') in Path("app/complete.py").read_text()


CUSTOM = '''import openai


def label(text):
    response = openai.Completion.create(model="text-davinci-003", prompt=text + "\\n\\nLABEL:\\n\\n")
    return response["choices"][0]["text"]
'''


def test_a_separator_added_to_the_catalog_is_detected_by_data_and_stripped_by_fix(tmp_path, monkeypatch):
    """One list, one rule: a user catalog's extra separator changes both commands alike."""
    monkeypatch.chdir(tmp_path)
    catalog = tmp_path / "extra.toml"
    catalog.write_text('[data]\nseparators = [" ->", "\\n\\nLABEL:\\n\\n"]\n')
    Path("label.py").write_text(CUSTOM)
    rows = [{"prompt": f"ticket {i} says{' ' * (i % 3)} hello\n\nLABEL:\n\n", "completion": f" {i}\n"}
            for i in range(12)]
    Path("train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))

    without = run("fix", "--diff", "label.py", "--as-of", "2026-11-28")
    assert '"content": text + "\\n\\nLABEL:\\n\\n"}]' in without.stdout  # not a separator the catalog knows

    check = run("data", "check", "train.jsonl", "--format", "json", "--catalog", str(catalog))
    assert json.loads(check.stdout)["separator"] == "\n\nLABEL:\n\n"
    fixed = run("fix", "--diff", "label.py", "--as-of", "2026-11-28", "--catalog", str(catalog))
    assert ('+    response = openai.ChatCompletion.create(model="gpt-4.1-mini", messages=[{"role": "user", '
            '"content": text}])\n') in fixed.stdout


TARGETED = '''import openai


def answer(question):
    response = openai.Completion.create(model="text-davinci-003", prompt=question, max_tokens=20)
    return response.choices[0].text
'''


def test_a_chat_target_moves_the_call_on_a_date_completion_models_are_alive(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("answer.py").write_text(TARGETED)
    assert run("fix", "--diff", "answer.py", "--as-of", "2023-12-01").stdout.count("ChatCompletion") == 0
    result = run("fix", "answer.py", "--as-of", "2023-12-01", "--target", "gpt-3.5-turbo")
    assert result.exit_code == 1, result.stderr
    assert Path("answer.py").read_text() == (
        "import openai\n"
        "\n"
        "\n"
        "def answer(question):\n"
        '    response = openai.ChatCompletion.create(model="gpt-3.5-turbo", messages=[{"role": "user", '
        '"content": question}], max_tokens=20)\n'
        "    return response.choices[0].message.content\n")


def test_the_todo_says_the_target_was_chosen_and_until_when_it_holds(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("answer.py").write_text(TARGETED)
    result = run("fix", "--diff", "answer.py", "--as-of", "2026-08-01", "--target", "gpt-4.1-mini")
    assert ("+    # TODO(ft-migrate FT020): 'text-davinci-003' was shut down, and --target chose chat completions "
            "(messages=[...]) with 'gpt-4.1-mini' (valid until 2027-01-14, a third-party date, unconfirmed)\n"
            '+    response = openai.ChatCompletion.create(model="gpt-4.1-mini", messages=[{"role": "user", '
            '"content": question}], max_tokens=20)\n') in result.stdout


def test_a_retiring_completion_model_written_a_run_ago_is_left_for_its_last_days(tmp_path, monkeypatch):
    """On 2026-08-01 text-davinci-002 goes to gpt-3.5-turbo-instruct (alive until 2026-09-28);
    the next run must not move that call to chat: fix, then fix --check, is clean."""
    monkeypatch.chdir(tmp_path)
    Path("draft.py").write_text(TARGETED.replace("text-davinci-003", "text-davinci-002"))
    first = run("fix", "draft.py", "--as-of", "2026-08-01")
    assert first.exit_code == 1, first.stderr
    assert 'openai.Completion.create(model="gpt-3.5-turbo-instruct", prompt=question' in Path("draft.py").read_text()
    again = run("fix", "--check", "draft.py", "--as-of", "2026-08-01")
    assert again.exit_code == 0, again.stderr


INSTRUCT = '''import openai

r = openai.Completion.create(model="gpt-3.5-turbo-instruct", prompt="hi")
print(r["choices"][0]["text"])
'''


def test_a_file_that_names_only_a_model_shut_down_after_2024_is_fixed(tmp_path, monkeypatch):
    """The byte prefilter knows every model shut down by the as-of date, not only the 2024 ones."""
    monkeypatch.chdir(tmp_path)
    Path("instruct.py").write_text(INSTRUCT)
    alive = run("fix", "--diff", "instruct.py", "--as-of", "2026-08-01")
    assert (alive.exit_code, alive.stdout) == (0, "")
    dead = run("fix", "instruct.py", "--as-of", "2026-11-28")
    assert dead.exit_code == 1, dead.stderr
    assert Path("instruct.py").read_text().splitlines()[3:] == [
        'r = openai.ChatCompletion.create(model="gpt-4.1-mini", messages=[{"role": "user", "content": "hi"}])',
        'print(r["choices"][0]["message"]["content"])']
