"""Models that flow from one Python module into another's ``model=``.

``DEFAULT = "curie"`` in ``config.py`` is only a string there; ``from config
import DEFAULT`` and ``model=DEFAULT`` in ``train.py`` make it a model.  Each file
is scanned (and cached) on its own, so the Python scanner leaves two kinds of
records among its findings, and :func:`resolve` joins them once the whole tree is
scanned:

- an *export*: a module-level constant or Enum member holding a legacy model that
  nothing in its own module uses as a model; it carries the finding it becomes;
- an *import*: a name imported from another module and passed as ``model=``,
  ``engine=`` or ``-m``, by its qualified name (``config.DEFAULT``,
  ``config.Engine.GOOD``).

An export whose ``<module>.<name>`` ends an import's qualified name becomes its
finding; every record is then dropped.  Modules are matched by their file's stem
(``config`` for ``pkg/config.py``), so relative and absolute imports both match.
"""

from __future__ import annotations

import dataclasses
import posixpath

from migrator.findings import Finding

EXPORT = "export:"  # kind prefix: "export:<module>.<name>:<kind of the finding it becomes>"
IMPORT = "import"


def export_record(f: Finding, name: str) -> Finding:
    """``f`` (a model finding at a module-level definition) held back until ``name`` is imported."""
    stem = posixpath.splitext(posixpath.basename(f.path.replace("\\", "/")))[0]
    if stem == "__init__":
        stem = posixpath.basename(posixpath.dirname(f.path.replace("\\", "/"))) or stem
    return dataclasses.replace(f, kind=f"{EXPORT}{stem}.{name}:{f.kind}")


def import_record(path: str, qualified: str, line: int, column: int) -> Finding:
    return Finding(path, line, column, line, column, "link", IMPORT, qualified.lstrip("."), None, False, "")


def is_record(f: Finding) -> bool:
    return f.kind == IMPORT or f.kind.startswith(EXPORT)


def resolve(findings: list[Finding]) -> list[Finding]:
    """``findings`` with each imported export turned into its finding and every record removed."""
    if not any(is_record(f) for f in findings):
        return findings
    imported = {f.legacy for f in findings if f.kind == IMPORT}
    out = []
    for f in findings:
        if f.kind == IMPORT:
            continue
        if f.kind.startswith(EXPORT):
            key, _, kind = f.kind[len(EXPORT):].rpartition(":")
            if any(q == key or q.endswith("." + key) for q in imported):
                out.append(dataclasses.replace(f, kind=kind))
            continue
        out.append(f)
    return out
