"""``ft-migrate shim``: keep unmodified legacy fine-tunes code working.

One translation core (:mod:`migrator.shim.translate`, no I/O) with two thin
adapters: httpx transports for in-process use, and an ASGI server.

    import httpx, openai
    from migrator.shim import LegacyTransport
    client = openai.OpenAI(http_client=httpx.Client(transport=LegacyTransport()))
    client.fine_tunes.create(training_file="file-abc", model="curie")  # → /v1/fine_tuning/jobs
"""

from .config import ConfigError, ShimConfig
from .transport import AsyncLegacyTransport, LegacyTransport

__all__ = ["AsyncLegacyTransport", "ConfigError", "LegacyTransport", "ShimConfig"]
