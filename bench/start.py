"""Start-up: wall time of `sluice run` on one small document, before and after the fast start.

Usage: python bench/start.py [--runs 5] [--doc samples/txt/field_report_san_francisco.txt]
                             [--before 0b25941] [--only after]
"before" is the tree of git revision --before (the start-up as it was), unpacked with
`git archive` into a temp folder and run from there with the same interpreter; "after" is this
checkout. Runs alternate (before, after, before, ...) so that both see the same load. Each run
gets a fresh store and output folder, so the document is processed, not skipped; the Prefect home
is the one in use (warm: migrated by an earlier run). Prints, per version, the medians of:
  server   process start -> the "Starting temporary server" line
  flow     process start -> "Beginning flow run" (imports, server, models loaded early)
  body     "Beginning flow run" -> the flow run's "Finished in state Completed()"
  exit     that line -> the process exit (workers drained, server stopped)
  wall     the whole run;  cpu  user+system seconds of the run and its child processes
Not a timed test; prints the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BEFORE = "0b25941"  # the last commit before the fast start
MARKS = {
    "server": re.compile(r"Starting temporary server on"),
    "flow": re.compile(r"Flow run '[^']+' - Beginning flow run"),
    "done": re.compile(r"Flow run '[^']+' - Finished in state Completed\(\)"),
}


def unpack(revision: str, into: Path) -> Path:
    archive = into / "tree.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", revision], cwd=REPO, stdout=out, check=True)
    tree = into / "tree"
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    return tree


def one_run(tree: Path, doc: Path, scratch: Path) -> dict[str, float]:
    """Seconds from the process start to each mark, to the exit, and its CPU seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_URL")}
    env["SLUICE_OUTBOX"] = str(scratch / "outbox.db")
    args = [sys.executable, "-m", "flows.cli", "run", str(doc), "--store",
            f"sqlite:///{scratch}/store.db", "--out", str(scratch / "out")]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start, seen, tail = time.perf_counter(), {}, []
    with subprocess.Popen(args, cwd=tree, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, bufsize=1) as proc:  # fmt: skip
        assert proc.stdout is not None
        for line in proc.stdout:
            tail = [*tail[-40:], line]
            for mark, pattern in MARKS.items():
                if mark not in seen and pattern.search(line):
                    seen[mark] = time.perf_counter() - start
    seen["wall"] = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    seen["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0 or not (scratch / "out").is_dir() or "done" not in seen:
        sys.exit(f"sluice run failed ({proc.returncode}):\n{''.join(tail)}")
    return seen


def phases(seen: dict[str, float]) -> dict[str, float]:
    return {"server": seen.get("server", float("nan")), "flow": seen["flow"],
            "body": seen["done"] - seen["flow"], "exit": seen["wall"] - seen["done"],
            "wall": seen["wall"], "cpu": seen["cpu"]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--doc", default="samples/txt/field_report_san_francisco.txt")
    parser.add_argument("--before", default=BEFORE, help="git revision of the old start-up")
    parser.add_argument("--only", choices=["before", "after"])
    args = parser.parse_args()
    doc = (REPO / args.doc).resolve()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} "
          f"CPUs; {doc.name} ({doc.stat().st_size} bytes); {args.runs} runs each")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="sluice-start-") as tmp:
        trees = {"before": unpack(args.before, Path(tmp)), "after": REPO}
        labels = [args.only] if args.only else ["before", "after"]
        results: dict[str, list[dict[str, float]]] = {label: [] for label in labels}
        for run in range(args.runs):
            for label in labels:
                scratch = Path(tmp) / f"{label}-{run}"
                scratch.mkdir()
                results[label].append(phases(one_run(trees[label], doc, scratch)))
                row = " ".join(f"{k} {v:5.1f}" for k, v in results[label][-1].items())
                print(f"  run {run + 1} {label:>6}: {row}", flush=True)
    print("medians (s):")
    for label, rows in results.items():
        row = " ".join(f"{k} {statistics.median(r[k] for r in rows):5.1f}" for k in rows[0])
        print(f"  {label:>6}: {row}")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
