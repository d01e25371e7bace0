"""JSONL sink: the cost of one batch as the day's file grows, before (the writer that copied and
fsynced the whole file per batch, loaded from git) and after (append + fsync).

Usage: python bench/jsonl_sink.py [--sizes 1000,16000,64000,256000] [--batch 64] [--runs 5]
                                  [--before 0b25941] [--only after]
For each size, a fresh folder gets a day's file of that many Reuters lines (the first 2,000
bodies of ../shared/corpora/reuters-21578.jsonl.gz, repeated under new ids); then it times:
  first   the first batch of a process (it reads the folder's ids once),
  steady  later batches of the same process (median of --runs),
  shards  two writers (two copies of the module, as two processes would be) taking turns, so
          each first sees the other's lines (median of --runs).
--batch defaults to the pipeline's batch_size. Not a timed test; prints the load average.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from sluice.records import Document  # noqa: E402

REUTERS = REPO.parent / "shared" / "corpora" / "reuters-21578.jsonl.gz"
DAY = datetime(2024, 1, 31, 12, 0, tzinfo=UTC)
BEFORE = "0b25941"  # the last commit with the copy-the-whole-file writer


def load_writer(source: str, name: str) -> types.ModuleType:
    """A separate copy of the module: its own id cache and thread lock, like another process."""
    module = types.ModuleType(name)
    module.__file__ = f"<{name}>"
    sys.modules[name] = module  # dataclasses look their module up there
    exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102 - our own code
    return module


def bodies(n: int = 2000) -> list[str]:
    if not REUTERS.exists():
        sys.exit(f"the Reuters corpus is not at {REUTERS} (../shared absent)")
    found = []
    with gzip.open(REUTERS, "rt", encoding="utf-8") as fh:
        for row in fh:
            body = json.loads(row).get("body", "")
            if body.strip():
                found.append(body)
            if len(found) == n:
                break
    return found


def batch_of(texts: list[str], ids: count, size: int) -> list[Document]:
    return [
        Document(id=f"d{n}", source="reuters.jsonl", format="txt", text=texts[n % len(texts)])
        for n in (next(ids) for _ in range(size))
    ]


def prefill(folder: Path, lines: int, texts: list[str], writer: types.ModuleType) -> None:
    """A day's file of `lines` lines, written directly (as fast as the disk takes it)."""
    docs = batch_of(texts, count(10**9), lines)  # ids apart from the timed batches'
    with (folder / f"documents-{DAY:%Y-%m-%d}.jsonl").open("w", encoding="utf-8") as out:
        out.writelines(writer.line(doc, {}) + "\n" for doc in docs)
        out.flush()
        os.fsync(out.fileno())


def timed(write: Callable[[], int]) -> float:
    start = time.perf_counter()
    assert write() > 0
    return time.perf_counter() - start


def measure(source: str, lines: int, args: argparse.Namespace, texts: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="jsonl-bench-") as tmp:
        folder = Path(tmp)
        one, two = load_writer(source, "writer_one"), load_writer(source, "writer_two")
        prefill(folder, lines, texts, one)
        ids = count()

        def write(writer: types.ModuleType) -> Callable[[], int]:
            return lambda: writer.write_documents(folder, batch_of(texts, ids, args.batch), {},
                                                  now=DAY)  # fmt: skip

        first = timed(write(one))
        steady = [timed(write(one)) for _ in range(args.runs)]
        timed(write(two))  # two reads the folder once: its "first"
        shards = [timed(write(one if n % 2 else two)) for n in range(args.runs)]
    return {"first": first, "steady": statistics.median(steady),
            "shards": statistics.median(shards)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,16000,64000,256000")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", default=BEFORE, help="git revision of the old writer")
    parser.add_argument("--only", choices=["before", "after"])
    args = parser.parse_args()
    old = subprocess.run(["git", "show", f"{args.before}:sluice/io/jsonl.py"], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    new = (REPO / "sluice" / "io" / "jsonl.py").read_text(encoding="utf-8")
    texts = bodies()
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}; batch {args.batch} "
          f"docs; medians of {args.runs}; ms per batch")  # fmt: skip
    print(f"{'lines in file':>13} | {'version':>7} | {'first':>8} {'steady':>8} {'shards':>8}")
    for lines in (int(size) for size in args.sizes.split(",")):
        results = {}
        for label, source in (("before", old), ("after", new)):
            if args.only not in (None, label):
                continue
            os.sync()  # the last run's writes reach the disk now, not during this one
            results[label] = measure(source, lines, args, texts)
            row = " ".join(f"{results[label][key] * 1000:8.1f}" for key in results[label])
            print(f"{lines:>13,} | {label:>7} | {row}", flush=True)
        if len(results) == 2:
            ratio = results["before"]["steady"] / results["after"]["steady"]
            print(f"{'':>13} | {'ratio':>7} | steady batch {ratio:.0f}x faster after", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
