"""A progress bar on stderr for runs long enough to wonder about.

Shown only when all of these hold: stderr is a terminal, ``$CI`` is not set (CI
logs are files, where a redrawn bar is noise), ``--quiet`` was not given, and
the run has lasted more than :data:`DELAY` seconds (a quick run prints nothing
extra; ``$FT_MIGRATE_PROGRESS_DELAY`` sets another delay, which the tests use).
It never touches stdout, so data piped or redirected stays clean even when
stderr is a terminal, and it is erased when the run ends, before the summary
line.  Colour follows :mod:`migrator.terminal` (``--color``,
``NO_COLOR``); ``FORCE_COLOR`` does not make a pipe a terminal.

The work reports itself without knowing whether anyone watches:
:func:`expect` / :func:`advance` count items (files, in
:func:`migrator.sources.run_pool`) and :func:`reading` follows a file being read
(training data, by bytes); with no display open they do nothing.  Each of them
redraws the bar, so it is drawn by the thread doing the work: the bar starts
no thread, and forking worker processes while it shows is as safe as ever.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from typing import BinaryIO, Callable, Iterator, TypeVar

import click

from migrator import terminal

DELAY = 1.0  # seconds a run must last before the bar appears ($FT_MIGRATE_PROGRESS_DELAY overrides it)
_META_KEY = "ft-migrate.quiet"
_current: "_Display | None" = None
T = TypeVar("T")


def _remember(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    ctx.meta[_META_KEY] = value
    return value


quiet_option: Callable = click.option(
    "-q", "--quiet", is_flag=True, expose_value=False, is_eager=True, callback=_remember,
    help="No progress bar (it is shown on a terminal when a run lasts over a second).")


def wanted() -> bool:
    ctx = click.get_current_context(silent=True)
    quiet = ctx is not None and ctx.meta.get(_META_KEY, False)
    return not quiet and not os.environ.get("CI") and terminal.is_terminal(sys.stderr)


class _Display:
    """The bar, drawn from the thread doing the work (no thread of its own, so forking a
    process pool while it is shown is as safe as without it)."""

    def __init__(self, label: str):
        self.label = label
        self.unit = "files"
        self.pid = os.getpid()  # a forked worker inherits this object: it must not draw
        self.started = time.monotonic()
        self.total: int | None = None
        self.done = 0
        self.watched: BinaryIO | None = None
        self.bar = None
        self.task = None
        self.drawn = 0.0
        try:
            self.delay = float(os.environ.get("FT_MIGRATE_PROGRESS_DELAY", DELAY))
        except ValueError:
            self.delay = DELAY

    def draw(self) -> None:
        """Redraw, at most ten times a second, once the run has lasted ``delay`` seconds."""
        now = time.monotonic()
        if now - self.started < self.delay or now - self.drawn < 0.1:
            return
        self.drawn = now
        if self.watched is not None:
            try:
                self.done = self.watched.tell()
            except (OSError, ValueError):  # closed meanwhile
                self.watched = None
        if self.bar is None:
            self._start()
        self.bar.update(self.task, total=self.total, completed=self.done, count=self.count())
        self.bar.refresh()

    def _start(self) -> None:
        # loaded on use: only when a progress display is shown
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

        color = terminal.wants_color(sys.stderr)
        console = Console(file=sys.stderr, highlight=False, emoji=False, no_color=not color,
                          color_system="standard" if color else None)
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                            TextColumn("{task.fields[count]}"), TimeElapsedColumn(), console=console,
                            transient=True, redirect_stdout=False, redirect_stderr=False, auto_refresh=False)
        self.task = self.bar.add_task(self.label, total=self.total, completed=self.done, count=self.count())
        self.bar.start()

    def count(self) -> str:
        """``12/30 files``, or ``1.2/8.0 MB`` while a file is read."""
        if self.unit == "bytes":
            return f"{_size(self.done)}/{_size(self.total or 0)}"
        return f"{self.done}/{self.total if self.total is not None else '?'} {self.unit}"

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _size(n: int) -> str:
    for unit in ("bytes", "kB", "MB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


@contextmanager
def display(label: str) -> Iterator[None]:
    """Show a bar labelled ``label`` for the work done inside the block, if :func:`wanted`."""
    global _current
    if not wanted() or _current is not None:
        yield
        return
    shown = _current = _Display(label)
    try:
        yield
    finally:
        _current = None
        shown.close()


def _shown() -> "_Display | None":
    shown = _current
    return shown if shown is not None and shown.pid == os.getpid() else None


def expect(total: int, unit: str = "files") -> None:
    """A new stretch of work of ``total`` items (``"files"``, or ``"bytes"`` of a file) begins."""
    shown = _shown()
    if shown is not None:
        shown.total, shown.done, shown.watched, shown.unit = total, 0, None, unit
        shown.draw()


def advance(n: int = 1) -> None:
    shown = _shown()
    if shown is not None:
        shown.done += n
        shown.draw()


def reading(f: BinaryIO, size: int, items: Iterator[T]) -> Iterator[T]:
    """``items`` (records parsed from ``f``), with the bar following ``f``'s position."""
    shown = _shown()
    if shown is None:
        return items
    shown.total, shown.done, shown.watched, shown.unit = size, 0, f, "bytes"
    return _polled(shown, items)


def _polled(shown: _Display, items: Iterator[T]) -> Iterator[T]:
    for i, item in enumerate(items):
        if not i & 1023:
            shown.draw()
        yield item
