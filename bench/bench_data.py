"""Benchmark ``ft-migrate data`` against raw orjson and raw tiktoken, in the same run.

Prints figures, asserts nothing (machines differ):

* convert throughput: pass 1 + pass 2 of ``convert --to chat`` (read, check,
  rewrite) vs the same lines parsed and dumped by orjson alone (target >= 50%);
* token counting: :class:`TokenCounter` vs ``encode_ordinary_batch`` on the same
  texts (target >= 80%), on the first ``--token-mb`` MB of the file;
* peak RSS of a child process running ``convert`` (target <= 200 MB);
* with ``--end-to-end``: the whole ``convert_file`` including the token-exact
  summary of the output.

Usage: ``python bench/bench_data.py [--size-mb 1024] [--token-mb 64] [--end-to-end]``.
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


CHILD = """
import sys, time, resource
from migrator.catalog import load_catalog
from migrator.data.convert import _plan, _write
from migrator.data.source import Source
cat = load_catalog()
src = Source.from_path(sys.argv[1])
start = time.perf_counter()
build, info = _plan(src, cat, "chat", None)
rejects = []
with open(sys.argv[2], "wb", buffering=1 << 20) as out:
    counts = _write(src, cat, info["format"], build, out, rejects)
print(time.perf_counter() - start, counts["written"], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

END_TO_END = """
import sys, time, resource
from migrator.data.convert import convert_file
start = time.perf_counter()
summary = convert_file(sys.argv[1], sys.argv[2])
print(time.perf_counter() - start, summary["input"]["written"], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def child(script: str, path: str, out: str) -> tuple[float, int, float]:
    done = subprocess.run([sys.executable, "-c", script, path, out], capture_output=True, text=True, check=True)
    seconds, written, rss_kb = done.stdout.split()
    return float(seconds), int(written), int(rss_kb) / 1024


def tokens(path: str, token_mb: int) -> tuple[float, float, int]:
    from migrator.catalog import load_catalog
    from migrator.data.tokens import TokenCounter, encoding

    texts, pairs, size = [], [], 0
    with open(path, "rb") as f:
        for raw in f:
            row = orjson.loads(raw)
            pairs.append((row["prompt"], row["completion"]))
            texts += pairs[-1]
            size += len(raw)
            if size >= token_mb * 1024 * 1024:
                break
    enc = encoding()
    start = time.perf_counter()
    raw_total = sum(len(t) for t in enc.encode_ordinary_batch(texts))
    raw_s = time.perf_counter() - start
    totals = []
    counter = TokenCounter(load_catalog().data, lambda tag, n: totals.append(n))
    start = time.perf_counter()
    for i, (prompt, completion) in enumerate(pairs):
        counter.add_completion(i, prompt, completion)
    counter.flush()
    ours_s = time.perf_counter() - start
    assert sum(totals) == raw_total
    return raw_s, ours_s, raw_total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--token-mb", type=int, default=64)
    parser.add_argument("--end-to-end", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ft-migrate-bench-") as tmp:
        path, out = os.path.join(tmp, "train.jsonl"), os.path.join(tmp, "out.jsonl")
        n = generate(path, args.size_mb)
        mb = os.path.getsize(path) / 1024 / 1024
        print(f"file: {mb:,.0f} MB, {n:,} prompt/completion examples")
        base = baseline(path, out)
        print(f"orjson parse+dump: {base:.1f} s ({mb / base:,.0f} MB/s)")
        ours, written, rss = child(CHILD, path, out)
        print(f"convert --to chat (2 passes): {ours:.1f} s ({mb / ours:,.0f} MB/s), {written:,} written; "
              f"{base / ours:.0%} of orjson (target >= 50%); peak RSS {rss:,.0f} MB (target <= 200 MB)")
        raw_s, ours_s, total = tokens(path, args.token_mb)
        print(f"tokens on the first {args.token_mb} MB: {total:,} tokens; encode_ordinary_batch {raw_s:.1f} s, "
              f"TokenCounter {ours_s:.1f} s: {raw_s / ours_s:.0%} of raw tiktoken (target >= 80%)")
        if args.end_to_end:
            seconds, written, rss = child(END_TO_END, path, out)
            print(f"convert_file end to end (incl. exact-token summary of the output): {seconds:.1f} s "
                  f"({mb / seconds:,.1f} MB/s), peak RSS {rss:,.0f} MB")
        print(f"this process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
