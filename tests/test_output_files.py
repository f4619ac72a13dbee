"""Every ``-o``/output file: the umask for a new file, the old mode for a replaced one, FIFOs and links kept."""

from __future__ import annotations

import os
import select
import stat
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli import cli

LEGACY = 'import openai\n\nopenai.FineTune.create(training_file="f", model="curie")\n'
TRAIN = '{"prompt": "2+2 ->", "completion": " 4 END"}\n{"prompt": "3+3 ->", "completion": " 6 END"}\n'

COMMANDS = {
    "scan json": (["scan", "a.py", "--format", "json", "-o"], 1),
    "scan sarif": (["scan", "a.py", "--format", "sarif", "-o"], 1),
    "scan text": (["scan", "a.py", "-o"], 1),
    "report": (["report", "a.py", "--format", "markdown", "-o"], 1),
    "data convert": (["data", "convert", "train.jsonl", "-o"], 0),
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(LEGACY)
    (tmp_path / "train.jsonl").write_text(TRAIN)
    old = os.umask(0o022)
    yield tmp_path
    os.umask(old)


def run(args: list[str]):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.rglob("*ft-migrate*")]


@pytest.mark.parametrize("command", COMMANDS)
def test_new_output_honours_the_umask_and_replaced_output_keeps_its_mode(project, command):
    args, code = COMMANDS[command]
    assert run(args + ["new.out"]).exit_code == code
    assert stat.S_IMODE(os.stat("new.out").st_mode) == 0o644
    Path("old.out").write_text("previous\n")
    os.chmod("old.out", 0o660)
    assert run(args + ["old.out"]).exit_code == code
    assert stat.S_IMODE(os.stat("old.out").st_mode) == 0o660
    assert Path("old.out").read_text() == Path("new.out").read_text() != "previous\n"
    assert leftovers(project) == []


def drain(fd: int, got: list[bytes], deadline: float) -> None:
    """Read a FIFO opened non-blocking until its writer closes it (or the deadline passes)."""
    started = False
    while time.monotonic() < deadline:
        if not select.select([fd], [], [], 0.1)[0]:
            continue
        chunk = os.read(fd, 1 << 16)
        if chunk:
            started = True
            got.append(chunk)
        elif started:
            return
        else:
            time.sleep(0.05)  # no writer yet


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "data convert"])
def test_output_to_a_fifo_is_written_through_it(project, command):
    args, code = COMMANDS[command]
    os.mkfifo("pipe")
    fd = os.open("pipe", os.O_RDONLY | os.O_NONBLOCK)  # a reader is there, so the writer's open goes through
    got: list[bytes] = []
    reader = threading.Thread(target=drain, args=(fd, got, time.monotonic() + 10), daemon=True)
    reader.start()
    try:
        assert run(args + ["pipe"]).exit_code == code
        reader.join(12)
    finally:
        os.close(fd)
    assert stat.S_ISFIFO(os.lstat("pipe").st_mode)
    assert b"".join(got)
    assert leftovers(project) == []


def test_data_convert_refuses_a_fifo_by_name(project):
    os.mkfifo("pipe")
    result = run(["data", "convert", "train.jsonl", "-o", "pipe"])
    assert result.exit_code == 2
    assert result.stderr == "Error: pipe: is not a regular file; not written\n"
    assert stat.S_ISFIFO(os.lstat("pipe").st_mode)


@pytest.mark.parametrize("command", COMMANDS)
def test_output_through_a_symlink_writes_its_target(project, command):
    args, code = COMMANDS[command]
    Path("real.out").write_text("previous\n")
    os.chmod("real.out", 0o640)
    os.symlink("real.out", "link.out")
    assert run(args + ["link.out"]).exit_code == code
    assert os.path.islink("link.out") and os.readlink("link.out") == "real.out"
    assert Path("real.out").read_text() != "previous\n"
    assert stat.S_IMODE(os.stat("real.out").st_mode) == 0o640
    assert leftovers(project) == []
