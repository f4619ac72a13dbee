"""The Jinja2 environment both report templates are rendered in, and the filters they share."""

from __future__ import annotations

from typing import Callable

import jinja2

from migrator.report import fmt

# Wording both the HTML and the Markdown page use, as filters.
SHARED_FILTERS: dict[str, Callable] = {
    "location": fmt.location, "price": fmt.price, "examples": fmt.examples, "retrain_steps": fmt.retrain_steps,
    "repositories_line": fmt.repositories_line, "path_forward": fmt.path_forward,
}


def environment(*, autoescape: bool, finalize: Callable | None = None,
                filters: dict[str, Callable]) -> jinja2.Environment:
    """Templates from ``migrator/report/templates``; undefined names fail loudly, block tags
    leave no blank lines behind."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("migrator.report", "templates"),
        autoescape=autoescape, finalize=finalize, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update({**SHARED_FILTERS, **filters})
    return env
