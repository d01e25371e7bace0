"""The whole flow under a real Prefect server, on the bundled sample corpus."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from flows.pipeline import pipeline
from sluice.config import RunParams
from sluice.io import jsonl, store

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
TABLES = ("documents", "entities", "corrections", "chunks", "failures")


def run(source: Path, url: str, out: Path, **overrides):
    params = RunParams(source=str(source), store=url, out=str(out), overrides=overrides)
    state = pipeline(params, return_state=True)
    assert state.is_completed(), state.message
    return state.result()


def table_counts(url: str) -> dict[str, int]:
    counts = store.counts(store.open_store(url))
    return {t: counts[t] for t in TABLES}


def check_outputs(url: str, out: Path, summary) -> None:
    engine = store.open_store(url)
    docs = store.read_documents(engine)
    t = summary.totals
    assert t.processed == len(docs) > 20
    assert t.processed + t.failed + t.skipped == t.documents
    assert t.entities == sum(len(d.entities) for d in docs) > 50
    assert t.corrections > 0
    for doc in docs:
        for e in doc.entities:
            assert doc.text[e.start:e.end] == e.text
        for c in doc.corrections:
            assert doc.text[c.start:c.end] == c.after
            assert not any(e.start < c.end and c.start < e.end for e in doc.entities)
    chunks = [c for d in docs for c in store.read_chunks(engine, d.id)]
    assert len(chunks) == t.chunks and {c.dim for c in chunks} == {256}
    assert all(len(c.vector) == c.dim for c in chunks)
    assert np.allclose([np.linalg.norm(c.vector) for c in chunks], 1.0, atol=1e-3)
    assert sorted(d.id for d in jsonl.read_documents(out)) == sorted(d.id for d in docs)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/sluice.db"
    return request.getfixturevalue("pg_url")


def test_pipeline_sample_corpus_end_to_end(store_url, tmp_path):
    out = tmp_path / "out"
    summary = run(SAMPLES, store_url, out)
    check_outputs(store_url, out, summary)
    first = table_counts(store_url)
    assert first["failures"] == summary.totals.failed > 0  # the corpus holds bad files on purpose

    again = run(SAMPLES, store_url, out)  # unchanged corpus: skipped before parsing
    assert again.totals.skipped == summary.totals.processed and again.totals.processed == 0
    forced = run(SAMPLES, store_url, out, reprocess=True)  # reprocessed: upserts, no duplicates
    assert forced.totals.processed == summary.totals.processed
    assert table_counts(store_url) == first
    assert len(jsonl.read_documents(out)) == summary.totals.processed


def test_pipeline_fails_above_max_error_rate(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    (bad / "fine.txt").write_text("A perfectly good document about Chicago.")
    params = RunParams(source=str(bad), store=f"sqlite:///{tmp_path}/s.db",
                       out=str(tmp_path / "o"), overrides={"max_error_rate": 0.5})
    state = pipeline(params, return_state=True)
    assert state.is_failed() and "max_error_rate" in state.message
    counts = table_counts(f"sqlite:///{tmp_path}/s.db")
    assert counts["documents"] == 1 and counts["failures"] == 2  # recorded before failing


def test_pipeline_with_shards_outside_a_deployment_fails_before_any_work(tmp_path):
    params = RunParams(source=str(SAMPLES), store=f"sqlite:///{tmp_path}/s.db",
                       out=str(tmp_path / "out"), shards=2)
    state = pipeline(params, return_state=True)
    assert state.is_failed() and "needs a deployment run" in state.message
    assert not (tmp_path / "out").exists()


def test_pipeline_accounts_for_hidden_names(tmp_path):
    """A hidden file or folder is skipped by design, and the summary says how many."""
    src = tmp_path / "in"
    (src / ".git").mkdir(parents=True)
    (src / ".git" / "HEAD.txt").write_text("ref: refs/heads/main")
    (src / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (src / "fine.txt").write_text("A perfectly good document about Chicago.")
    summary = run(src, f"sqlite:///{tmp_path}/s.db", tmp_path / "out")
    assert (summary.totals.documents, summary.totals.processed, summary.hidden) == (1, 1, 2)
    assert "skipped (hidden): 2" in "\n".join(summary.lines())


def test_a_run_without_a_deployment_is_not_a_shared_worker_and_asks_no_server(monkeypatch):
    # prefect.runtime.deployment.id would read the run from the server (a new client each
    # time): the flow run in context answers instead, in the flow and in its tasks.
    from prefect import flow, task
    from prefect.runtime import deployment

    from sluice import confine
    from tasks.limits import shared_worker
    from tasks.secure import job_roots

    async def no_server(run_id):
        raise AssertionError("the flow run was read from the server")

    monkeypatch.setattr(deployment, "_get_flow_run", no_server)
    monkeypatch.delenv(confine.SOURCE_ROOTS_ENV, raising=False)

    @task
    def in_a_task() -> bool:
        return shared_worker()

    @flow
    def job() -> tuple[bool, bool, object]:
        # job_roots: a run without a deployment is not held to a data/ folder
        return shared_worker(), in_a_task(), job_roots().source

    assert job() == (False, False, None)


def test_a_run_on_its_own_temporary_server_sends_no_heartbeats():
    # Prefect 3.8.8 sends them by default; the run's end waited up to 1 s for their thread.
    from prefect import flow
    from prefect.settings import get_current_settings

    from flows.ephemeral import without_heartbeats

    @flow
    def job() -> int | None:
        return get_current_settings().flows.heartbeat_frequency

    assert job() == 180  # Prefect's default, here as anywhere else
    with without_heartbeats():
        assert job() is None
    assert job() == 180


def test_the_final_event_drain_does_not_warn(caplog):
    # Prefect's EventsWorker warns "Still processing items" when a drain finds events
    # queued; the hooks' drain is there to send them, and every job's end showed it.
    from prefect.events import emit_event

    from tasks.events import _send_prefect_events_now

    for n in range(50):
        emit_event(event="sluice.test.drain", resource={"prefect.resource.id": f"sluice.{n}"})
    with caplog.at_level(logging.INFO):
        _send_prefect_events_now()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert logging.getLogger("EventsWorker").level == logging.NOTSET
