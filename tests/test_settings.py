"""``[tool.ft-migrate]`` in pyproject.toml: found like ruff's config, flags win, mistakes exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli import cli

LEGACY = 'import openai\n\nopenai.FineTune.create(training_file="f", model="curie")\n'
MINE = ('[sources]\nMINE = "ours"\n[dates.g4]\ndate = "2024-06-13"\nlabel = "gpt-4-0314 off"\n'
        'confidence = "official"\nsource = "MINE"\n[models."gpt-4-0314"]\nstatus = "shut-down"\ngroup = "base"\n'
        'replacement = "davinci-002"\nshutdown = "g4"\nsource = "MINE"\n')


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def findings(*args: str) -> list[tuple[str, str]]:
    result = run("scan", *args, "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    return [(f["path"], f["rule"]) for f in json.loads(result.stdout)["findings"]]


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project root with src/a.py and tests/data/old.py; the test chooses the pyproject.toml."""
    monkeypatch.chdir(tmp_path)
    for name in ("src/a.py", "tests/data/old.py"):
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Path(name).write_text(LEGACY)

    def configure(table: str, where: str = "pyproject.toml") -> Path:
        Path(where).parent.mkdir(parents=True, exist_ok=True)
        Path(where).write_text(f'[project]\nname = "demo"\n\n[tool.ft-migrate]\n{table}')
        return tmp_path

    return configure


def test_exclude_from_the_nearest_pyproject_and_the_flag_wins(project):
    project('exclude = ["tests/data"]\n')
    assert findings(".") == [("src/a.py", "FT010"), ("src/a.py", "FT020")]
    assert findings(".", "--exclude", "src") == [("tests/data/old.py", "FT010"), ("tests/data/old.py", "FT020")]
    assert findings("src") == [("src/a.py", "FT010"), ("src/a.py", "FT020")]  # found upward from src/


def test_found_upward_from_the_first_path_skipping_pyprojects_without_the_table(project, tmp_path):
    project('exclude = ["old.py"]\n')
    Path("tests/pyproject.toml").write_text('[tool.black]\nline-length = 100\n')  # no [tool.ft-migrate]: passed over
    assert findings("tests/data") == []
    assert run("scan", "tests/data").exit_code == 0


def test_a_nearer_table_is_the_one_used(project):
    project('exclude = ["old.py", "a.py"]\n')
    project('exclude = ["nothing"]\n', where="tests/pyproject.toml")
    assert findings("tests/data") == [("tests/data/old.py", "FT010"), ("tests/data/old.py", "FT020")]
    assert findings("src") == []  # src/ is under the root's table only
    assert findings("src/a.py") == [("src/a.py", "FT010"), ("src/a.py", "FT020")]  # named: read, as with --exclude


def test_without_paths_the_working_directory_decides(project, monkeypatch):
    project('exclude = ["old.py"]\n')
    monkeypatch.chdir("tests")
    assert findings() == []


def test_catalog_is_relative_to_the_pyproject(project):
    Path("cfg").mkdir()
    Path("cfg/mine.toml").write_text(MINE)
    project('catalog = ["cfg/mine.toml"]\n')
    Path("src/g4.py").write_text('import openai\nopenai.ChatCompletion.create(model="gpt-4-0314", messages=[])\n')
    assert findings("src/g4.py") == [("src/g4.py", "FT020")]
    Path("other.toml").write_text("")
    assert findings("src/g4.py", "--catalog", "other.toml") == []  # a flag replaces the file's list


def test_target_and_the_flag_wins(project):
    project('target = "babbage-002"\n')
    messages = [f["message"] for f in json.loads(run("scan", "src", "--format", "json").stdout)["findings"]]
    assert messages[1] == "model 'curie' (passed as model=) will be shut down on 2024-01-04; use 'babbage-002'"
    result = run("scan", "src", "--format", "json", "--target", "davinci-002")
    assert json.loads(result.stdout)["findings"][1]["message"].endswith("use 'davinci-002'")


def test_as_of_from_the_file_below_the_environment_and_the_flag(project, monkeypatch):
    project("as-of = 2024-06-01\n")
    assert json.loads(run("scan", "src", "--format", "json").stdout)["as_of"] == "2023-12-01"  # $FT_MIGRATE_AS_OF
    monkeypatch.delenv("FT_MIGRATE_AS_OF")
    assert json.loads(run("scan", "src", "--format", "json").stdout)["as_of"] == "2024-06-01"
    assert json.loads(run("scan", "src", "--format", "json", "--as-of", "2023-11-01").stdout)["as_of"] == "2023-11-01"
    assert json.loads(run("report", "src", "--format", "json").stdout)["as_of"] == "2024-06-01"
    project('as-of = "2024-07-01"\n')  # a string in YYYY-MM-DD form is a date too
    assert json.loads(run("scan", "src", "--format", "json").stdout)["as_of"] == "2024-07-01"


