"""Terminal manners, checked on real pseudo-terminals: colour only where it belongs
(``--color``, ``NO_COLOR``, ``FORCE_COLOR``), the summary as the last line, and no
HTML page dumped on a terminal.

Each command runs as a subprocess whose stdout and stderr are a pty or a pipe as
the test chooses, exactly as a user's shell would connect them.
"""

from __future__ import annotations

import json
import re
import os
import select
import subprocess
import sys
from pathlib import Path

import click
import pytest

from migrator.cli import LazyGroup, SUBCOMMANDS, cli

ESC = "\x1b["
LEGACY = 'import openai\n\nopenai.FineTune.create(training_file="f", model="curie")\n'
SUMMARY = "2 findings in 1 file (2 fixable, 0 manual), will break on 2024-01-04 (in 34 days)."


def run(args: list[str], cwd: Path, *, stdout: str = "tty", stderr: str = "tty", **env: str):
    """``ft-migrate ARGS`` with stdout/stderr each ``tty`` (one shared pseudo-terminal, as in a
    shell), ``tty2`` (a terminal of its own) or ``pipe``; returns (exit code, stdout, stderr), where
    a stream on the shared terminal reads as everything the terminal showed, in order."""
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "CI", "COLUMNS")}
    # No progress bar unless a test asks for one: on a busy machine any run can last a second.
    base.update({"TERM": "xterm", "FT_MIGRATE_PROGRESS_DELAY": "600", **env})
    ends: dict[str, tuple[int, int]] = {}
    handles = {}
    for name, how in (("stdout", stdout), ("stderr", stderr)):
        if how == "pipe":
            handles[name] = subprocess.PIPE
        else:
            key = how if how == "tty2" else "tty"
            if key not in ends:
                ends[key] = os.openpty()
            handles[name] = ends[key][1]
    proc = subprocess.Popen([sys.executable, "-m", "migrator", *args], cwd=cwd, env=base,
                            stdin=subprocess.DEVNULL, stdout=handles["stdout"], stderr=handles["stderr"])
    for master, slave in ends.values():
        os.close(slave)
    readers = {master: key for key, (master, _) in ends.items()}
    pipes = {p.fileno(): p for p in (proc.stdout, proc.stderr) if p is not None}
    got: dict[int, bytes] = {fd: b"" for fd in [*readers, *pipes]}
    open_fds = set(got)
    while open_fds:
        ready, _, _ = select.select(list(open_fds), [], [], 60)
        assert ready, "the command hung"
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the terminal's last writer has gone
                chunk = b""
            if chunk:
                got[fd] += chunk
            else:
                open_fds.discard(fd)
    code = proc.wait(timeout=60)
    for master in readers:
        os.close(master)

    def text(name: str, how: str) -> str:
        if how == "pipe":
            return got[getattr(proc, name).fileno()].decode()
        return got[ends[how if how == "tty2" else "tty"][0]].decode().replace("\r\n", "\n")

    return code, text("stdout", stdout), text("stderr", stderr)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "a.py").write_text(LEGACY)
    (tmp_path / "train.jsonl").write_text('{"prompt": "a ->", "completion": " b\\n"}\n' * 12)
    return tmp_path


def test_on_a_terminal_findings_come_in_colour_and_the_summary_is_the_last_line(project):
    code, shown, _ = run(["scan", "a.py"], project)
    assert code == 1
    assert ESC in shown
    lines = shown.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"{ESC}1ma.py:3:1{ESC}0m {ESC}33mFT010{ESC}0m openai.FineTune.create calls")
    assert lines[-1] == SUMMARY  # after the findings, as the last thing on the screen


