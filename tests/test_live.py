"""``ft-migrate models sync``: live shutdown dates from a fake ``GET /v1/models``.

The fake answers like the models endpoint (``shutdown_date`` per model, the user's
own ``ft:`` models in the same list); each bad answer must leave the saved dates
exactly as they were.
"""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from migrator import live
from migrator.cli import cli
from tests.fakes.server import FakeResponse, FakeServer

MODELS = {"object": "list", "data": [
    {"id": "davinci-002", "object": "model", "created": 1692634301, "owned_by": "system",
     "shutdown_date": "2026-09-28"},
    # The live answer moves a third-party date earlier, and confirms it.
    {"id": "gpt-4.1-mini", "object": "model", "created": 1744318173, "owned_by": "system",
     "shutdown_date": "2026-12-15"},
    {"id": "gpt-4o", "object": "model", "created": 1715367049, "owned_by": "system", "shutdown_date": None},
    {"id": "gpt-5-mini", "object": "model", "created": 1754425928, "owned_by": "system", "shutdown_date": None},
    {"id": "ft:davinci-002:acme::8abc123", "object": "model", "created": 1700000000, "owned_by": "org-acme",
     "shutdown_date": None},
    {"id": "ft:gpt-4.1-mini-2025-04-14:acme:support:xyz789", "object": "model", "created": 1750000000,
     "owned_by": "org-acme", "shutdown_date": "2026-12-15"},
]}


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.fixture
def upstream():
    with FakeServer(lambda req: FakeResponse.json(MODELS)) as server:
        yield server


def sync(server, *extra: str):
    return run("models", "sync", "--base-url", server.base_url, "--as-of", "2026-11-29", *extra,
               env={"OPENAI_API_KEY": "sk-live-test"})


def test_sync_writes_an_overlay_every_command_then_reads(upstream):
    result = sync(upstream)
    assert result.exit_code == 0, result.output
    assert upstream.calls() == [("GET", "/v1/models")]
    assert upstream.requests[0].headers["authorization"] == "Bearer sk-live-test"
    # The user's own fine-tuned models, with the day each dies (its base's, or its own).
    assert result.stdout == ("ft:davinci-002:acme::8abc123: died on 2026-09-28 (corroborated date, unconfirmed)\n"
                             "ft:gpt-4.1-mini-2025-04-14:acme:support:xyz789: dies on 2026-12-15\n")
    assert result.stderr.startswith("ft-migrate models: 6 models read, 3 with a shutdown date; saved to ")
    overlay = live.overlay_path().read_text()
    assert overlay.startswith(f"# Written by `ft-migrate models sync` on 2026-11-29 from {upstream.base_url}/models.")
    # Every command layers it: gpt-4.1-mini's date is now the live, official one.
    listed = run("models", "list", "--as-of", "2026-11-29").stdout.splitlines()
    assert "gpt-4.1-mini: shuts down 2026-12-15; no model after 'gpt-4.1-mini' is named in the catalog; choose " \
           "one with --target or check the live dates with `ft-migrate models sync`" in listed
    # --no-live ignores it.
    off = run("models", "list", "--as-of", "2026-11-29", "--no-live").stdout.splitlines()
    assert any(line.startswith("gpt-4.1-mini: shuts down 2027-01-14 (third-party)") for line in off)


def test_fix_names_the_live_date_in_its_advice(upstream, tmp_path, monkeypatch):
    assert sync(upstream).exit_code == 0
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text('import openai\nopenai.Completion.create(model="curie", prompt="p")\n')
    result = run("fix", "--diff", "a.py", "--as-of", "2026-11-29")
    assert "with 'gpt-4.1-mini' (valid until 2026-12-15)" in result.stdout
    offline = run("fix", "--diff", "a.py", "--as-of", "2026-11-29", "--no-live")
    assert "with 'gpt-4.1-mini' (valid until 2027-01-14, a third-party date, unconfirmed)" in offline.stdout


@pytest.mark.parametrize(("answer", "message"), [
    (FakeResponse.error(401, "Incorrect API key provided: sk-live-test."),
     "answered 401: Incorrect API key provided: sk-live-test."),
    (FakeResponse(500, b"upstream exploded", {"Content-Type": "text/plain"}), "answered 500: upstream exploded"),
    (FakeResponse(200, b"<html>not json</html>", {"Content-Type": "text/html"}), "did not answer JSON"),
    (FakeResponse.json({"object": "list"}), 'the answer is not a model list (no "data" array)'),
    (FakeResponse.json({"object": "list", "data": [{"object": "model"}]}),
     'data[0] is not a model object with an "id"'),
    (FakeResponse.json({"object": "list", "data": [{"id": "davinci-002", "owned_by": "system"}]}),
     'no model in the answer has a "shutdown_date" field; is the base URL an OpenAI API?'),
    (FakeResponse.json({"object": "list", "data": [{"id": "davinci-002", "shutdown_date": "soon"}]}),
     "model 'davinci-002' has shutdown_date 'soon', not YYYY-MM-DD"),
    (FakeResponse.json({"object": "list", "data": [{"id": "davinci-002", "shutdown_date": "2026-02-30"}]}),
     "model 'davinci-002' has shutdown_date '2026-02-30', not YYYY-MM-DD"),
    (FakeResponse.json({"object": "list", "data": [{"id": "davinci-002", "shutdown_date": 20260928}]}),
     "model 'davinci-002' has shutdown_date 20260928, not YYYY-MM-DD"),
])
def test_a_bad_answer_leaves_the_previous_overlay_untouched(upstream, answer, message):
    assert sync(upstream).exit_code == 0
    before = live.overlay_path().read_bytes()
    stat = os.stat(live.overlay_path())
    upstream.script(answer, path="/v1/models")
    result = sync(upstream)
    assert result.exit_code == 2
    assert message in result.stderr
    assert f"the saved dates in {live.overlay_path()} were left as they were" in result.stderr
    assert live.overlay_path().read_bytes() == before
    assert os.stat(live.overlay_path()).st_mtime_ns == stat.st_mtime_ns
    assert [p.name for p in live.overlay_path().parent.iterdir()] == [live.OVERLAY]


def test_unreachable_and_missing_key():
    result = run("models", "sync", "--base-url", "http://127.0.0.1:9/v1", env={"OPENAI_API_KEY": "sk-x"})
    assert result.exit_code == 2 and "GET http://127.0.0.1:9/v1/models failed:" in result.stderr
    assert not live.overlay_path().exists()
    result = run("models", "sync", env={"OPENAI_API_KEY": ""})
    assert result.exit_code == 2 and "no API key: set OPENAI_API_KEY" in result.stderr


def test_offline_is_the_default(tmp_path):
    """No sync, no overlay: every command works from the built-in catalog alone."""
    assert live.overlay_files() == ()
    assert run("models", "list", "--as-of", "2026-11-29").exit_code == 0


def test_overlay_is_a_valid_catalog_for_odd_ids():
    from migrator.catalog import load_catalog

    models = live.parse_models({"data": [{"id": 'weird"name\\x', "shutdown_date": "2027-03-01"},
                                         {"id": "gpt-4o", "shutdown_date": "2027-01-14"}]}, "u")
    text = live.overlay_text(models, load_catalog(), "u", __import__("datetime").date(2026, 11, 29))
    path = live.overlay_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    catalog = load_catalog([path])
    assert catalog.models['weird"name\\x'].shutdown.date.isoformat() == "2027-03-01"
    assert catalog.models["gpt-4o"].confidence == "official"
    assert json.dumps(catalog.models["gpt-4o"].shutdown.source) == '"LIVE"'
