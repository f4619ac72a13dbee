"""Benchmark: `ft-migrate scan` against ripgrep with the scan's own prefilter pattern.

Builds a >= 1M-line tree of real Python (see tree.py) with ~200 planted legacy
sites, then times, in the same run and on the same warm page cache, each best of N:
- ripgrep searching the tree for the prefilter pattern (the floor: it only matches
  bytes, it understands nothing);
- `ft-migrate scan --format json --no-cache`: a first scan (walk, read, prefilter,
  LibCST parse of the candidates);
- `ft-migrate scan --format json` with a cache filled by one earlier run: a re-scan
  of an unchanged tree (CI on every push, a pre-commit hook);
- the same after 1% of the files were rewritten (same bytes, new mtime and ctime):
  a re-scan after a typical change;
and prints the ratios, whether every planted site was found, and whether the three
scans reported exactly the same findings.

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
        out = Path(tmp) / "o.json"
        scan = [sys.executable, "-m", "migrator", "scan", ".", "--format", "json", "-o", str(out)]
        if args.jobs:
            scan += ["--jobs", str(args.jobs)]
        os.environ["FT_MIGRATE_CACHE_DIR"] = str(Path(tmp) / "cache")
        # One warm-up run: every measurement below sees a warm page cache, and the
        # cached runs a filled scan cache.
        subprocess.run(scan, cwd=root, capture_output=True, check=False)
        rows = {}
        rows["first scan (--no-cache)"] = measure(args.runs, scan + ["--no-cache"], root, out)
        rows["re-scan, nothing changed"] = measure(args.runs, scan, root, out)
        touched = sorted(root.rglob("*.py"))[::100]
        rows[f"re-scan, {len(touched)} files rewritten"] = measure(args.runs, scan, root, out, touched)
        print(f"ripgrep (prefilter pattern): {rg_time:.3f} s, {rg_files} files match")
        first = None
        for name, (seconds, doc) in rows.items():
            found = {(f["path"], f["line"], f["rule"]) for f in doc["findings"]}
            missed = [p for p in planted if p not in found]
            first = first or doc["findings"]
            print(f"ft-migrate scan, {name}: {seconds:.3f} s = {seconds / rg_time:.2f}x ripgrep (target <= 2x); "
                  f"{doc['summary']['files_scanned']} files, {len(doc['findings'])} findings, "
                  f"{len(doc['errors'])} errors; planted sites found {len(planted) - len(missed)}/{len(planted)}"
                  + (f", missed: {missed[:5]}" if missed else "")
                  + ("" if doc["findings"] == first else "; FINDINGS DIFFER from the first scan"))
        print(f"jobs={args.jobs or os.cpu_count()}; the other findings are in the real code or a planted "
              f"call's model argument")


def measure(runs: int, argv: list[str], root: Path, out: Path, touch: list[Path] = ()) -> tuple[float, dict]:
    """Best wall time of ``runs`` runs (each after rewriting ``touch``) and the JSON it wrote."""
    best = float("inf")
    for _ in range(runs):
        for path in touch:
            path.write_bytes(path.read_bytes())
        seconds, proc = best_of(1, argv, root)
        if proc.returncode not in (0, 1):
            sys.exit(f"scan failed ({proc.returncode}): {proc.stderr}")
        best = min(best, seconds)
    return best, json.loads(out.read_text())

if __name__ == "__main__":
    main()
