"""Which scanner reads which file, decided by name alone (cheap, before any read)."""

from __future__ import annotations

import fnmatch
import os
import re

# Ordered: the first match wins.  Values are scanner kinds understood by runner.SCANNERS.
_BY_NAME: tuple[tuple[str, str], ...] = (
    ("setup.py", "setup-py"),
    ("pyproject.toml", "pyproject"),
    ("setup.cfg", "setup-cfg"),
    ("Pipfile", "pipfile"),
    ("requirements*.txt", "requirements"),
    ("requirements*.in", "requirements"),
    ("constraints*.txt", "requirements"),
    ("*.requirements.txt", "requirements"),
    ("Makefile", "makefile"),
    ("GNUmakefile", "makefile"),
    ("makefile", "makefile"),
    ("*.mk", "makefile"),
    ("Dockerfile", "dockerfile"),
    ("Dockerfile.*", "dockerfile"),
    ("*.dockerfile", "dockerfile"),
    (".env", "env"),
    (".env.*", "env"),
    ("*.env", "env"),
)

_BY_SUFFIX: dict[str, str] = {
    ".py": "python", ".pyw": "python", ".pyi": "python",
    ".ipynb": "notebook",
    ".sh": "shell", ".bash": "shell", ".zsh": "shell", ".ksh": "shell",
    ".md": "markdown", ".markdown": "markdown", ".mdx": "markdown", ".rst": "markdown",
    ".yml": "yaml", ".yaml": "yaml",
    ".toml": "toml", ".json": "json", ".ini": "ini", ".cfg": "ini", ".conf": "ini",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "javascript", ".tsx": "javascript", ".mts": "javascript", ".cts": "javascript",
    ".ps1": "powershell", ".psm1": "powershell",
    ".bat": "batch", ".cmd": "batch",
    # Read line by line (migrator.scan.otherlines): endpoint URLs and model-valued keys.
    ".rb": "source-lines", ".php": "source-lines", ".go": "source-lines", ".java": "source-lines",
    ".kt": "source-lines", ".kts": "source-lines", ".cs": "source-lines", ".rs": "source-lines",
    ".swift": "source-lines", ".scala": "source-lines",
}

SHELL_SHEBANG = (b"#!/bin/sh", b"#!/bin/bash", b"#!/usr/bin/env bash", b"#!/usr/bin/env sh",
                 b"#!/bin/zsh", b"#!/usr/bin/env zsh")
PYTHON_SHEBANG = (b"#!/usr/bin/env python", b"#!/usr/bin/python")


# The name patterns as one regex, tried in order: the first alternative that matches wins.
_NAME_RX = re.compile("|".join(f"({fnmatch.translate(pattern)})" for pattern, _ in _BY_NAME))


def kind_of(path: str) -> str | None:
    """The scanner kind for ``path`` from its name, or None (decided later by shebang)."""
    name = os.path.basename(path)
    m = _NAME_RX.match(name)
    if m is not None:
        return _BY_NAME[m.lastindex - 1][1]
    return _BY_SUFFIX.get(os.path.splitext(name)[1].lower())


def kind_from_shebang(head: bytes) -> str | None:
    """Extension-less scripts: a shell or Python shebang decides."""
    if head.startswith(SHELL_SHEBANG):
        return "shell"
    if head.startswith(PYTHON_SHEBANG):
        return "python"
    return None
