"""A project's defaults in ``pyproject.toml`` under ``[tool.ft-migrate]``.

Found as ruff finds its configuration: the nearest ``pyproject.toml`` that has a
``[tool.ft-migrate]`` table, looking upward from the first path on the command
line (its directory, for a file) or from the working directory when no path is
given; a ``pyproject.toml`` without the table is passed over.  A flag on the
command line wins over the file: a flag given replaces the key's value, except
``--model-map``, whose pairs are laid over the file's table one model at a time.
``as-of`` also yields to ``$FT_MIGRATE_AS_OF``.

A mistake in the table is a usage error (exit 2) naming the file and the key, so
a misspelt key is never silently ignored.  Paths (``catalog``) are relative to the
directory of the ``pyproject.toml``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import click
from click.core import ParameterSource

from migrator.cli_support import Fatal
from migrator.toml_text import TomlError, parse_toml

TABLE = "ft-migrate"
KEYS = ("as-of", "catalog", "exclude", "model-map", "target")


@dataclass(frozen=True)
class Settings:
    """The ``[tool.ft-migrate]`` table as read (empty when there is none)."""

    path: Path | None = None
    exclude: tuple[str, ...] = ()
    catalog: tuple[str, ...] = ()
    model_map: dict[str, str] = field(default_factory=dict)
    target: str | None = None
    as_of: dt.date | None = None

    def date(self, ctx: click.Context, as_of: dt.date) -> dt.date:
        """The ``--as-of`` date: the flag, else ``$FT_MIGRATE_AS_OF``, else this file's, else today."""
        given = ctx.get_parameter_source("as_of") not in (ParameterSource.DEFAULT, None)
        if self.as_of is None or given or os.environ.get("FT_MIGRATE_AS_OF"):
            return as_of
        return self.as_of


def find(paths: Iterable[str]) -> Path | None:
    """The ``pyproject.toml`` holding a ``[tool.ft-migrate]`` table, nearest above the start."""
    first = next(iter(paths), None)
    start = Path(os.path.abspath(first if first is not None else os.getcwd()))
    if not start.is_dir():
        start = start.parent
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file() and _table(candidate) is not None:
            return candidate
    return None


def load(paths: Iterable[str]) -> Settings:
    """The settings that apply to a run on ``paths`` (defaults when no file has the table)."""
    path = find(paths)
    if path is None:
        return Settings()
    table = _table(path)
    where = f"{_shown(path)}: [tool.{TABLE}]"
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise Fatal(f"{where}: unknown key {unknown[0]!r} (known keys: {', '.join(KEYS)})")
    base = path.parent
    values: dict = {}
    if "exclude" in table:
        values["exclude"] = tuple(_strings(table["exclude"], where, "exclude"))
    if "catalog" in table:
        values["catalog"] = tuple(str(base / p) for p in _strings(table["catalog"], where, "catalog"))
    if "model-map" in table:
        mapping = table["model-map"]
        if not isinstance(mapping, dict) or not all(isinstance(v, str) and v.strip() and k.strip()
                                                    for k, v in mapping.items()):
            raise Fatal(f"{where}: 'model-map' must be a table of \"OLD\" = \"NEW\" model names, "
                        f"got {_describe(mapping)}")
        values["model_map"] = {k.strip(): v.strip() for k, v in mapping.items()}
    if "target" in table:
        if not isinstance(table["target"], str) or not table["target"].strip():
            raise Fatal(f"{where}: 'target' must be a model name (a string), got {_describe(table['target'])}")
        values["target"] = table["target"].strip()
    if "as-of" in table:
        values["as_of"] = _date(table["as-of"], where)
    return Settings(path=path, **values)


def _table(path: Path) -> dict | None:
    """The ``[tool.ft-migrate]`` table of ``path``, or None.

    A ``pyproject.toml`` that is not valid TOML is a usage error only when it
    mentions the table: a broken one of some other tool is something ``scan``
    reports as a finding-free error, not a reason to stop before scanning."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise Fatal(f"{_shown(path)}: cannot read: {exc.strerror or exc}") from None
    try:
        doc = parse_toml(raw.decode("utf-8"))
    except (UnicodeDecodeError, TomlError) as exc:
        if f"tool.{TABLE}".encode() not in raw and f'"{TABLE}"'.encode() not in raw:
            return None
        raise Fatal(f"{_shown(path)}: invalid TOML: {exc}") from None
    tool = doc.get("tool")
    table = tool.get(TABLE) if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise Fatal(f"{_shown(path)}: 'tool.{TABLE}' must be a table, got {_describe(table)}")
    return table


def _strings(value: object, where: str, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise Fatal(f"{where}: {key!r} must be a list of strings, got {_describe(value)}")
    return value


def _date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise Fatal(f"{where}: 'as-of' must be a date (as-of = 2023-12-01), got {_describe(value)}")


def _describe(value: object) -> str:
    kinds = {str: "a string", int: "an integer", float: "a number", bool: "a boolean", list: "an array",
             dict: "a table", dt.datetime: "a date-time", dt.date: "a date", dt.time: "a time"}
    return f"{kinds.get(type(value), type(value).__name__)} ({value!r})"


def _shown(path: Path) -> str:
    """The file as the user would name it: relative to the working directory when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)
