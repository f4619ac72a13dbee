"""``ft-migrate shim serve``: settings, errors (exit 2), and a real server process."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from click.testing import CliRunner

from migrator.cli import cli
from migrator.shim.config import ConfigError, ShimConfig, load_config
from tests.fakes import FakeServer, TodayAPI


def test_bad_settings_are_usage_errors(tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli, ["shim", "serve", "--model-map", "curie"])
    assert r.exit_code == 2 and "--model-map: expected OLD=NEW, got 'curie'" in r.output
    r = runner.invoke(cli, ["shim", "serve", "--upstream", "ftp://x"])
    assert r.exit_code == 2 and "upstream must be an http(s) URL" in r.output
    bad = tmp_path / "shim.toml"
    bad.write_text('upstrem = "http://x"\n')
    r = runner.invoke(cli, ["shim", "serve", "--config", str(bad)])
    assert r.exit_code == 2 and f"{bad}: unknown setting(s) upstrem" in r.output
    r = runner.invoke(cli, ["shim", "serve", "--catalog", str(tmp_path / "missing.toml")])
    assert r.exit_code == 2 and "Invalid value for '--catalog': File" in r.output and "missing.toml' does not exist" in r.output


def test_config_file(tmp_path):
    path = tmp_path / "shim.toml"
    path.write_text('[shim]\nupstream = "http://127.0.0.1:9/v1/"\nstrict = true\n'
                    '[shim.model_map]\n"curie:ft-acme-2023-05-01-10-00-00" = "ft:davinci-002:acme::8abc123"\n')
    config = load_config(path)
    assert config == ShimConfig(upstream="http://127.0.0.1:9", strict=True,
                                model_map={"curie:ft-acme-2023-05-01-10-00-00": "ft:davinci-002:acme::8abc123"})
    path.write_text("timeout = -1\n")
    with pytest.raises(ConfigError, match="timeout must be positive, got -1"):
        load_config(path)
    path.write_text('keepalive = "comment"\nclient_timeout = 5\nmax_pages = 3\nmax_paging_seconds = 2.5\n')
    assert load_config(path) == ShimConfig(keepalive="comment", client_timeout=5, max_pages=3, max_paging_seconds=2.5)
    path.write_text('keepalive = "ping"\n')
    with pytest.raises(ConfigError, match="keepalive must be one of blank-line, comment, none, got 'ping'"):
        load_config(path)
    r = CliRunner().invoke(cli, ["shim", "serve", "--keepalive", "ping"])
    assert r.exit_code == 2 and "Invalid value for '--keepalive'" in r.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(args: list[str], body: dict) -> tuple[httpx.Response, str, str, int]:
    """Run ``ft-migrate shim serve ARGS``, POST ``body`` to its completions once it is up,
    stop it; the answer, its stdout, stderr and port."""
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "migrator", "shim", "serve", "--port", str(port), *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.post(f"http://127.0.0.1:{port}/v1/completions", json=body,
                               headers={"Authorization": "Bearer sk-live-secret"}, timeout=5)
                break
            except httpx.ConnectError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
                time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    return r, out, err, port


def test_serve_runs_the_server_with_its_settings(today):
    """The real command, as users run it: settings reach the worker, one log line per request."""
    r, out, err, port = _serve(["--upstream", today.url, "--model-map", "ada=davinci-002", "--keepalive", "comment"],
                               {"model": "ada", "prompt": "x"})
    assert r.status_code == 200 and r.json()["model"] == "davinci-002"
    assert today.requests[-1].json == {"model": "davinci-002", "prompt": "x"}
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == f"ft-migrate shim: http://127.0.0.1:{port}/v1/ -> {today.url} (1 worker; Ctrl-C stops)"
    requests = [line for line in lines if " POST /v1/completions 200 upstream=200 " in line]
    assert len(requests) == 1
    assert "sk-live-secret" not in err


def test_serve_lenient_as_of_a_day_with_no_completion_model():
    """``--as-of`` and ``--lenient`` reach the worker: a completion with ``echo`` is answered by chat."""
    with FakeServer(TodayAPI(as_of=dt.date(2026, 11, 28))) as upstream:
        r, _, _, _ = _serve(["--upstream", upstream.url, "--as-of", "2026-11-28", "--lenient", "--no-live"],
                            {"model": "davinci", "prompt": "x", "echo": True})
        assert (r.status_code, r.json()["object"], r.json()["choices"][0]["text"]) == (200, "text_completion", "echo:x")
        assert r.headers["warning"].endswith('; dropped (no equal in chat completions): echo"')
        assert upstream.requests[-1].json == {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "x"}]}
