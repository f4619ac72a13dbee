"""Refusing Python nested deeper than LibCST's native parser survives.

LibCST's parser is native code: about 1,300 nested brackets overflow its stack
and kill the whole process (a segfault, no exception to catch), taking a scan or
a fix run, or a worker of its process pool, down with it.  CPython itself refuses
more than 200 nested brackets ("too many nested parentheses"), so no such file
runs: checking with the standard ``ast`` parser first, and only on sources with
that many brackets at all, costs nothing on ordinary code.
"""

from __future__ import annotations

import ast
import re
import warnings

# CPython's own limit on nested brackets (MAXLEVEL in its tokenizer).
MAX_BRACKETS = 200
_BRACKET = re.compile(r"[()\[\]{}]")


def too_deep(source: str) -> str | None:
    """Why ``source`` must not reach LibCST's parser, or None when it is safe to parse."""
    if sum(source.count(c) for c in "([{") <= MAX_BRACKETS:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences and the like: not our concern here
        try:
            ast.parse(source)
        except SyntaxError as exc:
            if "too many nested parentheses" in str(exc.msg):
                return f"line {exc.lineno}: brackets nested more than {MAX_BRACKETS} deep"
            # Not valid Python for another reason, which LibCST will report, unless the
            # nesting crashes it first: count brackets without the help of a parser.
            return _lexical_depth(source)
        except (RecursionError, MemoryError):
            return "nested too deeply to parse"
    return None


def _lexical_depth(source: str) -> str | None:
    """Bracket depth counted over every bracket character, strings and comments included.

    An over-estimate where strings hold brackets: enough to refuse only what CPython
    would refuse anyway, give or take a file that is not valid Python.
    """
    depth = 0
    for m in _BRACKET.finditer(source):
        if m.group() in "([{":
            depth += 1
            if depth > MAX_BRACKETS:
                line = source.count("\n", 0, m.start()) + 1
                return f"line {line}: brackets nested more than {MAX_BRACKETS} deep"
        else:
            depth = max(0, depth - 1)
    return None
