"""The ``ft-migrate`` command line.

Exit codes follow ruff/black/django-upgrade: 0 = nothing to do, 1 = findings or
changes, 2 = usage or internal error.  Data (findings, JSON, SARIF, diffs) goes to
stdout; the summary and errors go to stderr.  Subcommands live in their own
modules and are imported only when invoked, so ``scan`` does not pay for the
proxy or the tokenizer.  Every command takes ``--color auto|always|never``: it is
attached here to each command as it is loaded, so no command can lack it.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from migrator import __version__, extras
from migrator.cli_support import Fatal
from migrator.terminal import color_option

# name -> ("module:attribute" of a click command imported on first use, one-line help).
SUBCOMMANDS = {
    "scan": ("migrator.scan.cli:scan", "Find what depends on the legacy fine-tunes API and GPT-3 models."),
    "fix": ("migrator.fix.cli:fix", "Rewrite code to the fine-tuning jobs API and current models."),
    "data": ("migrator.data.cli:data", "Check and convert training files; count tokens and cost."),
    "shim": ("migrator.shim.cli:shim", "Run the compatibility proxy for unmodified legacy code."),
    "report": ("migrator.report.cli:report", "Write the migration report (HTML, Markdown or JSON)."),
    "models": ("migrator.models.cli:models", "Which models are shut down on a date; sync live shutdown dates."),
}

# Subcommands that need an optional extra (see migrator.extras), by name.
EXTRA_OF = {"data": "data", "shim": "shim"}


class LazyGroup(click.Group):
    """Subcommands are imported only when run, so `scan` does not load the proxy or tokenizer."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in SUBCOMMANDS:
            return None
        if name in EXTRA_OF:
            why = extras.message(EXTRA_OF[name], f"ft-migrate {name}")
            if why is not None:
                return _needs_extra(name, why)
        module, attr = SUBCOMMANDS[name][0].split(":")
        return with_terminal_options(getattr(importlib.import_module(module), attr))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_) for name, (_, help_) in SUBCOMMANDS.items()])


def _needs_extra(name: str, why: str) -> click.Command:
    """Stands in for a subcommand whose extra is not installed: any use (``--help`` too) says so."""

    def fail(args: tuple[str, ...]) -> None:
        raise Fatal(why)

    return click.Command(name, callback=fail, help=why, add_help_option=False,
                         context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
                         params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)])


def with_terminal_options(command: click.Command) -> click.Command:
    """``command`` (each command of a group) with ``--color``, unless it already has it."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            with_terminal_options(sub)
    elif not any(p.name == "color" for p in command.params):
        color_option(command)
    return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ft-migrate")
def cli() -> None:
    """Migrate code off OpenAI's legacy fine-tunes API and the GPT-3 models shut down on 2024-01-04."""


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="ft-migrate", standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        click.echo("ft-migrate: interrupted", err=True)
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - a bug must end in a message and exit 2, not a traceback
        if os.environ.get("FT_MIGRATE_DEBUG"):
            raise
        click.echo(f"ft-migrate: internal error: {type(exc).__name__}: {exc} "
                   "(set FT_MIGRATE_DEBUG=1 for the traceback, and please report it)", err=True)
        sys.exit(2)
