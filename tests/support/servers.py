"""Run an ASGI app (the shim) under uvicorn on 127.0.0.1 in a background thread.

Real sockets, real HTTP/1.1, an ephemeral port: what an old client sees in
production, without a subprocess to manage.

Usage::

    with serve_asgi(create_app(config)) as url:   # "http://127.0.0.1:PORT"
        ...
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any, Iterator

import uvicorn

from migrator.shim.app import HTTP_PARSER


@contextlib.contextmanager
def serve_asgi(app: Any, **config: Any) -> Iterator[str]:
    config.setdefault("http", HTTP_PARSER)  # as `shim serve` runs, whether or not httptools is installed
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           access_log=False, lifespan="on", **config))
    thread = threading.Thread(target=server.run, name="asgi-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
