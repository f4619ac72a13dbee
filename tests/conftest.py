"""Every test runs in a known world: its own scan cache and config directories, so no
test reads or writes the user's (nor their live dates), and a pinned date.

The date: the suite's expected outputs are the answers of 2023-12-01, when the 2023
replacements (davinci-002, babbage-002, gpt-3.5-turbo-instruct) were alive, unless a
test asks for another date with ``--as-of`` / ``load_catalog(as_of=...)`` (the
lifecycle tests walk 2023 to 2027).  Pinned through ``$FT_MIGRATE_AS_OF``, so the
answers do not change with the day the suite runs, in subprocesses too.
"""

from __future__ import annotations

import os

import pytest

SUITE_DATE = "2023-12-01"
# Set at import too: test modules load catalogs at import time, before any fixture runs.
os.environ["FT_MIGRATE_AS_OF"] = SUITE_DATE


@pytest.fixture(autouse=True)
def _private_scan_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("FT_MIGRATE_CACHE_DIR", str(tmp_path_factory.mktemp("scan-cache")))
    monkeypatch.setenv("FT_MIGRATE_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("FT_MIGRATE_AS_OF", SUITE_DATE)
