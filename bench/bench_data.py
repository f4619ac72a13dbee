"""Benchmark ``ft-migrate data convert`` against raw orjson and raw tiktoken, in the same run.

Prints figures, asserts nothing (machines differ):

* convert throughput: the real command, ``ft-migrate data convert IN -o OUT
  --rejects R`` (read, check, write, and the token-exact summary of OUT with
  the cost table), run in a child process and timed from the outside
  (interpreter start-up and the BPE load included), vs the same lines parsed
  and dumped by orjson alone (target >= 50%);
* peak RSS of that child (``ru_maxrss`` of ``RUSAGE_CHILDREN``: the largest
  single process, target <= 200 MB), and the peak memory of its whole process
  tree (it counts tokens in worker processes on large files): the summed PSS
  (pages shared after fork counted once), sampled from ``/proc`` every 50 ms;
* the all-cores tokenizer ceiling, measured in the same run on the same file:
  one process per core, each parsing its share of the lines with orjson and
  counting the tokens of every prompt and completion with ``encode_ordinary``
  (what a token-exact convert cannot go faster than), and convert's throughput
  as a share of it (target >= 85%);
* token counting on the first ``--token-mb`` MB: :class:`TokenCounter` vs
  tiktoken's ``encode_ordinary_batch`` on the same texts in the same batches,
  and vs a plain single-thread ``encode_ordinary`` loop, for scale.

It ends with one line per target: ``target <name>: <figure> (goal <goal>): met|missed``.
On a shared machine the figures are noisy: compare the ratios, measured side by side.

Usage: ``python bench/bench_data.py [--quick] [--size-mb 1024] [--token-mb 64]``;
``--quick`` is a 64 MB file and 16 MB of token counting (a few minutes on 2 cores).
The generated file lives in a temporary directory that is removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time

import orjson

WORDS = ("the order arrived late and the box was damaged please send a replacement refund invoice "
         "account password reset shipping address delivery warranty screen battery charger cable").split()
CLI = "from migrator.cli import main; main()"


def generate(path: str, size_mb: int) -> int:
    rnd = random.Random(42)
    target = size_mb * 1024 * 1024
    written = n = 0
    with open(path, "wb", buffering=1 << 20) as f:
        while written < target:
            prompt = " ".join(rnd.choices(WORDS, k=rnd.randint(20, 120))) + "\n\n###\n\n"
            completion = " " + " ".join(rnd.choices(WORDS, k=rnd.randint(10, 80))) + "\n"
            line = orjson.dumps({"prompt": prompt, "completion": completion}) + b"\n"
            f.write(line)
            written += len(line)
            n += 1
    return n


def baseline(path: str, out: str) -> float:
    start = time.perf_counter()
    loads, dumps = orjson.loads, orjson.dumps
    with open(path, "rb") as f, open(out, "wb", buffering=1 << 20) as o:
        for raw in f:
            o.write(dumps(loads(raw)) + b"\n")
    return time.perf_counter() - start


def tree_pss_mb(pid: int) -> float:
    """Summed proportional set size (shared pages split between sharers) of ``pid`` and its descendants."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                total += next((int(line.split()[1]) for line in f if line.startswith("Pss:")), 0)
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            continue
    return total / 1024


def convert(path: str, out: str, rejects: str) -> tuple[float, dict, float, float]:
    """Seconds, the JSON summary, the child's peak RSS and its tree's peak summed PSS, in MB."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as stdout:
        child = subprocess.Popen([sys.executable, "-c", CLI, "data", "convert", path, "-o", out,
                                  "--rejects", rejects, "--format", "json"], stdout=stdout, stderr=subprocess.DEVNULL)
        tree = 0.0
        while child.poll() is None:
            tree = max(tree, tree_pss_mb(child.pid))
            time.sleep(0.05)
        seconds = time.perf_counter() - start
        if child.returncode not in (0, 1):  # 1: lines were rejected
            raise SystemExit(f"convert failed with exit code {child.returncode}")
        stdout.seek(0)
        summary = orjson.loads(stdout.read())
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux reports KB
    return seconds, summary, rss, tree


def tokens(path: str, token_mb: int) -> dict[str, float]:
    from migrator.catalog import load_catalog
    from migrator.data.tokens import BATCH_CHARS, TokenCounter, encoding

    pairs, size = [], 0
    with open(path, "rb") as f:
        for raw in f:
            row = orjson.loads(raw)
            pairs.append((row["prompt"], row["completion"]))
            size += len(raw)
            if size >= token_mb * 1024 * 1024:
                break
    # the batches TokenCounter makes: a batch ends once it holds BATCH_CHARS characters
    batches, batch, chars = [], [], 0
    for prompt, completion in pairs:
        batch += (prompt, completion)
        chars += len(prompt) + len(completion)
        if chars >= BATCH_CHARS:
            batches.append(batch)
            batch, chars = [], 0
    batches.append(batch)
    enc = encoding()
    times = {}
    start = time.perf_counter()
    raw_total = sum(len(t) for b in batches for t in enc.encode_ordinary_batch(b))
    times["encode_ordinary_batch"] = time.perf_counter() - start
    start = time.perf_counter()
    loop_total = sum(len(enc.encode_ordinary(t)) for b in batches for t in b)
    times["encode_ordinary loop"] = time.perf_counter() - start
    totals = []
    counter = TokenCounter(load_catalog().data, lambda tags, ns: totals.extend(ns))
    start = time.perf_counter()
    for i, (prompt, completion) in enumerate(pairs):
        counter.add_completion(i, prompt, completion)
    counter.flush()
    times["TokenCounter"] = time.perf_counter() - start
    assert sum(totals) == raw_total == loop_total
    times["tokens"] = raw_total
    times["mb"] = size / 1024 / 1024
    return times


def _chunks(path: str, n: int) -> list[tuple[int, int]]:
    """``n`` (offset, length) byte ranges of ``path`` that end at line ends."""
    size = os.path.getsize(path)
    bounds = [0]
    with open(path, "rb") as f:
        for i in range(1, n):
            f.seek(max(bounds[-1], size * i // n))
            f.readline()
            bounds.append(min(f.tell(), size))
    bounds.append(size)
    return [(a, b - a) for a, b in zip(bounds, bounds[1:]) if b > a]


def _count_range(path: str, offset: int, length: int) -> int:
    from migrator.data.tokens import encoding

    encode = encoding().encode_ordinary
    total = 0
    with open(path, "rb") as f:
        f.seek(offset)
        for raw in f.read(length).splitlines():
            row = orjson.loads(raw)
            total += len(encode(row["prompt"])) + len(encode(row["completion"]))
    return total


def ceiling(path: str, cores: int) -> tuple[float, int]:
    """Seconds for ``cores`` processes to parse and count every prompt's and completion's tokens."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from migrator.data.tokens import encoding

    encoding()  # loaded once, shared with the forked workers
    ranges = _chunks(path, cores * 8)
    start = time.perf_counter()
    with ProcessPoolExecutor(cores, mp_context=multiprocessing.get_context("fork")) as pool:
        total = sum(pool.map(_count_range, [path] * len(ranges), *zip(*ranges)))
    return time.perf_counter() - start, total


