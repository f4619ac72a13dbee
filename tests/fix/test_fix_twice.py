"""``ft-migrate fix`` then ``ft-migrate fix --check`` on whole trees: the second run exits 0.

Two trees: a copy of every fixture (each codemod's cases, the legacy app, the
notebooks), and 500 legacy modules generated from a fixed seed.  Whatever the
first run rewrote, it left nothing that a second run would rewrite again.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.fix.cli import fix

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
FT_IDS = ("curie:ft-acme-2023-01-01-00-00-00", "davinci:ft-acme:support-2022-11-02-10-00-00",
          "ada:ft-personal-2022-05-05-05-05-05", "babbage:ft-acme-2021-12-12-12-12-12")
MODELS = ("curie", "davinci", "text-davinci-003", "text-curie-001", "ada", "code-davinci-002",
          "text-similarity-ada-001")


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(fix, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_fix_then_check_on_every_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, tree)
    monkeypatch.chdir(tmp_path)
    code, out = _run("-j", "2", "fixtures")
    assert code == 1, out  # the legacy inputs were rewritten
    code, out = _run("--check", "-j", "2", "fixtures")
    assert (code, [line for line in out.splitlines() if line.startswith("Would rewrite")]) == (0, []), out


def _statement(rng: random.Random) -> list[str]:
    kind = rng.randrange(9)
    model, ft = rng.choice(MODELS), rng.choice(FT_IDS)
    if kind == 0:
        names = rng.sample(["MODEL", "FT_MODEL", "CLASSIFIER", "BASE", "OLD"], rng.randint(1, 3))
        return [f'{n} = "{rng.choice(FT_IDS)}"' for n in names]
    if kind == 1:
        extra = rng.choice(["", ", n_epochs=2", ", prompt_loss_weight=0.1", ", batch_size=4, n_epochs=3"])
        return [f'job = openai.FineTune.create(training_file="file-abc", model="{rng.choice([model, ft])}"{extra})',
                'print(job["status"])']
    if kind == 2:
        method = rng.choice(["retrieve", "cancel", "list_events", "stream_events"])
        return [f'openai.FineTune.{method}("ft-abc")']
    if kind == 3:
        key = rng.choice(["model", "engine"])
        return [f'r = openai.Completion.create({key}="{rng.choice([model, ft])}", prompt="Q: x\\nA:", max_tokens=5)',
                'text = r["choices"][0]["text"]']
    if kind == 4:
        return [f'MODEL = "{ft}"', 'r = openai.Completion.create(model=MODEL, prompt="x")']
    if kind == 5:
        return ['requests.post("https://api.openai.com/v1/fine-tunes", '
                f'json={{"training_file": "f", "model": "{model}"}})']
    if kind == 6:
        return [f'subprocess.run(["openai", "api", "fine_tunes.create", "-t", "f.jsonl", "-m", "{model}"])']
    if kind == 7:
        return [f'params = {{"model": "{model}", "n_epochs": 2}}',
                'openai.FineTune.create(training_file="f", **params)']
    return ["# a comment", "x = 1"]


def _module(rng: random.Random) -> str:
    lines = ["import openai", "import requests", "import subprocess", ""] if rng.random() < 0.8 else []
    for _ in range(rng.randint(1, 6)):
        body = _statement(rng)
        wrap = rng.choice(["none", "none", "def", "class", "for", "if", "try"])
        inner = ["    " + line for line in body]
        if wrap == "none":
            lines += body
        elif wrap == "def":
            lines += ["def run(items):", *inner]
        elif wrap == "class":
            lines += ["class Trainer:", "    def go(self, items):", *("    " + line for line in inner)]
        elif wrap == "for":
            lines += ["for item in items:", *inner]
        elif wrap == "if":
            lines += ["if ready:", *inner, "else:", *inner]
        else:
            lines += ["try:", *inner, "except Exception:", "    raise"]
        if rng.random() < 0.5:
            lines.append("")
    newline = "\r\n" if rng.random() < 0.2 else "\n"
    return newline.join(lines) + newline


def test_fix_then_check_on_500_generated_legacy_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rng = random.Random(15)
    for i in range(500):
        package = tmp_path / f"pkg{i // 50}"
        package.mkdir(exist_ok=True)
        (package / f"mod{i}.py").write_bytes(_module(rng).encode())
    code, out = _run("-j", "2", ".")
    summary = out.splitlines()[-1]
    print(f"\n500 generated modules, first run: {summary.split(' manual items')[0]}")
    assert code == 1 and " files changed" in summary, out
    assert "failed" not in summary and "skipped" not in summary, out
    code, out = _run("--check", "-j", "2", ".")
    assert code == 0, out
    assert "No files would be modified" in out.splitlines()[-1]
