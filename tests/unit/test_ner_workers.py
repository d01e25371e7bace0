"""NER in worker processes: the same output as in the job's process, a batch split across
workers in order, and a document over budgets.ner_seconds failing alone as OverBudget."""

from __future__ import annotations

import gzip
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sluice.clean import clean_documents
from sluice.config import load_config
from sluice.correct import load_speller
from sluice.ner import annotate_documents, load_ner
from sluice.ner_workers import NerPool, Parts, processes_for, shares_for
from sluice.records import Document

REUTERS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "reuters-21578.jsonl.gz"
# A document NER needs many seconds for: 1 MB of plain wire prose (sluice.ner.tokenizable
# already defuses the punctuation runs that used to make spaCy's tokenizer crawl).
SLOW = "Shell traded the cargo in London, Rotterdam and New York on Tuesday. " * 15_000


def doc(n: int, text: str) -> Document:
    return Document(id=f"d{n}", source=f"s{n}", format="txt", text=text)


def reuters_docs(count: int) -> list[Document]:
    if not REUTERS.exists():
        pytest.skip(f"the Reuters corpus is not at {REUTERS} (../shared absent)")
    docs = []
    with gzip.open(REUTERS, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record.get("body", "").strip():
                docs.append(Document(id=f"r{len(docs)}", source="reuters", format="txt",
                                     text=record["body"], metadata={"date": record["date"]}))
            if len(docs) == count:
                break
    return clean_documents(docs, load_config().clean)


def config(**overrides):
    return load_config(overrides=overrides)


def test_ner_workers_give_the_in_process_output_on_reuters() -> None:
    docs = reuters_docs(240)
    cfg = config(**{"ner.processes": 2})
    pool = NerPool(2, cfg.ner.model, True, cfg.budgets.memory_mb)
    try:
        done, failures = pool.annotate(docs, cfg)
    finally:
        pool.stop()
    expected = annotate_documents(docs, load_ner(cfg.ner.model), load_speller(), cfg.ner,
                                  cfg.correct)
    assert failures == []
    assert done == expected
    assert sum(len(d.entities) for d in done) > 2000
    assert sum(len(d.corrections) for d in done) > 10  # the batch vocabulary is the same


def test_ner_workers_take_the_largest_part_first_and_merge_in_batch_order() -> None:
    docs = [doc(n, "x" * size) for n, size in enumerate([100, 5000, 200, 300, 4000, 100, 50])]
    split = [docs[:1], docs[1:3], docs[3:4], docs[4:]]
    parts = Parts(split, fn=None, budgets=load_config().budgets)
    order = [index for index, _ in parts.order(load_config().ner)]
    assert order == [1, 3, 2, 0]  # 5200, 4150, 300, 100 characters
    for index in [3, 0, 2, 1]:  # results come back in any order
        parts.put(index, (split[index], [f"failure {index}"]))
    done, failures = parts.merged()
    assert done == docs and failures == ["failure 0", "failure 1", "failure 2", "failure 3"]


def test_ner_workers_a_worker_still_loading_leaves_the_parts_to_the_ready_one() -> None:
    """The second worker starts with this batch and is held in its start here until the
    first has served every part: it must take no part before it is ready. One that took a
    part first and then waited for its start would hold that part back (the first worker
    would then never reach 40, and the hold ends only after 20 s)."""
    cfg = config(**{"ner.processes": 2, "ner.batch_chars": 1000, "correct.enabled": False})
    docs = [doc(n, "Shell sold its stake in Rotterdam to Total on Monday. " * 18)
            for n in range(40)]
    pool = NerPool(2, cfg.ner.model, False, cfg.budgets.memory_mb)
    served = {0: 0, 1: 0}
    all_served = threading.Event()
    try:
        pool.workers[0].ready()
        for number, worker in enumerate(pool.workers):
            real = worker.map

            def counted(fn, items, seconds, real=real, number=number):
                served[number] += len(items)
                try:
                    return real(fn, items, seconds)
                finally:
                    if served[0] + served[1] == len(docs):
                        all_served.set()

            worker.map = counted
        late, really_ready = pool.workers[1], pool.workers[1].ready

        def held_ready() -> None:
            all_served.wait(20)
            really_ready()

        late.ready = held_ready
        found, failures = pool.annotate(docs, cfg)
    finally:
        pool.stop()
    assert failures == [] and [d.id for d in found] == [d.id for d in docs]
    assert served == {0: 40, 1: 0}  # one document per part, all by the ready worker


def test_ner_workers_document_over_budget_fails_alone_and_the_batch_goes_on() -> None:
    cfg = config(**{"ner.processes": 1, "budgets.ner_seconds": 1.0, "correct.enabled": False})
    good = [doc(0, "Bill Gates flew to San Francisco."), doc(2, "Shell traded in London.")]
    pool = NerPool(1, cfg.ner.model, False, cfg.budgets.memory_mb)
    try:
        pool.annotate(good[:1], cfg)  # started and warm, so the timing below is the document's
        began = time.monotonic()
        done, failures = pool.annotate([good[0], doc(1, SLOW), good[1]], cfg)
        took = time.monotonic() - began
        after, _ = pool.annotate(good, cfg)  # the restarted worker serves the next batch
    finally:
        pool.stop()
    assert [d.id for d in done] == ["d0", "d2"]
    assert [(f.doc_id, f.stage, f.error_class) for f in failures] == [("d1", "ner", "OverBudget")]
    assert "budgets.ner_seconds 1" in failures[0].message
    assert {e.text for e in done[0].entities} >= {"Bill Gates", "San Francisco"}
    assert took < 60  # two budgets (the part, then the document alone) and restarts
    assert [d.id for d in after] == ["d0", "d2"]


def test_ner_workers_punctuation_run_of_100_kb_ends_within_the_budget() -> None:
    cfg = config(**{"ner.processes": 1, "budgets.ner_seconds": 20.0, "correct.enabled": False})
    pool = NerPool(1, cfg.ner.model, False, cfg.budgets.memory_mb)
    try:
        pool.annotate([doc(0, "warm")], cfg)
        began = time.monotonic()
        done, failures = pool.annotate([doc(1, "&" * 100_000), doc(2, "IBM sold it.")], cfg)
        took = time.monotonic() - began
    finally:
        pool.stop()
    assert len(done) + len(failures) == 2 and "d2" in {d.id for d in done}
    assert took < 2 * cfg.budgets.ner_seconds + 30


def test_ner_workers_stay_off_for_a_gpu_and_when_set_to_zero() -> None:
    assert processes_for(config(**{"ner.processes": 0})) == 0
    assert processes_for(config(**{"ner.device": "gpu", "ner.processes": 4})) == 0
    assert processes_for(config(**{"ner.processes": 3})) == 3
    assert processes_for(config()) >= 1


PARENT = """
import sys, threading, time
from sluice.sandbox import Worker
worker = Worker(256)
# started from a thread that ends at once: the worker must outlive the thread, not the process
starter = threading.Thread(target=lambda: worker.map(len, [b"x"], [30]))
starter.start()
starter.join()
print(worker._proc.pid, flush=True)
worker.map(time.sleep, [600], [900])  # mid-item when this process is killed
"""


def test_worker_dies_with_its_killed_parent_even_mid_item() -> None:
    import os
    import signal
    import subprocess
    import sys

    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[2])
    try:
        child = int(parent.stdout.readline())
        time.sleep(1.0)
        assert _alive(child), "the worker ended with the thread that started it"
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(child), "the worker outlived its SIGKILLed parent"
    finally:
        parent.kill()
        if "child" in locals() and _alive(child):
            os.kill(child, signal.SIGKILL)


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for init to reap it is dead)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return "\nState:\tZ" not in status.read()
    except FileNotFoundError:
        return False


