"""``ft-migrate fix``: rewrite legacy fine-tuning code in place, or show/check what would change.

Exit status (as ruff, black and django-upgrade): 0 = nothing to change, 1 = files
were (or with ``--diff``/``--check`` would be) changed or some file could not be
processed, 2 = usage or internal error.  The unified diff goes to stdout (plain
text with ``a/`` ``b/`` prefixes, usable by ``git apply``); the summary and the
list of manual items left go to stderr.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import sys

import click

from ft_migrate_codemods import REGISTRY
from migrator import atomic, progress, settings, terminal
from migrator.cli_lifecycle import catalog_option, lifecycle_options, open_catalog
from migrator.cli_support import (Fatal, check_paths, exclude_option, jobs_option, model_map_option,
                                  read_model_map_file)
from migrator.fix.runner import Changed, Failed, FixResult, Options, Skipped, fix_paths, write_fixed
from migrator.output.paths import git_path, printable
from migrator.output.text import location


def _diff(result: FixResult) -> str:
    chunks = []
    for f in result.of(Changed):
        old = f.old.decode("utf-8", "replace").splitlines(keepends=True)
        new = f.new.decode("utf-8", "replace").splitlines(keepends=True)
        before = "/dev/null" if f.created else git_path(f"a/{f.shown}")
        for line in difflib.unified_diff(old, new, before, git_path(f"b/{f.shown}")):
            chunks.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(chunks)


_DIFF_COLORS = (("---", "\x1b[1m"), ("+++", "\x1b[1m"), ("@@", "\x1b[36m"), ("+", "\x1b[32m"), ("-", "\x1b[31m"))


def _colored(diff: str) -> str:
    """The diff for a terminal: headers bold, hunks cyan, added green, removed red; the
    characters themselves untouched (no tab expansion), so it still reads as the patch."""
    out = []
    for line in diff.splitlines(keepends=True):
        code = next((c for prefix, c in _DIFF_COLORS if line.startswith(prefix)), None)
        body = line.rstrip("\n")
        out.append(f"{code}{body}\x1b[0m{line[len(body):]}" if code else line)
    return "".join(out)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@click.command("fix", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff on stdout; write nothing.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if anything would change.")
@model_map_option
@click.option("--model-map-file", type=click.Path(dir_okay=False), metavar="FILE",
              help="OLD=NEW lines (# comments allowed), as --model-map.")
@click.option("--only", multiple=True, metavar="ID", help="Run only these codemods (id or module name).")
@click.option("--skip", multiple=True, metavar="ID", help="Do not run these codemods (id or module name).")
@click.option("--compat-module", is_flag=True,
              help="Import generated helpers from ft_migrate_compat.py, written beside the code, "
                   "instead of writing them into each module.")
@exclude_option
@catalog_option
@lifecycle_options
@jobs_option
@click.option("--exit-zero-even-if-changed", is_flag=True, help="Exit 0 after rewriting files.")
@click.option("-v", "--verbose", is_flag=True, help="Name every file rewritten.")
@progress.quiet_option
@click.pass_context
def fix(ctx: click.Context, paths: tuple[str, ...], show_diff: bool, check: bool,
        model_map: tuple[tuple[str, str], ...],
        model_map_file: str | None, only: tuple[str, ...], skip: tuple[str, ...], compat_module: bool,
        exclude: tuple[str, ...],
        catalogs: tuple[str, ...], as_of: dt.date, target: str | None, no_live: bool, jobs: int | None,
        exit_zero_even_if_changed: bool, verbose: bool) -> None:
    """Rewrite legacy fine-tuning code (SDK calls, models, CLI lines, pins) to today's API.

    PATHS default to the current directory.  Files are rewritten in place unless
    --diff or --check is given.
    """
    if show_diff and check:
        raise Fatal("--diff and --check cannot be combined")
    check_paths(paths)
    project = settings.load(paths)
    as_of, exclude, target = project.date(ctx, as_of), exclude or project.exclude, target or project.target
    catalogs = catalogs or project.catalog
    known = set(REGISTRY) | {cls.__module__.rsplit(".", 1)[-1] for cls in REGISTRY.values()}
    for name in (*only, *skip):
        if name not in known:
            raise Fatal(f"unknown codemod {name!r}; known: {', '.join(REGISTRY)}")
    pairs = list(model_map)
    if model_map_file:
        pairs = read_model_map_file(model_map_file) + pairs
    pairs = list(project.model_map.items()) + pairs  # a pair given on the command line wins
    catalog = open_catalog(tuple(os.path.abspath(c) for c in catalogs), as_of, target, no_live,
                           checked=dict(pairs).values())
    if verbose:
        click.echo(f"Catalog files: {', '.join(catalog.files)}; answers as of {as_of.isoformat()}", err=True)
    options = Options(catalog_files=catalog.files[1:], as_of=as_of, target=target,
                      model_map=tuple(dict(pairs).items()), only=only, skip=skip, compat_module=compat_module)
    with progress.display("fix"):
        result = fix_paths(list(paths) or ["."], options, excludes=exclude, jobs=jobs)

    changed = result.of(Changed)
    if show_diff:
        sys.stdout.write(_colored(_diff(result)) if terminal.wants_color(sys.stdout) else _diff(result))
        sys.stdout.flush()
    elif check:
        for f in changed:
            click.echo(f"Would {'write' if f.created else 'rewrite'} {printable(f.shown)}", err=True)
    else:
        for stale in atomic.remove_stale(result.temps):
            if verbose:
                click.echo(f"Removed {stale}, a temporary file left by an interrupted run", err=True)
        result.files = [write_fixed(f) if isinstance(f, Changed) else f for f in result.files]
        changed = result.of(Changed)
        if verbose:
            for f in changed:
                click.echo(f"{'Writing' if f.created else 'Rewriting'} {printable(f.shown)}", err=True)

    problems = result.of(Skipped, Failed)
    for missing in result.missing:
        click.echo(f"{printable(missing)}: no such file or directory", err=True)
    for directory, reason in result.unreadable:
        click.echo(f"{printable(directory)}: {reason}", err=True)
    for link, reason in result.links:
        click.echo(f"{printable(link)}: {reason}", err=True)
    for f in problems:
        click.echo(f"{printable(f.shown)}: {f.reason}", err=True)
    for item in result.manual:
        fixable = " [fixable]" if item.fixable else ""
        click.echo(f"{location(item.path, item.line, item.column, item.cell)} {item.rule} {item.message}{fixable}",
                   err=True)
    if result.sites or result.manual:
        for line in _retraining(list(paths) or ["."], exclude, catalog):
            click.echo(line, err=True)
    click.echo(_summary(result, changed, problems, dry=show_diff or check), err=True)

    if result.missing or result.unreadable or result.links or problems:
        sys.exit(1)
    if changed and (show_diff or check or not exit_zero_even_if_changed):
        sys.exit(1)


def _retraining(paths: list[str], exclude: tuple[str, ...], catalog) -> list[str]:
    """For each legacy (prompt/completion) training file in the tree: the model to re-train on
    and the ``data convert`` command that makes its file, as ``report`` shows them."""
    # loaded on use: only when something was migrated or left to do
    from migrator.data.discover import discover_formats
    from migrator.data.retrain import plan

    return ["Training data: " + plan(printable(path), fmt, catalog).sentence()
            for path, fmt in discover_formats(paths, exclude) if fmt == "completion"]


def _summary(result: FixResult, changed: list, problems: list, dry: bool) -> str:
    verb = "would be changed" if dry else "changed"
    if not changed:
        head = "No files would be modified" if dry else "No files were modified"
    else:
        head = f"{_plural(len(changed), 'file')} {verb}"
    parts = [head, f"{_plural(result.sites, 'call site')} migrated" + (" (would be)" if dry and changed else "")]
    manual = result.manual
    files = sorted({printable(m.path) for m in manual})
    where = f" in {', '.join(files[:5])}{', ...' if len(files) > 5 else ''}" if files else ""
    parts.append(f"{_plural(len(manual), 'manual item')} left{where}")
    if result.todos:
        parts.append(f"{_plural(len(result.todos), 'TODO comment')} in the code")
    if problems or result.links:
        parts.append(f"{_plural(len(problems) + len(result.links), 'file')} skipped")
    return "ft-migrate fix: " + ", ".join(parts)
