"""``data convert`` on hostile input: every line accounted for, OUT never half-written or lost, memory bounded."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli import cli
from migrator.data.source import MAX_LINE_BYTES

GOOD = b'{"prompt": "2+2 ->", "completion": " 4 END"}\n'
OLD_OUT = b'{"messages": [{"role": "user", "content": "kept"}]}\n'


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    Path("out.jsonl").write_bytes(OLD_OUT)
    return tmp_path


def convert(*args: str):
    return CliRunner().invoke(cli, ["data", "convert", *args, "--format", "json"], catch_exceptions=False)


def leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if ".ft-migrate-" in p.name]


@pytest.mark.parametrize("bad, reason", [
    (b'{"prompt": "3+3 ->", "comp', "invalid_json: unexpected end of data (column 27)"),
    (b'{"prompt": "\xff ->", "completion": " 6 END"}\n',
     "invalid_utf8: byte 0xff at column 13 is not valid UTF-8"),
    (b'{"prompt": "3+3 ->",\x00 "completion": " 6 END"}\n', "invalid_json: unexpected character, expected a string key (column 21)"),
])
def test_a_bad_line_is_rejected_by_number_and_counted(here, bad, reason):
    Path("in.jsonl").write_bytes(GOOD * 3 + b"\n" + bad)  # last: a truncated line has no newline
    result = convert("in.jsonl", "-o", "out.jsonl")
    assert result.exit_code == 1
    counts = json.loads(result.stdout)["input"]
    assert {k: counts[k] for k in ("lines", "written", "rejected_count", "blank")} == {
        "lines": 5, "written": 3, "rejected_count": 1, "blank": 1}
    assert counts["rejected"] == [{"line": 5, "reason": reason}]
    assert len(Path("out.jsonl").read_bytes().splitlines()) == 3
    assert leftovers(here) == []


def test_a_50_mb_line_is_rejected_unread_with_bounded_memory(here):
    size = 50 * 1024 * 1024
    with open("in.jsonl", "wb") as fh:
        fh.write(GOOD)
        fh.write(b'{"prompt": "' + b"x" * (size - 40) + b'", "completion": " y END"}\n')
        fh.write(GOOD)
    probe = ("import resource, sys\n"
             "from migrator.cli import main\n"
             "try:\n    main(sys.argv[1:])\n"
             "finally:\n"
             "    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n")
    Path("small.jsonl").write_bytes(GOOD * 3)

    def peak(name: str) -> tuple[subprocess.CompletedProcess, float]:
        proc = subprocess.run([sys.executable, "-c", probe, "data", "convert", name, "-o", "out.jsonl",
                               "--format", "json"], capture_output=True, text=True, timeout=300)
        return proc, int(proc.stderr.strip().splitlines()[-1]) / 1024

    baseline = peak("small.jsonl")[1]
    proc, peak_mb = peak("in.jsonl")
    print(f"\ndata convert peak RSS: {peak_mb:.0f} MB with a 50 MB single line, {baseline:.0f} MB on 3 short lines")
    assert proc.returncode == 1
    counts = json.loads(proc.stdout)["input"]
    assert (counts["lines"], counts["written"], counts["rejected_count"]) == (3, 2, 1)
    line = Path("in.jsonl").read_bytes().splitlines()[1]
    assert counts["rejected"] == [{"line": 2, "reason": (
        f"too_long: the line is {len(line):,} bytes, past the {MAX_LINE_BYTES:,} bytes read for one example "
        "(no model accepts an example near that long)")}]
    assert peak_mb - baseline < 3 * MAX_LINE_BYTES / 2**20 + 20  # the per-line bound, not the 50 MB line


@pytest.mark.parametrize("content", [b"", b"\n  \n"])
def test_an_empty_file_is_an_error_and_out_is_kept(here, content):
    Path("in.jsonl").write_bytes(content)
    result = convert("in.jsonl", "-o", "out.jsonl")
    lines = content.count(b"\n")
    assert result.exit_code == 2
    assert result.stderr == f"Error: in.jsonl: no example to convert ({lines} lines, all blank); out.jsonl left as it was\n"
    assert Path("out.jsonl").read_bytes() == OLD_OUT
    assert leftovers(here) == []


def test_a_directory_or_the_input_itself_as_output_is_refused(here):
    Path("in.jsonl").write_bytes(GOOD)
    os.mkdir("dir.jsonl")
    assert convert("dir.jsonl", "-o", "out.jsonl").exit_code == 2
    same = convert("in.jsonl", "-o", "./in.jsonl")
    assert (same.exit_code, same.stderr) == (
        2, "Error: in.jsonl: the output would overwrite the input; choose another file\n")
    assert Path("in.jsonl").read_bytes() == GOOD and Path("out.jsonl").read_bytes() == OLD_OUT


def test_a_failure_midway_leaves_out_as_it_was(here):
    # a CSV whose row 3 has a field past the csv module's limit: rows 1-2 are converted before the error
    Path("in.csv").write_text('prompt,completion\n"a ->"," b END"\n"c ->"," d END"\n"' + "e" * 200_000 + '"," f"\n')
    result = convert("in.csv", "-o", "out.jsonl", "--rejects", "rej.jsonl")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: in.csv:")
    assert Path("out.jsonl").read_bytes() == OLD_OUT
    assert not Path("rej.jsonl").exists()
    assert leftovers(here) == []


def test_sigkill_never_leaves_a_partial_out_and_the_next_run_cleans_up(here):
    rng = random.Random(1304)
    with open("in.jsonl", "wb") as fh:
        for i in range(60_000):
            fh.write(b'{"prompt": "%d plus %d ->", "completion": " %d END"}\n' % (i, i, 2 * i))
    cmd = [sys.executable, "-m", "migrator", "data", "convert", "in.jsonl", "-o", "out.jsonl", "--rejects", "rej.jsonl"]
    full = subprocess.run(cmd, capture_output=True, timeout=300)
    assert full.returncode == 0
    complete = Path("out.jsonl").read_bytes()
    kills = stranded = 0
    for _ in range(8):
        Path("out.jsonl").write_bytes(OLD_OUT)
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 1.5))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        assert Path("out.jsonl").read_bytes() in (OLD_OUT, complete)
        stranded += len(leftovers(here))
    assert subprocess.run(cmd, capture_output=True, timeout=300).returncode == 0
    assert Path("out.jsonl").read_bytes() == complete
    print(f"\ndata convert SIGKILL: {kills} kills, {stranded} temporary files stranded (all removed by the next "
          f"run), 0 partial outputs")
    assert leftovers(here) == []
