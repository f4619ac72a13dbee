"""``ft-migrate data``: check and convert legacy training files, with exact tokens and cost.

Library API (used by ``report`` and ``shim``):

* :func:`check_file` — the JSON summary of ``data check --format json``;
* :func:`costs` — the training cost of a file on several models side by side;
* :func:`check_with_costs` — both of the above from one read of the file;
* :func:`migrator.data.convert.convert_bytes` — convert a whole in-memory JSONL upload.

The checker loads the tokenizer (the ``data`` extra), so these names are imported on
first use: ``fix`` and ``scan`` read :mod:`migrator.data.conventions` and
:mod:`migrator.data.target` without it.
"""

from __future__ import annotations

import importlib

_EXPORTS = {"check_file": "migrator.data.check", "check_with_costs": "migrator.data.check",
            "costs": "migrator.data.check", "DataError": "migrator.data.source"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'migrator.data' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
