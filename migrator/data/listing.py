"""Bounded lists of per-line findings, so memory does not grow with a bad file.

A 1 GB file where every line is rejected (or duplicated, or over the token
limit) would otherwise keep millions of dicts in memory.  ``convert`` keeps at
most ``LISTED`` items of each list in its summary (all rejected lines still go
to the ``--rejects`` file, streamed) and counts the rest; ``check`` keeps its
full lists, since its JSON lists every rejected line by contract.
"""

from __future__ import annotations

LISTED = 1000  # per-line items kept per list in convert's summary


class Listing(list):
    """The first ``limit`` items added (all when ``limit`` is None), and how many more there were."""

    def __init__(self, limit: int | None = None):
        super().__init__()
        self.limit = limit
        self.dropped = 0

    def add(self, item) -> None:
        if self.limit is None or len(self) < self.limit:
            self.append(item)
        else:
            self.dropped += 1
