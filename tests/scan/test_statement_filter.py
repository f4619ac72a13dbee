"""Leaving the statements that mention nothing out of the tree never changes what scan finds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given

from migrator.catalog import load_catalog
from migrator.lang.python import Module
from migrator.scan import python as python_scanner
from migrator.scan.runner import scan_paths
from tests.fix.test_idempotence import PROPERTY, modules

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*ROOT.joinpath("fixtures").rglob("*.py"), *ROOT.joinpath("tests").rglob("*.py")])
CATALOG = load_catalog()


def scan(source: str, whole: bool, monkeypatch) -> list:
    with monkeypatch.context() as m:
        if whole:
            m.setattr(python_scanner, "parse_hot", lambda text, hot: Module(text))
        return python_scanner.scan_python(source, "m.py", CATALOG, links=True)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_same_findings_with_the_whole_tree(path: Path, monkeypatch) -> None:
    source = path.read_text(encoding="utf-8")
    try:
        whole = scan(source, True, monkeypatch)
    except SyntaxError:
        pytest.skip("not Python 3")
    assert scan(source, False, monkeypatch) == whole


def test_the_filter_does_leave_statements_out() -> None:
    """Not a test that cannot fail: the filter is on, and drops most of a module."""
    source = (ROOT / "tests/scan/test_python_scopes.py").read_text(encoding="utf-8")
    hot = python_scanner.parse_hot(source, python_scanner.prefilter.statement_matcher(CATALOG))
    assert 0 < len(hot.tree.body) < len(Module(source).tree.body)


@given(source=modules())
@PROPERTY
def test_same_findings_with_the_whole_tree_on_random_legacy_modules(source: str) -> None:
    with pytest.MonkeyPatch.context() as m:
        hot = python_scanner.scan_python(source, "m.py", CATALOG, links=True)
        m.setattr(python_scanner, "parse_hot", lambda text, matcher: Module(text))
        assert python_scanner.scan_python(source, "m.py", CATALOG, links=True) == hot


def test_completions_calls_are_read_once_no_completion_model_is_left(tmp_path):
    """A completions call whose model the catalog does not know mentions nothing legacy, yet fails
    from 2026-10-23: the prefilter reads such files from that day on."""
    (tmp_path / "a.py").write_text('import openai\n\nr = openai.Completion.create(model="my-model", prompt="x")\n')
    (tmp_path / "b.js").write_text("const r = await api.createCompletion({ model: m, prompt });\n")
    early = scan_paths([str(tmp_path)], catalog=load_catalog(as_of=dt.date(2026, 10, 22)), jobs=1)
    late = scan_paths([str(tmp_path)], catalog=load_catalog(as_of=dt.date(2026, 10, 23)), jobs=1)
    assert (early.files_parsed, early.findings) == (0, [])
    assert [(f.path.rpartition("/")[2], f.kind, f.fixable) for f in late.findings] == [
        ("a.py", "completions-call", True), ("b.js", "completions-call", False)]
