"""The ``# TODO(ft-migrate FT0nn): ...`` marker fix leaves where it gives up, in one place.

Every fixer writes it (the codemods in Python, the command-line fixer in shell
scripts and notebooks) and the runner reads it back to list the manual items left,
so its format lives apart from all of them.
"""

from __future__ import annotations

import re

TODO_PREFIX = "# TODO(ft-migrate "
TODO_RE = re.compile(r"#\s*TODO\(ft-migrate (FT\d{3})\):\s*(.*)")


def todo_text(rule: str, message: str) -> str:
    """The marker, on one line whatever the message quotes (a call's arguments may span lines)."""
    return f"{TODO_PREFIX}{rule}): {' '.join(message.split())}"


_TARGET_RE = re.compile(r"'([^']+)'|`([^`]+)`")


def todo_key(text: str) -> tuple[str, str] | None:
    """What a TODO marker is about: ``(rule, target)``, or None for any other comment.

    The target is the first quoted name in the message (the model, the command, the
    field), else the message up to its first colon.  A marker is recognised by this
    key, not by its exact words: a second run sees code the first run already
    rewrote (a completion call now on chat), so its message for the same model can
    differ, and it must not add a second marker for the same thing.
    """
    m = TODO_RE.search(text)
    if m is None:
        return None
    message = m.group(2).strip()
    quoted = _TARGET_RE.search(message)
    target = next(g for g in quoted.groups() if g is not None) if quoted else message.split(":", 1)[0]
    return m.group(1), " ".join(target.split())
