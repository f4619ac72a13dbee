"""``openai`` requirements that cannot reach the new fine-tuning API (FT050).

A pin matters only when it admits *no* version at or above the catalog's
``v0_minimum`` (the first release whose ``FineTuningJob`` works): ``openai``,
``openai>=0.27`` and ``openai>=1`` can all resolve to a working release and are
left alone, while ``openai==0.27.4``, ``openai<0.27`` or ``~=0.26.0`` cannot.
``packaging`` answers membership for one version, not satisfiability, so the
question is asked of a small set of candidate versions: the thresholds, every
version the specifier names, and the next patch/minor/major after each of them —
the boundaries where the answer of a PEP 440 specifier can change.

Requirement files are read the way pip reads them (comments, ``\\`` continuations,
options, ``--hash``), pyproject/Pipfile through the positioned TOML walker of
:mod:`migrator.scan.config`, setup.py through the Python tokenizer (string
literals only, comments never).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from typing import Iterator

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from migrator.catalog import Catalog
from migrator.findings import Finding
from migrator.scan import pin_scope
from migrator.scan.common import LineIndex, Span, finding
from migrator.scan.config_values import toml_values

_MENTIONS = re.compile(r"(?i)openai")
_POETRY_PART = re.compile(r"^\s*(\^|~(?!=)|==|!=|<=|>=|<|>|~=|=)?\s*([0-9][\w.*+!-]*)\s*$")


def _canonical(catalog: Catalog) -> str:
    return canonicalize_name(catalog.dependency["package"])


def _candidates(spec: SpecifierSet, minimum: Version) -> Iterator[Version]:
    """Versions at which the specifier's answer may change, plus the thresholds."""
    yield minimum
    yield Version("9999")
    for s in spec:
        text = s.version.rstrip(".*")
        try:
            v = Version(text)
        except InvalidVersion:
            continue
        yield v
        rel = list(v.release) + [0] * (3 - len(v.release))
        for i in range(3):
            bumped = rel[:i] + [rel[i] + 1] + [0] * (2 - i)
            yield Version(".".join(map(str, bumped)))


def admits_working(spec: SpecifierSet, catalog: Catalog) -> bool:
    """True if some version satisfying ``spec`` is at or above ``v0_minimum``."""
    minimum = Version(catalog.dependency["v0_minimum"])
    return any(c >= minimum and spec.contains(c, prereleases=True) for c in _candidates(spec, minimum))


def _pin_finding(written: str, path: str, span: Span, catalog: Catalog, fixable: bool) -> Finding:
    dep = catalog.dependency
    msg = (f"{written!r} cannot install {dep['package']}>={dep['v0_minimum']} ({dep['reason']}); "
           f"use {dep['v0_bump']!r} or move to {dep['package']}>={dep['v1_minimum']} "
           f"with client.fine_tuning.jobs")
    return finding(path, span, "FT050", "dependency", written, dep["v0_bump"], fixable,
                   msg if fixable else f"{msg} ({pin_scope.BY_HAND})")


def requirement_finding(text: str, path: str, span: Span, catalog: Catalog, fixable: bool) -> Finding | None:
    """FT050 for one PEP 508 requirement string naming openai with a pin too old; else None.

    ``fixable``: whether fix bumps a pin where this one is written (see :mod:`migrator.scan.pin_scope`)."""
    written = text.strip()
    try:
        req = Requirement(written)
    except InvalidRequirement:
        return None  # not a requirement (a path, a URL, an option): nothing to judge
    if canonicalize_name(req.name) != _canonical(catalog) or req.url:
        return None
    if admits_working(req.specifier, catalog):
        return None
    return _pin_finding(written, path, span, catalog, fixable)


# -- requirements*.txt -------------------------------------------------------------------------