@pytest.mark.parametrize("env, flags, colour", [
    ({"NO_COLOR": "1"}, [], False),
    ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, [], False),
    ({"NO_COLOR": ""}, [], True),  # empty means unset
    ({}, ["--color", "never"], False),
    ({"FORCE_COLOR": "1"}, ["--color", "never"], False),
    ({"NO_COLOR": "1"}, ["--color", "always"], True),  # the command line wins
])
def test_colour_on_a_terminal(project, env, flags, colour):
    code, shown, _ = run(["scan", "a.py", *flags], project, **env)
    assert code == 1
    assert (ESC in shown) is colour
    if not colour:
        assert shown.splitlines()[-1] == SUMMARY and shown.splitlines()[0].startswith("a.py:3:1 FT010 openai")


@pytest.mark.parametrize("env, flags, colour", [
    ({}, [], False), ({"FORCE_COLOR": "1"}, [], True), ({}, ["--color", "always"], True),
    ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, [], False),
])
def test_colour_in_a_pipe(project, env, flags, colour):
    code, out, err = run(["scan", "a.py", *flags], project, stdout="pipe", stderr="pipe", **env)
    assert code == 1
    assert (ESC in out) is colour
    if not colour:
        assert out.splitlines()[0].startswith("a.py:3:1 FT010 openai")
        assert err == SUMMARY + "\n"


def test_data_check_table_honours_no_color(project):
    code, shown, _ = run(["data", "check", "train.jsonl"], project)
    assert code == 0 and ESC in shown and "davinci-002" in shown
    code, shown, _ = run(["data", "check", "train.jsonl"], project, NO_COLOR="1")
    assert code == 0 and ESC not in shown and "davinci-002" in shown
    code, out, _ = run(["data", "check", "train.jsonl"], project, stdout="pipe", FORCE_COLOR="1")
    assert code == 0 and ESC in out


def test_fix_diff_is_coloured_on_a_terminal_only(project):
    code, shown, _ = run(["fix", "--diff", "a.py"], project)
    assert code == 1
    assert f"{ESC}31m-openai.FineTune.create(" in shown and f"{ESC}32m+openai.FineTuningJob.create(" in shown
    code, out, _ = run(["fix", "--diff", "a.py"], project, stdout="pipe")
    assert ESC not in out and out.startswith("--- a/a.py\n+++ b/a.py\n")
    code, shown, _ = run(["fix", "--diff", "a.py"], project, NO_COLOR="1")
    assert ESC not in shown and "\n-openai.FineTune.create(" in shown


def test_report_refuses_to_print_html_on_a_terminal(project):
    code, out, err = run(["report", "a.py"], project, stdout="tty", stderr="tty2")
    assert (code, out) == (2, "")
    assert err == ("Error: the HTML report is a web page, not terminal text: write it to a file with "
                   "-o report.html (or redirect stdout), or use --format markdown\n")
    assert not list(project.glob("*.html"))
    code, out, err = run(["report", "a.py"], project, stdout="pipe", stderr="tty2")
    assert code == 1 and out.startswith("<!DOCTYPE html>")
    code, shown, _ = run(["report", "a.py", "-o", "report.html"], project)
    assert code == 1 and (project / "report.html").read_text().startswith("<!DOCTYPE html>")
    code, shown, _ = run(["report", "a.py", "--format", "markdown"], project)
    assert code == 1 and shown.startswith("# ")


def leaf_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from leaf_commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


def test_every_command_takes_color():
    found = dict(leaf_commands(cli))
    assert {path[0] for path in found} == set(SUBCOMMANDS)
    assert isinstance(cli, LazyGroup)
    for path, command in found.items():
        option = next((p for p in command.params if p.name == "color"), None)
        assert option is not None, path
        assert option.opts == ["--color"] and list(option.type.choices) == ["auto", "always", "never"], path


