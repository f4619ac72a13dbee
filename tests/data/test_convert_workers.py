"""``data convert`` on worker processes: the same bytes as one process, whatever the pieces.

Large inputs are cut into pieces converted by worker processes and merged in
input order (:mod:`migrator.data.workers`); small pieces are forced here through
``piece_bytes`` so that a few kilobytes make dozens of pieces, with rejects,
duplicates, conventions and first lines falling on both sides of their edges.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.catalog import load_catalog
from migrator.cli import cli
from migrator.data import convert as module
from migrator.data import workers
from migrator.data.convert import convert_and_analyze
from migrator.data.source import MAX_LINE_BYTES, DataError, Source
from migrator.data.tokens import _context
from tests.data.conftest import FIXTURES

OPTIONS = [{"to": "chat"}, {"to": "chat", "system": "You are Acme's support agent."}, {"to": "completion"}]
DATES = [dt.date(2023, 12, 1), dt.date(2026, 11, 28)]  # a completion model to price on, then none


def converted(src: Path, directory: Path, **options) -> tuple[bytes, bytes, dict] | tuple[type, str]:
    """OUT, the rejects file and the JSON summary (or the error) of one convert into ``directory``."""
    directory.mkdir(parents=True)
    out, rej = directory / "out.jsonl", directory / "rejects.jsonl"
    try:
        summary, _ = convert_and_analyze(src, out, rejects_path=rej, **options)
    except (DataError, ValueError) as exc:
        assert sorted(os.listdir(directory)) == []
        return type(exc), str(exc)
    assert sorted(os.listdir(directory)) == ["out.jsonl", "rejects.jsonl"]
    summary["file"] = "OUT"
    return out.read_bytes(), rej.read_bytes(), summary


def same_either_way(src: Path, tmp_path: Path, pieces=(1, 200, 4096), **options):
    """Convert ``src`` on one process and on workers with each piece size; all must agree."""
    alone = converted(src, tmp_path / "alone", workers=False, **options)
    for size in pieces:
        assert converted(src, tmp_path / f"pieces-{size}", workers=True, piece_bytes=size, **options) == alone, size
    return alone


@pytest.mark.parametrize("date", DATES, ids=str)
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(map(str, o.values())))
@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir() if p.is_file()))
def test_every_fixture_converts_to_the_same_bytes_on_workers(tmp_path, name, options, date):
    same_either_way(FIXTURES / name, tmp_path, catalog=load_catalog(as_of=date), **options)


def hostile_completion_file(path: Path, rows: int = 3000) -> None:
    """Prompt/completion lines with every kind of trouble, spread over the file."""
    rnd = random.Random(17)
    words = "order refund late box damaged password reset address screen cable".split()
    seen: list[bytes] = []
    with open(path, "wb") as f:
        f.write(b"\xef\xbb\xbf")  # a byte-order mark on line 1
        for i in range(rows):
            roll = rnd.random()
            if roll < 0.05 and seen:
                line = rnd.choice(seen)  # a duplicate of any earlier example, often pieces away
            elif roll < 0.08:
                line = b"\n"
            elif roll < 0.10:
                line = b'{"prompt": "broken ->", "comp\n'
            elif roll < 0.11:
                line = b'{"prompt": "\xff ->", "completion": " x END"}\n'
            elif roll < 0.12:
                line = json.dumps({"prompt": "no completion ->"}).encode() + b"\n"
            elif roll < 0.13:
                line = json.dumps({"prompt": "q ->", "completion": " a END", "id": i}).encode() + b"\n"
            elif roll < 0.14:
                line = json.dumps({"prompt": "x" * 10_001 + " ->", "completion": " long END"}).encode() + b"\n"
            elif roll < 0.15:
                line = json.dumps({"prompt": " ->", "completion": " END"}).encode() + b"\r\n"
            else:
                prompt = " ".join(rnd.choices(words, k=rnd.randint(1, 12)))
                completion = " " + " ".join(rnd.choices(words, k=rnd.randint(1, 6)))
                sep = " ->" if rnd.random() < 0.97 else ""
                stop = " END" if rnd.random() < 0.97 else ""
                line = json.dumps({"prompt": prompt + sep, "completion": completion + stop}).encode() + b"\n"
                seen.append(line)
            f.write(line)
        f.write(b'{"prompt": "' + b"y" * MAX_LINE_BYTES + b' ->", "completion": " too long END"}\n')
        f.write(json.dumps({"prompt": "last ->", "completion": " line END"}).encode())  # no newline at the end


def hostile_chat_file(path: Path, rows: int = 2000) -> None:
    rnd = random.Random(23)
    seen: list[bytes] = []
    tools = [{"type": "function", "function": {"name": "lookup", "description": "Find an order.",
                                               "parameters": {"type": "object",
                                                              "properties": {"id": {"type": "string"}}}}}]
    with open(path, "wb") as f:
        for i in range(rows):
            roll = rnd.random()
            if roll < 0.06 and seen:
                line = rnd.choice(seen)
            elif roll < 0.09:
                line = b"   \n"
            elif roll < 0.11:
                line = json.dumps({"messages": [{"role": "user", "content": "no answer"}]}).encode() + b"\n"
            elif roll < 0.12:
                line = b"[1, 2]\n"
            else:
                messages = [{"role": "user", "content": f"question {rnd.randint(0, 400)}"},
                            {"role": "assistant", "content": f"answer {rnd.randint(0, 3)}"}]
                if rnd.random() < 0.5:
                    messages.insert(0, {"role": "system", "content": "Be brief."})
                row = {"messages": messages}
                if rnd.random() < 0.1:
                    row["tools"] = tools
                if rnd.random() < 0.05:
                    row["source"] = "import"
                line = json.dumps(row).encode() + b"\n"
                seen.append(line)
            f.write(line)


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(map(str, o.values())))
def test_a_file_of_many_pieces_with_rejects_and_duplicates_across_their_edges(tmp_path, options, monkeypatch):
    monkeypatch.setattr(module, "LISTED", 25)  # the first-N lists end inside the file, pieces away
    src = tmp_path / "in.jsonl"
    hostile_completion_file(src)
    if options.get("system") and options["to"] == "completion":
        return
    out, rejects, summary = same_either_way(src, tmp_path, pieces=(1, 1000, 64 << 10), **options)
    counts = summary["input"]
    assert counts["lines"] == counts["written"] + counts["rejected_count"] + counts["blank"] == 3002
    assert counts["rejected_count"] == len(rejects.splitlines()) > 25 == len(counts["rejected"])
    assert counts["rejected"][0]["line"] < counts["rejected"][-1]["line"]
    assert json.loads(rejects.splitlines()[-1])["reason"].startswith("too_long: the line is")
    codes = [w["code"] for w in summary["warnings"]]
    assert codes.count("duplicate") == 25 and "not_listed" in codes
    assert [w["code"] for w in counts["warnings"]].count("long_example") == 25


def test_a_chat_file_of_many_pieces(tmp_path, monkeypatch):
    monkeypatch.setattr(module, "LISTED", 10)
    src = tmp_path / "in.jsonl"
    hostile_chat_file(src)
    for options in OPTIONS[:2]:
        out, rejects, summary = same_either_way(src, tmp_path / options.get("system", "plain").replace(" ", "_"),
                                                **options)
        assert [w["code"] for w in summary["warnings"]].count("duplicate") == 10
    same_either_way(src, tmp_path / "completion", to="completion")


def test_a_separator_the_first_piece_does_not_show_is_converted_again(tmp_path, monkeypatch):
    """The first piece ends its prompts with " ->", the whole file with "\\n\\n###\\n\\n": the workers
    convert with the first, then again with the second; the bytes are those of one process."""
    src = tmp_path / "in.jsonl"
    rows = [{"prompt": f"q{i} ->", "completion": f" a{i}\n"} for i in range(40)]
    rows += [{"prompt": f"q{i}\n\n###\n\n", "completion": f" a{i}\n"} for i in range(40, 200)]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    runs = []
    real_run = workers.Workers.run

    def counted(self, pieces, with_input, plan):
        runs.append((with_input, plan.separator if plan else None))
        return real_run(self, pieces, with_input, plan)
    monkeypatch.setattr(workers.Workers, "run", counted)
    out, _, summary = same_either_way(src, tmp_path, pieces=(300,))
    assert runs == [(True, " ->"), (False, "\n\n###\n\n")]
    assert json.loads(out.splitlines()[-1])["messages"][0]["content"] == "q199"
    assert json.loads(out.splitlines()[0])["messages"][0]["content"] == "q0 ->"  # not that file's separator


def test_a_stop_sequence_to_suggest_waits_for_the_whole_file(tmp_path, monkeypatch):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"prompt": f"q{i} ->", "completion": f" a{i}"}) + "\n" for i in range(300)))
    runs = []
    real_run = workers.Workers.run
    monkeypatch.setattr(workers.Workers, "run",
                        lambda self, pieces, with_input, plan: runs.append((with_input, plan)) or
                        real_run(self, pieces, with_input, plan))
    out, _, _ = same_either_way(src, tmp_path, pieces=(500,), to="completion")
    assert [(with_input, plan is None) for with_input, plan in runs] == [(True, True), (False, False)]
    assert json.loads(out.splitlines()[0]) == {"prompt": "q0 ->", "completion": " a0\n"}  # the suggested stop


def test_the_cli_converts_a_large_file_on_workers(tmp_path, monkeypatch):
    monkeypatch.setattr(module, "PARALLEL_MIN_BYTES", 1000)
    src = tmp_path / "in.jsonl"
    hostile_completion_file(src, rows=400)
    started = []
    real_init = workers.Workers.__init__
    monkeypatch.setattr(workers.Workers, "__init__",
                        lambda self, *a, **k: started.append(1) or real_init(self, *a, **k))
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["data", "convert", str(src), "-o", str(out), "--format", "json"])
    assert result.exit_code == 1 and started == [1]
    alone = converted(src, tmp_path / "alone", workers=False)
    summary = json.loads(result.stdout)
    assert (out.read_bytes(), {**summary, "file": "OUT"}) == (alone[0], alone[2])


def test_workers_started_by_a_fork_server_convert_the_same(tmp_path):
    """A process that runs other threads (a server embedding the library) starts its workers from a fork
    server: they get the job pickled and load the tokenizer themselves."""
    src = tmp_path / "in.jsonl"
    hostile_completion_file(src, rows=400)
    done = threading.Event()
    other = threading.Thread(target=done.wait, daemon=True)
    other.start()
    try:
        assert _context().get_start_method() == "forkserver"
        same_either_way(src, tmp_path, pieces=(3000,), to="chat")
    finally:
        done.set()
        other.join()


# -- failures ------------------------------------------------------------------
def forked_workers():
    """Patches made here reach the workers only if they are forked from this process."""
    assert _context().get_start_method() == "fork"


def test_an_exception_in_a_worker_is_raised_in_the_main_process(tmp_path, monkeypatch):
    forked_workers()
    src = tmp_path / "in.jsonl"
    hostile_completion_file(src, rows=500)
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"previous\n")
    real_builder = module.Plan.builder

    def broken_builder(self):
        build = real_builder(self)

        def broken(payload):
            if payload[0].startswith("refund"):
                raise RuntimeError(f"cannot build {payload[0]!r}")
            return build(payload)
        return broken
    monkeypatch.setattr(module.Plan, "builder", broken_builder)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="^cannot build 'refund"):
        convert_and_analyze(src, out, rejects_path=tmp_path / "rej.jsonl", workers=True, piece_bytes=2000)
    assert time.monotonic() - started < 60
    assert out.read_bytes() == b"previous\n"
    assert sorted(os.listdir(tmp_path)) == ["in.jsonl", "out.jsonl"]


def test_a_worker_that_dies_ends_the_run_with_a_clear_error(tmp_path, monkeypatch):
    forked_workers()
    src = tmp_path / "in.jsonl"
    hostile_completion_file(src, rows=500)
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"previous\n")
    real_records = Source.piece_records

    def dying(self, piece):
        if piece.line > 200:
            os.kill(os.getpid(), signal.SIGKILL)
        return real_records(self, piece)
    monkeypatch.setattr(Source, "piece_records", dying)
    monkeypatch.setattr(module, "PARALLEL_MIN_BYTES", 1000)
    monkeypatch.setattr(module, "PIECE_BYTES", 2000)
    result = CliRunner().invoke(cli, ["data", "convert", str(src), "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {src}: a worker process stopped while converting the lines from ")
    assert result.stderr.endswith("); nothing was written\n")
    assert out.read_bytes() == b"previous\n"
    assert sorted(os.listdir(tmp_path)) == ["in.jsonl", "out.jsonl"]


def test_a_pool_found_broken_while_pieces_are_still_handed_out_ends_the_run_with_a_clear_error(tmp_path, monkeypatch):
    """A worker that dies while the main process is still handing out pieces breaks the pool
    before any result is read: the next submit raises, and that too is the clear error."""
    forked_workers()
    src = tmp_path / "in.jsonl"
    hostile_completion_file(src, rows=500)
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"previous\n")
    real_submit = workers.ProcessPoolExecutor.submit
    calls = []

    def breaking(self, fn, *args, **kwargs):
        calls.append(fn)
        if len(calls) > 3:  # the start-up call, then two pieces
            raise workers.BrokenProcessPool("A child process terminated abruptly")
        return real_submit(self, fn, *args, **kwargs)
    monkeypatch.setattr(workers.ProcessPoolExecutor, "submit", breaking)
    monkeypatch.setattr(module, "PARALLEL_MIN_BYTES", 1000)
    monkeypatch.setattr(module, "PIECE_BYTES", 2000)
    result = CliRunner().invoke(cli, ["data", "convert", str(src), "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {src}: a worker process stopped while converting the lines from 1 on "
                             "(A child process terminated abruptly); nothing was written\n")
    assert out.read_bytes() == b"previous\n"
    assert sorted(os.listdir(tmp_path)) == ["in.jsonl", "out.jsonl"]


def test_workers_leave_when_the_main_process_is_killed(tmp_path):
    src = tmp_path / "in.jsonl"
    hostile_completion_file(src, rows=500)
    script = textwrap.dedent(f"""
        import os, time
        from migrator.data import convert
        from migrator.data.source import Source
        main, real_records = os.getpid(), Source.piece_records
        def stuck(self, piece):  # in a worker: never done
            while os.getpid() != main:
                time.sleep(1)
            return real_records(self, piece)
        Source.piece_records = stuck
        print("ready", flush=True)
        convert.convert_and_analyze({str(src)!r}, {str(tmp_path / "out.jsonl")!r}, workers=True, piece_bytes=2000)
    """)
    main = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert main.stdout.readline() == "ready\n"
    children: list[int] = []
    deadline = time.monotonic() + 60
    while len(children) < workers.PROCESSES and time.monotonic() < deadline:
        time.sleep(0.1)
        children = [int(p) for p in Path(f"/proc/{main.pid}/task/{main.pid}/children").read_text().split()]
    assert len(children) >= workers.PROCESSES
    main.send_signal(signal.SIGKILL)
    main.wait()
    deadline = time.monotonic() + 10
    alive = children
    try:
        while alive and time.monotonic() < deadline:
            time.sleep(0.1)
            alive = [pid for pid in alive if running(pid)]
        print(f"\nworkers left after the main process was killed: {len(alive)} of {len(children)}")
        assert alive == []
    finally:
        for pid in alive:  # this test's own workers, if they did not leave
            os.kill(pid, signal.SIGKILL)


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_pieces_end_at_line_ends_and_number_their_first_line(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"a\nbb\n\nccc\n" + b"d" * 10 + b"\ne")
    source = Source.from_path(src)
    pieces = list(source.pieces(4))
    # blocks of 4 bytes, each piece up to the last line end in its block; "d" * 10 spans three blocks
    assert [(p.offset, p.length, p.line) for p in pieces] == [(0, 2, 1), (2, 4, 2), (6, 4, 4), (10, 11, 5),
                                                              (21, None, 6)]
    assert [r for p in pieces for r in source.piece_records(p)] == list(source.records())
