"""Training files in a tree: which ``.jsonl`` files are fine-tuning data, and in which format.

Discovery rule (documented in the README): a file the scan's walk yields
(``.gitignore``, ``--exclude`` and the skipped directories apply) is a training
file when its name ends in ``.jsonl``, it is at most :data:`MAX_DISCOVERED_BYTES`
long, and its first non-blank line is a JSON object with ``prompt`` and
``completion`` keys (the legacy format) or a ``messages`` key (chat).  The cheap
first-line test keeps unrelated JSONL (logs, exports) out of reports and fix's
advice; files named with ``report --data`` are always checked, whatever their name
or size.
"""

from __future__ import annotations

import json
import os

from migrator.walk import walk

MAX_DISCOVERED_BYTES = 100 * 1024 * 1024
FIRST_LINE_LIMIT = 1024 * 1024  # a first example longer than this is not worth guessing about


def training_format(path: str) -> str | None:
    """"completion" or "chat" when the first non-blank line is a training example, else None."""
    try:
        with open(path, "rb") as fh:
            for raw in fh:
                if len(raw) > FIRST_LINE_LIMIT:
                    return None
                if raw.strip():
                    first = json.loads(raw.removeprefix(b"\xef\xbb\xbf"))
                    break
            else:
                return None
    except (OSError, ValueError):
        return None
    if not isinstance(first, dict):
        return None
    if "messages" in first:
        return "chat"
    return "completion" if {"prompt", "completion"} <= first.keys() else None


def discover(paths: list[str], excludes: tuple[str, ...] = ()) -> list[str]:
    """Training files under ``paths`` by the discovery rule, sorted."""
    return [path for path, _ in discover_formats(paths, excludes)]


def discover_formats(paths: list[str], excludes: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(path, format) of each training file under ``paths`` by the discovery rule, sorted."""
    found = []
    for path in walk(paths, excludes).files:
        spath = str(path)
        if not spath.lower().endswith(".jsonl"):
            continue
        try:
            if os.path.getsize(spath) > MAX_DISCOVERED_BYTES:
                continue
        except OSError:
            continue
        fmt = training_format(spath)
        if fmt is not None:
            found.append((spath, fmt))
    return found
