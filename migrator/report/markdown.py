"""The report as GitHub-flavoured Markdown, for pull requests and issues.

The page is the Jinja2 template ``templates/report.md.j2``.  Everything it prints is
escaped for Markdown unless a filter here has already made it Markdown (:class:`Md`):
a pipe would split a table cell, ``<`` would open HTML, ``&`` start an entity, and
``*``, ``_`` or backticks would turn a path into emphasis or code.  Each of these is
escaped with a backslash, which GFM renders as the character itself (no ``&lt;``
entities in the source).  Commands go in fenced blocks whose fence is longer than any
backtick run inside them.
"""

from __future__ import annotations

import functools
import re

import jinja2

from migrator.report import fmt, jinja

# Characters that would start emphasis, code, a link, strike-through, HTML or an entity,
# or split a table cell.
_SPECIAL = re.compile(r"([\\`*_\[\]|~<>&])")


class Md(str):
    """Text that is already Markdown: printed as it is."""


def escape(value: object) -> str:
    """Inline text safe in a paragraph or a table cell."""
    if isinstance(value, Md):
        return value
    s = str(value).replace("\r", " ").replace("\n", " ")
    return _SPECIAL.sub(r"\\\1", s)


def prose(value: str) -> Md:
    """Like :func:`escape`, but `backticked` parts of messages and rule help stay code spans.

    Inside a code span nothing is interpreted, so only the pipe needs escaping (GFM
    splits table cells before it parses spans).
    """
    out = []
    for i, part in enumerate(re.split(r"`([^`\r\n]+)`", value)):
        out.append("`" + part.replace("|", "\\|") + "`" if i % 2 else escape(part))
    return Md("".join(out))


def fenced(lines: list[str], lang: str = "sh") -> Md:
    ticks = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, ticks + 1)
    return Md("\n".join([fence + lang, *lines, fence]))


def _shim_lines(shim: dict) -> list[str]:
    return [shim["command"], *(f"export {k}={v}" for k, v in shim["environment"].items())]


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja.environment(autoescape=False, finalize=escape, filters={
        "prose": prose, "fenced": fenced, "cost": fmt.cost, "summary_line": fmt.summary_line,
        "shim_lines": _shim_lines,
    })


def render(doc: dict) -> str:
    return environment().get_template("report.md.j2").render(doc=doc)
