"""Python (torclass.flows_table and friends) beside the CLI and nfstream on the same captures.

    .venv/bin/python benches/python_vs_cli.py CAPTURE [CAPTURE2] [--nfstream PYTHON] [--runs N]

Each measurement runs in its own process (so peak RSS is its own) with the capture in the
page cache; the best of N runs is reported. The clock starts after `import torclass, pandas`
(an analyst's session has them loaded; importing pandas takes 0.3-1 s here, which is not
`flows_dataframe`'s to count), and "above start" is the peak RSS less the RSS at that point. CAPTURE2 (a second capture of the same size)
gives the two-threads-on-two-files figure. The numbers go to BENCHMARKS.md by hand; nothing
asserts them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLI = REPO / "target" / "release" / "torclass"

PY = {
    "flows_table": "t = torclass.flows_table(paths, threads=threads); n = t.num_rows; size = t.nbytes",
    "flows_dataframe": "d = torclass.flows_dataframe(paths, threads=threads); n = len(d); size = int(d.memory_usage(deep=True).sum())",
    "read_pcap": "n = sum(1 for p in paths for _ in torclass.read_pcap(p)); size = 0",
}

RUNNER = """
import json, resource, sys, time
import pandas, torclass
paths, threads = json.loads(sys.argv[1]), int(sys.argv[2])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
start, cpu = time.perf_counter(), time.process_time()
{code}
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({{"seconds": seconds, "cpu": cpu, "rows": n, "bytes": size, "rss": rss, "base": base}}))
"""

NFSTREAM = """
import json, resource, sys, time
import nfstream
start = time.perf_counter()
n = 0
for p in json.loads(sys.argv[1]):
    n += len(nfstream.NFStreamer(source=p, n_dissections=20, statistical_analysis=False, n_meters=1).to_pandas())
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rows": n, "bytes": 0,
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def run(argv: list[str], runs: int) -> dict[str, float]:
    best: dict[str, float] | None = None
    for _ in range(runs):
        out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
        got = json.loads(out.strip().splitlines()[-1])
        if best is None or got["seconds"] < best["seconds"]:
            best = got
    assert best is not None
    return best


def cli(paths: list[str], fmt: list[str], runs: int) -> dict[str, float]:
    code = f"""
import json, resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run({[str(CLI), "classify", "--no-progress", *fmt, *paths]!r}, check=True, stdout=subprocess.DEVNULL)
seconds = time.perf_counter() - start
print(json.dumps({{"seconds": seconds, "rows": 0, "bytes": 0,
                  "rss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}}))
"""
    return run([sys.executable, "-c", code], runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("captures", nargs="+")
    parser.add_argument("--nfstream", help="a Python with nfstream installed")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    first = args.captures[:1]
    for p in args.captures:
        subprocess.run(["cat", p], check=True, stdout=subprocess.DEVNULL)  # warm the page cache
    rows = []
    rows.append(("CLI jsonl", cli(first, ["--format", "jsonl"], args.runs)))
    rows.append(("CLI parquet", cli(first, ["--format", "parquet", "-o", "/tmp/torclass-bench.parquet"], args.runs)))
    for name, code in PY.items():
        rows.append((name, run([sys.executable, "-c", RUNNER.format(code=code), json.dumps(first), "1"], args.runs)))
    if args.nfstream:
        rows.append(("nfstream", run([args.nfstream, "-c", NFSTREAM, json.dumps(first)], args.runs)))
    if len(args.captures) > 1:
        two = args.captures[:2]
        for threads in (1, 2):
            code = RUNNER.format(code=PY["flows_table"])
            rows.append((f"flows_table 2 files, {threads} thread(s)",
                         run([sys.executable, "-c", code, json.dumps(two), str(threads)], args.runs)))
    print(f"{'what':34} {'seconds':>8} {'CPU s':>6} {'rows':>9} {'table MB':>9} {'peak RSS MB':>12} {'above start':>12}")
    for name, r in rows:
        above = f"{(r['rss'] - r['base']) / 1e6:12.1f}" if "base" in r else f"{'':12}"
        cpu = f"{r['cpu']:6.2f}" if "cpu" in r else f"{'':6}"
        print(f"{name:34} {r['seconds']:8.2f} {cpu} {int(r['rows']):9,} {r['bytes'] / 1e6:9.1f} {r['rss'] / 1e6:12.1f} {above}")


if __name__ == "__main__":
    main()
