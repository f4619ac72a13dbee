"""Every file ft-migrate writes goes through :mod:`migrator.atomic`, so no other module writes.

What a user relies on: a report, a converted training file, a fixed source file, the
scan cache or the saved shutdown dates is never left half-written, loses its mode, or
replaces a symlink by a file.  Those guarantees live in one writer; this test reads
every module of ``migrator`` and the codemods and fails on any other way to write.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRITER = "migrator/atomic.py"
WRITE_MODES = set("wax+")
OTHER_WRITERS = {("os", "replace"), ("os", "rename"), ("os", "renames"), ("os", "link"), ("os", "symlink"),
                 ("shutil", "copy"), ("shutil", "copy2"), ("shutil", "copyfile"), ("shutil", "copytree"),
                 ("shutil", "move"), ("tempfile", "mkstemp"), ("tempfile", "NamedTemporaryFile"),
                 ("tempfile", "TemporaryFile"), ("tempfile", "SpooledTemporaryFile"), ("json", "dump"),
                 ("pickle", "dump"), ("yaml", "dump"), ("yaml", "safe_dump")}


def _mode(call: ast.Call) -> str | None:
    args = [*call.args[1:2], *(k.value for k in call.keywords if k.arg == "mode")]
    return args[0].value if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str) else (
        "?" if args else None)


def writes(source: str) -> list[tuple[int, str]]:
    """The lines of ``source`` that open a file for writing or write one some other way."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else None
        if name in ("open", "fdopen") and owner in (None, "io", "os", "codecs"):
            mode = _mode(node)
            if owner == "os" and name == "open":  # os.open(path, flags): any write flag
                if any(isinstance(n, ast.Attribute) and n.attr in ("O_WRONLY", "O_RDWR", "O_CREAT", "O_APPEND")
                       for n in ast.walk(node)):
                    out.append((node.lineno, "os.open for writing"))
            elif mode is not None and (mode == "?" or WRITE_MODES & set(mode)):
                out.append((node.lineno, f"{name}(..., {mode!r})"))
        elif ((name in ("write_text", "write_bytes") and owner != "atomic") or name == "rename"
              or (owner, name) in OTHER_WRITERS):
            out.append((node.lineno, f"{owner + '.' if owner else ''}{name}"))
    return out


def test_the_detector_sees_each_way_to_write():
    code = ('open(p, "w")\nopen(p, mode="ab")\nopen(p, "rb")\nPath(p).write_text(s)\nos.replace(a, b)\n'
            'shutil.copy(a, b)\nos.open(p, os.O_WRONLY | os.O_CREAT)\ns.replace("a", "b")\natomic.write_bytes(p, d)\n'
            'tempfile.NamedTemporaryFile()\njson.dump(d, fh)\nopen(p, m)\n')
    assert [line for line, _ in writes(code)] == [1, 2, 4, 5, 6, 7, 10, 11, 12]


def test_no_module_but_atomic_writes_a_file():
    found = []
    for folder in ("migrator", "codemods"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            shown = path.relative_to(ROOT).as_posix()
            if shown != WRITER:
                found += [f"{shown}:{line}: {what}" for line, what in writes(path.read_text(encoding="utf-8"))]
    assert found == []
