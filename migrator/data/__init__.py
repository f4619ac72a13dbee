"""``ft-migrate data``: check and convert legacy training files, with exact tokens and cost.

Library API (used by ``report`` and ``shim``):

* :func:`check_file` — the JSON summary of ``data check --format json``;
* :func:`costs` — the training cost of a file on several models side by side;
* :func:`check_with_costs` — both of the above from one read of the file;
* :func:`convert_bytes` — convert a whole in-memory JSONL upload;
* :class:`DataError` — a training file that cannot be read, naming line and reason.

The checker loads the tokenizer (the ``data`` extra), so these names are imported on
first use.  The modules other parts read directly need no extra:
:mod:`~migrator.data.conventions` (separators and stop sequences), :mod:`~migrator.data.target`
(the model to re-train on), :mod:`~migrator.data.discover` (training files in a tree) and
:mod:`~migrator.data.retrain` (the re-training plan of one file).
"""

from __future__ import annotations

import importlib

_EXPORTS = {"check_file": "migrator.data.check", "check_with_costs": "migrator.data.check",
            "costs": "migrator.data.check", "convert_bytes": "migrator.data.convert",
            "DataError": "migrator.data.source"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'migrator.data' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
