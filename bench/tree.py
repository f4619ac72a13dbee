"""Build a large, realistic Python tree with known legacy call sites planted in it.

The tree is made of real code (the standard library and the installed packages of
the running interpreter, copied as they are, warts included: Python 2 test data,
odd encodings, generated files), so the scan meets what it meets in a monorepo.
Legacy sites are appended to randomly chosen files as small functions, and each
planted site is returned as ``(path, line, rule)`` so a benchmark can check that
every one was found.  Shared by ``bench_scan.py`` and ``bench_fix.py``, with their timing helper.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

# One snippet per legacy pattern: (lines to append, {line offset within snippet: rule}).
SNIPPETS: tuple[tuple[str, dict[int, str]], ...] = (
    ('def _ft_create_{n}(path):\n'
     '    import openai\n'
     '    return openai.FineTune.create(training_file=path, model="curie", n_epochs=2)\n',
     {2: "FT010"}),
    ('def _ft_alias_{n}(job_id):\n'
     '    import openai as oa\n'
     '    return oa.FineTune.list_events(id=job_id)\n',
     {2: "FT010"}),
    ('def _ft_client_{n}():\n'
     '    from openai import OpenAI\n'
     '    client = OpenAI()\n'
     '    return client.fine_tunes.list()\n',
     {3: "FT011"}),
    ('def _ft_http_{n}(session, body):\n'
     '    return session.post("https://api.openai.com/v1/fine-tunes", json=body)\n',
     {1: "FT001"}),
    ('def _ft_model_{n}(prompt):\n'
     '    import openai\n'
     '    return openai.Completion.create(model="text-davinci-003", prompt=prompt)\n',
     {2: "FT020"}),
)


def best_of(runs: int, argv: list[str], cwd: Path, env: dict | None = None
            ) -> tuple[float, subprocess.CompletedProcess]:
    """The best wall time of ``runs`` runs of a command, and its last result."""
    best = float("inf")
    proc = None
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, env=env)
        best = min(best, time.perf_counter() - start)
    return best, proc


def checkout(ref: str, dest: Path) -> dict:
    """The project's source at git ``ref`` unpacked in ``dest``; returns the environment that
    runs it (``python -m migrator`` from there, its codemods importable as installed)."""
    repo = Path(__file__).resolve().parent.parent
    archive = subprocess.run(["git", "-C", str(repo), "archive", ref], capture_output=True, check=True).stdout
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    (dest / "ft_migrate_codemods").symlink_to("codemods")
    compile_bytecode(dest)
    return {**os.environ, "PYTHONPATH": str(dest)}


def compile_bytecode(root: Path | None = None) -> None:
    """Write the ``.pyc`` files of the project's code at ``root`` (default: this checkout), as
    ``pip install`` does.  Without them every run compiles the modules changed since
    their last ``.pyc`` (all of them in a fresh checkout, and always where
    ``PYTHONDONTWRITEBYTECODE`` is set): tens of milliseconds that a user's runs
    do not pay, and that would weigh on the short runs most."""
    root = root or Path(__file__).resolve().parent.parent
    packages = [str(root / name) for name in ("migrator", "codemods") if (root / name).is_dir()]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *packages], check=True, stdout=subprocess.DEVNULL)


def target(name: str, figure: str, goal: str, met: bool) -> str:
    """The last lines of every benchmark: one per target."""
    return f"target {name}: {figure} (goal {goal}): {'met' if met else 'missed'}"


def source_roots() -> list[Path]:
    """Where real code comes from: the stdlib, then this interpreter's site-packages."""
    paths = sysconfig.get_paths()
    return [Path(paths["stdlib"]), Path(paths["purelib"])]


def _real_files(roots: list[Path]):
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in ("site-packages", "__pycache__"))
            for name in sorted(filenames):
                if name.endswith(".py"):
                    path = Path(dirpath, name)
                    yield root, path


def build_tree(root: Path, lines: int = 1_000_000, sites: int = 200, seed: int = 2024
               ) -> tuple[int, int, list[tuple[str, int, str]]]:
    """Copy real files into ``root`` until ``lines`` lines, plant ``sites`` legacy sites.

    Returns (files, lines, planted) where planted is a list of (posix path relative to
    root, 1-based line, rule id).
    """
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    copied: list[Path] = []
    total = 0
    for n, (src_root, src) in enumerate(_real_files(source_roots())):
        if total >= lines:
            break
        try:
            data = src.read_bytes()
        except OSError:
            continue
        dest = root / f"part{n % 7}" / src.relative_to(src_root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
        copied.append(dest)
        total += data.count(b"\n")
    rng = random.Random(seed)
    # Only plant into files that are valid UTF-8 Python 3 (so "all found" is meaningful).
    plantable = [p for p in copied if _plantable(p)]
    targets = rng.sample(plantable, k=min(len(plantable), (sites + 1) // 2))
    planted: list[tuple[str, int, str]] = []
    for i in range(sites):
        path = targets[i % len(targets)]
        text, rules = SNIPPETS[i % len(SNIPPETS)]
        body = path.read_bytes()
        if not body.endswith(b"\n"):
            body += b"\n"
        start = body.count(b"\n") + 2  # one blank line, then the snippet
        path.write_bytes(body + b"\n" + text.format(n=i).encode())
        for offset, rule in rules.items():
            planted.append((path.relative_to(root).as_posix(), start + offset, rule))
        total += text.count("\n") + 1
    return len(copied), total, sorted(planted)


def _plantable(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8")
        compile(text, str(path), "exec", dont_inherit=True)
    except (UnicodeDecodeError, SyntaxError, ValueError):
        return False
    return "coding" not in text[:200] and len(text) < 200_000
