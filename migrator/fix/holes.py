"""Punch the statements no codemod can touch out of a large module, and put them back.

Each codemod resolves LibCST scope and qualified-name metadata over the whole
module, which costs seconds on a large file whose one legacy call sits in one
function.  The statements the scan would not even parse (migrator/scan/reduce.py:
no catalog word, client, response field, status or model argument in them) cannot
be changed by a codemod either, so each is replaced by a one-line placeholder
before the codemods run and restored byte for byte afterwards.  The placeholders
carry a random nonce, so they cannot collide with the user's code; if a codemod
output lost or duplicated one, the caller falls back to the whole module.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from migrator.catalog import Catalog
from migrator.scan.reduce import LINE, dull_statements


@dataclass(frozen=True)
class Punched:
    """A module with holes, and the text each hole stands for."""

    source: str
    holes: dict[str, str]  # placeholder line (with its line ending) -> original text

    def restore(self, code: str) -> str | None:
        """``code`` with every hole filled back, or None if a hole was lost or duplicated."""
        lines = LINE.findall(code)
        seen = 0
        for i, line in enumerate(lines):
            original = self.holes.get(line)
            if original is not None:
                lines[i] = original
                seen += 1
        return "".join(lines) if seen == len(self.holes) else None


def punch(source: str, catalog: Catalog) -> Punched | None:
    """``source`` with its dull statements replaced by placeholders, or None if none are."""
    lines = LINE.findall(source)
    dull = dull_statements(source, lines, catalog)
    if dull is None:
        return None
    tree, spans = dull
    # The first statement stays: a docstring or `from __future__` must remain first, and
    # import insertion looks for the docstring.
    first_statement = tree.body[0].lineno if tree.body else 0
    nonce = secrets.token_hex(6)
    holes: dict[str, str] = {}
    out: list[str] = []
    cursor = 1
    for n, (first, last, _) in enumerate(spans):
        if first <= first_statement <= last:
            continue
        out.extend(lines[cursor - 1:first - 1])
        indent = re.match(r"[ \t]*", lines[first - 1]).group()
        ending = lines[last - 1][len(lines[last - 1].rstrip("\r\n")):] or "\n"
        placeholder = f"{indent}__ft_migrate_hole_{nonce}_{n}__ = 0{ending}"
        original = "".join(lines[first - 1:last])
        if not original.endswith(("\n", "\r")):
            return None  # a last statement without a newline: not worth the special case
        holes[placeholder] = original
        out.append(placeholder)
        cursor = last + 1
    if not holes:
        return None
    out.extend(lines[cursor - 1:])
    return Punched("".join(out), holes)
