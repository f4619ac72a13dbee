"""Scan and fix agree, site by site, on every fixture.

What a user relies on: a finding scan calls ``[fixable]`` is one ``fix`` rewrites,
and ``fix`` rewrites nothing scan did not report as fixable.  So on every fixture
tree and every codemod fixture case (Python files, notebooks, shell scripts,
Makefiles) both verbs run on the same date and the two lists are compared by file
(and notebook cell) and line:

- a *rewritten site* is a line of the old text that fix's diff changes;
- the *site* of a Python finding is the statement holding it (the header of a
  compound statement), together with the statements the values it uses come from
  (an import alias, ``params = {...}`` passed as ``**params``) and the statements
  that use what it binds (``response = ...`` then ``response["choices"]``): fix
  rewrites those with the call, as one change.  Elsewhere the site is the
  finding's own lines;
- a TODO marker fix adds stands above the site of a finding with the same rule.

The agreement: every fixable finding's site has a changed line; every changed
line lies in the site of a fixable finding; no changed line lies on a manual
finding; every TODO fix adds names a finding's rule at that finding's site.
Fixture cases with a ``.model-map`` make the fine-tuned models they map fixable,
as ``fix --model-map`` does.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import difflib
import functools
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from migrator.catalog import load_catalog
from migrator.findings import Finding
from migrator.fix.runner import Changed, Options, Unchanged, fix_paths
from migrator.scan.runner import scan_paths
from migrator.todo_markers import TODO_RE

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FIXTURE_DATE = dt.date(2023, 12, 1)
TODAY = dt.date(2026, 11, 28)  # the trees are compared on this date too: no completion model is left
TREES = ("legacy_app", "real_patterns", "notebooks", "data")
MAGIC_RE = re.compile(r"^\s*[!%]")


@dataclass(frozen=True)
class Case:
    name: str
    source: Path  # a fixture tree, or one ``*.input.py``
    as_of: dt.date
    model_map: tuple[tuple[str, str], ...]


def _cases() -> list[Case]:
    cases = [Case(tree, FIXTURES / tree, FIXTURE_DATE, ()) for tree in TREES]
    cases += [Case(f"{tree}@{TODAY}", FIXTURES / tree, TODAY, ()) for tree in TREES]
    for path in sorted(FIXTURES.glob("*/*.input.py")):
        stem = path.name.removesuffix(".input.py")
        side = path.with_name(f"{stem}.as-of")
        day = dt.date.fromisoformat(side.read_text().strip()) if side.exists() else FIXTURE_DATE
        mm = path.with_name(f"{stem}.model-map")
        pairs = tuple(tuple(line.split("=", 1)) for line in mm.read_text().split()) if mm.exists() else ()
        cases.append(Case(f"{path.parent.name}/{stem}", path, day, pairs))
    return cases


# --- texts: a file, or each code cell of a notebook --------------------------------------------

def _texts(shown: str, data: bytes) -> dict[int | None, str]:
    """The texts findings are placed in: the file, or each cell of a notebook by its number."""
    text = data.decode("utf-8", "replace")
    if not shown.endswith(".ipynb"):
        return {None: text}
    cells = json.loads(text)["cells"]
    return {n: "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for n, c in enumerate(cells, 1) if c.get("cell_type") == "code"}


def _diff(old: str, new: str) -> tuple[set[int], list[tuple[int, str]]]:
    """The old lines fix's diff changes or removes, and each TODO marker it adds with the old
    line of the statement the marker stands above."""
    a, b = old.splitlines(), new.splitlines()
    changed: set[int] = set()
    todos: list[tuple[int, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            changed.update(range(i1 + 1, i2 + 1))
        markers = 0
        for j in range(j1, j2) if tag in ("replace", "insert") else ():
            found = TODO_RE.search(b[j])
            if found and found.group(1) not in {m.group(1) for m in map(TODO_RE.search, a[i1:i2]) if m}:
                markers += 1
                below = j + 1 - j1 - markers  # the new line below the marker, counted in the old block
                todos.append((i1 + 1 + min(max(below, 0), i2 - i1), found.group(1)))
    return changed, todos


# --- sites --------------------------------------------------------------------------------------

@dataclass
class _Statement:
    lines: range
    loads: set[str]
    stores: set[str]
    imports: set[str]


class _Program:
    """The statements of a Python text, with the names each reads and binds."""

    def __init__(self, text: str, is_python: bool) -> None:
        self.statements: list[_Statement] = []
        self.variables: set[str] = set()  # bound by assignment, not by import
        if not is_python:
            return
        masked = "\n".join("pass" if MAGIC_RE.match(line) else line for line in text.splitlines())
        try:
            tree = ast.parse(masked)
        except SyntaxError:
            return
        for node in ast.walk(tree):
            if not isinstance(node, ast.stmt):
                continue
            start, end = node.lineno, node.end_lineno or node.lineno
            start = min([start, *(d.lineno for d in getattr(node, "decorator_list", ()))])  # decorators first
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                end = max(node.lineno, body[0].lineno - 1)  # the header of a compound statement
            header = [node] if end == node.end_lineno else [c for c in ast.iter_child_nodes(node)
                                                             if not isinstance(c, ast.stmt)]
            names = [n for h in header for n in ast.walk(h) if isinstance(n, ast.Name)]
            stores = {n.id for n in names if isinstance(n.ctx, ast.Store)}
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                stores |= {arg.arg for arg in ast.walk(node.args) if isinstance(arg, ast.arg)}
            imports = set()
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                imports = {(a.asname or a.name).split(".")[0] for a in node.names}
            self.variables |= stores
            self.statements.append(_Statement(range(start, end + 1), {n.id for n in names} - stores,
                                              stores | imports, imports))

    def statement(self, line: int) -> _Statement | None:
        holding = [s for s in self.statements if line in s.lines]
        return min(holding, key=lambda s: len(s.lines)) if holding else None

    def site(self, finding: Finding) -> set[int]:
        own = set(range(finding.line, finding.end_line + 1))
        stmt = self.statement(finding.line)
        if stmt is None:
            return own
        site = [stmt] + [s for s in self.statements if s.stores & stmt.loads]  # where its names come from
        flows = stmt.stores | (stmt.loads & self.variables)
        while True:  # and every statement its values flow on to
            more = [s for s in self.statements if s not in site and (s.loads | s.stores) & flows]
            if not more:
                break
            site += more
            flows |= {name for s in more for name in s.stores}
        loads = {name for s in site for name in s.loads}  # and the imports of the names they use
        site += [s for s in self.statements if s.imports & loads]
        return own | {line for s in site for line in s.lines}

    def continued(self, finding: Finding, text: list[str]) -> set[int]:
        """A command's lines: the finding's, and the lines a trailing backslash continues it on."""
        lines = set(range(finding.line, finding.end_line + 1))
        n = finding.end_line
        while 0 < n < len(text) and text[n - 1].rstrip().endswith("\\"):
            n += 1
            lines.add(n)
        return lines


@functools.cache
def disagreements(case: Case) -> tuple[str, ...]:
    """Where scan and fix disagree on ``case``, one sentence each (scan and fix run once a case)."""
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        if case.source.is_dir():
            shutil.copytree(case.source, "t")
        else:
            os.mkdir("t")
            shutil.copy(case.source, "t/case.py")
        scanned = scan_paths(["t"], catalog=load_catalog(as_of=case.as_of), jobs=1)
        fixed = fix_paths(["t"], Options(as_of=case.as_of, model_map=case.model_map), jobs=1)
    assert scanned.errors == []
    mapped = {old for old, _ in case.model_map}
    by_text: dict[tuple[str, int | None], list[Finding]] = {}
    for f in scanned.findings:
        by_text.setdefault((f.path, f.cell), []).append(f)
    out = []
    for result in fixed.files:
        assert isinstance(result, (Changed, Unchanged)), (result.shown, result.reason)
        old_texts, new_texts = _texts(result.shown, result.old), _texts(result.shown, result.new)
        for cell, old in old_texts.items():
            where = f"{result.shown}" + (f" cell {cell}" if cell else "")
            changed, todos = _diff(old, new_texts[cell])
            findings = by_text.get((result.shown, cell), [])
            is_python = result.shown.endswith(".py") or cell is not None
            program = _Program(old, is_python)
            lines = old.splitlines()
            sites = {f: program.site(f) if is_python else program.continued(f, lines) for f in findings}
            fixable = [f for f in findings if f.fixable or f.legacy in mapped]
            marked = {f for f in findings if any(rule == f.rule and (line in sites[f] or line == f.line)
                                                  for line, rule in todos)}
            for f in fixable:
                if not changed & sites[f]:
                    how = "only marks it with a TODO" if f in marked else "leaves it"
                    out.append(f"{where}:{f.line} {f.rule} {f.legacy!r} is fixable but fix {how}")
            handled = fixable + [f for f in findings if f in marked]
            for f in findings:
                own = set(range(f.line, f.end_line + 1))
                if f not in handled and changed & own and not any(own & sites[g] for g in handled):
                    out.append(f"{where}:{f.line} {f.rule} {f.legacy!r} is manual but fix rewrites it")
            for line in sorted(changed):
                if not any(line in sites[f] for f in handled):
                    out.append(f"{where}:{line} fix rewrites {lines[line - 1].strip()!r}, no fixable finding there")
            for line, rule in todos:
                if not any(f.rule == rule and (line in sites[f] or line == f.line) for f in findings):
                    out.append(f"{where}:{line} fix marks {rule} where scan found none")
    return tuple(out)


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_fix_rewrites_exactly_what_scan_calls_fixable(case: Case) -> None:
    assert disagreements(case) == ()


def test_every_fixture_is_compared() -> None:
    """Every tree and codemod case is a case here (notebooks and shell scripts included)."""
    names = {c.name for c in CASES}
    assert {*TREES, *(f"{tree}@{TODAY}" for tree in TREES), *(f"{p.parent.name}/{p.name.removesuffix('.input.py')}"
                      for p in FIXTURES.glob("*/*.input.py"))} == names
    assert any(p.suffix == ".ipynb" for c in CASES if c.source.is_dir() for p in c.source.rglob("*"))
    assert any(p.suffix == ".sh" for c in CASES if c.source.is_dir() for p in c.source.rglob("*"))
