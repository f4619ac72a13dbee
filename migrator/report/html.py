"""The report as one self-contained HTML page: inline CSS and SVG, no network.

A manager opens it from a mail attachment or prints it, so nothing may load from
elsewhere (no fonts, scripts, stylesheets or images) and ``@media print`` turns
the page into clean black-on-white pages.  The page is the Jinja2 template
``templates/report.html.j2`` (its style sheet ``templates/report.css``), rendered
with autoescaping: everything that comes from the user's files is escaped unless a
filter here has escaped it first.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

import jinja2
from markupsafe import Markup, escape

from migrator.report import fmt, jinja
from migrator.report.timeline import render_svg


def prose(value: str) -> Markup:
    """Escaped text whose `backticked` parts (commands in messages and rule help) show as code.

    Escaping comes first, so a backtick in a user's string can only ever produce a
    ``<code>`` element around already-escaped text.
    """
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(value))))


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja.environment(autoescape=True, filters={
        "prose": prose, "money": fmt.money, "cost_basis": fmt.cost_basis, "cost_column": lambda model: (model, "cost"),
    })


def render(doc: dict) -> str:
    svg = render_svg(doc["timeline"], dt.date.fromisoformat(doc["as_of"]), dt.date.fromisoformat(doc["shutdown"]))
    template = environment().get_template("report.html.j2")
    return template.render(doc=doc, svg=Markup(svg), no_price=fmt.NO_PRICE)
