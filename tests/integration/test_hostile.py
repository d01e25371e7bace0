"""bench/hostile.py: its accounting on a hand-made store, and its --quick run (about 130 hostile
and good inputs from ../shared, one real `sluice run` inside a memory limit) with its targets."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from bench.hostile import Bench, parse_args, run_bench
from bench.hostile_account import account
from bench.hostile_inputs import SHARED, Input


def store_with(work: Path, docs: list[tuple[str, str]], fails: list[tuple[str, str, str]]) -> None:
    with sqlite3.connect(work / "store.db") as db:
        db.execute("CREATE TABLE documents (source TEXT, text TEXT, title TEXT)")
        db.execute("CREATE TABLE failures (source TEXT, stage TEXT, error_class TEXT)")
        db.executemany("INSERT INTO documents VALUES (?, ?, '')", docs)
        db.executemany("INSERT INTO failures VALUES (?, ?, ?)", fails)


def test_hostile_accounting_matches_every_row_to_one_input(tmp_path: Path) -> None:
    root = f"{tmp_path}/input"
    inputs = [
        Input("good", (b"%s/good/a.txt" % root.encode(),), good="1"),
        Input("odd", (b"%s/caf\xe9.txt" % root.encode(),)),  # stored as the U+FFFD of it
        Input("jsonl", (f"{root}/x.jsonl".encode(),), line=1),
        Input("jsonl", (f"{root}/x.jsonl#L1".encode(),)),  # a file named like that line
        Input("jsonl", (f"{root}/y.jsonl#L1".encode(),)),  # the same, its name escaped
        Input("odd", (f"{root}/back\\slash.txt".encode(),)),  # escaped too
        Input("gz", (f"{root}/b.jsonl.gz".encode(),), lines=True),
        Input("deep", (f"{root}/d/e/f.txt".encode(),), within=True),
        Input("fifo", (f"{root}/p.txt".encode(),)),
        Input("hidden", (f"{root}/.h.txt".encode(),), skip="hidden"),
        Input("empty", (f"{root}/e.html".encode(),)),
        Input("twice", (f"{root}/e.html".encode(),)),  # one row cannot account for two
    ]
    store_with(tmp_path, [(f"{root}/good/a.txt", "text"), (f"{root}/caf\ufffd.txt", "café"),
                          (f"{root}/b.jsonl.gz#L2", "x"), (f"{root}/e.html", " ")],
               [(f"{root}/x.jsonl#L1", "parse", "BadRecord"),
                (f"{root}/b.jsonl.gz#L1", "parse", "OverBudget"),
                (f"{root}/d", "ingest", "Unreadable"), (f"{root}/z.txt", "parse", "ValueError"),
                (f"{root}/y.jsonl\\x23L1", "parse", "UnsupportedFormat"),
                (f"{root}/back\\\\slash.txt", "parse", "ValueError")])
    report = account(inputs, tmp_path, "CANARY", [])
    summaries = [o.summary() for o in report.outcomes]
    assert summaries == [
        "stored", "stored", "failure row: parse/BadRecord",
        "UNACCOUNTED",  # the only row is line 1's: the file has none of its own
        "failure row: parse/UnsupportedFormat", "failure row: parse/ValueError [raw class]",
        "stored", "failure row: ingest/Unreadable", "UNACCOUNTED", "skipped: hidden",
        "stored (empty text)",
        f"UNACCOUNTED (its ledger source {root + '/e.html'!r} is another input's too)"]
    assert report.outcomes[6].failures == [("parse", "OverBudget")]
    assert (report.stored, report.failed, report.skipped, report.unaccounted) == (4, 4, 1, 3)
    assert report.good_stored == 1
    assert report.orphans == [f"{root}/z.txt"]
    assert report.extra["stored documents with empty text"] == "1"


needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"needs the corpora at {SHARED}")


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Bench:
    work = tmp_path_factory.mktemp("hostile")
    bench = run_bench(parse_args(["--quick", "--timeout", "600", "--work", str(work)]))
    for name, ok, detail in bench.targets:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
    return bench


def target(bench: Bench, name: str) -> tuple[bool, str]:
    return next((ok, detail) for label, ok, detail in bench.targets if label.startswith(name))


@needs_shared
@pytest.mark.slow
def test_hostile_quick_run_completes_and_stores_every_good_document(quick: Bench) -> None:
    report = quick.report
    assert len({i.kind for i in quick.inputs}) >= 26  # 25 hostile kinds and the good ones
    assert report.stored + report.failed + report.skipped + report.unaccounted == report.total
    assert target(quick, "job Completed")[0], target(quick, "job Completed")[1]
    good = [o for i, o in zip(quick.inputs, report.outcomes, strict=True) if i.good]
    assert good and all(o.stored for o in good), [o.summary() for o in good if not o.stored]
    assert report.good_stored == len(good)
    assert quick.job.orphans == 0  # no process of the job outlived it


@needs_shared
@pytest.mark.slow
def test_hostile_every_input_accounted_for(quick: Bench) -> None:
    missing = [(i.kind, os.fsdecode(i.labels[0])[-80:]) for i, o in
               zip(quick.inputs, quick.report.outcomes, strict=True)
               if o.summary().startswith("UNACCOUNTED")]
    assert not missing


@needs_shared
@pytest.mark.slow
def test_hostile_no_document_over_its_time_budget(quick: Bench) -> None:
    ok, detail = target(quick, "no document over its time budget")
    assert ok, detail


@needs_shared
@pytest.mark.slow
def test_hostile_peak_rss_within_1_gb(quick: Bench) -> None:
    ok, detail = target(quick, "peak RSS")
    assert ok, detail
