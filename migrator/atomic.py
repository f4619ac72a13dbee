"""Writing a file so that no crash, kill or odd target can destroy what was there.

Every file ft-migrate writes (``-o`` reports, ``data convert`` outputs, the
files ``fix`` rewrites, the scan cache) goes through :func:`replacing`:

* a regular file is replaced by writing a temporary file in the same directory,
  flushing it to disk, and renaming it over the target: a reader, a crash or a
  ``SIGKILL`` sees either the old bytes or the new ones, never a mix;
* the replaced file keeps its mode and owner (the rename would otherwise give it
  the temporary file's); a new file gets the mode ``open()`` would give it, the
  umask applied to 0666;
* a symlink is followed and its target written, so the link stays a link;
* a target that is not a regular file (a FIFO, a terminal, ``/dev/null``) is
  written directly, never renamed over; a socket or directory is refused;
* a file that is read-only by its mode bits, or has other hard links (which a
  rename would detach), is refused with :class:`Refused`, as is one whose owner
  cannot be kept;
* temporary files are named ``.<target>.ft-migrate-<8 hex>.tmp`` and hold an
  exclusive ``flock`` while in use, so a later run can tell the ones stranded by
  a killed run (no lock held) from those of a run still going, and removes them.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from contextlib import contextmanager
from typing import BinaryIO, Iterable, Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: stranded temporary files are left for the user
    fcntl = None  # type: ignore[assignment]

TEMP_RE = re.compile(r"^\..+\.ft-migrate-[0-9a-f]{8}\.tmp$")
BUFFER = 1 << 20


class Refused(OSError):
    """The target was left untouched on purpose; ``strerror`` says why."""

    def __init__(self, path: str, reason: str):
        super().__init__(errno.EPERM, reason, path)


def is_temp_name(name: str) -> bool:
    """Whether ``name`` (a base name) is one of our temporary files."""
    return TEMP_RE.match(name) is not None


def _temp_name(target: str) -> str:
    return f".{os.path.basename(target)}.ft-migrate-{os.urandom(4).hex()}.tmp"  # os.urandom: what secrets uses


def remove_stale(paths: Iterable[str]) -> list[str]:
    """Remove the temporary files among ``paths`` that no running writer holds; return those removed."""
    removed = []
    if fcntl is None:  # pragma: no cover
        return removed
    for path in paths:
        if not is_temp_name(os.path.basename(path)):
            continue
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            continue
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live run is writing it
            os.unlink(path)
            removed.append(path)
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed


def _sweep_for(target: str) -> None:
    """Remove stale temporary files left beside ``target`` by a killed run."""
    directory, base = os.path.split(target)
    prefix = f".{base}.ft-migrate-"
    try:
        names = [n for n in os.listdir(directory or ".") if n.startswith(prefix)]
    except OSError:
        return
    remove_stale(os.path.join(directory, n) for n in names)


def _describe(mode: int) -> str | None:
    """Why a non-regular target cannot be written at all, or None if it can be written directly."""
    if stat.S_ISDIR(mode):
        return "is a directory"
    if stat.S_ISSOCK(mode):
        return "is a socket; not written"
    return None


def read_only(st: os.stat_result) -> bool:
    """No write bit set: read-only even for root, who could write it anyway."""
    return not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


@contextmanager
def replacing(path: str | os.PathLike, *, special_ok: bool = True, expect: bytes | None = None,
              buffering: int = BUFFER) -> Iterator[BinaryIO]:
    """A binary file whose contents replace ``path`` when the block ends without an exception.

    With ``special_ok=False`` a target that is not a regular file is refused
    instead of written directly.  With ``expect``, the target is replaced only if
    it still holds exactly those bytes (it was not edited since it was read).
    On an exception nothing is replaced and the temporary file is removed.  The
    file's ``written_path`` is where its bytes are until then (to read them back).
    """
    target = os.path.realpath(os.fspath(path))
    shown = os.fspath(path)
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        reason = _describe(st.st_mode)
        if reason is None and not special_ok:
            reason = "is not a regular file; not written"
        if reason is not None:
            raise Refused(shown, reason)
        with open(target, "wb", buffering=buffering) as fh:  # a FIFO or device: never renamed over
            fh.written_path = target
            yield fh
        return
    if st is not None:
        if read_only(st):
            raise Refused(shown, f"is read-only (mode {stat.S_IMODE(st.st_mode):04o}); left alone")
        if st.st_nlink > 1:
            raise Refused(shown, f"has {st.st_nlink} hard links, which replacing it would break; left alone")
    directory = os.path.dirname(target)
    _sweep_for(target)
    tmp = os.path.join(directory, _temp_name(target))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                 0o600 if st is not None else 0o666)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        with os.fdopen(fd, "wb", buffering=buffering) as fh:
            fh.written_path = tmp
            yield fh
            fh.flush()
            if st is not None:
                _keep_identity(fh.fileno(), st, shown)
                if expect is not None and _current(target) != expect:
                    raise Refused(shown, "changed since it was read; left alone")
            os.fsync(fh.fileno())
            os.replace(tmp, target)
        _sync_directory(directory)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _keep_identity(fd: int, st: os.stat_result, shown: str) -> None:
    """Give the temporary file the target's owner, then its mode (chown may clear set-id bits)."""
    own = os.fstat(fd)
    if (own.st_uid, own.st_gid) != (st.st_uid, st.st_gid):
        try:
            os.fchown(fd, st.st_uid, st.st_gid)
        except PermissionError:
            raise Refused(shown, f"is owned by uid {st.st_uid} gid {st.st_gid}, which replacing it "
                                 "would change; left alone") from None
    os.fchmod(fd, stat.S_IMODE(st.st_mode))


def _current(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def _sync_directory(directory: str) -> None:
    """Make the rename itself durable."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. a platform that cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def write_bytes(path: str | os.PathLike, data: bytes, *, special_ok: bool = True,
                expect: bytes | None = None) -> None:
    """Replace ``path`` with ``data`` (see :func:`replacing`)."""
    with replacing(path, special_ok=special_ok, expect=expect) as fh:
        fh.write(data)
