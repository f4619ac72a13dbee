"""Fixtures: a fake of today's API on 127.0.0.1 and the shim served by uvicorn in front of it."""

from __future__ import annotations

import contextlib

import pytest

from migrator.catalog import load_catalog
from migrator.shim.app import create_app
from migrator.shim.config import ShimConfig
from tests.fakes import FakeServer, TodayAPI
from tests.support.servers import serve_asgi
from tests.support.venvs import client_venv


@pytest.fixture
def today():
    """A fresh fake upstream per test (jobs advance per retrieve, so state must not leak)."""
    with FakeServer(TodayAPI()) as server:
        yield server


@pytest.fixture
def shim_at():
    """``shim_at(upstream_url, **settings)`` → the base URL of a shim served for this test."""
    with contextlib.ExitStack() as stack:
        def start(upstream: str, **settings) -> str:
            settings.setdefault("poll_interval", 0)
            config = ShimConfig(upstream=upstream, **settings)
            return stack.enter_context(serve_asgi(create_app(config, catalog=load_catalog())))
        yield start


@pytest.fixture
def shim_url(today, shim_at):
    return shim_at(today.url)


@pytest.fixture(scope="session")
def v0_venvs():
    """openai 0.27.10 and 0.28.1 in their own venvs (built on first use, then cached)."""
    return {v: client_venv(v) for v in ("0.27.10", "0.28.1")}


@pytest.fixture(scope="session")
def v1_venv():
    return client_venv("1.3.0")
