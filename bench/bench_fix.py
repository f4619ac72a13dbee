"""Benchmark: `ft-migrate fix --diff` against `ft-migrate scan` and against parsing everything.

Builds a >= 1M-line tree of real Python (see tree.py) with ~200 planted legacy
sites, then times, in the same run and on the same warm page cache (best of N):
- `ft-migrate scan --format json --no-cache` (the baseline: walk, prefilter, parse
  candidates; without the cache, which would spare it the work);
- `ft-migrate fix --diff` (walk, prefilter, parse candidates once, chain every
  codemod, diff);
- the same `fix --diff` by the project at ``--baseline`` (a git ref, default the
  last commit before the scan ran on ``ast``); target: no slower than it, and
  the same diff;
- parsing every .py file of the tree with LibCST in one process (what fix would
  cost without the byte prefilter; single-process, so compare it with --jobs 1).
It also checks that every planted fixable site shows up in the diff, and ends with
one line per target.

    .venv/bin/python bench/bench_fix.py [--lines 1000000] [--sites 200] [--runs 3] [--jobs N] [--baseline REF]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tree import best_of, build_tree, checkout, compile_bytecode, target  # noqa: E402

from bench_scan import BASELINE  # noqa: E402

PARSE_ALL = """
import sys, pathlib, libcst
n = 0
for p in pathlib.Path(sys.argv[1]).rglob("*.py"):
    try:
        libcst.parse_module(p.read_bytes())
        n += 1
    except Exception:
        pass
print(n)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--sites", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=None, help="passed to scan and fix as --jobs")
    ap.add_argument("--skip-parse-all", action="store_true", help="skip the slow parse-everything baseline")
    ap.add_argument("--baseline", default=BASELINE, help="git ref of the project to compare with")
    args = ap.parse_args()

    exe = [sys.executable, "-m", "migrator"]
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    work = Path(tempfile.mkdtemp(prefix="ft-migrate-bench-fix-"))
    try:
        root = work / "tree"
        files, lines, planted = build_tree(root, lines=args.lines, sites=args.sites)
        compile_bytecode()
        print(f"tree: {files} files, {lines} lines, {len(planted)} planted sites")
        t_scan, _ = best_of(args.runs, [*exe, "scan", "--format", "json", "--no-cache", *jobs, "tree"], work)
        t_fix, proc = best_of(args.runs, [*exe, "fix", "--diff", *jobs, "tree"], work)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"fix failed ({proc.returncode}): {proc.stderr[-2000:]}")
        diffed = {line[6:] for line in proc.stdout.splitlines() if line.startswith("+++ b/")}
        planted_files = {f"tree/{path}" for path, _, rule in planted if rule != "FT001"}
        missing = sorted(planted_files - diffed)
        env = checkout(args.baseline, work / "baseline")
        t_base, base = best_of(args.runs, [*exe, "fix", "--diff", *jobs, "tree"], work, env)
        print(f"scan --format json : {t_scan:8.2f} s")
        print(f"fix --diff         : {t_fix:8.2f} s   ratio fix/scan = {t_fix / t_scan:.2f}x")
        print(f"fix --diff at {args.baseline}: {t_base:8.2f} s")
        print(f"files in the diff  : {len(diffed)}; planted files missing from it: {len(missing)}")
        print(f"summary            : {proc.stderr.strip().splitlines()[-1]}")
        if not args.skip_parse_all:
            t_parse, parsed = best_of(1, [sys.executable, "-c", PARSE_ALL, "tree"], work)
            t_fix1, _ = best_of(1, [*exe, "fix", "--diff", "--jobs", "1", "tree"], work)
            print(f"parse all (1 proc) : {t_parse:8.2f} s   ({parsed.stdout.strip()} files parsed)")
            print(f"fix --diff --jobs 1: {t_fix1:8.2f} s   prefilter saves {t_parse / t_fix1:.1f}x")
        print(target(f"fix --diff against {args.baseline}", f"{t_fix / t_base:.2f}x ({t_fix:.2f} s vs {t_base:.2f} s)",
                     "<= 1.0x", t_fix <= t_base))
        print(target("planted files in the diff", f"{len(planted_files) - len(missing)} of {len(planted_files)}",
                     "all", not missing))
        same = proc.stdout == base.stdout
        print(target(f"diff as at {args.baseline}", "identical" if same else "different", "identical", same))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
