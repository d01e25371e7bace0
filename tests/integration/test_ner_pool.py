"""ner.mode=pool: NER batches run as runs of the sluice-ner deployment on a real worker, by
reference through the store; cancelling the job cancels them. The CPU deployment stands in
for the GPU one here (no GPU on this machine); the GPU's fail-loudly path is in
tests/unit/test_device.py."""

from __future__ import annotations

from pathlib import Path

from deployments.stack import wait_for
from flows import jobs
from scripts.make_corpus import write_corpus
from sluice.config import RunParams
from sluice.io import store
from tasks.progress import post_filter

POOL_NER = {"ner.mode": "pool", "ner.deployment": "sluice-ner/cpu"}


def params(tmp_path: Path, docs: int, batch_size: int) -> RunParams:
    write_corpus(tmp_path / "docs", docs)
    return RunParams(source=str(tmp_path / "docs"), store=f"sqlite:///{tmp_path}/s.db",
                     out=str(tmp_path / "out"),
                     overrides={**POOL_NER, "batch_size": batch_size})


def child_runs(job_id: str) -> list[dict]:
    with jobs.prefect_api() as client:
        return post_filter(client, "/flow_runs/filter",
                            flow_runs={"tags": {"all_": [f"sluice-job:{job_id}"]}})


def test_ner_pool_batches_run_on_the_deployment_by_reference(jobs_api, tmp_path):
    job_id = str(jobs.submit(params(tmp_path, docs=30, batch_size=10)))
    view = jobs.wait(job_id, timeout_s=300)
    assert view.state == "Completed", view.message
    docs = store.read_documents(store.open_store(f"sqlite:///{tmp_path}/s.db"))
    assert len(docs) == 30
    assert {d.metadata["ner_device"] for d in docs} == {"cpu"}
    assert all(any(e.label == "GPE" for e in d.entities) for d in docs)
    children = child_runs(job_id)
    assert len(children) == 3  # one per batch, none duplicated
    assert {c["state_type"] for c in children} == {"COMPLETED"}
    assert {c["parameters"]["device"] for c in children} == {"cpu"}


def test_ner_pool_cancelling_the_job_cancels_its_child_runs(jobs_api, tmp_path):
    job_id = str(jobs.submit(params(tmp_path, docs=400, batch_size=200)))
    wait_for(lambda: child_runs(job_id), lambda runs: any(
        r["state_type"] == "RUNNING" for r in runs), "a running NER child run", timeout_s=240)
    jobs.cancel(job_id)
    wait_for(lambda: child_runs(job_id), lambda runs: all(
        r["state_type"] in ("CANCELLED", "COMPLETED") for r in runs),
        "child runs cancelled", timeout_s=120)
    assert any(r["state_type"] == "CANCELLED" for r in child_runs(job_id))
