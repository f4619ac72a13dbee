"""Run the codemod chain over one Python source, in memory.

Parsing happens once; each codemod in the fixed order transforms the tree the
previous one produced.  LibCST re-resolves scope and qualified-name metadata for
every codemod, which costs more than the parse on a big module, so a codemod whose
trigger words do not occur in the current code is skipped, and a large module's
dull statements are punched out as holes first (holes.py): the chain runs on the
small module and the holes are filled back.  Bytes go in and bytes come out, so the
BOM, the encoding declaration, CRLF line endings and every byte the codemods did not
touch survive unchanged.
"""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import libcst as cst
from libcst.codemod import CodemodContext

from ft_migrate_codemods._base import NOT_AZURE, SITES, V0_MIGRATED, MigrationCommand
from ft_migrate_codemods.event_streams_to_polling import COMPAT
from migrator.azure import azure_line_of, may_call_azure
from migrator.catalog import Catalog
from migrator.fix.holes import punch
from migrator.nesting import may_be_too_deep, too_deep


class TooDeep(ValueError):
    """The source is nested deeper than CPython (and LibCST's parser) can take; not parsed."""


@dataclass(frozen=True)
class Transformed:
    data: bytes
    sites: int
    v0_migrated: bool


def transform_python(data: bytes, codemods: Sequence[type[MigrationCommand]], catalog: Catalog,
                     model_map: Mapping[str, str] | None = None, filename: str | None = None,
                     *, holes: bool = True, compat_module: bool = False) -> Transformed:
    """The migrated bytes of ``data``; raises ``libcst.ParserSyntaxError`` if it does not parse,
    :class:`TooDeep` (before any parse) if its nesting would crash the parser.

    With ``holes`` (the default) a large module's dull statements are punched out
    before the codemods run and restored after; the result is the same bytes as
    without, only sooner.  Whenever the holes cannot be used (the holed module does
    not parse, a codemod lost or duplicated a placeholder) the whole module is
    transformed instead.  ``compat_module``: a generated helper is imported from
    ``ft_migrate_compat`` (which the caller writes) instead of written into the module.
    """
    _check_depth(data)
    if _azure(data):
        return Transformed(data, 0, False)  # see migrator/azure.py
    if holes:
        done = _transform_with_holes(data, codemods, catalog, model_map, filename, compat_module)
        if done is not None:
            return done
    module, sites, v0 = _run(cst.parse_module(data), codemods, catalog, model_map, filename,
                             compat_module=compat_module)
    out = module.bytes
    return Transformed(out if out != data else data, sites, v0)


def _azure(data: bytes) -> bool:
    """Whether the module calls Azure OpenAI, which the codemods leave as it is (a source that
    does not decode or parse is not: the parse below reports it)."""
    if not may_call_azure(data):
        return False
    try:
        source = data.decode(tokenize.detect_encoding(io.BytesIO(data).readline)[0])
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return False
    return azure_line_of(source) is not None


def _check_depth(data: bytes) -> None:
    if not may_be_too_deep(data):
        return  # the usual case, decided without decoding
    try:
        source = data.decode(tokenize.detect_encoding(io.BytesIO(data).readline)[0])
    except (SyntaxError, UnicodeDecodeError, LookupError):
        source = data.decode("latin-1")  # LibCST will report the encoding; count brackets all the same
    reason = too_deep(source)
    if reason:
        raise TooDeep(reason)


def _transform_with_holes(data: bytes, codemods: Sequence[type[MigrationCommand]], catalog: Catalog,
                          model_map: Mapping[str, str] | None, filename: str | None,
                          compat_module: bool = False) -> Transformed | None:
    """The result of the chain run on ``data`` with holes, or None to run it on the whole module.

    Only the holed module goes through LibCST (CPython's ``ast`` already checked the
    whole source), so a large file is parsed once, small.
    """
    try:
        encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
        source = data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return None  # the full parse reports it
    punched = punch(source, catalog, (*(model_map or ()), *(w for cls in codemods for w in cls.VISIBLE)))
    if punched is None:
        return None
    try:
        small = cst.parse_module(punched.source.encode(encoding))
    except cst.ParserSyntaxError:
        return None
    module, sites, v0 = _run(small, codemods, catalog, model_map, filename, punched.restore, compat_module)
    restored = punched.restore(module.code)
    if restored is None:
        return None
    out = restored.encode(module.encoding)
    return Transformed(out if out != data else data, sites, v0)


def _run(module: cst.Module, codemods: Sequence[type[MigrationCommand]], catalog: Catalog,
         model_map: Mapping[str, str] | None, filename: str | None,
         whole: Callable[[str], str | None] = lambda code: code,
         compat_module: bool = False) -> tuple[cst.Module, int, bool]:
    """Chain ``codemods`` over ``module``; ``whole`` gives the full text each ``applies`` judges."""
    context = CodemodContext(filename=filename, scratch={NOT_AZURE: True, **({COMPAT: True} if compat_module else {})})
    for cls in codemods:
        code = module.code
        if not cls.applies(whole(code) or code, catalog, model_map or {}):
            continue  # cannot change anything: skip its metadata resolution and walk
        context = CodemodContext(filename=filename, scratch=context.scratch)
        module = cls(context, catalog=catalog, model_map=model_map).transform_module(module)
    return module, context.scratch.get(SITES, 0), bool(context.scratch.get(V0_MIGRATED))
