"""``ft-migrate data``: check and convert legacy training files, with exact tokens and cost.

Library API (used by ``report`` and ``shim``):

* :func:`check_file` — the JSON summary of ``data check --format json``;
* :func:`costs` — the training cost of a file on several models side by side;
* :func:`check_with_costs` — both of the above from one read of the file;
* :func:`migrator.data.convert.convert_bytes` — convert a whole in-memory JSONL upload.
"""

from migrator.data.check import check_file, check_with_costs, costs
from migrator.data.source import DataError

__all__ = ["DataError", "check_file", "check_with_costs", "costs"]
