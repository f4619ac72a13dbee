"""Run the codemod chain over one Python source, in memory.

Parsing happens once; each codemod in the fixed order transforms the tree the
previous one produced.  LibCST re-resolves scope and qualified-name metadata for
every codemod, which costs more than the parse on a big module, so a codemod whose
trigger words do not occur in the current code is skipped.  Bytes go in and bytes come out, so the BOM, the encoding declaration,
CRLF line endings and every byte the codemods did not touch survive unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import libcst as cst
from libcst.codemod import CodemodContext

from codemods._base import SITES, V0_MIGRATED, MigrationCommand
from migrator.catalog import Catalog
from migrator.fix.holes import punch


@dataclass(frozen=True)
class Transformed:
    data: bytes
    sites: int
    v0_migrated: bool


def transform_python(data: bytes, codemods: Sequence[type[MigrationCommand]], catalog: Catalog,
                     model_map: Mapping[str, str] | None = None, filename: str | None = None,
                     *, holes: bool = True) -> Transformed:
    """The migrated bytes of ``data``; raises ``libcst.ParserSyntaxError`` if it does not parse.

    With ``holes`` (the default) a large module's dull statements are punched out
    before the codemods run and restored after (see holes.py); the result is the
    same bytes as without, only sooner.
    """
    module = cst.parse_module(data)
    punched = punch(module.code, catalog) if holes else None
    if punched is not None:
        small = cst.parse_module(punched.source, config=module.config_for_parsing)
        result = _run(small, codemods, catalog, model_map, filename)
        restored = punched.restore(result[0].code)
        if restored is not None:
            out = restored.encode(module.encoding)
            return Transformed(out if out != data else data, result[1], result[2])
    module, sites, v0 = _run(module, codemods, catalog, model_map, filename)
    out = module.bytes
    return Transformed(out if out != data else data, sites, v0)


def _run(module: cst.Module, codemods: Sequence[type[MigrationCommand]], catalog: Catalog,
         model_map: Mapping[str, str] | None, filename: str | None) -> tuple[cst.Module, int, bool]:
    context = CodemodContext(filename=filename, scratch={})
    code = module.code
    for cls in codemods:
        if not cls.applies(code, catalog, model_map or {}):
            continue  # cannot change anything: skip its metadata resolution and walk
        context = CodemodContext(filename=filename, scratch=context.scratch)
        module = cls(context, catalog=catalog, model_map=model_map).transform_module(module)
        code = module.code
    return module, context.scratch.get(SITES, 0), bool(context.scratch.get(V0_MIGRATED))
