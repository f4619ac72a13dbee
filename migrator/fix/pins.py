"""Bumping ``openai`` requirement pins that cannot run the migrated v0 code.

Code moved to ``openai.FineTuningJob`` needs ``openai>=0.28.1,<1``: before 0.27.9
the class does not exist, 0.27.x sends the wrong events cursor, and 1.x removed the
module-level resources altogether (the catalog's ``[dependency]`` says why).  A
pin is rewritten only when it admits a version outside that range; the rest of
the line (extras, environment markers, comments, hashes) stays as written.
"""

from __future__ import annotations

import re

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from migrator.catalog import Catalog
from migrator.scan.pin_scope import PIP_LINE_RE

# `openai` as a requirement name, then its specifier (up to a marker, comment, quote or line end).
REQ_RE = re.compile(r"(?P<head>(?<![\w.-])openai(?:\[[^\]]*\])?)(?P<spec>[ \t]*(?:[<>=!~][^;#\"'\n\r,\]]*"
                    r"(?:,[ \t]*[<>=!~][^;#\"'\n\r,\]]*)*)?)(?=[ \t]*(?:[;#\"'\r\n]|$))", re.MULTILINE)


def needs_bump(spec: str, catalog: Catalog) -> bool:
    """True when ``spec`` (``==0.27.4``, ``>=0.27``, ``""``) admits a version that
    cannot run ``openai.FineTuningJob`` code."""
    dep = catalog.dependency
    try:
        specs = SpecifierSet(spec.replace(" ", ""))
    except InvalidSpecifier:
        return False  # not ours to guess; the scan reports it
    low, high = Version(dep["v0_minimum"]), Version(dep["v1_minimum"])
    if specs.contains(high, prereleases=True):
        return True
    lower_bounded = any(s.operator in (">=", "==", "~=", "===") and Version(s.version.rstrip(".*")) >= low
                        or s.operator == ">" and Version(s.version) >= low for s in specs)
    return not lower_bounded


def bump_text(text: str, catalog: Catalog, *, pip_lines_only: bool = False) -> tuple[str, int]:
    """``text`` with each outdated ``openai`` pin replaced by the catalog's bump;
    ``pip_lines_only``: only in ``!pip``/``%pip install`` lines (notebook cells),
    where the new pin is quoted for the shell."""
    shell = pip_lines_only
    bump = catalog.dependency["v0_bump"]
    count = 0

    def one(m: re.Match[str]) -> str:
        nonlocal count
        if not needs_bump(m.group("spec").strip(), catalog):
            return m.group(0)
        count += 1
        spec = m.group("spec")
        trailing = spec[len(spec.rstrip()):]
        new = m.group("head") + bump.removeprefix(catalog.dependency["package"])
        quoted = m.start() > 0 and m.string[m.start() - 1] in "\"'"
        if shell and not quoted:
            new = f'"{new}"'  # `<` and `>` are redirections on a shell command line
        return new + trailing

    if pip_lines_only:
        out = PIP_LINE_RE.sub(lambda line: REQ_RE.sub(one, line.group(0)), text)
    else:
        out = REQ_RE.sub(one, text)
    return out, count


def bump_pins(data: bytes, kind: str, catalog: Catalog) -> tuple[bytes, int]:
    """The bumped bytes of a requirements file or a pyproject.toml."""
    bom = data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8") if bom else data.decode("utf-8")
    if kind == "pyproject":
        out, count = _bump_pyproject(text, catalog)
    else:
        out, count = bump_text(text, catalog)
    if not count:
        return data, 0
    return (b"\xef\xbb\xbf" if bom else b"") + out.encode("utf-8"), count


def _bump_pyproject(text: str, catalog: Catalog) -> tuple[str, int]:
    """Only quoted requirement strings (PEP 621 arrays, Poetry-style values stay manual)."""
    count = 0

    def quoted(m: re.Match[str]) -> str:
        nonlocal count
        new, n = bump_text(m.group(0), catalog)
        count += n
        return new

    return re.sub(r"([\"'])openai(?:\[[^\]]*\])?[^\"'\n]*\1", quoted, text), count
