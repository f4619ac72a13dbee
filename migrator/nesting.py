"""Refusing Python nested deeper than LibCST's native parser survives.

LibCST's parser is native code: about 1,300 nested brackets, or a few thousand
nested unary operators or lambdas, overflow its stack and kill the whole process
(a segfault, no exception to catch), taking a scan or a fix run, or a worker of
its process pool, down with it.  CPython refuses all of these first (more than
200 nested brackets is "too many nested parentheses"; deeper expressions are a
RecursionError or MemoryError of its parser), and a source CPython cannot compile
never runs: so the standard ``ast`` parser is asked first.  Only sources holding
enough tokens that can nest pay for that parse: with fewer, nothing in them can
nest deep enough to hurt.
"""

from __future__ import annotations

import ast
import re
import warnings

# CPython's own limit on nested brackets (MAXLEVEL in its tokenizer).
MAX_BRACKETS = 200
# Each of these can open one more level of nesting.
_NESTING = ("(", "[", "{", "not ", "lambda", " else ", "**", "-", "+", "~", "await ")
# Below this many of them nothing nests deep enough to crash LibCST (brackets, its
# weakest point, from about 1,270 levels).
SAFE_TOKENS = 1000
# ``a and b and ...`` is one flat node to CPython but nests one level per operand in
# LibCST, whose parser crashes on 20,000 of them (3,000 are fine).
_BOOLEAN = (" and ", " or ")
MAX_OPERANDS = 3000
_BRACKET = re.compile(r"[()\[\]{}]")


def may_be_too_deep(source: str | bytes) -> bool:
    """False when ``source`` cannot nest deep enough to matter: decided by counting, cheaply."""
    tokens = [t.encode() for t in _NESTING + _BOOLEAN] if isinstance(source, bytes) else _NESTING + _BOOLEAN
    return sum(source.count(t) for t in tokens) > SAFE_TOKENS


def too_deep(source: str) -> str | None:
    """Why ``source`` must not reach LibCST's parser, or None when it is safe to parse."""
    if not may_be_too_deep(source):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences and the like: not our concern here
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            if "too many nested parentheses" in str(exc.msg):
                return f"line {exc.lineno}: brackets nested more than {MAX_BRACKETS} deep"
            # Not valid Python for another reason, which LibCST will report, unless the
            # nesting crashes it first: count brackets without the help of a parser.
            return _lexical_depth(source)
        except (RecursionError, MemoryError):
            return "expressions nested too deeply for Python to compile"
    if sum(source.count(t) for t in _BOOLEAN) > MAX_OPERANDS:
        for node in ast.walk(tree):
            if isinstance(node, ast.BoolOp) and len(node.values) > MAX_OPERANDS:
                return f"line {node.lineno}: a chain of {len(node.values):,} and/or operands, too long to parse"
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