def test_model_map_for_fix_and_a_flag_pair_wins(project):
    old = "curie:ft-acme-2023-03-01-12-00-00"
    project(f'[tool.ft-migrate.model-map]\n"{old}" = "ft:davinci-002:acme::from-file"\n'
            f'"ada:ft-acme-2023-03-01-12-00-00" = "ft:babbage-002:acme::other"\n')
    Path("src/use.py").write_text(f'import openai\nopenai.Completion.create(model="{old}", prompt="x")\n')
    assert run("fix", "src/use.py").exit_code == 1
    assert 'model="ft:davinci-002:acme::from-file"' in Path("src/use.py").read_text()
    Path("src/use.py").write_text(f'import openai\nopenai.Completion.create(model="{old}", prompt="x")\n')
    assert run("fix", "src/use.py", "--model-map", f"{old}=ft:davinci-002:acme::flag").exit_code == 1
    assert 'model="ft:davinci-002:acme::flag"' in Path("src/use.py").read_text()


@pytest.mark.parametrize("table, message", [
    ('excludes = ["x"]\n',
     "unknown key 'excludes' (known keys: as-of, catalog, exclude, model-map, target)"),
    ('exclude = ["tests"]\nbogus = 1\n',
     "unknown key 'bogus' (known keys: as-of, catalog, exclude, model-map, target)"),
    ("exclude = 3\n", "'exclude' must be a list of strings, got an integer (3)"),
    ('exclude = "tests"\n', "'exclude' must be a list of strings, got a string ('tests')"),
    ('[tool.ft-migrate.model-map]\n"" = "ft:x"\n',
     "'model-map' must be a table of \"OLD\" = \"NEW\" model names, got a table ({'': 'ft:x'})"),
    ('catalog = [1, 2]\n', "'catalog' must be a list of strings, got an array ([1, 2])"),
    ('target = ["a"]\n', "'target' must be a model name (a string), got an array (['a'])"),
    ('as-of = "yesterday"\n', "'as-of' must be a date (as-of = 2023-12-01), got a string ('yesterday')"),
    ('model-map = ["curie=davinci-002"]\n',
     "'model-map' must be a table of \"OLD\" = \"NEW\" model names, got an array (['curie=davinci-002'])"),
])
@pytest.mark.parametrize("command", [["scan"], ["fix", "--check"], ["report", "--format", "json"],
                                     ["data", "check", "src/train.jsonl"], ["models", "list"]])
def test_mistakes_are_usage_errors_naming_file_and_key(project, table, message, command):
    project(table)
    Path("src/train.jsonl").write_text('{"prompt": "a", "completion": " b"}\n')
    result = run(*command)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"Error: pyproject.toml: [tool.ft-migrate]: {message}\n"


def test_a_table_that_is_not_a_table_and_invalid_toml(project):
    Path("pyproject.toml").write_text('[tool]\nft-migrate = "yes"\n')
    result = run("scan")
    assert (result.exit_code, result.stderr) == (
        2, "Error: pyproject.toml: 'tool.ft-migrate' must be a table, got a string ('yes')\n")
    Path("pyproject.toml").write_text("[tool.ft-migrate\n")
    result = run("scan", "src")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: pyproject.toml: invalid TOML: ")
    assert "(at line 1, column 17)" in result.stderr


def test_a_broken_pyproject_of_another_tool_is_passed_over_and_scanned(project):
    Path("src/pyproject.toml").write_text('[project\ndependencies = ["openai==0.27.4"]\n')
    project('exclude = ["old.py"]\n')
    result = run("scan", "src", "--format", "json")
    assert result.exit_code == 1, result.stderr  # not 2: scan reads it as it would without settings
    assert [e["path"] for e in json.loads(result.stdout)["errors"]] == ["src/pyproject.toml"]
    assert findings(".") == [("src/a.py", "FT010"), ("src/a.py", "FT020")]  # the root's table applies


def test_data_commands_read_as_of(project, monkeypatch):
    monkeypatch.delenv("FT_MIGRATE_AS_OF")
    project("as-of = 2027-02-01\n")
    Path("src/train.jsonl").write_text('{"prompt": "a", "completion": " b"}\n' * 12)
    def warnings(*flags: str) -> list[str]:
        result = run("data", "check", "src/train.jsonl", "--format", "json", *flags)
        assert result.exit_code == 0, result.output
        return [w["code"] for w in json.loads(result.stdout)["warnings"]]

    assert "no_fine_tuning" in warnings()  # 2027-02-01: no model takes new jobs
    assert "no_fine_tuning" not in warnings("--as-of", "2023-12-01")
