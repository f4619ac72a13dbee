"""What every command prints on a terminal: the ``--color`` choice and rich consoles.

One decision for every command and stream, in this order: the user's
``--color always|never``; then the environment, where a non-empty ``NO_COLOR``
turns colour off and a non-empty ``FORCE_COLOR`` turns it on (NO_COLOR wins when
both are set, as https://no-color.org asks); then whether the stream is a
terminal.  "No colour" means no escape codes at all (not even bold), so text
piped or read by a screen reader is plain.  Colour is decided here only: a
renderer asks :func:`console` for its stream instead of forcing rich either way.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Callable, TextIO

import click

if TYPE_CHECKING:
    from rich.console import Console

COLOR_CHOICES = ("auto", "always", "never")
_META_KEY = "ft-migrate.color"


def _remember(ctx: click.Context, param: click.Parameter, value: str) -> str:
    ctx.meta[_META_KEY] = value
    return value


color_option: Callable = click.option(
    "--color", type=click.Choice(COLOR_CHOICES), default="auto", show_default=True, expose_value=False,
    is_eager=True, callback=_remember,
    help="Colour in terminal output: auto = on a terminal unless NO_COLOR is set (or FORCE_COLOR is).")


def color_mode() -> str:
    """The ``--color`` value of the running command (``auto`` outside a command)."""
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(_META_KEY, "auto") if ctx is not None else "auto"


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or a stream-like object without a descriptor
        return False


def wants_color(stream: TextIO) -> bool:
    """Whether text written to ``stream`` may carry ANSI colour and style codes."""
    mode = color_mode()
    if mode != "auto":
        return mode == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return is_terminal(stream)


def console(stream: TextIO, *, color: bool | None = None) -> Console:
    """A rich console on ``stream`` that prints styles only when :func:`wants_color` says so
    (or ``color`` overrides it: a report file is never coloured) and never reads markup,
    so a message holding ``[...]`` prints as is."""
    on = wants_color(stream) if color is None else color
    from rich.console import Console  # here, not at the top: JSON output never needs rich (start-up speed)

    return Console(file=stream, highlight=False, soft_wrap=True, emoji=False, force_terminal=on,
                   no_color=not on, color_system="standard" if on else None)
