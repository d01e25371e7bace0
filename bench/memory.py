"""Peak RSS of one worker process running the flow, on 2,000 and on 20,000 Reuters records.

Usage: python bench/memory.py [--small 2000] [--large 20000] [--runs 3]
Each size runs in a fresh process (as a worker would), with the spaCy model, the SymSpell
dictionary and the embedder loaded; empty Reuters bodies end in the failure ledger. A run
measures both sizes at once, in two processes (memory, not time, is measured); the growth is
that of the RSS after the run, and of the peak RSS, medians over the runs.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REUTERS = ROOT.parent / "shared" / "corpora" / "reuters-21578.jsonl.gz"

CHILD = """
import os, resource, sys, time
import flows
import flows.pipeline as fp
from sluice.config import RunParams
work, checkpoint = sys.argv[1], int(sys.argv[2])
def rss(): return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) // 1024
def peak(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
trim, batches = fp.release_free_memory, []
def after_batch():  # the flow calls it at the end of every batch (of 200 records)
    trim()
    batches.append(1)
    if len(batches) * 200 == checkpoint:
        # not print(): the flow logs what it prints (log_prints), and stderr is not read here
        os.write(1, f"CHECKPOINT {rss()} {peak()}\\n".encode())
fp.release_free_memory = after_batch
started = time.perf_counter()
state = fp.pipeline(RunParams(source=work + "/corpus.jsonl", store=f"sqlite:///{work}/s.db",
                              out=work + "/out", overrides={"text_field": "body"}),
                    return_state=True)
summary = state.result()
print(f"RESULT {summary.totals.processed} {summary.totals.failed} {rss()} {peak()} "
      f"{time.perf_counter() - started:.1f}")
"""


def start(n: int, tmp: str, checkpoint: int = 0) -> subprocess.Popen[str]:
    with gzip.open(REUTERS, "rt", encoding="utf-8") as src, \
            open(f"{tmp}/corpus.jsonl", "w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i == n:
                break
            record = json.loads(line)
            record.setdefault("body", "")
            dst.write(json.dumps(record) + "\n")
    return subprocess.Popen([sys.executable, "-c", CHILD, tmp, str(checkpoint)], cwd=ROOT,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def result(proc: subprocess.Popen[str]) -> tuple[int, int, int, int, float, tuple[int, ...]]:
    out, _ = proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"the measured run failed ({proc.returncode})")
    lines = out.splitlines()
    fields = next(line for line in lines if line.startswith("RESULT")).split()[1:]
    marks = [line.split()[1:] for line in lines if line.startswith("CHECKPOINT")]
    checkpoint = tuple(int(x) for x in marks[0]) if marks else ()
    processed, failed, rss, peak = (int(x) for x in fields[:4])
    return processed, failed, rss, peak, float(fields[4]), checkpoint


def measure_pair(small: int, large: int) -> dict[int, tuple[int, int, int, int, float]]:
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        procs = {small: start(small, a), large: start(large, b, checkpoint=small)}
        return {n: result(proc) for n, proc in procs.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=2000)
    ap.add_argument("--large", type=int, default=20000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    runs = [measure_pair(args.small, args.large) for _ in range(args.runs)]
    print("| run | records | processed | failed (empty bodies) | RSS after (MB) | peak RSS (MB) "
          "| wall (s) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for number, rows in enumerate(runs, 1):
        for n, (processed, failed, rss, peak, wall, _) in rows.items():
            print(f"| {number} | {n:,} | {processed:,} | {failed:,} | {rss:,} | {peak:,} "
                  f"| {wall:.0f} |")
    for label, field in (("RSS after the run", 2), ("peak RSS", 3)):
        growth = [rows[args.large][field] / rows[args.small][field] - 1 for rows in runs]
        print(f"\n{label}, {args.small:,} -> {args.large:,} records: median "
              f"{statistics.median(growth):+.1%} (runs: {', '.join(f'{g:+.1%}' for g in growth)})")
    same = [rows[args.large][2] / rows[args.large][5][0] - 1 for rows in runs]
    print(f"\none worker, RSS after its first {args.small:,} records -> after {args.large:,}: "
          f"median {statistics.median(same):+.1%} (runs: "
          f"{', '.join(f'{rows[args.large][5][0]} -> {rows[args.large][2]} MB' for rows in runs)})")
    print(f"highest peak RSS: {max(rows[n][3] for rows in runs for n in rows):,} MB")


if __name__ == "__main__":
    main()
