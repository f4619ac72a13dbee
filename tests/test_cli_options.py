"""Options several commands take read and behave the same in each: one declaration, one parser."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from click.testing import CliRunner

from migrator.cli import SUBCOMMANDS, cli

ROOT = Path(__file__).resolve().parent.parent

# Options that share a name but not a meaning, and why.
OWN_MEANING = {
    ("--format", "scan"), ("--format", "report"), ("--format", "data check"), ("--format", "data convert"),  # formats
    ("--output", "data convert"),  # the converted file, required
    ("--as-of", "shim serve"),  # a [shim] config file's as_of applies unless the option is given
    ("--as-of", "models sync"),  # the date written into the overlay, not the date answers are given for
}


def _commands(group: click.Group, ctx: click.Context, prefix: str = ""):
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from _commands(command, ctx, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def _declaration(option: click.Option) -> str:
    return repr((option.opts, option.secondary_opts, option.type.to_info_dict(), option.help, option.metavar,
                 option.multiple, option.required, option.is_flag, option.default,
                 getattr(option.callback, "__qualname__", None)))


def test_every_command_lives_in_its_part():
    """``ft-migrate X`` is ``migrator/X/cli.py``, like every other command."""
    for name, (target, _) in SUBCOMMANDS.items():
        assert target == f"migrator.{name}.cli:{name}"
        assert (ROOT / "migrator" / name / "cli.py").is_file()
    assert not list((ROOT / "migrator").glob("*_cli.py"))


def test_a_shared_option_is_declared_once():
    ctx = click.Context(cli)
    declared: dict[str, dict[str, list[str]]] = {}
    for command_name, command in _commands(cli, ctx):
        for param in command.params:
            if isinstance(param, click.Option):
                long = next((o for o in param.opts if o.startswith("--")), param.opts[0])
                if (long, command_name) not in OWN_MEANING:
                    declared.setdefault(long, {}).setdefault(_declaration(param), []).append(command_name)
    differing = {name: list(ways.values()) for name, ways in declared.items() if len(ways) > 1}
    assert differing == {}
    shared = {name for name, ways in declared.items() if sum(map(len, ways.values())) > 1}
    assert {"--catalog", "--exclude", "--jobs", "--output", "--model-map", "--exit-zero", "--as-of", "--target",
            "--no-live"} <= shared


def test_a_bad_model_map_is_the_same_usage_error_for_fix_and_the_shim(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for args in (["fix", "--model-map", "curie", "."], ["shim", "serve", "--model-map", "curie"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, args
        assert result.stderr.splitlines()[-1] == "Error: --model-map: expected OLD=NEW, got 'curie'"


def test_model_map_pairs_reach_the_shim_settings_in_order(monkeypatch):
    """A later pair for the same model wins, spaces around either side are dropped."""
    from migrator.shim.app import CONFIG_ENV

    seen = {}

    def run(*args, **kwargs):  # in place of serving: what each worker would be handed
        seen["settings"] = json.loads(os.environ[CONFIG_ENV])
        seen["http"] = kwargs.get("http")

    monkeypatch.setenv(CONFIG_ENV, "")  # restored after the test, as the signal handler is
    monkeypatch.setattr("signal.signal", lambda *args: None)
    monkeypatch.setattr("uvicorn.run", run)
    result = CliRunner().invoke(cli, ["shim", "serve", "--model-map", "curie:ft-a-1= ft:x", "--model-map",
                                      " curie:ft-a-1=ft:y", "--model-map", "ada:ft-b-2=ft:z"])
    assert result.exit_code == 0, result.output
    assert seen["settings"]["model_map"] == {"curie:ft-a-1": "ft:y", "ada:ft-b-2": "ft:z"}
    # h11 even where httptools is installed: its answers to odd requests are not the legacy envelope
    assert seen["http"] == "h11"
