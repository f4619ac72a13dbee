"""``fix`` killed with SIGKILL at random moments: no torn file, no temporary file left, a re-run finishes."""

from __future__ import annotations

import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

MODULES = 500
KILLS = 20

MODULE = (
    "import openai\n"
    "\n"
    "job = openai.FineTune.create(training_file=\"file-{n}\", model=\"curie\", n_epochs={e})\n"
)


def generate(root: Path) -> dict[Path, bytes]:
    files = {}
    for n in range(MODULES):
        path = root / f"pkg{n % 10}" / f"mod_{n}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        data = MODULE.format(n=n, e=1 + n % 4).encode()
        path.write_bytes(data)
        files[path.relative_to(root)] = data
    return files


def fix(root: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "migrator", "fix", "-j", "2", "."], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def temps(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if ".ft-migrate-" in p.name]


def test_sigkill_at_random_moments_tears_nothing_and_a_rerun_finishes(tmp_path):
    rng = random.Random(20240104)
    original = generate(tmp_path / "original")
    done = tmp_path / "done"
    shutil.copytree(tmp_path / "original", done)
    started = time.monotonic()
    full = fix(done)
    full.communicate(timeout=600)
    full_seconds = time.monotonic() - started
    assert full.returncode == 1
    fixed = {rel: (done / rel).read_bytes() for rel in original}
    assert all(fixed[rel] != original[rel] for rel in original)

    tree = tmp_path / "tree"
    shutil.copytree(tmp_path / "original", tree)
    kills = checked = torn = stranded = finished = mid_write = 0
    attempts = 0
    while kills < KILLS and attempts < 2 * KILLS:
        attempts += 1
        before = sum((tree / rel).read_bytes() == fixed[rel] for rel in original)
        proc = fix(tree)
        # every other kill aims at the end of the run, where the files are written
        low, high = (0.05, 0.9) if attempts % 2 else (0.6, 0.95)
        time.sleep(rng.uniform(low * full_seconds, high * full_seconds))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.communicate(timeout=60)
        now_fixed = 0
        for rel in original:
            checked += 1
            data = (tree / rel).read_bytes()
            torn += data not in (original[rel], fixed[rel])
            now_fixed += data == fixed[rel]
        mid_write += before < now_fixed < len(original)
        stranded += len(temps(tree))
        if proc.returncode != -signal.SIGKILL:  # ran to the end: start again from the legacy code
            finished += 1
            shutil.rmtree(tree)
            shutil.copytree(tmp_path / "original", tree)

    # what a re-run must report and leave alone
    outside = tmp_path / "outside.py"
    outside.write_bytes(original[Path("pkg0/mod_0.py")])
    os.symlink(outside, tree / "pkg0" / "link_out.py")
    os.symlink("loop_b.py", tree / "pkg0" / "loop_a.py")
    os.symlink("loop_a.py", tree / "pkg0" / "loop_b.py")
    read_only = tree / "pkg1" / "mod_1.py"
    read_only.write_bytes(original[Path("pkg1/mod_1.py")])
    os.chmod(read_only, 0o444)
    rerun = fix(tree)
    _, err = rerun.communicate(timeout=600)
    print(f"\nfix SIGKILL: {MODULES} modules, {kills} kills ({mid_write} during the write phase, {finished} runs "
          f"finished first), {checked} files "
          f"checked, {torn} torn, {stranded} temporary files seen after kills, {len(temps(tree))} left after "
          f"the re-run; a full run takes {full_seconds:.1f} s")
    assert kills == KILLS and torn == 0
    assert rerun.returncode == 1
    assert temps(tree) == []
    lines = err.decode().splitlines()
    assert "pkg0/loop_a.py: symlink loop; left alone" in lines
    assert "pkg0/loop_b.py: symlink loop; left alone" in lines
    assert f"pkg0/link_out.py: symlink to {outside}, outside the tree; left alone" in lines
    assert "pkg1/mod_1.py: is read-only (mode 0444); left alone" in lines
    assert outside.read_bytes() == original[Path("pkg0/mod_0.py")]
    assert read_only.read_bytes() == original[Path("pkg1/mod_1.py")]
    assert stat.S_IMODE(read_only.stat().st_mode) == 0o444
    for rel in original:
        if rel != Path("pkg1/mod_1.py"):
            assert (tree / rel).read_bytes() == fixed[rel], rel
