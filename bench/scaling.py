"""Scaling: `sluice run` on growing corpora, docs/min, peak RSS and CPU of each process.

Usage: python bench/scaling.py [--sizes 1000,4000,16000,64000] [--format folder|jsonl]
The corpus is the non-empty Reuters bodies (../shared/corpora/reuters-21578.jsonl.gz, 19,043)
in file order; a size beyond them repeats them, each repeat made distinct (and so processed,
not skipped as stored unchanged) by a line "Reference k-i." (bench/peers_corpus.py). Each size
runs once, in order, as a user would run it: a fresh store and output folder, Sluice's own
temporary Prefect server. /proc is read every 0.25 s for the peak RSS (VmHWM) and the CPU time
of every process of the run's tree: the job's process, the server, parse and NER workers. Cost
is linear when the marginal rate, (n2 - n1) / (t2 - t1) between two sizes, stays flat. Prints
the load average before and after each size; writes bench/results/scaling-<time>.json. Not a
test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers_stats as stats  # noqa: E402
from peers import environment, measured_code  # noqa: E402
from peers_corpus import REUTERS, corpus_texts, reuters_bodies, write_folder, write_jsonl  # noqa: E402
from peers_rss import TreeWatch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def run_size(n: int, bodies: list[str], fmt: str, tmp: Path, sets: list[str]) -> dict:
    texts = corpus_texts(n, bodies)
    source = (write_folder(texts, tmp / "folder") if fmt == "folder"
              else write_jsonl(texts, tmp / "corpus.jsonl"))
    del texts
    cmd = [str(ROOT / ".venv" / "bin" / "sluice"), "run", str(source),
           "--store", f"sqlite:///{tmp}/sluice.db", "--out", str(tmp / "out"),
           *(arg for kv in sets for arg in ("--set", kv))]
    load_before = os.getloadavg()[0]
    log = tmp / "output.log"
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=environment(), stdout=out,
                                stderr=subprocess.STDOUT)
        watch = TreeWatch(proc.pid)
        watch.start()
        rc = proc.wait()
        watch.stop()
    wall = time.perf_counter() - started
    text = log.read_text(errors="replace")
    row = {"docs": n, "sets": sets, "rc": rc, "wall_s": round(wall, 1),
           "load_before": round(load_before, 2),
           "load_after": round(os.getloadavg()[0], 2),
           "main_peak_mb": round(watch.peaks.get(proc.pid, {}).get("peak_mb", 0.0)),
           "tree_max_mb": round(watch.tree_max_mb),
           "processes": sorted(({"pid": pid, **p, "peak_mb": round(p["peak_mb"])}
                                for pid, p in watch.peaks.items()),
                               key=lambda p: -p["peak_mb"])}
    others = [p["peak_mb"] for p in row["processes"] if p["pid"] != proc.pid]
    row["largest_other_peak_mb"] = max(others, default=0)
    row["cpu_s"] = round(sum(p.get("cpu_s", 0.0) for p in row["processes"]), 1)
    try:
        row["summary"] = stats.parse_sluice_summary(text)
    except ValueError as exc:
        row.update(error=str(exc), tail=text[-2000:])
    return row


def table(rows: list[dict]) -> str:
    lines = ["| documents | wall (s) | docs/min (end to end) | docs/min (flow) | marginal docs/min "
             "| peak RSS, job process (MB) | largest other process (MB) | whole tree (MB) "
             "| CPU, whole tree (s) | load |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    done = [r for r in rows if r["rc"] == 0 and "summary" in r]  # a failed run is not a time
    rates = stats.marginal_rates([(r["docs"], r["wall_s"]) for r in done])
    marginals = dict(zip((id(r) for r in done), rates, strict=True))
    for r in rows:
        if id(r) not in marginals:
            lines.append(f"| {r['docs']:,} | failed after {r['wall_s']:.1f} s (rc {r['rc']}) "
                         f"| | | | | | | | {r['load_before']:.1f} -> {r['load_after']:.1f} |")
            continue
        s, rate = r["summary"], marginals[id(r)]
        flow = f"{s['processed'] / s['flow_wall_s'] * 60:,.0f}"
        marginal = f"{rate:,.0f}" if rate else ""
        lines.append(f"| {r['docs']:,} | {r['wall_s']:.1f} | {r['docs'] / r['wall_s'] * 60:,.0f} "
                     f"| {flow} | {marginal} | {r['main_peak_mb']} | {r['largest_other_peak_mb']} "
                     f"| {r['tree_max_mb']} | {r.get('cpu_s', '')} "
                     f"| {r['load_before']:.1f} -> {r['load_after']:.1f} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,4000,16000,64000")
    ap.add_argument("--format", choices=["folder", "jsonl"], default="folder")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="passed to `sluice run --set` (repeatable), e.g. ner.processes=2")
    args = ap.parse_args()
    if not REUTERS.exists():
        sys.exit(f"missing {REUTERS}: the benchmark needs ../shared")
    code = measured_code()
    print(f"Sluice measured: HEAD {code['head']}, uncommitted: {code['diff_stat']}, "
          f"ner.processes in config: {code['ner_processes_in_config']}")
    bodies = reuters_bodies()
    rows: list[dict] = []
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"scaling-{time.strftime('%Y%m%dT%H%M%S')}.json"
    for n in (int(s) for s in args.sizes.split(",")):
        tmp = Path(tempfile.mkdtemp(prefix=f"sluice-scaling-{n}-"))
        try:
            rows.append(run_size(n, bodies, args.format, tmp, args.set))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        r = rows[-1]
        print(f"{n:>7,} docs: {r['wall_s']:.1f} s rc={r['rc']}  peak RSS job {r['main_peak_mb']} "
              f"MB, other {r['largest_other_peak_mb']} MB, tree {r['tree_max_mb']} MB  CPU "
              f"{r['cpu_s']} s  load {r['load_before']:.2f} -> {r['load_after']:.2f}", flush=True)
        for p in sorted(r["processes"], key=lambda p: -p.get("cpu_s", 0.0)):
            print(f"    {p.get('cpu_s', 0.0):8.1f} s CPU {p['peak_mb']:6} MB  {p['command'][:90]}")
        # after every size: a run stopped early keeps what it measured
        path.write_text(json.dumps({"format": args.format, "sets": args.set, "sluice": code,
                                    "rows": rows},
                                   indent=1))
    print("\n" + table(rows))
    print(f"\nevery run: {path}")


if __name__ == "__main__":
    main()
