"""Every fixture case under ``fixtures/<codemod_module>/`` is a test.

A case is ``<case>.input.py`` plus ``<case>.expected.py``; a ``noop_<case>.input.py``
has no expected file and must come out byte-identical.  An optional
``<case>.model-map`` holds ``OLD=NEW`` lines passed as ``--model-map``, an
optional ``<case>.as-of`` the date the case is migrated for (``--as-of``); without
one a case holds the answers of :data:`FIXTURE_DATE`, when the 2023 replacements
were alive.  Each case
checks: the output equals the expected bytes; the expected output parses; running
again on the expected output changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import datetime as dt

import libcst as cst
import pytest
from libcst.codemod import CodemodContext

from ft_migrate_codemods import REGISTRY
from migrator.catalog import load_catalog
from migrator.fix.transform import transform_python

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BY_MODULE = {cls.__module__.rsplit(".", 1)[-1]: cls for cls in REGISTRY.values()}
FIXTURE_DATE = dt.date(2023, 12, 1)


def _cases():
    for path in sorted(FIXTURES.glob("*/*.input.py")):
        module = path.parent.name
        if module not in BY_MODULE:
            continue
        case = path.name.removesuffix(".input.py")
        expected = path.with_name(f"{case}.expected.py")
        if not case.startswith("noop_") and not expected.exists():
            raise FileNotFoundError(f"{path}: a non-noop fixture case needs {expected.name}")
        yield pytest.param(module, path, None if case.startswith("noop_") else expected, id=f"{module}/{case}")


def _model_map(path: Path) -> dict[str, str]:
    mm = path.with_name(path.name.removesuffix(".input.py") + ".model-map")
    if not mm.exists():
        return {}
    return dict(line.split("=", 1) for line in mm.read_text(encoding="utf-8").split())


def as_of(path: Path) -> dt.date:
    """The date a fixture case is migrated for."""
    side = path.with_name(path.name.removesuffix(".input.py") + ".as-of")
    return dt.date.fromisoformat(side.read_text().strip()) if side.exists() else FIXTURE_DATE


def _run(module: str, data: bytes, model_map: dict[str, str], day: dt.date) -> bytes:
    return transform_python(data, [BY_MODULE[module]], load_catalog(as_of=day), model_map).data


@pytest.mark.parametrize("module,input_path,expected_path", list(_cases()))
def test_fixture(module: str, input_path: Path, expected_path: Path | None) -> None:
    source = input_path.read_bytes()
    model_map = _model_map(input_path)
    day = as_of(input_path)
    out = _run(module, source, model_map, day)
    if expected_path is None:
        assert out == source
        return
    expected = expected_path.read_bytes()
    assert out.decode("utf-8", "replace") == expected.decode("utf-8", "replace")
    assert out == expected
    cst.parse_module(expected)
    assert _run(module, expected, model_map, day) == expected


def test_every_codemod_has_crlf_and_non_ascii_cases() -> None:
    for module in BY_MODULE:
        names = [p.name for p in (FIXTURES / module).glob("*.input.py")]
        assert any("crlf" in n for n in names), f"{module} has no CRLF case"
        assert any("non_ascii" in n for n in names), f"{module} has no non-ASCII case"
        crlf = [p for p in (FIXTURES / module).glob("*crlf*.input.py")]
        assert all(b"\r\n" in p.read_bytes() for p in crlf), f"{module}: CRLF case without CRLF"


@pytest.mark.parametrize("input_path", sorted(FIXTURES.glob("*/*.input.py")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_codemod_that_does_not_apply_would_change_nothing(input_path: Path) -> None:
    """``applies`` (the per-codemod prefilter that spares LibCST's metadata) never skips a change."""
    data = input_path.read_bytes()
    catalog, model_map = load_catalog(as_of=as_of(input_path)), _model_map(input_path)
    for cls in REGISTRY.values():
        if not cls.applies(data.decode("utf-8"), catalog, model_map):
            module = cst.parse_module(data)
            out = cls(CodemodContext(), catalog=catalog, model_map=model_map).transform_module(module)
            assert out.bytes == data, f"{cls.ID} skipped by applies() but changes {input_path.name}"
