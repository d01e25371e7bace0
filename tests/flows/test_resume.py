"""A job killed mid-run and run again under its id: it goes straight to its first unfinished
batch (finished batches are not read at all), and its summary counts every attempt."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from uuid import UUID

import pytest
from prefect import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    TaskRunFilter,
    TaskRunFilterName,
)
from prefect.settings import PREFECT_API_URL

from flows.pipeline import pipeline
from sluice.config import RunParams, Shard
from sluice.io import store

REPO = Path(__file__).resolve().parents[2]
REUTERS = REPO.parent / "shared" / "corpora" / "reuters-21578.jsonl.gz"
DOCS, BATCH = 48, 4
JOB = "resume-test-job"
# Each run works under one job id, as the shards of a job do (a resume keeps its run's id).
SHARD = Shard(job=JOB, index=0)
KILLED = f"""
import sys
from flows.pipeline import pipeline
from sluice.config import RunParams, Shard
pipeline(RunParams.model_validate_json(sys.argv[1]), Shard(job={JOB!r}, index=0))
"""


def reuters_jsonl(path: Path, count: int) -> Path:
    """The first `count` Reuters wires with a body, as {title, text} lines."""
    lines = []
    with gzip.open(REUTERS, "rt", encoding="utf-8") as fh:
        for line in fh:
            wire = json.loads(line)
            if wire.get("body", "").strip():
                lines.append(json.dumps({"title": wire.get("title"), "text": wire["body"]}))
            if len(lines) == count:
                break
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def kill_after_batches(params: RunParams, engine, batches: int) -> int:
    """Run the job in a process of its own and SIGKILL it once `batches` batches are
    stored; returns the batches stored then."""
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    proc = subprocess.Popen([sys.executable, "-c", KILLED, params.model_dump_json()],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while len(store.finished_batches(engine, JOB)) < batches:
            assert proc.poll() is None, "the job ended before it could be killed"
            assert time.monotonic() < deadline, "no batches stored in 300 s"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    return len(store.finished_batches(engine, JOB))


def task_runs(flow_run_id: UUID, name: str, at_least: int = 0) -> int:
    """Task runs of `name` in the flow run. The client reports task runs through events, which
    the server may record just after the flow run ends: wait (a while) for `at_least`."""
    deadline = time.monotonic() + 30
    while True:
        with get_client(sync_client=True) as client:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
                task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_=name)))
        if len(runs) >= at_least or time.monotonic() > deadline:
            return len(runs)
        time.sleep(0.5)


def rerun(params: RunParams):
    state = pipeline(params, SHARD, return_state=True)
    assert state.is_completed(), state.message
    return state.result(), state.state_details.flow_run_id


@pytest.mark.skipif(not REUTERS.exists(), reason=f"shared corpus missing: {REUTERS}")
def test_resume_passes_finished_batches_by_and_counts_every_attempt(tmp_path):
    source = reuters_jsonl(tmp_path / "wires.jsonl", DOCS)
    url = f"sqlite:///{tmp_path}/sluice.db"
    params = RunParams(source=str(source), store=url, out=str(tmp_path / "out"),
                       overrides={"batch_size": BATCH})
    engine = store.open_store(url)
    finished = kill_after_batches(params, engine, 2)
    batches = DOCS // BATCH
    assert finished < batches, "killed too late to leave a batch to do"
    # Line 1 belongs to batch 1, which is finished: a resume that read it would fail it.
    lines = source.read_text(encoding="utf-8").splitlines()
    source.write_text("\n".join(["{not json", *lines[1:]]) + "\n", encoding="utf-8")

    summary, run_id = rerun(params)

    todo = batches - finished
    assert task_runs(run_id, "report_progress", at_least=todo + 1) == todo + 1  # and the start
    assert task_runs(run_id, "ingest_batch", at_least=todo) == todo
    counts = store.counts(engine)
    t = summary.totals
    assert (t.documents, t.processed, t.failed, t.skipped) == (DOCS, DOCS, 0, 0)
    assert counts["documents"] == DOCS and counts["failures"] == 0
    assert (t.entities, t.corrections, t.chunks) == (
        counts["entities"], counts["corrections"], counts["chunks"])
    assert t.entities > DOCS  # wires name places, firms and dates
    # The rate is this attempt's: the finished batches' documents took no time now.
    assert summary.earlier == finished * BATCH
    assert summary.docs_per_min == 60.0 * (DOCS - finished * BATCH) / summary.wall_s

    again, run_id = rerun(params)  # every batch finished: nothing read, the same totals

    assert task_runs(run_id, "report_progress", at_least=1) == 1
    assert task_runs(run_id, "ingest_batch") == 0 and again.totals == t
    assert again.earlier == DOCS and again.docs_per_min == 0.0
