"""Which outdated ``openai`` pins (FT050) fix bumps, so that scan calls exactly those fixable.

A pin too old for ``openai.FineTuningJob`` only matters to code on that resource,
so fix (:mod:`migrator.fix.runner`, :mod:`migrator.fix.notebook`) bumps one only
beside such code, and only where it can rewrite it without a person:

- in requirements files and pyproject.toml dependency arrays, when the tree holds
  fine-tunes code that fix moves to the v0 jobs resource (a fixable FT010/FT012
  finding) or code already on it;
- in a notebook's ``%pip``/``!pip install`` lines, when that notebook holds such code;
- never in setup.py, setup.cfg, a Pipfile, a Poetry table or a script: those stay
  manual, with :data:`BY_HAND` in their message.

The tree-wide condition is known only once every file is read, and each file is
scanned and cached on its own: a file already on the v0 jobs resource leaves a
record among its findings (:func:`record`), and :func:`resolve` then settles the
requirements and pyproject pins and drops the records.
"""

from __future__ import annotations

import dataclasses
import re

from migrator.catalog import Catalog
from migrator.findings import Finding

PIN = "FT050"
# The findings whose fix moves code to the v0 jobs resource (openai.FineTune calls and references).
V0_RULES = frozenset({"FT010", "FT012"})
# The kinds of file whose text fix reads for code already on the v0 jobs resource.
CODE_KINDS = frozenset({"python", "setup-py", "notebook", "shell", "makefile", "dockerfile"})
# A notebook line fix bumps pins in (fix.pins.bump_text with pip_lines_only).
PIP_LINE_RE = re.compile(r"^[ \t]*[!%]\s*pip[ \t]+install\b.*$", re.MULTILINE)

BY_HAND = ("fix bumps pins only in requirements files, pyproject.toml dependency lists and a notebook's "
           "%pip/!pip install lines: change this one by hand")
NO_CODE = ("fix bumps it only along with fine-tunes code it moves to the v0 jobs resource, and none is among "
           "the files scanned")
NO_CODE_IN_NOTEBOOK = ("fix bumps a notebook's pin only along with fine-tunes code it moves to the v0 jobs "
                       "resource in that notebook, and this one has none")
_RECORD = "v0-jobs"


def jobs_resource(catalog: Catalog) -> str:
    """The v0 jobs resource's name as code writes it after ``openai.`` (``FineTuningJob``)."""
    return catalog.sdk.v0.replacement.rpartition(".")[2]


def uses_v0_jobs(kind: str, data: bytes, catalog: Catalog) -> bool:
    """Whether a file of ``kind`` holds code already on the v0 jobs resource (``openai.FineTuningJob``)."""
    return kind in CODE_KINDS and jobs_resource(catalog).encode() in data


def record(path: str) -> Finding:
    """The mark a file on the v0 jobs resource leaves among its findings for :func:`resolve`."""
    return Finding(path, 1, 1, 1, 1, "link", _RECORD, "", None, False, "")


def moves_to_v0_jobs(findings: list[Finding]) -> bool:
    """Whether fix moves some of this code to the v0 jobs resource."""
    return any(f.fixable and f.rule in V0_RULES for f in findings)


def resolve(findings: list[Finding]) -> list[Finding]:
    """``findings`` with the requirements/pyproject pins manual unless the tree holds v0 jobs code,
    and the records dropped (a notebook's pins were settled with it, :func:`in_notebook`)."""
    v0 = moves_to_v0_jobs(findings) or any(f.kind == _RECORD for f in findings)
    out = []
    for f in findings:
        if f.kind == _RECORD:
            continue
        if f.rule == PIN and f.fixable and f.cell is None and not v0:
            f = dataclasses.replace(f, fixable=False, message=f"{f.message} ({NO_CODE})")
        out.append(f)
    return out


def in_notebook(findings: list[Finding], sources: list[str], code_cells: set[int], catalog: Catalog) -> list[Finding]:
    """A notebook's pins: fixable on the pip lines of a notebook whose code fix moves to the v0 jobs
    resource, or rewrites in a cell already on it (``sources``: the cells' text, ``code_cells``:
    the numbers of its code cells)."""
    resource = jobs_resource(catalog)
    changed = {f.cell for f in findings if f.fixable}
    v0 = moves_to_v0_jobs(findings) or any(resource in sources[n - 1] for n in changed & code_cells)
    out = []
    for f in findings:
        if f.rule == PIN:
            line = sources[f.cell - 1].split("\n")[f.line - 1] if f.cell else ""
            pip_line = f.cell in code_cells and PIP_LINE_RE.match(line) is not None
            base = f.message.removesuffix(f" ({BY_HAND})")
            if v0 and pip_line:
                f = dataclasses.replace(f, fixable=True, message=base)
            else:
                f = dataclasses.replace(f, fixable=False,
                                        message=f"{base} ({NO_CODE_IN_NOTEBOOK if pip_line else BY_HAND})")
        out.append(f)
    return out