def test_ner_worker_memory_stays_flat_on_a_100_000_character_document() -> None:
    text = " ".join(d.text for d in reuters_docs(300))[:100_000]
    cfg = config(**{"ner.processes": 1, "correct.enabled": False})
    pool = NerPool(1, cfg.ner.model, False, cfg.budgets.memory_mb)
    try:
        pool.annotate([doc(0, "Warm up in Paris.")], cfg)
        before = _peak_mb(pool.workers[0]._proc.pid)
        [done], failures = pool.annotate([doc(1, text)], cfg)
        grown = _peak_mb(pool.workers[0]._proc.pid) - before
    finally:
        pool.stop()
    assert failures == [] and len(done.entities) > 1000
    # in one spaCy doc it took about 350 MB more; in pieces of ner.batch_chars about 70
    assert grown < 200, grown


def _peak_mb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return int(status.read().split("VmHWM:")[1].split()[0]) // 1024


def test_ner_workers_past_the_first_start_with_a_batch_that_has_a_share_for_them() -> None:
    cfg = config(**{"ner.processes": 2, "ner.batch_chars": 1000})
    small = [doc(0, "Shell sold its stake in Rotterdam.")]
    large = [doc(n, "Shell sold its stake in Rotterdam to Total on Monday. " * 20)
             for n in range(4)]
    assert shares_for(small, 2, cfg.ner) == 1
    assert shares_for(large, 2, cfg.ner) == 2 and shares_for(large, 8, cfg.ner) == 5
    pool = NerPool(2, cfg.ner.model, False, cfg.budgets.memory_mb)
    try:
        pool.start()
        [done], failures = pool.annotate(small, cfg)
        assert failures == [] and done.entities
        assert pool.workers[1]._proc is None  # one small document woke one worker
        found, failures = pool.annotate(large, cfg)
        assert failures == [] and [d.id for d in found] == [d.id for d in large]
        assert pool.workers[1]._proc is not None and pool.workers[1]._proc.poll() is None
    finally:
        pool.stop()


def test_ner_workers_wake_starts_the_others_only_for_a_large_job() -> None:
    cfg = config(**{"ner.processes": 2, "correct.enabled": False})
    pool = NerPool(2, cfg.ner.model, False, cfg.budgets.memory_mb)
    try:
        pool.wake(cfg.ner.batch_chars // 2, cfg.ner)  # less than one part: only the first
        assert pool.workers[1]._proc is None
        pool.wake(3 * cfg.ner.batch_chars, cfg.ner)
        assert pool.workers[0]._ready  # the first had loaded before the second started
        assert pool.workers[1]._proc is not None and pool.workers[1]._proc.poll() is None
    finally:
        pool.stop()


def test_ner_workers_batches_given_at_once_each_get_their_own_results() -> None:
    """Two batches in flight together (the flow hands over batch N+1 before N is done): the
    parts of both share the workers, and each caller gets its batch's documents, in order,
    as one batch at a time would have given them."""
    cfg = config(**{"ner.processes": 2, "ner.batch_chars": 2000})
    docs = reuters_docs(120)
    first, second = docs[:70], docs[70:]
    pool = NerPool(2, cfg.ner.model, True, cfg.budgets.memory_mb)
    try:
        alone = [pool.annotate(first, cfg), pool.annotate(second, cfg)]
        with ThreadPoolExecutor(2) as threads:
            together = list(threads.map(lambda batch: pool.annotate(batch, cfg),
                                        [first, second]))
    finally:
        pool.stop()
    assert together == alone
    assert [d.id for d in together[0][0]] == [d.id for d in first]
    assert [d.id for d in together[1][0]] == [d.id for d in second]