def scan_requirements(text: str, path: str, catalog: Catalog) -> list[Finding]:
    """pip requirement files: one requirement per logical line."""
    if not _MENTIONS.search(text):
        return []
    index = LineIndex(text)
    out: list[Finding] = []
    for start, end in _logical_lines(text):
        line = text[start:end]
        if not _MENTIONS.search(line):
            continue
        body = re.split(r"(?:^|\s)#", line, maxsplit=1)[0]  # a comment: '#' at the start or after a space
        body = re.split(r"\s--?[a-z]", " " + body, maxsplit=1)[0][1:]  # trailing --hash=... options
        stripped = re.sub(r"[\s\\]+$", "", body.strip())
        if not stripped or stripped.startswith("-"):
            continue  # -r other.txt, -e ..., --index-url ...
        at = start + line.index(stripped)
        req = re.sub(r"\s*\\\r?\n\s*", " ", stripped)
        f = requirement_finding(req, path, index.span(at, at + len(stripped)), catalog, True)
        if f is not None:
            out.append(f)
    return out


def _logical_lines(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each logical line: physical lines joined by a trailing backslash, no newline."""
    start = 0
    for mt in re.finditer(r"\r?\n", text):
        if text[:mt.start()].endswith("\\"):
            continue
        yield start, mt.start()
        start = mt.end()
    if start < len(text):
        yield start, len(text)


# -- setup.cfg -------------------------------------------------------------------------------------

_CFG_KEY = re.compile(r"^\s*[A-Za-z_][\w.-]*\s*[=:](?!=)")


def scan_setup_cfg(text: str, path: str, catalog: Catalog) -> list[Finding]:
    """``install_requires``/``extras_require`` values: one requirement per line, as setuptools reads them."""
    if not _MENTIONS.search(text):
        return []
    index = LineIndex(text)
    out: list[Finding] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if not body.lstrip().startswith(("#", ";")):
            key = _CFG_KEY.match(body)
            value_at = key.end() if key else 0
            value = re.split(r"\s[#;]", body[value_at:], maxsplit=1)[0]
            stripped = value.strip()
            if re.match(r"(?i)^openai\b", stripped):
                at = pos + value_at + value.index(stripped)
                out.extend(f for f in [requirement_finding(stripped, path, index.span(at, at + len(stripped)),
                                                           catalog, False)] if f is not None)
        pos += len(line)
    return out


# -- pyproject.toml and Pipfile ------------------------------------------------------------------------


def scan_pyproject(text: str, path: str, catalog: Catalog) -> list[Finding]:
    """PEP 621 (``[project]``, optional dependencies), PEP 735 groups and Poetry dependency tables."""
    if not _MENTIONS.search(text):
        return []
    index = LineIndex(text)
    name = _canonical(catalog)
    out: list[Finding] = []
    for v in toml_values(text):
        keys = v.keys
        span = index.span(v.start, v.end)
        pep508 = (keys[:2] == ("project", "dependencies") or keys[:2] == ("project", "optional-dependencies")
                  or keys[:1] == ("dependency-groups",) or keys[:3] == ("build-system", "requires", keys[2:3] and keys[2]))
        if pep508:  # quoted requirement strings: fix bumps them
            f = requirement_finding(v.text, path, span, catalog, True)
        elif keys[:2] == ("tool", "poetry") and _poetry_dependency(keys[2:], name):
            f = _constraint_finding(v.text, _poetry_specifiers(v.text), f"{name} = {v.text!r}", path, span, catalog)
        else:
            continue
        if f is not None:
            out.append(f)
    return out


def _poetry_dependency(keys: tuple, name: str) -> bool:
    """``dependencies.openai`` (or ``.version``) in Poetry's main, dev or group tables."""
    if keys[:1] in (("dependencies",), ("dev-dependencies",)):
        rest = keys[1:]
    elif keys[:1] == ("group",) and len(keys) > 2 and keys[2] == "dependencies":
        rest = keys[3:]
    else:
        return False
    return (bool(rest) and isinstance(rest[0], str) and canonicalize_name(rest[0]) == name
            and (len(rest) == 1 or rest[1:] == ("version",) or (isinstance(rest[1], int) and rest[2:] == ("version",))))


def scan_pipfile(text: str, path: str, catalog: Catalog) -> list[Finding]:
    """``[packages]``/``[dev-packages]``: ``openai = "==0.27.4"`` or ``{version = "..."}``."""
    if not _MENTIONS.search(text):
        return []
    index = LineIndex(text)
    name = _canonical(catalog)
    out: list[Finding] = []
    for v in toml_values(text):
        keys = v.keys
        if (len(keys) >= 2 and isinstance(keys[1], str) and canonicalize_name(keys[1]) == name
                and (len(keys) == 2 or keys[2:] == ("version",))):
            try:
                specs = [SpecifierSet("" if v.text.strip() == "*" else v.text)]
            except InvalidSpecifier:
                continue  # not a version constraint pipenv would accept either
            f = _constraint_finding(v.text, specs, f"{name} = {v.text!r}", path, index.span(v.start, v.end), catalog)
            if f is not None:
                out.append(f)
    return out


def _constraint_finding(text: str, specs: list[SpecifierSet] | None, written: str, path: str,
                        span: Span, catalog: Catalog) -> Finding | None:
    """FT050 when none of the alternatives ``specs`` admits a working version (a Poetry or
    Pipfile table entry, which fix does not bump)."""
    if specs is None or any(admits_working(s, catalog) for s in specs):
        return None
    return _pin_finding(written, path, span, catalog, False)


def _poetry_specifiers(constraint: str) -> list[SpecifierSet] | None:
    """A Poetry constraint (``^0.27``, ``~0.27.1``, ``0.27.4``, ``>=0.26,<0.28``, ``a || b``) as PEP 440 sets.

    None when it is not a constraint this function understands (nothing is reported then).
    """
    out = []
    for alternative in constraint.split("||"):
        parts: list[str] = []
        for piece in re.split(r"[,\s]+(?=[<>=!~^0-9*])", alternative.strip()):
            if piece.strip() in ("*", ""):
                continue
            mt = _POETRY_PART.match(piece)
            if mt is None:
                return None
            op, version = mt.group(1) or "==", mt.group(2)
            try:
                v = Version(version.rstrip(".*"))
            except InvalidVersion:
                return None
            rel = list(v.release)
            if op == "^":
                first = next((i for i, x in enumerate(rel) if x), len(rel) - 1)
                upper = rel[:first] + [rel[first] + 1]
                parts += [f">={version}", f"<{'.'.join(map(str, upper))}"]
            elif op == "~":
                upper = rel[:1] + [rel[1] + 1] if len(rel) > 1 else [rel[0] + 1]
                parts += [f">={version}", f"<{'.'.join(map(str, upper))}"]
            else:
                parts.append(f"{'==' if op == '=' else op}{version}")
        try:
            out.append(SpecifierSet(",".join(parts)))
        except InvalidSpecifier:
            return None
    return out


# -- setup.py --------------------------------------------------------------------------------------


def scan_setup_py(text: str, path: str, catalog: Catalog) -> list[Finding]:
    """String literals in setup.py that are openai requirement specs (``install_requires``, extras)."""
    if not _MENTIONS.search(text):
        return []
    index = LineIndex(text)
    out: list[Finding] = []
    for value, start, end in _python_strings(text):
        if re.match(r"(?i)^\s*openai\b", value):
            f = requirement_finding(value, path, index.span(start, end), catalog, False)
            if f is not None:
                out.append(f)
    return out


def _python_strings(text: str) -> Iterator[tuple[str, int, int]]:
    """(value, start, end) of each plain string literal; comments are never strings.

    A file the tokenizer cannot read (Python 2) falls back to quoted runs on
    lines that are not comments, so its pins are still found.
    """
    index = [0] + [m.end() for m in re.finditer("\n", text)]
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
                  if t.type == tokenize.STRING and "openai" in t.string.lower()]
    except (tokenize.TokenError, SyntaxError):
        for mt in re.finditer(r"""^[^#\n]*?(["'])(openai\b[^"'\n]*)\1""", text, re.MULTILINE | re.IGNORECASE):
            yield mt.group(2), mt.start(1), mt.end(2) + 1
        return
    for tok in tokens:
        try:
            value = ast.literal_eval(tok.string)
        except (ValueError, SyntaxError):
            continue  # an f-string or bytes: not a requirement spec
        if isinstance(value, str):
            yield value, index[tok.start[0] - 1] + tok.start[1], index[tok.end[0] - 1] + tok.end[1]
