"""The optional parts of ft-migrate and the extra that installs each.

A scan-only user installs ``ft-migrate`` and gets scan, fix, report and models,
without a web server or a tokenizer; ``ft-migrate[shim]`` adds the proxy's server,
``ft-migrate[data]`` the exact tokenizer for ``data`` and the report's re-training
cost, ``ft-migrate[all]`` both.  A command that needs a missing extra stops with a
message naming the extra and the pip command, never with an ImportError.
"""

from __future__ import annotations

import importlib.util

# extra -> the top-level modules it installs that ft-migrate imports.
EXTRAS: dict[str, tuple[str, ...]] = {
    "shim": ("uvicorn", "sniffio", "aiohttp", "prometheus_client"),
    "data": ("tiktoken",),
}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken install, or a module blocked in sys.modules
        return False


def missing(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here."""
    return [m for m in EXTRAS[extra] if not _installed(m)]


def message(extra: str, what: str) -> str | None:
    """Why ``what`` cannot run without ``extra``, or None when the extra is installed."""
    gone = missing(extra)
    if not gone:
        return None
    return (f"{what} needs the '{extra}' extra ({', '.join(gone)} not installed): "
            f"pip install 'ft-migrate[{extra}]'")
