"""Shim speed and memory, all on loopback, all in one run (issue 4 §5).

Four servers, each its own process: a fast canned *upstream* (raw ASGI under
uvicorn), a *plain pass-through proxy* on the shim's own stack (starlette +
uvicorn + httpx, no translation), and the *shim* (``create_app``).  A small
asyncio HTTP/1.1 client with keep-alive drives each at a fixed concurrency and
prints p50/p99 latency and requests/s:

- direct upstream, ``GET /v1/fine_tuning/jobs/ftjob-1/events`` (the baseline);
- pass-through proxy, the same call;
- shim, translated: ``GET /v1/fine-tunes/ftjob-1/events`` (one upstream call,
  like the line above, plus the translation);
- shim, pass-through: ``GET /v1/models``, and the pass-through proxy on it;
- shim, translated retrieve ``GET /v1/fine-tunes/ftjob-1`` (three upstream
  calls: job, events, file), for information.

Then the shim's resident memory is sampled every 10k requests over a long run
(50k by default).  Every loop has a fixed count, so the bench ends by itself.

    .venv/bin/python bench/bench_shim.py                  # full run
    .venv/bin/python bench/bench_shim.py --requests 3000 --memory-requests 10000   # quick
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

JOB = {"object": "fine_tuning.job", "id": "ftjob-1", "model": "davinci-002", "created_at": 1700000000,
       "finished_at": 1700000900, "fine_tuned_model": "ft:davinci-002:org::abc", "organization_id": "org-x",
       "result_files": [], "status": "succeeded", "validation_file": None, "training_file": "file-a",
       "hyperparameters": {"n_epochs": 4, "batch_size": 1, "learning_rate_multiplier": 2.0},
       "trained_tokens": 1234, "error": None}
EVENTS = {"object": "list", "has_more": False, "data": [
    {"object": "fine_tuning.job.event", "id": f"ev-{i}", "created_at": 1700000000 + i, "level": "info",
     "message": f"Step {i}/10: training loss=0.{i}", "data": None, "type": "message"} for i in range(10, 0, -1)]}
FILE = {"object": "file", "id": "file-a", "purpose": "fine-tune", "filename": "train.jsonl", "bytes": 1000,
        "created_at": 1699999999, "status": "processed", "status_details": None}
MODELS = {"object": "list", "data": [{"id": m, "object": "model", "created": 1, "owned_by": "openai"}
                                     for m in ("babbage-002", "davinci-002", "gpt-3.5-turbo")]}
ROUTES = {"/v1/fine_tuning/jobs/ftjob-1": JOB, "/v1/fine_tuning/jobs/ftjob-1/events": EVENTS,
          "/v1/files/file-a": FILE, "/v1/models": MODELS}


# -- the servers (run as `bench_shim.py --serve ROLE PORT UPSTREAM`) ---------------
def upstream_app():
    bodies = {k: json.dumps(v).encode() for k, v in ROUTES.items()}
    missing = b'{"error":{"message":"not found","type":"invalid_request_error","param":null,"code":null}}'

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                await send({"type": msg["type"] + ".complete"})
                if msg["type"] == "lifespan.shutdown":
                    return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        body = bodies.get(scope["path"])
        status = 200 if body is not None else 404
        body = body if body is not None else missing
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
    return app


def passthrough_app(upstream: str):
    """The plain proxy: what any reverse proxy on this stack costs, without translation."""
    import httpx
    from starlette.applications import Starlette
    from starlette.background import BackgroundTask
    from starlette.responses import StreamingResponse
    from starlette.routing import Route

    sys.path.insert(0, str(ROOT))
    from migrator.shim.pool import ShardedTransport

    transport = ShardedTransport()  # the shim's own upstream pool: only the translation differs
    drop = {b"host", b"connection", b"transfer-encoding", b"keep-alive"}

    async def endpoint(request):
        target = request.scope["raw_path"] + (b"?" + request.scope["query_string"] if request.scope["query_string"] else b"")
        headers = [(k, v) for k, v in request.scope["headers"] if k not in drop]
        body = await request.body()
        req = httpx.Request(request.method, upstream + target.decode(), headers=headers, content=body)
        resp = await transport.handle_async_request(req)
        out = StreamingResponse(resp.aiter_raw(), resp.status_code, background=BackgroundTask(resp.aclose))
        out.raw_headers = [(k, v) for k, v in resp.headers.raw if k.lower() not in drop]
        return out

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST", "DELETE"])])


def serve(role: str, port: int, upstream: str) -> None:
    import uvicorn

    if role == "upstream":
        app = upstream_app()
    elif role == "passthrough":
        app = passthrough_app(upstream)
    else:
        sys.path.insert(0, str(ROOT))
        from migrator.shim.app import create_app
        from migrator.shim.config import ShimConfig
        app = create_app(ShimConfig(upstream=upstream))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on")


# -- the load generator ------------------------------------------------------
async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, chunked = None, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def load(port: int, path: str, total: int, concurrency: int) -> tuple[list[float], float]:
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer sk-bench\r\n"
               f"Accept: application/json\r\n\r\n").encode()
    latencies: list[float] = []
    per_worker = [total // concurrency + (1 if i < total % concurrency else 0) for i in range(concurrency)]

    async def worker(n: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for _ in range(n):
                t0 = time.perf_counter()
                writer.write(request)
                status = await _read_response(reader)
                latencies.append(time.perf_counter() - t0)
                if status != 200:
                    raise RuntimeError(f"{path} on :{port} answered {status}")
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in per_worker))
    return latencies, time.perf_counter() - start


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (immune to other load on the box)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_all(rows: list[tuple[str, int, int, str]], total: int, concurrency: int, rounds: int) -> dict:
    """Each scenario ``rounds`` times, interleaved, so load from elsewhere on the box hits all alike.

    ``rows`` are ``(label, port, pid of the server measured, path)``.
    """
    for _, port, _, path in rows:  # warm up connections and caches
        asyncio.run(load(port, path, min(500, total), concurrency))
    acc = {label: {"lat": [], "elapsed": 0.0, "cpu": 0.0} for label, *_ in rows}
    for _ in range(rounds):
        for label, port, pid, path in rows:
            cpu0 = cpu_seconds(pid)
            latencies, elapsed = asyncio.run(load(port, path, total // rounds, concurrency))
            a = acc[label]
            a["cpu"] += cpu_seconds(pid) - cpu0
            a["lat"] += latencies
            a["elapsed"] += elapsed
    out = {}
    for label, a in acc.items():
        lat = sorted(a["lat"])
        out[label] = {"p50_ms": statistics.median(lat) * 1000, "p99_ms": lat[int(len(lat) * 0.99) - 1] * 1000,
                      "rps": len(lat) / a["elapsed"], "cpu_us": a["cpu"] / len(lat) * 1e6}
    return out


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


# -- orchestration -----------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(role: str, upstream: str = "") -> tuple[subprocess.Popen, int]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve", role, str(port), upstream])
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{role} did not start")
            time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20000, help="requests per scenario")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per scenario")
    parser.add_argument("--memory-requests", type=int, default=50000)
    parser.add_argument("--serve", nargs=3, metavar=("ROLE", "PORT", "UPSTREAM"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.serve[2])
        return

    procs = []
    try:
        up, up_port = start("upstream")
        procs.append(up)
        upstream = f"http://127.0.0.1:{up_port}"
        plain, plain_port = start("passthrough", upstream)
        shim, shim_port = start("shim", upstream)
        procs += [plain, shim]
        n, c = args.requests, args.concurrency
        ev_new, ev_old = "/v1/fine_tuning/jobs/ftjob-1/events", "/v1/fine-tunes/ftjob-1/events"
        rows = [
            ("direct upstream   GET /v1/fine_tuning/jobs/ID/events", up_port, up.pid, ev_new),
            ("plain proxy       GET /v1/fine_tuning/jobs/ID/events", plain_port, plain.pid, ev_new),
            ("shim translated   GET /v1/fine-tunes/ID/events", shim_port, shim.pid, ev_old),
            ("plain proxy       GET /v1/models", plain_port, plain.pid, "/v1/models"),
            ("shim pass-through GET /v1/models", shim_port, shim.pid, "/v1/models"),
            ("shim translated   GET /v1/fine-tunes/ID (3 upstream calls)", shim_port, shim.pid,
             "/v1/fine-tunes/ftjob-1"),
        ]
        print(f"# {n} requests per row in {args.rounds} interleaved rounds, concurrency {c}, loopback, "
              f"{os.cpu_count()} CPUs shared; CPU = the measured server's own CPU time per request")
        results = measure_all(rows, n, c, args.rounds)
        print(f"{'scenario':62} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'CPU us':>8}")
        for label, *_ in rows:
            r = results[label]
            print(f"{label:62} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['rps']:8.0f} {r['cpu_us']:8.0f}")
        labels = [r[0] for r in rows]
        tr, pt_ev, pt_models, shim_pt = (results[labels[2]], results[labels[1]], results[labels[3]],
                                         results[labels[4]])
        print(f"translated vs plain proxy: p50 {tr['p50_ms'] - pt_ev['p50_ms']:+.2f} ms (target <= +1 ms), "
              f"throughput {tr['rps'] / pt_ev['rps']:.0%} (target >= 80%), "
              f"CPU per request {tr['cpu_us'] - pt_ev['cpu_us']:+.0f} us")
        print(f"pass-through vs plain proxy: p50 {shim_pt['p50_ms'] - pt_models['p50_ms']:+.2f} ms, "
              f"throughput {shim_pt['rps'] / pt_models['rps']:.0%}, "
              f"CPU per request {shim_pt['cpu_us'] - pt_models['cpu_us']:+.0f} us")

        step = 10000 if args.memory_requests >= 20000 else max(1, args.memory_requests // 5)
        samples = [(0, rss_kib(shim.pid))]
        done = 0
        while done < args.memory_requests:
            batch = min(step, args.memory_requests - done)
            half = batch // 2
            asyncio.run(load(shim_port, "/v1/fine-tunes/ftjob-1/events", half, c))
            asyncio.run(load(shim_port, "/v1/models", batch - half, c))
            done += batch
            samples.append((done, rss_kib(shim.pid)))
        print("shim RSS (MiB) after N requests: " + ", ".join(f"{k}: {v / 1024:.1f}" for k, v in samples))
        print(f"growth from the first {step} to the end: {(samples[-1][1] - samples[1][1]) / 1024:+.1f} MiB")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)


if __name__ == "__main__":
    main()
