"""Virtualenvs holding real legacy ``openai`` clients, for end-to-end tests.

The old SDKs (0.27.10, 0.28.1, 1.3.0) must never be installed into the project
venv: they would shadow each other and the project's own ``httpx``.  Each one
lives in ``<repo>/.cache/venvs/openai-<version>`` instead, built on first use by
the test setup, so a fresh machine (and CI) gets them without a manual step, and
reused afterwards.

A build goes into a temporary directory that is renamed into place only after the
install succeeded and a marker file recording the exact requirements was
written, so an interrupted build is never mistaken for a good one; a change to
the requirements below rebuilds the venv.  A file lock serialises concurrent
builders (parallel pytest sessions of several engineers share the cache).

Usage::

    from tests.support.venvs import client_venv
    venv = client_venv("0.27.10")
    venv.run_python(script, env=...)        # the SDK
    venv.run_cli(["-b", url, "api", "fine_tunes.list"])   # the v0 ``openai`` CLI
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache" / "venvs"
MARKER = "ft-migrate-venv.json"

# What each client needs next to it.  0.27.10 imports requests, aiohttp and tqdm
# (its install_requires pulls them in); 1.3.0 passes ``proxies=`` to httpx, which
# httpx 0.28 removed, so it needs an older httpx.
REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "0.27.10": ("openai==0.27.10", "requests", "aiohttp", "tqdm"),
    "0.28.1": ("openai==0.28.1", "requests", "aiohttp", "tqdm"),
    "1.3.0": ("openai==1.3.0", "httpx<0.28"),
}


class VenvBuildError(RuntimeError):
    """pip could not build a client venv (no registry access, bad pin...)."""


@dataclass(frozen=True)
class ClientVenv:
    """A built virtualenv holding one ``openai`` version."""

    version: str
    path: Path

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    @property
    def cli(self) -> Path:
        return self.path / "bin" / "openai"

    def run_python(self, code: str, *, env: dict[str, str] | None = None, timeout: float = 60,
                   cwd: str | Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``code`` in this venv's interpreter with a clean environment."""
        return self._run([str(self.python), "-c", code], env=env, timeout=timeout, cwd=cwd)

    def run_cli(self, args: list[str], *, env: dict[str, str] | None = None, timeout: float = 60,
                cwd: str | Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run the client's ``openai`` command line (v0 only has fine-tune commands)."""
        return self._run([str(self.cli), *args], env=env, timeout=timeout, cwd=cwd)

    def _run(self, argv, *, env, timeout, cwd):
        return subprocess.run(argv, env=client_env(env), timeout=timeout, cwd=cwd,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True)


def client_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A minimal environment: no proxies, no real key, no user site-packages.

    Nothing from the caller's OPENAI_* variables may leak in, and proxy variables
    would send loopback traffic elsewhere.
    """
    env = {k: v for k, v in os.environ.items()
           if not k.upper().startswith(("OPENAI_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "PYTHON"))}
    env.update({"NO_PROXY": "127.0.0.1,localhost", "PYTHONNOUSERSITE": "1", "PYTHONUNBUFFERED": "1",
                "PYTHONIOENCODING": "utf-8"})
    env.update(extra or {})
    return env


def client_venv(version: str, *, cache: Path = CACHE) -> ClientVenv:
    """The venv for ``openai==version``, built now if missing or stale."""
    if version not in REQUIREMENTS:
        raise ValueError(f"no recipe for openai {version}; known: {sorted(REQUIREMENTS)}")
    target = cache / f"openai-{version}"
    want = _marker(version)
    if _valid(target, want):
        return ClientVenv(version, target)
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f".openai-{version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _valid(target, want):  # another process may have built it meanwhile
            _build(target, want)
    return ClientVenv(version, target)


def _marker(version: str) -> dict:
    return {"requirements": list(REQUIREMENTS[version]),
            "python": f"{sys.version_info.major}.{sys.version_info.minor}"}


def _valid(target: Path, want: dict) -> bool:
    try:
        have = json.loads((target / MARKER).read_text())
    except (OSError, ValueError):
        return False
    return have == want and (target / "bin" / "python").exists()


def _build(target: Path, want: dict) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
    try:
        # venvs hard-code their own path in scripts (bin/openai's shebang), so the
        # venv is created at the temp path and its scripts are fixed after the rename.
        _check([sys.executable, "-m", "venv", "--without-pip", str(tmp)])
        _check([sys.executable, "-m", "pip", "--python", str(tmp / "bin" / "python"), "install",
                "--quiet", "--disable-pip-version-check", "--no-input", *want["requirements"]])
        _relocate(tmp, target)
        (tmp / MARKER).write_text(json.dumps(want))
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _relocate(tmp: Path, target: Path) -> None:
    """Point the venv's scripts and config at ``target``, where it will live."""
    old, new = str(tmp), str(target)
    for f in [*(tmp / "bin").iterdir(), tmp / "pyvenv.cfg"]:
        if f.is_symlink() or not f.is_file():
            continue
        try:
            text = f.read_text()
        except UnicodeDecodeError:
            continue
        if old in text:
            f.write_text(text.replace(old, new))


def _check(argv: list[str]) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise VenvBuildError(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


if __name__ == "__main__":  # build every client venv ahead of a test run
    for v in sys.argv[1:] or REQUIREMENTS:
        print(client_venv(v).path)
