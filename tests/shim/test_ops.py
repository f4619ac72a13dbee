"""Running the shim as a service: /healthz, /metrics, JSON logs, a clean stop on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from migrator.catalog import load_catalog
from migrator.shim.app import create_app
from migrator.shim.config import ShimConfig
from migrator.shim.ops import SHUTDOWN_MESSAGE
from tests.fakes import FakeResponse, FakeServer, Router
from tests.support.servers import serve_asgi

SECRET = "sk-live-secret-0123456789"
AUTH = {"Authorization": f"Bearer {SECRET}"}


class Clock:
    """A monotonic clock the test moves by hand (the health cache's)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _probes(upstream: FakeServer) -> list:
    return [r for r in upstream.requests if r.summary() == ("GET", "/v1/models")]


# -- /healthz -----------------------------------------------------------------------
def test_healthz_probes_the_upstream_without_a_key_and_caches_the_answer(today):
    app = create_app(ShimConfig(upstream=today.url, health_cache=10), catalog=load_catalog())
    clock = app.ops.health.clock = Clock()
    with serve_asgi(app) as url:
        answers = [httpx.get(f"{url}/healthz", headers=AUTH) for _ in range(3)]
        assert len(_probes(today)) == 1  # three load-balancer probes, one upstream probe
        clock.now += 9.9
        httpx.get(f"{url}/healthz")
        assert len(_probes(today)) == 1
        clock.now += 0.1
        head = httpx.head(f"{url}/healthz")
        assert len(_probes(today)) == 2
        refused = httpx.post(f"{url}/healthz", json={})
    for r in answers:
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/json"
        assert r.json() == {"status": "ok", "upstream": today.url, "upstream_status": 401}
    assert head.status_code == 200 and head.content == b""
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD"
    assert refused.json() == {"error": {"message": "/healthz answers GET and HEAD only.",
                                        "type": "invalid_request_error", "param": None,
                                        "code": "method_not_allowed"}}
    # never forwarded, and the caller's key never goes with the probe
    assert today.calls() == [("GET", "/v1/models"), ("GET", "/v1/models")]
    assert all("authorization" not in r.headers for r in today.requests)
    assert today.requests[0].headers["user-agent"].startswith("ft-migrate-shim/")


def test_healthz_says_503_for_a_5xx_and_recovers(today):
    app = create_app(ShimConfig(upstream=today.url, health_cache=5), catalog=load_catalog())
    clock = app.ops.health.clock = Clock()
    today.script(FakeResponse(502, b"<html>bad gateway</html>", {"Content-Type": "text/html"}),
                 method="GET", path="/v1/models")
    with serve_asgi(app) as url:
        down = httpx.get(f"{url}/healthz")
        clock.now += 5
        up = httpx.get(f"{url}/healthz")
    assert down.status_code == 503
    assert down.json() == {"status": "unavailable", "upstream": today.url, "upstream_status": 502}
    assert up.status_code == 200
    assert up.json() == {"status": "ok", "upstream": today.url, "upstream_status": 401}


def test_healthz_says_503_when_the_upstream_cannot_be_reached():
    port = _free_port()
    closed = f"http://127.0.0.1:{port}"
    with serve_asgi(create_app(ShimConfig(upstream=closed), catalog=load_catalog())) as url:
        r = httpx.get(f"{url}/healthz")
    assert r.status_code == 503
    assert r.json() == {"status": "unreachable", "upstream": closed, "upstream_status": None,
                        "error": f"ConnectError: Cannot connect to host 127.0.0.1:{port} ssl:default "
                                 f"[Connect call failed ('127.0.0.1', {port})]"}


# -- /metrics -----------------------------------------------------------------------
def _series(text: str, name: str) -> set[str]:
    return {line for line in text.splitlines() if line.startswith(name + "{")}


def test_metrics_count_requests_by_route_family_translation_and_status(today, shim_at):
    url = shim_at(today.url)
    for _ in range(2):
        assert httpx.get(f"{url}/v1/fine-tunes", headers=AUTH).status_code == 200
    mapped = httpx.post(f"{url}/v1/completions", json={"model": "ada", "prompt": "x"}, headers=AUTH)
    assert mapped.status_code == 200 and "ft-migrate-shim" in mapped.headers["warning"]
    plain = httpx.post(f"{url}/v1/completions", json={"model": "davinci-002", "prompt": "x"}, headers=AUTH)
    assert plain.status_code == 200 and "warning" not in plain.headers
    assert httpx.get(f"{url}/v1/models", headers=AUTH).status_code == 200
    assert httpx.get(f"{url}/v1/files/file-nope", headers=AUTH).status_code == 404
    assert httpx.get(f"{url}/v1/files/file-also-nope", headers=AUTH).status_code == 404
    assert httpx.get(f"{url}/v1/something/else", headers=AUTH).status_code == 404
    assert httpx.get(f"{url}/v1/models/curie%3Aft-acme-2023", headers=AUTH).status_code == 404  # v0 quotes ids
    assert httpx.get(f"{url}/v1/models").status_code == 401  # no key: passed through, the upstream says 401
    metrics = httpx.get(f"{url}/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain; version=")
    assert _series(metrics.text, "ft_migrate_shim_requests_total") == {
        'ft_migrate_shim_requests_total{handling="translated",method="GET",route="/v1/fine-tunes",'
        'status="200",upstream_status="200"} 2.0',
        'ft_migrate_shim_requests_total{handling="translated",method="POST",route="/v1/completions",'
        'status="200",upstream_status="200"} 1.0',
        'ft_migrate_shim_requests_total{handling="passthrough",method="POST",route="/v1/completions",'
        'status="200",upstream_status="200"} 1.0',
        'ft_migrate_shim_requests_total{handling="passthrough",method="GET",route="/v1/models",'
        'status="200",upstream_status="200"} 1.0',
        'ft_migrate_shim_requests_total{handling="passthrough",method="GET",route="/v1/files/{id}",'
        'status="404",upstream_status="404"} 2.0',
        'ft_migrate_shim_requests_total{handling="passthrough",method="GET",route="other",'
        'status="404",upstream_status="404"} 1.0',
        'ft_migrate_shim_requests_total{handling="passthrough",method="GET",route="/v1/models",'
        'status="401",upstream_status="401"} 1.0',
        'ft_migrate_shim_requests_total{handling="passthrough",method="GET",route="/v1/models/{id}",'
        'status="404",upstream_status="404"} 1.0',
    }
    assert _series(metrics.text, "ft_migrate_shim_response_head_seconds_count") == {
        'ft_migrate_shim_response_head_seconds_count{handling="translated",route="/v1/fine-tunes"} 2.0',
        'ft_migrate_shim_response_head_seconds_count{handling="translated",route="/v1/completions"} 1.0',
        'ft_migrate_shim_response_head_seconds_count{handling="passthrough",route="/v1/completions"} 1.0',
        'ft_migrate_shim_response_head_seconds_count{handling="passthrough",route="/v1/models"} 2.0',
        'ft_migrate_shim_response_head_seconds_count{handling="passthrough",route="/v1/files/{id}"} 2.0',
        'ft_migrate_shim_response_head_seconds_count{handling="passthrough",route="other"} 1.0',
        'ft_migrate_shim_response_head_seconds_count{handling="passthrough",route="/v1/models/{id}"} 1.0',
    }
    # /healthz and /metrics themselves are not proxied requests; no path with an id becomes a label
    assert "/healthz" not in metrics.text and "file-nope" not in metrics.text and "curie" not in metrics.text


def test_metrics_name_an_unreachable_upstream_and_legacy_routes_answered_by_the_shim():
    closed = f"http://127.0.0.1:{_free_port()}"
    with serve_asgi(create_app(ShimConfig(upstream=closed), catalog=load_catalog())) as url:
        assert httpx.get(f"{url}/v1/models", headers=AUTH).status_code == 502
        assert httpx.delete(f"{url}/v1/fine-tunes/ft-abc", headers=AUTH).status_code == 404
        text = httpx.get(f"{url}/metrics").text
    assert _series(text, "ft_migrate_shim_requests_total") == {
        'ft_migrate_shim_requests_total{handling="passthrough",method="GET",route="/v1/models",'
        'status="502",upstream_status="error"} 1.0',
        'ft_migrate_shim_requests_total{handling="translated",method="DELETE",route="/v1/fine-tunes/{id}",'
        'status="404",upstream_status="none"} 1.0',
    }


# -- the real server: JSON logs, workers, SIGTERM -------------------------------------------
class Served:
    """``ft-migrate shim serve`` in a subprocess, its stderr in a file."""

    def __init__(self, tmp_path: Path, upstream: str, *args: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.err_path = tmp_path / "stderr.log"
        self.err = self.err_path.open("w")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.proc = subprocess.Popen([sys.executable, "-m", "migrator", "shim", "serve", "--port", str(self.port),
                                      "--upstream", upstream, *args],
                                     env=env, stdout=subprocess.PIPE, stderr=self.err, text=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{self.url}/metrics", timeout=5)
                return
            except httpx.TransportError:
                assert self.proc.poll() is None and time.monotonic() < deadline, self.stderr()
                time.sleep(0.1)

    def stderr(self) -> str:
        return self.err_path.read_text()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.err.close()


def test_json_log_has_one_object_per_request_and_never_the_key_or_the_body(today, tmp_path):
    served = Served(tmp_path, today.url, "--log-format", "json", "--model-map", "ada=davinci-002")
    try:
        r = httpx.post(f"{served.url}/v1/completions?api_key={SECRET}",
                       json={"model": "ada", "prompt": "the body's secret words"}, headers=AUTH)
        assert r.status_code == 200
        assert httpx.get(f"{served.url}/v1/models", headers=AUTH).status_code == 200
        assert httpx.get(f"{served.url}/healthz").status_code == 200
    finally:
        rc = served.stop()
    assert rc == 0
    err = served.stderr()
    lines = [json.loads(line) for line in err.splitlines()]  # every line is one JSON object
    assert lines[0]["level"] == "info" and lines[0]["message"] == (
        f"ft-migrate shim: http://127.0.0.1:{served.port}/v1/ -> {today.url} (1 worker; Ctrl-C stops)")
    requests = [line for line in lines if "route" in line]
    volatile = ("time", "duration_ms", "head_ms", "worker")
    for line in requests:
        assert line["time"].endswith("Z") and line["duration_ms"] >= line["head_ms"] >= 0
        assert line["worker"] == requests[0]["worker"] != os.getpid()
    assert [{k: v for k, v in line.items() if k not in volatile} for line in requests] == [
        {"level": "info", "method": "POST", "path": "/v1/completions", "route": "/v1/completions", "status": 200,
         "upstream_status": 200, "translated": True},
        {"level": "info", "method": "GET", "path": "/v1/models", "route": "/v1/models", "status": 200,
         "upstream_status": 200, "translated": False},
    ]
    assert SECRET not in err and "secret words" not in err
    assert " POST /v1/completions 200 upstream=200 " not in err  # the text line is replaced, not doubled


def _legacy_stream_api() -> Router:
    """An upstream whose one job keeps running, with one event: a stream that never ends by itself."""
    router = Router()
    job = {"id": "ftjob-1", "object": "fine_tuning.job", "model": "davinci-002", "created_at": 1700000000,
           "finished_at": None, "fine_tuned_model": None, "organization_id": "org-1", "result_files": [],
           "status": "running", "validation_file": None, "training_file": "file-1",
           "hyperparameters": {"n_epochs": 3}, "trained_tokens": None, "error": None}
    event = {"id": "ftevent-1", "object": "fine_tuning.job.event", "created_at": 1700000001, "level": "info",
             "message": "Fine-tuning job started", "data": None, "type": "message"}
    router.add("GET", "/v1/fine_tuning/jobs/{id}", lambda req, id: FakeResponse.json(job))
    router.add("GET", "/v1/fine_tuning/jobs/{id}/events",
               lambda req, id: FakeResponse.json({"object": "list", "data": [event], "has_more": False}))
    router.add("GET", "/v1/files/{id}", lambda req, id: FakeResponse.error(404, "No such file"))
    return router


class Balancer:
    """A TCP load balancer in miniature: each connection goes to the first backend that accepts it
    (a stopped replica refuses connections, so the next one takes them)."""

    def __init__(self, *backends: str) -> None:
        self.backends = [(u.rsplit(":", 1)[0].rsplit("/", 1)[-1], int(u.rsplit(":", 1)[1])) for u in backends]
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.taken: list[int] = []  # the index of the backend each connection went to
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            for i, address in enumerate(self.backends):
                try:
                    backend = socket.create_connection(address, timeout=5)
                except OSError:
                    continue
                self.taken.append(i)
                for a, b in ((client, backend), (backend, client)):
                    threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()
                break
            else:
                client.close()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()


def test_sigterm_finishes_requests_in_flight_ends_event_streams_cleanly_and_exits_0(tmp_path, v0_venvs):
    router = _legacy_stream_api()
    slow = {"id": "davinci-002", "object": "model", "created": 1, "owned_by": "openai"}
    router.add("GET", "/v1/models/{id}", lambda req, id: FakeResponse.json(slow, delay=2.0))
    with FakeServer(lambda req: router.dispatch(req, lambda r: FakeResponse.error(404, "no"))) as upstream:
        config = tmp_path / "shim.toml"
        config.write_text("poll_interval = 0.2\n")
        served = Served(tmp_path, upstream.url, "--config", str(config), "--shutdown-timeout", "60")
        # a second replica behind the balancer, for the old CLI's request after its stream ends
        replica = serve_asgi(create_app(ShimConfig(upstream=upstream.url, poll_interval=0.2), catalog=load_catalog()))
        balancer = Balancer(served.url, replica.__enter__())
        results: dict[str, object] = {}

        def slow_request() -> None:
            results["slow"] = httpx.get(f"{served.url}/v1/models/davinci-002", headers=AUTH, timeout=30)

        def raw_stream() -> None:
            with httpx.stream("GET", f"{served.url}/v1/fine-tunes/ftjob-1/events?stream=true", headers=AUTH,
                              timeout=30) as r:
                results["stream_status"] = r.status_code
                results["stream"] = b"".join(r.iter_raw())  # a cut chunked body raises here instead

        follow = subprocess.Popen([str(v0_venvs["0.28.1"].cli), "-b", f"{balancer.url}/v1", "-k", "sk-test", "api",
                                   "fine_tunes.follow", "-i", "ftjob-1"], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        threads = [threading.Thread(target=slow_request), threading.Thread(target=raw_stream)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while not (any(r.path == "/v1/models/davinci-002" for r in upstream.requests)
                   and sum(r.path.startswith("/v1/fine_tuning/jobs/ftjob-1/events") for r in upstream.requests) >= 4):
            assert time.monotonic() < deadline, upstream.calls()
            time.sleep(0.05)
        rc = served.stop(signal.SIGTERM)
        for t in threads:
            t.join(timeout=30)
        out, err = follow.communicate(timeout=60)
        balancer.close()
        replica.__exit__(None, None, None)
    assert rc == 0, served.stderr()
    slow_answer = results["slow"]
    assert isinstance(slow_answer, httpx.Response) and slow_answer.status_code == 200
    assert slow_answer.json() == slow
    assert results["stream_status"] == 200
    events = [json.loads(block[len(b"data: "):]) for block in results["stream"].split(b"\n\n") if block.strip()]
    assert events[0] == {"object": "fine-tune-event", "created_at": 1700000001, "level": "info",
                         "message": "Fine-tuning job started"}
    assert events[-1]["message"] == SHUTDOWN_MESSAGE and events[-1]["level"] == "warn"
    assert isinstance(events[-1]["created_at"], int) and len(events) == 2
    # the old CLI sees the stream end (no "Stream interrupted"), prints both events, then asks for the
    # job's status (on its kept-alive connection if the stopping replica still answers it, else through
    # the balancer to the other replica) and exits 0
    print(f"connections of the old CLI, by replica: {balancer.taken}")
    assert balancer.taken[0] == 0
    assert follow.returncode == 0, err
    assert "Fine-tuning job started" in out and SHUTDOWN_MESSAGE in out
    assert "Stream interrupted" not in out + err


def test_workers_share_their_metrics(today, tmp_path):
    served = Served(tmp_path, today.url, "--workers", "2", "--log-format", "json")
    try:
        sent = 0
        workers: set[int] = set()
        while len(workers) < 2 and sent < 300:
            with httpx.Client() as client:  # a new connection each time, so either worker may take it
                assert client.get(f"{served.url}/v1/models", headers=AUTH).status_code == 200
            sent += 1
            workers = {json.loads(line)["worker"] for line in served.stderr().splitlines() if '"route"' in line}
        print(f"requests sent before both workers had served one: {sent}")
        assert len(workers) == 2
        line = ('ft_migrate_shim_requests_total{handling="passthrough",method="GET",route="/v1/models",'
                f'status="200",upstream_status="200"}} {float(sent)}')
        for _ in range(6):  # whichever worker answers, it shows the whole server's counts
            with httpx.Client() as client:
                assert _series(client.get(f"{served.url}/metrics").text, "ft_migrate_shim_requests_total") == {line}
    finally:
        rc = served.stop()
    assert rc == 0


def test_service_settings_from_the_command_line_and_the_config_file(tmp_path):
    from click.testing import CliRunner

    from migrator.cli import cli
    from migrator.shim.config import ConfigError, load_config

    path = tmp_path / "shim.toml"
    path.write_text('[shim]\nlog_format = "json"\nhealth_cache = 0\nshutdown_timeout = 5.5\n')
    assert load_config(path) == ShimConfig(log_format="json", health_cache=0, shutdown_timeout=5.5)
    path.write_text('log_format = "xml"\n')
    with pytest.raises(ConfigError, match=f"{path}: log_format must be one of text, json, got 'xml'"):
        load_config(path)
    path.write_text("health_cache = -1\n")
    with pytest.raises(ConfigError, match="health_cache cannot be negative, got -1"):
        load_config(path)
    path.write_text("shutdown_timeout = 0\n")
    with pytest.raises(ConfigError, match="shutdown_timeout must be positive, got 0"):
        load_config(path)
    runner = CliRunner()
    r = runner.invoke(cli, ["shim", "serve", "--log-format", "xml"])
    assert r.exit_code == 2 and "Invalid value for '--log-format'" in r.output
    r = runner.invoke(cli, ["shim", "serve", "--shutdown-timeout", "0"])
    assert r.exit_code == 2 and "Invalid value for '--shutdown-timeout'" in r.output
