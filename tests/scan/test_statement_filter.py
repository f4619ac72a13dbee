"""Leaving the statements that mention nothing out of the tree never changes what scan finds."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given

from migrator.catalog import load_catalog
from migrator.lang.python import Module
from migrator.scan import python as python_scanner
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
