"""Shared helpers: fixture paths and an independent tiktoken reference encoder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import tiktoken

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "data"


@pytest.fixture(scope="session")
def reference(tmp_path_factory):
    """cl100k_base as tiktoken itself builds it (its loader, its constructor, not ours), offline.

    tiktoken looks for the downloaded file in ``$TIKTOKEN_CACHE_DIR`` under the sha1 of its
    URL and checks the sha256 it pins; the shipped file is put there, so nothing is fetched.
    """
    import hashlib
    import shutil

    from tiktoken_ext import openai_public

    from migrator.data import tokens

    url = next(c for c in openai_public.cl100k_base.__code__.co_consts
               if isinstance(c, str) and c.endswith("cl100k_base.tiktoken"))
    cache = tmp_path_factory.mktemp("tiktoken-cache")
    shutil.copyfile(tokens.bpe_path(), cache / hashlib.sha1(url.encode()).hexdigest())
    old = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    try:
        return tiktoken.Encoding(**openai_public.cl100k_base())
    finally:
        if old is None:
            del os.environ["TIKTOKEN_CACHE_DIR"]
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def cat():
    from migrator.catalog import load_catalog

    return load_catalog()