def test_color_is_accepted_by_commands_that_print_no_colour(project):
    code, out, err = run(["models", "list", "--color", "always"], project, stdout="pipe", stderr="pipe")
    assert code == 0 and ESC not in out and "curie: shuts down 2024-01-04" in out
    code, out, err = run(["scan", "a.py", "--format", "json", "--color", "always"], project,
                         stdout="pipe", stderr="pipe")
    assert code == 1 and json.loads(out)["findings"]  # data formats never carry colour
    code, out, err = run(["scan", "a.py", "--color", "sometimes"], project, stdout="pipe", stderr="pipe")
    assert code == 2 and "'sometimes' is not one of 'auto', 'always', 'never'" in err


# -- the progress bar ------------------------------------------------------------------------

SGR = re.compile(r"\x1b\[[0-9;]*m")  # colour and style codes (not the cursor moves a bar needs)


@pytest.fixture
def many(tmp_path):
    for i in range(30):
        (tmp_path / f"f{i:02}.py").write_text(LEGACY)
    (tmp_path / "train.jsonl").write_text('{"prompt": "a ->", "completion": " b\\n"}\n' * 2000)
    return tmp_path


MANY = "60 findings in 30 files (60 fixable, 0 manual), will break on 2024-01-04 (in 34 days).\n"


def test_progress_bar_on_a_terminal_stderr_never_in_stdout(many):
    code, out, err = run(["scan", "."], many, stdout="pipe", stderr="tty2", FT_MIGRATE_PROGRESS_DELAY="0")
    assert code == 1
    assert ESC not in out and len(out.splitlines()) == 60 and out.startswith("f00.py:3:1 FT010 ")
    assert re.search(r"scan .*/31 files", SGR.sub("", err)), err  # every file walked, train.jsonl too
    assert "\x1b[2K" in err  # the bar is erased when the run ends...
    assert err.endswith(MANY)  # ...and the summary is the last line
    assert SGR.search(err)


@pytest.mark.parametrize("flags, env, stderr", [
    (["--quiet"], {}, "tty2"), (["-q"], {}, "tty2"),
    ([], {"CI": "true"}, "tty2"),
    ([], {"FORCE_COLOR": "1"}, "pipe"),
    ([], {"FT_MIGRATE_PROGRESS_DELAY": "600"}, "tty2"),  # a run shorter than the delay shows nothing
])
def test_no_progress_bar_when_quiet_in_ci_in_a_pipe_or_quick(many, flags, env, stderr):
    env = {"FT_MIGRATE_PROGRESS_DELAY": "0", **env}
    code, out, err = run(["scan", ".", *flags], many, stdout="pipe", stderr=stderr, **env)
    assert code == 1
    assert err == MANY


def test_progress_bar_without_colour_under_no_color(many):
    code, out, err = run(["scan", "."], many, stdout="pipe", stderr="tty2", FT_MIGRATE_PROGRESS_DELAY="0",
                         NO_COLOR="1")
    assert code == 1
    assert re.search(r"scan .*/31 files", err) and not SGR.search(err)
    assert err.endswith(MANY)


@pytest.mark.parametrize("args, label", [
    (["fix", "--diff", "."], r"fix .*/30 files"),
    (["report", ".", "--format", "json"], r"report .*/31 files"),
    (["data", "check", "train.jsonl"], r"data check train\.jsonl .*[0-9.]+ (bytes|kB)/82\.0 kB"),
    (["data", "convert", "train.jsonl", "-o", "chat.jsonl"], r"data convert train\.jsonl .*[0-9.]+ (bytes|kB)/82\.0 kB"),
])
def test_progress_bar_for_fix_report_and_data(many, args, label):
    code, out, err = run(args, many, stdout="pipe", stderr="tty2", FT_MIGRATE_PROGRESS_DELAY="0")
    assert code in (0, 1)
    assert re.search(label, SGR.sub("", err)), err
    assert ESC not in out
    code, out, quiet = run([*args, "--quiet"], many, stdout="pipe", stderr="tty2", FT_MIGRATE_PROGRESS_DELAY="0")
    assert not re.search(label, SGR.sub("", quiet)) and "\x1b[?25l" not in quiet  # no bar hid the cursor
