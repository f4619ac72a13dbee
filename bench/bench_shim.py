"""Shim speed and memory against the upstream itself, all on loopback, all in one run.

A fast canned *upstream* (raw ASGI under uvicorn on asyncio + h11, the stack earlier
figures were taken on), a *plain pass-through proxy* (starlette and the shim's
upstream client, no translation), and the *shim* on each stack of :data:`VARIANTS` side by side (server
loop and HTTP parser, upstream client, worker processes), each its own process.  A
small asyncio HTTP/1.1 client with keep-alive drives each at 32 and 128 connections,
rows interleaved so that load from elsewhere on the machine hits all alike, and prints
p50/p99 latency, requests/s and the share of the direct upstream's throughput for:

- direct upstream, ``GET /v1/fine_tuning/jobs/ftjob-1/events`` (the baseline);
- the plain proxy, the same call;
- each shim stack, translated: ``GET /v1/fine-tunes/ftjob-1/events`` (one upstream
  call, like the baseline, plus the translation).

The stack with the best throughput relative to direct then serves a memory run (RSS
sampled ten times), and the bench ends with one line per target:
``target <name>: <figure> (goal <goal>): met|missed``.  Every loop has a fixed count,
so the bench ends by itself.

Before the targets it prints the bounds this machine sets, from CPU times measured in
the same run (the servers' from /proc, the load generator's own):

- the p50 goal: a closed loop of ``c`` connections has ``c`` requests in flight, so its
  mean latency is ``c / throughput`` (Little's law); read for the mean, a latency within
  2 ms of the direct one asks for at least ``c / (c / direct throughput + 2 ms)``
  requests a second;
- the CPU a proxied request may cost: every request costs the load generator, the
  upstream and the proxy their CPU on the same cores, so ``cores / (generator +
  upstream + proxy)`` is the most any proxy can serve, and a throughput goal leaves
  the proxy ``cores / goal - generator - upstream`` of CPU per request.

    .venv/bin/python bench/bench_shim.py            # full run
    .venv/bin/python bench/bench_shim.py --quick    # under five minutes on two cores
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
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
    from migrator.shim.pool import AiohttpTransport

    transport = AiohttpTransport()  # the shim's own upstream client: only the translation differs
    drop = {b"host", b"connection", b"transfer-encoding", b"keep-alive"}

    async def endpoint(request):
        query = request.scope["query_string"]
        target = request.scope["raw_path"] + (b"?" + query if query else b"")
        headers = [(k, v) for k, v in request.scope["headers"] if k not in drop]
        body = await request.body()
        req = httpx.Request(request.method, upstream + target.decode(), headers=headers, content=body)
        resp = await transport.handle_async_request(req)
        out = StreamingResponse(resp.aiter_raw(), resp.status_code, background=BackgroundTask(resp.aclose))
        out.raw_headers = [(k, v) for k, v in resp.headers.raw if k.lower() not in drop]
        return out

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST", "DELETE"])])


# The shim's stacks measured side by side: (server loop, HTTP parser, upstream client, workers).
# uvloop and httptools are not dependencies of ft-migrate (see the README): a stack that
# needs one that is not installed is skipped, with a note.
VARIANTS = {
    "httpx-sharded/asyncio/h11": ("asyncio", "h11", "sharded", 1),
    "httpx-one-pool/asyncio/h11": ("asyncio", "h11", "one-pool", 1),
    "httpx-sharded/uvloop/httptools": ("uvloop", "httptools", "sharded", 1),
    "aiohttp/asyncio/h11": ("asyncio", "h11", "aiohttp", 1),
    "aiohttp/uvloop/h11": ("uvloop", "h11", "aiohttp", 1),
    "aiohttp/uvloop/httptools": ("uvloop", "httptools", "aiohttp", 1),
    "httpx-sharded/asyncio/h11/2-workers": ("asyncio", "h11", "sharded", 2),
    "httpx-sharded/uvloop/httptools/2-workers": ("uvloop", "httptools", "sharded", 2),
    "aiohttp/uvloop/h11/2-workers": ("uvloop", "h11", "aiohttp", 2),
    "aiohttp/uvloop/httptools/2-workers": ("uvloop", "httptools", "aiohttp", 2),
}


def upstream_client(client: str):
    """The shim's upstream transport for a variant's client."""
    import httpx

    from migrator.shim.pool import DEFAULT_CONNECTIONS, AiohttpTransport, ShardedTransport

    if client == "one-pool":
        limits = httpx.Limits(max_connections=DEFAULT_CONNECTIONS, max_keepalive_connections=DEFAULT_CONNECTIONS)
        return httpx.AsyncHTTPTransport(limits=limits)
    return AiohttpTransport() if client == "aiohttp" else ShardedTransport()


UPSTREAM_ENV, CLIENT_ENV = "BENCH_SHIM_UPSTREAM", "BENCH_SHIM_CLIENT"
OPTIONAL = ("uvloop", "httptools")
# Seconds the upstream keeps an idle connection, longer than a row of the bench runs: while
# one server is measured the others' pools sit idle, and a connection the upstream closed
# meanwhile would fail the next request sent on it (httpx does not send it again).
KEEP_ALIVE = 600


def worker_app():
    """The shim in each worker process of a multi-worker variant."""
    from migrator.shim.app import create_app
    from migrator.shim.config import ShimConfig

    client = upstream_client(os.environ[CLIENT_ENV])
    return create_app(ShimConfig(upstream=os.environ[UPSTREAM_ENV]), transport=client)


def serve(role: str, port: int, upstream: str) -> None:
    import uvicorn

    if role == "upstream":  # the stand-in for the API: the stack the earlier figures were taken on
        uvicorn.run(upstream_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False,
                    lifespan="on", loop="asyncio", http="h11", timeout_keep_alive=KEEP_ALIVE)
        return
    if role == "passthrough":
        uvicorn.run(passthrough_app(upstream), host="127.0.0.1", port=port, log_level="warning", access_log=False,
                    lifespan="on", loop="asyncio", http="h11")
        return
    loop, http, client, workers = VARIANTS[role]
    sys.path.insert(0, str(ROOT))
    from migrator.shim.app import create_app
    from migrator.shim.config import ShimConfig

    config = ShimConfig(upstream=upstream)
    options = dict(host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on", loop=loop,
                   http=http)
    if workers > 1:  # worker processes, as `ft-migrate shim serve --workers N` runs them (without its log lines)
        os.environ[UPSTREAM_ENV], os.environ[CLIENT_ENV] = upstream, client
        uvicorn.run("bench_shim:worker_app", factory=True, workers=workers, app_dir=str(Path(__file__).parent),
                    **options)
        return
    inner = upstream_client(client)
    uvicorn.run(create_app(config, transport=inner), **options)


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


def tree(pid: int) -> list[int]:
    """``pid`` and its child processes (the workers of a multi-worker server)."""
    out = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a server and its workers, from /proc (immune to other load on the box)."""
    total = 0.0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def measure_all(rows: list[tuple[str, int, int, str, int]], total: int, rounds: int) -> dict:
    """Each scenario ``rounds`` times, interleaved, so load from elsewhere on the box hits all alike.

    ``rows`` are ``(label, port, pid of the server measured, path, concurrency)``.
    """
    for _, port, _, path, c in rows:  # warm up connections and caches
        asyncio.run(load(port, path, min(500, total), c))
    acc = {label: {"lat": [], "elapsed": 0.0, "cpu": 0.0, "gen": 0.0} for label, *_ in rows}
    for _ in range(rounds):
        for label, port, pid, path, c in rows:
            cpu0, gen0 = cpu_seconds(pid), time.process_time()
            latencies, elapsed = asyncio.run(load(port, path, total // rounds, c))
            a = acc[label]
            a["cpu"] += cpu_seconds(pid) - cpu0
            a["gen"] += time.process_time() - gen0
            a["lat"] += latencies
            a["elapsed"] += elapsed
    out = {}
    for label, a in acc.items():
        lat = sorted(a["lat"])
        out[label] = {"p50_ms": statistics.median(lat) * 1000, "p99_ms": lat[int(len(lat) * 0.99) - 1] * 1000,
                      "rps": len(lat) / a["elapsed"], "cpu_us": a["cpu"] / len(lat) * 1e6,
                      "gen_us": a["gen"] / len(lat) * 1e6}
    return out


def rss_kib(pid: int) -> int:
    total = 0
    for p in tree(pid):
        try:
            lines = Path(f"/proc/{p}/status").read_text().splitlines()
        except OSError:
            continue
        total += next(int(line.split()[1]) for line in lines if line.startswith("VmRSS:"))
    return total


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


def target(name: str, figure: str, goal: str, met: bool) -> None:
    print(f"target {name}: {figure} (goal {goal}): {'met' if met else 'missed'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (under five minutes on two cores)")
    parser.add_argument("--requests", type=int, default=None, help="requests per scenario [20000; quick 2500]")
    parser.add_argument("--concurrency", default="32,128", help="connections, comma-separated")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds per scenario [5; quick 2]")
    parser.add_argument("--memory-requests", type=int, default=None,
                        help="requests of the memory run [100000; quick 20000]")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="shim stacks to compare, comma-separated")
    parser.add_argument("--serve", nargs=3, metavar=("ROLE", "PORT", "UPSTREAM"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.serve[2])
        return
    n = args.requests or (2500 if args.quick else 20000)
    rounds = args.rounds or (2 if args.quick else 5)
    memory = args.memory_requests or (20000 if args.quick else 100000)
    levels = [int(c) for c in args.concurrency.split(",")]
    variants = []
    for v in args.variants.split(","):
        loop, http, client, _ = VARIANTS[v]
        missing = [m for m in (loop, http, client) if m in OPTIONAL and importlib.util.find_spec(m) is None]
        if missing:
            print(f"# skipped {v}: `pip install {' '.join(missing)}` to measure it")
        else:
            variants.append(v)

    procs = []
    try:
        up, up_port = start("upstream")
        procs.append(up)
        upstream = f"http://127.0.0.1:{up_port}"
        plain, plain_port = start("passthrough", upstream)
        procs.append(plain)
        shims = {}
        for v in variants:
            proc, port = start(v, upstream)
            procs.append(proc)
            shims[v] = (proc, port)
        ev_new, ev_old = "/v1/fine_tuning/jobs/ftjob-1/events", "/v1/fine-tunes/ftjob-1/events"
        rows = []
        for c in levels:
            rows.append((f"direct upstream @{c}", up_port, up.pid, ev_new, c))
            rows.append((f"plain proxy (aiohttp/asyncio/h11) @{c}", plain_port, plain.pid, ev_new, c))
            rows += [(f"shim {v} @{c}", port, proc.pid, ev_old, c) for v, (proc, port) in shims.items()]
        print(f"# {n} requests per row in {rounds} interleaved rounds; GET {ev_new} direct, GET {ev_old} "
              f"translated by the shim (one upstream call); loopback, {os.cpu_count()} CPUs shared with whatever "
              f"else runs (figures are noisy on a busy machine); CPU = the measured server's own CPU per request")
        results = measure_all(rows, n, rounds)
        print(f"{'scenario':58} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'% direct':>8} {'CPU us':>8}")
        for label, *_, c in rows:
            r, d = results[label], results[f"direct upstream @{c}"]
            print(f"{label:58} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['rps']:8.0f} {r['rps'] / d['rps']:8.0%} "
                  f"{r['cpu_us']:8.0f}")

        def worst_ratio(v: str) -> float:
            return min(results[f"shim {v} @{c}"]["rps"] / results[f"direct upstream @{c}"]["rps"] for c in levels)

        best = max(variants, key=worst_ratio)
        print(f"best stack (highest throughput relative to direct at its worst concurrency): {best}")

        proc, port = shims[best]
        step = max(1, memory // 10)
        samples = [(0, rss_kib(proc.pid))]
        done = 0
        while done < memory:
            batch = min(step, memory - done)
            half = batch // 2
            asyncio.run(load(port, ev_old, half, levels[0]))
            asyncio.run(load(port, "/v1/models", batch - half, levels[0]))
            done += batch
            samples.append((done, rss_kib(proc.pid)))
        print(f"shim ({best}) RSS (MiB) after N requests: " + ", ".join(f"{k}: {v / 1024:.1f}" for k, v in samples))

        cores = os.cpu_count() or 1
        for c in levels:
            d, r = results[f"direct upstream @{c}"], results[f"shim {best} @{c}"]
            plain = results[f"plain proxy (aiohttp/asyncio/h11) @{c}"]
            needed = c / (c / d["rps"] + 0.002)  # Little's law, for the mean latency
            base = r["gen_us"] + d["cpu_us"]  # what every proxied request costs besides the proxy
            ceiling = {name: cores * 1e6 / (base + row["cpu_us"]) for name, row in (("plain", plain), ("shim", r))}
            budget = {name: cores * 1e6 / (share * d["rps"]) - base
                      for name, share in (("50%", 0.5), ("p50", needed / d["rps"]))}
            print(f"bounds @{c} on {cores} cores: the load generator spends {r['gen_us']:.0f} us and the upstream "
                  f"{d['cpu_us']:.0f} us a proxied request; the plain proxy's {plain['cpu_us']:.0f} us caps it at "
                  f"{ceiling['plain']:.0f} req/s ({ceiling['plain'] / d['rps']:.0%} of direct), the shim's "
                  f"{r['cpu_us']:.0f} us at {ceiling['shim']:.0f} ({ceiling['shim'] / d['rps']:.0%}); 50% of direct "
                  f"leaves a proxy {budget['50%']:.0f} us a request; a mean latency within 2 ms of direct's (the p50 "
                  f"goal, by Little's law) needs {needed:.0f} req/s ({needed / d['rps']:.0%} of direct), leaving "
                  f"{budget['p50']:.0f} us")
        for c in levels:
            r, d = results[f"shim {best} @{c}"], results[f"direct upstream @{c}"]
            ratio = r["rps"] / d["rps"]
            target(f"throughput@{c}", f"{ratio:.0%} of direct ({r['rps']:.0f} vs {d['rps']:.0f} req/s)",
                   ">= 50%", ratio >= 0.5)
            target(f"p99@{c}", f"{r['p99_ms']:.1f} ms vs direct {d['p99_ms']:.1f} ms", "<= 3x direct",
                   r["p99_ms"] <= 3 * d["p99_ms"])
            target(f"p50@{c}", f"{r['p50_ms'] - d['p50_ms']:+.2f} ms over direct", "<= +2 ms",
                   r["p50_ms"] <= d["p50_ms"] + 2)
        growth = (samples[-1][1] - samples[1][1]) / 1024
        target(f"rss over {memory} requests", f"{growth:+.1f} MiB after the first {step}", "<= +5 MiB", growth <= 5)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)


if __name__ == "__main__":
    main()
