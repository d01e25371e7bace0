"""A job that is stopped (cancel, SIGTERM) kills its NER worker processes at once: the share
in flight is not replayed in a fresh worker while the run shuts down, and no worker is left."""

from __future__ import annotations

import gzip
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from sluice import spawn
from sluice.config import load_config
from sluice.ner_workers import NerPool
from sluice.records import Document

REUTERS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "reuters-21578.jsonl.gz"
needs_reuters = pytest.mark.skipif(not REUTERS.exists(),
                                   reason=f"shared corpus missing: {REUTERS}")


def wires(count: int) -> list[Document]:
    docs = []
    with gzip.open(REUTERS, "rt", encoding="utf-8") as fh:
        for line in fh:
            body = json.loads(line).get("body", "").strip()
            if body:
                docs.append(Document(id=f"w{len(docs)}", source="reuters", format="txt",
                                     text=body))
            if len(docs) == count:
                return docs
    return docs


def busy(pid: int) -> bool:
    """The process used CPU in the last 0.2 s: the worker is annotating."""
    def ticks() -> int:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime

    before = ticks()
    time.sleep(0.2)
    return ticks() > before


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@needs_reuters
def test_stopping_kills_the_ner_worker_mid_share_and_starts_no_other():
    cfg = load_config(None, {"ner": {"processes": 1}})
    pool = NerPool(1, cfg.ner.model, cfg.correct.enabled, cfg.budgets.memory_mb)
    docs = wires(160)
    pool.annotate(docs[:2], cfg)  # the worker is up, its models loaded
    worker = pool.workers[0]
    first = worker._proc.pid
    outcome: dict[str, object] = {}

    def annotate() -> None:
        try:
            outcome["result"] = pool.annotate(docs, cfg)
        except spawn.Stopping as exc:
            outcome["stopped"] = exc

    thread = threading.Thread(target=annotate)
    with spawn.children_stop_on_sigterm():
        thread.start()
        deadline = time.monotonic() + 60
        while not busy(first):  # the share is in the worker now
            assert time.monotonic() < deadline, "the NER worker never started on the share"
        stopped_at = time.monotonic()
        spawn.stop_children()
        thread.join(30)
    took = time.monotonic() - stopped_at
    assert not thread.is_alive() and "stopped" in outcome, outcome
    assert took < 2.0, f"the share's thread ended {took:.1f} s after the stop"
    assert not alive(first)
    assert worker._proc is None or not alive(worker._proc.pid)  # no replacement worker
    with pytest.raises(spawn.Stopping):
        spawn.spawn(["true"])
    with spawn.children_stop_on_sigterm():  # a new run in this process may start workers
        assert spawn.spawn(["true"]).wait(10) == 0
    pool.stop()


class Ended(Exception):
    pass


def test_sigterm_kills_the_children_then_runs_the_handler_that_was_there():
    def prefects(signum, frame):
        raise Ended(signum)

    previous = signal.signal(signal.SIGTERM, prefects)
    try:
        with pytest.raises(Ended), spawn.children_stop_on_sigterm():
            child = spawn.spawn(["sleep", "60"])
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises here
        assert child.poll() == -signal.SIGKILL
        assert signal.getsignal(signal.SIGTERM) is prefects
    finally:
        signal.signal(signal.SIGTERM, previous)
        with spawn.children_stop_on_sigterm():  # entering allows children again
            pass
