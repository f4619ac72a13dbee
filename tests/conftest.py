"""Every test gets its own scan cache directory, so no test reads or writes the user's."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_scan_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("FT_MIGRATE_CACHE_DIR", str(tmp_path_factory.mktemp("scan-cache")))
