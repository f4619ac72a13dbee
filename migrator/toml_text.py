"""Parsing TOML text, with the parser loaded on first use.

Why a module: the catalog and ``[tool.ft-migrate]`` both read TOML, and a
re-scan served from the caches reads none (the parsed catalog is kept, most
trees have no pyproject.toml): importing ``tomllib`` up front cost it 2 ms.
"""

from __future__ import annotations

import sys
from typing import Any


class TomlError(ValueError):
    """The text is not valid TOML; the message says where and why."""


def parse_toml(text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib  # loaded on use (see the module docstring)
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib  # loaded on use, as above

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TomlError(str(exc)) from None
