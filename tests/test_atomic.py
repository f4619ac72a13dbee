"""migrator.atomic: what a replaced file keeps, what is never renamed over, and stale temporary files."""

from __future__ import annotations

import fcntl
import os
import socket
import stat
import threading
from pathlib import Path

import pytest

from migrator import atomic


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield
    os.umask(old)


def temps(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if ".ft-migrate-" in p.name)


def test_a_new_file_honours_the_umask(tmp_path, umask_027):
    atomic.write_bytes(tmp_path / "out.json", b"{}\n")
    assert stat.S_IMODE(os.stat(tmp_path / "out.json").st_mode) == 0o640
    assert (tmp_path / "out.json").read_bytes() == b"{}\n"
    assert temps(tmp_path) == []


def test_a_replaced_file_keeps_its_mode_and_owner(tmp_path, umask_027):
    out = tmp_path / "out.json"
    out.write_bytes(b"old\n")
    os.chmod(out, 0o664)
    if os.geteuid() == 0:
        os.chown(out, 4321, 4322)
    atomic.write_bytes(out, b"new\n")
    st = os.stat(out)
    assert stat.S_IMODE(st.st_mode) == 0o664
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (4321, 4322)
    assert out.read_bytes() == b"new\n"


def test_a_symlink_stays_a_link_and_its_target_is_written(tmp_path):
    target = tmp_path / "real" / "report.html"
    target.parent.mkdir()
    target.write_bytes(b"old")
    link = tmp_path / "link.html"
    link.symlink_to(target)
    atomic.write_bytes(link, b"new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() == b"new"
    assert temps(tmp_path) == [] and temps(target.parent) == []


def test_a_fifo_is_written_to_not_renamed_over(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    atomic.write_bytes(fifo, b"through the pipe\n")
    reader.join(10)
    assert got == [b"through the pipe\n"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert temps(tmp_path) == []


def test_a_fifo_can_be_refused_where_only_a_regular_file_will_do(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(atomic.Refused) as caught:
        atomic.write_bytes(fifo, b"x", special_ok=False)
    assert (caught.value.filename, caught.value.strerror) == (str(fifo), "is not a regular file; not written")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_socket_and_a_directory_are_refused(tmp_path):
    sock_path = tmp_path / "s.sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    try:
        with pytest.raises(atomic.Refused) as caught:
            atomic.write_bytes(sock_path, b"x")
        assert caught.value.strerror == "is a socket; not written"
        assert stat.S_ISSOCK(os.lstat(sock_path).st_mode)
    finally:
        sock.close()
    with pytest.raises(atomic.Refused) as caught:
        atomic.write_bytes(tmp_path, b"x")
    assert caught.value.strerror == "is a directory"


def test_read_only_hard_linked_and_edited_files_are_left_alone(tmp_path):
    ro = tmp_path / "ro.py"
    ro.write_bytes(b"old")
    os.chmod(ro, 0o444)
    with pytest.raises(atomic.Refused) as caught:
        atomic.write_bytes(ro, b"new")
    assert caught.value.strerror == "is read-only (mode 0444); left alone"
    linked = tmp_path / "a.py"
    linked.write_bytes(b"old")
    os.link(linked, tmp_path / "b.py")
    with pytest.raises(atomic.Refused) as caught:
        atomic.write_bytes(linked, b"new")
    assert caught.value.strerror == "has 2 hard links, which replacing it would break; left alone"
    edited = tmp_path / "c.py"
    edited.write_bytes(b"edited meanwhile")
    with pytest.raises(atomic.Refused) as caught:
        atomic.write_bytes(edited, b"new", expect=b"as read")
    assert caught.value.strerror == "changed since it was read; left alone"
    assert [ro.read_bytes(), linked.read_bytes(), edited.read_bytes()] == [b"old", b"old", b"edited meanwhile"]
    assert temps(tmp_path) == []


def test_an_exception_while_writing_leaves_the_target_and_no_temporary_file(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"precious\n")
    with pytest.raises(RuntimeError):
        with atomic.replacing(out) as fh:
            fh.write(b"half")
            raise RuntimeError("stop")
    assert out.read_bytes() == b"precious\n"
    assert temps(tmp_path) == []


def test_stale_temporary_files_are_removed_and_live_ones_kept(tmp_path):
    out = tmp_path / "out.json"
    stale = tmp_path / ".out.json.ft-migrate-0123abcd.tmp"
    live = tmp_path / ".out.json.ft-migrate-89abcdef.tmp"
    unrelated = tmp_path / ".out.json.ft-migrate-notours.tmp"
    for p in (stale, live, unrelated):
        p.write_bytes(b"partial")
    holder = os.open(live, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)  # a run still writing it
    try:
        atomic.write_bytes(out, b"{}")
        assert temps(tmp_path) == [live.name, unrelated.name]
    finally:
        os.close(holder)
    assert atomic.remove_stale([str(live), str(unrelated)]) == [str(live)]
    assert temps(tmp_path) == [unrelated.name]
