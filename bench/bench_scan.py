"""Benchmark: `ft-migrate scan` against ripgrep with the scan's own prefilter pattern.

Builds a >= 1M-line tree of real Python (see tree.py) with ~200 planted legacy
sites, then times, in the same run and on the same warm page cache:
- ripgrep searching the tree for the prefilter pattern (the floor: it only matches
  bytes, it understands nothing), and
- `ft-migrate scan --format json` (walk, prefilter, LibCST parse of candidates),
each best of N runs, and prints the ratio and whether every planted site was found.

    .venv/bin/python bench/bench_scan.py [--lines 1000000] [--sites 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tree import best_of, build_tree  # noqa: E402

from migrator.catalog import load_catalog  # noqa: E402
from migrator.scan.prefilter import pattern_for_rg  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--sites", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=None, help="passed to ft-migrate scan --jobs")
    args = ap.parse_args()
    rg = shutil.which("rg")
    if rg is None:
        sys.exit("ripgrep (rg) is not installed: apt-get install ripgrep")
    with tempfile.TemporaryDirectory(prefix="ft-migrate-bench-") as tmp:
        root = Path(tmp) / "tree"
        files, lines, planted = build_tree(root, lines=args.lines, sites=args.sites)
        print(f"tree: {files} files, {lines} lines, {len(planted)} planted sites")
        pattern = pattern_for_rg(load_catalog())
        rg_time, rg_proc = best_of(args.runs, [rg, "--no-messages", "-l", "-e", pattern, "."], root)
        rg_files = len(rg_proc.stdout.splitlines())
        scan = [sys.executable, "-m", "migrator", "scan", ".", "--format", "json", "-o", str(Path(tmp) / "o.json")]
        if args.jobs:
            scan += ["--jobs", str(args.jobs)]
        # One warm-up run so both measurements see a warm page cache.
        subprocess.run(scan, cwd=root, capture_output=True, check=False)
        scan_time, proc = best_of(args.runs, scan, root)
        if proc.returncode not in (0, 1):
            sys.exit(f"scan failed ({proc.returncode}): {proc.stderr}")
        doc = json.loads((Path(tmp) / "o.json").read_text())
        found = {(f["path"], f["line"], f["rule"]) for f in doc["findings"]}
        missed = [p for p in planted if p not in found]
        extra = len(doc["findings"]) - (len(planted) - len(missed))
        print(f"ripgrep (prefilter pattern): {rg_time:.3f} s, {rg_files} files match")
        print(f"ft-migrate scan:             {scan_time:.3f} s, {doc['summary']['files_scanned']} files read, "
              f"{len(doc['findings'])} findings, {len(doc['errors'])} files with errors, jobs={args.jobs or os.cpu_count()}")
        print(f"ratio scan / ripgrep:        {scan_time / rg_time:.2f}x (target <= 2x)")
        print(f"planted sites found:         {len(planted) - len(missed)}/{len(planted)}"
              + (f"; missed: {missed[:5]}" if missed else ""))
        print(f"other findings (in the real code, or a planted call's model argument): {extra}")


if __name__ == "__main__":
    main()
