"""Hostile-input benchmark: one `sluice run` over 1,046 malformed and hostile inputs of 42
kinds (made from ../shared) mixed with 100 good Reuters documents, inside a memory limit.

Usage: python bench/hostile.py [--quick] [--timeout 900] [--batch-size 50] [--keep]
                               [--skip-kind KIND] [--set KEY=VALUE] [size flags, see --help]
The job runs in a child process with RLIMIT_AS (--as-limit-mb, per process, inherited by every
process it starts) and a watchdog that kills its process group when the tree's RSS passes
--kill-rss-mb or the wall time passes --timeout. As root, the child drops CAP_DAC_OVERRIDE and
CAP_DAC_READ_SEARCH from its bounding set before exec, so mode-000 files and folders are
unreadable to it as they would be to a service user. Then every input is matched to its outcome
in the store (documents.source, failures.source/stage/error_class): stored, failure row, skipped
by a documented rule (hidden names), or UNACCOUNTED. Prints a table by kind and the targets;
the raw outcomes and the job's log go to bench/results/. Not a timed test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.hostile_account import Outcome, Report, account, task_times  # noqa: E402
from bench.hostile_files import make_files  # noqa: E402
from bench.hostile_inputs import (  # noqa: E402
    GOOD_FROM,
    SHARED,
    Corpora,
    Folder,
    Input,
    Sizes,
    make_html,
    make_jsonl,
    make_mail,
    make_texts,
)
from bench.hostile_pdf import make_pdfs  # noqa: E402
from bench.hostile_run import JobRun, peak_parts, run_job, top_processes  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
# Smaller counts and sizes, except the bombs: a 1 MB file that inflates to 1 GB is cheap to make
# and is the size that finds a memory bug.
QUICK = Sizes(scale=0.08, huge_mb=5, line_mb=1, comment_kb=80, amp_kb=20,
              encoded_words=16_000, jsonl_line_mb=1, flood_tags=200_000)


def build(work: Path, sizes: Sizes, good: int, skip: set[str], seed: int = 15) -> list[Input]:
    """Every input under work/input (plus work/outside, symlink targets never given to the job)."""
    corpora = Corpora.load()
    corpora.reuters = corpora.reuters[: GOOD_FROM + good]
    folder = Folder(work / "input", work / "outside")
    rng = random.Random(seed)
    make_pdfs(folder, corpora, sizes, rng)
    make_texts(folder, corpora, sizes, rng)
    for make in (make_html, make_mail, make_jsonl):
        make(folder, corpora, sizes)
    locked = make_files(folder, corpora, sizes)
    for path in locked:  # last: nothing else is written into a locked folder
        os.chmod(path, 0)
    for kind in skip:
        _remove_kind(folder, kind)
    return [i for i in folder.inputs if i.kind not in skip]


def _remove_kind(folder: Folder, kind: str) -> None:
    _unlock(folder.root / kind)
    shutil.rmtree(folder.root / kind, ignore_errors=True)


def stage_budgets(default_s: float, overrides: list[str]) -> dict[str, float]:
    """Seconds per document per stage: the product's own budget where its config has one
    (budgets.<stage>_seconds), else `default_s`."""
    from sluice.config import load_config

    sets = dict(item.split("=", 1) for item in overrides)
    budgets = getattr(load_config(None, sets), "budgets", None)
    return {stage: float(getattr(budgets, f"{stage}_seconds", None) or default_s)
            for stage in ("ingest", "parse", "clean", "ner", "embed")}


def targets(report: Report, job: JobRun, good: int, budgets: dict[str, float],
            rss_target_mb: int) -> list[tuple[str, bool, str]]:
    # A stage's task run for a batch bounds each of its documents' time in that stage; a
    # document stopped at its budget may take the whole budget, so each such row adds one.
    slow = [t for t in report.slow_tasks
            if t.seconds > budgets[t.stage] * (1 + t.budget_failures)]
    shown = ", ".join(f"{stage} {s:g}" for stage, s in budgets.items())
    return [
        ("job Completed", job.state == "Completed" and job.exit_code == 0,
         f"state {job.state}, exit {job.exit_code}{', ' + job.killed if job.killed else ''}"),
        (f"{good}/{good} good documents stored", report.good_stored == good,
         f"{report.good_stored}/{good}"),
        ("every input accounted for", report.unaccounted == 0,
         f"{report.unaccounted} unaccounted of {report.total}"),
        ("no document over its time budget", not slow and job.killed != "timeout",
         f"budgets (s per document): {shown}; "
         + (f"{len(slow)} stage task runs over it, slowest {slow[0].name} {slow[0].seconds:.0f} s"
            if slow else "no stage task run over it")),
        (f"peak RSS <= {rss_target_mb} MB", job.peak_job_mb <= rss_target_mb,
         f"{job.peak_job_mb} MB (job processes; with the Prefect server {job.peak_tree_mb} MB)"),
    ]


def print_table(inputs: list[Input], outcomes: list[Outcome], report: Report) -> None:
    rows: dict[tuple[str, str], int] = {}
    for inp, out in zip(inputs, outcomes, strict=True):
        rows[(inp.kind, out.summary())] = rows.get((inp.kind, out.summary()), 0) + 1
    width = max(len(k) for k, _ in rows)
    print(f"\n{'kind':<{width}}  {'n':>5}  outcome")
    for (kind, outcome), n in sorted(rows.items()):
        print(f"{kind:<{width}}  {n:>5}  {outcome}")
    kinds = {i.kind for i in inputs}
    print(f"\n{len(inputs)} inputs of {len(kinds)} kinds ({len(kinds) - 1} hostile kinds): "
          f"{report.stored} stored, {report.failed} failure rows, {report.skipped} skipped by "
          f"rule, {report.unaccounted} UNACCOUNTED; failure rows with a raw (non-Sluice) error "
          f"class: {report.raw_classes}; store rows matching no input: {len(report.orphans)}")
    for source in report.orphans[:10]:
        print(f"  row with no input: {source[:60]!r}...{source[-90:]!r}")
    for check, value in report.extra.items():
        print(f"{check}: {value}")


@dataclass
class Bench:
    """What one run gave: the inputs, their outcomes, the job, and the targets."""

    inputs: list[Input]
    report: Report
    job: JobRun
    targets: list[tuple[str, bool, str]]


def run_bench(args: argparse.Namespace) -> Bench:
    sizes = QUICK if args.quick else Sizes()
    sizes = Sizes(**{**asdict(sizes), **{k: v for k, v in vars(args).items()
                                         if k in asdict(sizes) and v is not None}})
    good = args.good or (20 if args.quick else 100)
    work = Path(tempfile.mkdtemp(prefix="sluice-hostile-", dir=args.work))
    canary = f"CANARY{secrets.token_hex(8)}"
    os.environ["SLUICE_BENCH_CANARY"] = canary  # in the job's environment and an outside file
    try:
        started = time.perf_counter()
        inputs = build(work, sizes, good, set(args.skip_kind))
        print(f"built {len(inputs)} inputs of {len({i.kind for i in inputs})} kinds in "
              f"{time.perf_counter() - started:.0f} s under {work}; load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
        job = run_job(work, args)
        report = account(inputs, work, canary, task_times(work))
        bench = Bench(inputs, report, job,
                      targets(report, job, good, stage_budgets(args.doc_budget_s, args.set),
                              args.rss_target_mb))
        save(work, bench)
        return bench
    finally:
        if not args.keep:
            _unlock(work)
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not SHARED.is_dir():
        print(f"no corpora at {SHARED}: the benchmark needs ../shared")
        return 2
    bench = run_bench(args)
    job, report = bench.job, bench.report
    print_table(bench.inputs, report.outcomes, report)
    print(f"\njob: state {job.state}, exit code {job.exit_code}, wall {job.wall_s:.0f} s, "
          f"killed: {job.killed or 'no'}; peak RSS {job.peak_job_mb} MB (job), "
          f"{job.peak_tree_mb} MB (with the Prefect server), largest process "
          f"{job.maxrss_mb} MB; processes left running after it: {job.orphans}; "
          f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"  peak of the job's processes at {job.peak_at}; highest peaks per process:")
    for line in top_processes(job):
        print(f"    {line}")
    print("  the job's processes at its peak:")
    for line in peak_parts(job):
        print(f"    {line}")
    for task in report.slow_tasks[:5]:
        print(f"  slow stage task run: {task.name} {task.seconds:.1f} s "
              f"({task.budget_failures} budget failure rows in its stage)")
    print("\ntargets:")
    for name, ok, detail in bench.targets:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}: {detail}")
    return 0 if all(ok for _, ok, _ in bench.targets) else 1


def _unlock(work: Path) -> None:
    for folder, dirs, _ in os.walk(work):
        for d in dirs:
            path = os.path.join(folder, d)
            with contextlib.suppress(OSError):  # a path past PATH_MAX: rmtree copes
                if not os.path.islink(path):
                    os.chmod(path, 0o755)


def save(work: Path, bench: Bench) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    rows = [{"kind": i.kind, "path": os.fsdecode(i.labels[0]), "line": i.line,
             "outcome": o.summary()}
            for i, o in zip(bench.inputs, bench.report.outcomes, strict=True)]
    (RESULTS / f"hostile-{stamp}.json").write_text(json.dumps(
        {"job": asdict(bench.job), "targets": bench.targets, "inputs": rows,
         "extra": bench.report.extra}, indent=1, default=str, ensure_ascii=True))
    shutil.copy(work / "job.log", RESULTS / f"hostile-{stamp}.log")
    print(f"raw outcomes: {RESULTS / f'hostile-{stamp}.json'} (and .log)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a CI-sized run: about 130 inputs")
    ap.add_argument("--good", type=int, help="good documents (100; --quick 20)")
    ap.add_argument("--timeout", type=float, default=900, help="wall-time limit of the job (s)")
    ap.add_argument("--as-limit-mb", type=int, default=3072, help="RLIMIT_AS of every process")
    ap.add_argument("--kill-rss-mb", type=int, default=4096, help="kill at this tree RSS")
    ap.add_argument("--rss-target-mb", type=int, default=1024)
    ap.add_argument("--doc-budget-s", type=float, default=60.0,
                    help="time budget per document for a stage the product sets none for")
    ap.add_argument("--batch-size", type=int, default=50)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="passed to sluice run (max_error_rate=1.0 is always set)")
    ap.add_argument("--skip-kind", action="append", default=[], metavar="KIND")
    ap.add_argument("--work", help="parent folder of the temporary folder (default: $TMPDIR)")
    ap.add_argument("--keep", action="store_true", help="keep the folder, store and log")
    ap.add_argument("--scale", type=float, help="input counts, relative to the full run")
    for name in ("huge_mb", "line_mb", "bomb_mb", "comment_kb", "amp_kb", "encoded_words",
                 "mime_depth", "html_depth", "jsonl_line_mb", "flood_tags"):
        ap.add_argument(f"--{name.replace('_', '-')}", type=int, dest=name)
    return ap.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