def target(name: str, figure: str, goal: str, met: bool) -> str:
    return f"target {name}: {figure} (goal {goal}): {'met' if met else 'missed'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="64 MB file, 16 MB of token counting")
    parser.add_argument("--size-mb", type=int, default=None)
    parser.add_argument("--token-mb", type=int, default=None)
    args = parser.parse_args()
    args.size_mb = args.size_mb or (64 if args.quick else 1024)
    args.token_mb = args.token_mb or (16 if args.quick else 64)
    with tempfile.TemporaryDirectory(prefix="ft-migrate-bench-") as tmp:
        path, out = os.path.join(tmp, "train.jsonl"), os.path.join(tmp, "out.jsonl")
        n = generate(path, args.size_mb)
        mb = os.path.getsize(path) / 1024 / 1024
        print(f"file: {mb:,.0f} MB, {n:,} prompt/completion examples")
        base = baseline(path, out)
        print(f"orjson parse+dump: {base:.1f} s ({mb / base:,.0f} MB/s)")
        seconds, summary, rss, tree = convert(path, out, os.path.join(tmp, "rejects.jsonl"))
        counts = summary["input"]
        print(f"ft-migrate data convert (whole command, incl. token-exact summary of OUT): {seconds:.1f} s "
              f"({mb / seconds:,.1f} MB/s), {counts['written']:,} written, {counts['rejected_count']:,} rejected; "
              f"{base / seconds:.1%} of orjson")
        print(f"  OUT: {summary['tokens']['total']:,} tokens; peak RSS {rss:,.0f} MB; "
              f"whole process tree incl. token workers (summed PSS): {tree:,.0f} MB")
        cores = os.cpu_count() or 1
        ceil_s, ceil_tokens = ceiling(path, cores)
        ratio = ceil_s / seconds
        print(f"tokenizer ceiling, all {cores} cores (parse + encode_ordinary of every prompt and completion, "
              f"{ceil_tokens:,} tokens): {ceil_s:.1f} s ({mb / ceil_s:,.1f} MB/s, {base / ceil_s:.1%} of orjson); "
              f"convert runs at {ratio:.1%} of it")
        t = tokens(path, args.token_mb)
        print(f"tokens on the first {t['mb']:,.0f} MB ({t['tokens']:,} tokens), same texts, same batches: "
              f"encode_ordinary_batch {t['encode_ordinary_batch']:.2f} s, TokenCounter {t['TokenCounter']:.2f} s: "
              f"{t['encode_ordinary_batch'] / t['TokenCounter']:.0%} of raw tiktoken's batch speed; "
              f"plain encode_ordinary loop {t['encode_ordinary loop']:.2f} s: "
              f"{t['encode_ordinary loop'] / t['TokenCounter']:.0%} of its speed")
        loop_mbs = t["mb"] / t["encode_ordinary loop"]
        print(f"for scale: one core of raw tiktoken reads this data at {loop_mbs:,.1f} MB/s, "
              f"{loop_mbs / (mb / base):.1%} of orjson")
        print(target("convert_vs_tokenizer_ceiling", f"{ratio:.1%}", ">= 85%", ratio >= 0.85))
        print(target("convert_peak_rss", f"{rss:,.0f} MB", "<= 200 MB", rss <= 200))


if __name__ == "__main__":
    main()
