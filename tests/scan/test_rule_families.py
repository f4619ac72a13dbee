"""The Python rule families: found by listing their package, each with the codemods that fix it."""

from __future__ import annotations

from pathlib import Path

from ft_migrate_codemods import REGISTRY
from migrator.catalog import load_catalog
from migrator.rules import RULES, families
from migrator.scan.python import scan_python

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_every_family_module_is_found_in_order():
    found = [(cls.__module__.rsplit(".", 1)[1], cls.ids) for cls in families()]
    assert found == [
        ("fine_tune_calls", ("FT010", "FT011", "FT012")),
        ("cli_commands", ("FT040", "FT041")),
        ("endpoints", ("FT001", "FT002")),
        ("legacy_models", ("FT020", "FT021", "FT022")),
        ("response_fields", ("FT030", "FT031")),
    ]


def test_family_ids_are_stable_rule_ids_and_their_fixes_are_codemods():
    for cls in families():
        assert set(cls.ids) <= set(RULES), cls
        assert cls.fixes and set(cls.fixes) <= set(REGISTRY), cls


def test_a_fixable_python_finding_comes_from_a_family_with_a_fix():
    """What scan calls fixable a codemod exists for: fixable is the family's fact, not a guess."""
    fixed_by = {rule_id: cls.fixes for cls in families() for rule_id in cls.ids}
    catalog = load_catalog()
    seen = set()
    for path in sorted(FIXTURES.rglob("*.py")):
        for f in scan_python(path.read_text(encoding="utf-8"), str(path), catalog):
            if f.fixable:
                assert fixed_by.get(f.rule), (path, f.line, f.rule)
                seen.add(f.rule)
    assert seen >= {"FT001", "FT010", "FT011", "FT012", "FT020", "FT030", "FT031", "FT040"}
