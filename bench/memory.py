"""Peak RSS of one worker process running the flow, on 2,000 and on 20,000 Reuters records.

Usage: python bench/memory.py [--small 2000] [--large 20000]
Each size runs in a fresh process (as a worker would), with the spaCy model, the SymSpell
dictionary and the embedder loaded; empty Reuters bodies end in the failure ledger.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REUTERS = ROOT.parent / "shared" / "corpora" / "reuters-21578.jsonl.gz"

CHILD = """
import resource, sys, time
import flows
from flows.pipeline import pipeline
from sluice.config import RunParams
work = sys.argv[1]
started = time.perf_counter()
state = pipeline(RunParams(source=work + "/corpus.jsonl", store=f"sqlite:///{work}/s.db",
                           out=work + "/out", overrides={"text_field": "body"}), return_state=True)
summary = state.result()
rss = int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) // 1024
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(f"RESULT {summary.totals.processed} {summary.totals.failed} {rss} {peak} "
      f"{time.perf_counter() - started:.1f}")
"""


def measure(n: int) -> tuple[int, int, int, int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        with gzip.open(REUTERS, "rt", encoding="utf-8") as src, \
                open(f"{tmp}/corpus.jsonl", "w", encoding="utf-8") as dst:
            for i, line in enumerate(src):
                if i == n:
                    break
                record = json.loads(line)
                record.setdefault("body", "")
                dst.write(json.dumps(record) + "\n")
        out = subprocess.run([sys.executable, "-c", CHILD, tmp], cwd=ROOT, text=True,
                             capture_output=True, check=True).stdout
    fields = next(line for line in out.splitlines() if line.startswith("RESULT")).split()[1:]
    processed, failed, rss, peak = (int(x) for x in fields[:4])
    return processed, failed, rss, peak, float(fields[4])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=2000)
    ap.add_argument("--large", type=int, default=20000)
    args = ap.parse_args()
    rows = {n: measure(n) for n in (args.small, args.large)}
    print("| records | processed | failed (empty bodies) | RSS at end (MB) | peak RSS (MB) "
          "| wall (s) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n, (processed, failed, rss, peak, wall) in rows.items():
        print(f"| {n:,} | {processed:,} | {failed:,} | {rss:,} | {peak:,} | {wall:.0f} |")
    small, large = rows[args.small][3], rows[args.large][3]
    print(f"\npeak RSS growth {args.small:,} -> {args.large:,} records: {large / small - 1:+.1%}")


if __name__ == "__main__":
    main()
