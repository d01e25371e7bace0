"""The pipeline on a local Dask cluster (prefect-dask): every batch is a task on a worker
process, and the outputs are those of the plain run."""

from __future__ import annotations

from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

from deployments.stack import wait_for
from flows.pipeline_dask import pipeline_on_dask
from sluice.config import RunParams
from sluice.io import store
from tests.flows.test_pipeline import SAMPLES, check_outputs, run


def test_pipeline_on_dask_spreads_batches_over_worker_processes(tmp_path):
    url, out = f"sqlite:///{tmp_path}/dask.db", tmp_path / "out"
    params = RunParams(source=str(SAMPLES), store=url, out=str(out), overrides={"batch_size": 5})
    state = pipeline_on_dask(params, return_state=True)
    assert state.is_completed(), state.message
    summary = state.result()
    check_outputs(url, out, summary)
    runs = wait_for(lambda: task_runs(state.state_details.flow_run_id),
                    lambda runs: sum(whole_batch_done(r) for r in runs) == 9,  # 45 inputs / 5
                    "9 whole_batch task runs recorded as completed", timeout_s=60)
    assert {r.name.split("-")[0] for r in runs} >= {"ingest_batch", "ner_batch", "embed_batch"}

    plain_url = f"sqlite:///{tmp_path}/plain.db"
    plain = run(SAMPLES, plain_url, tmp_path / "plain-out", batch_size=5)
    assert plain.totals == summary.totals
    ids = {d.id for d in store.read_documents(store.open_store(url))}
    assert ids == {d.id for d in store.read_documents(store.open_store(plain_url))}


def task_runs(flow_run_id) -> list:
    # Task run states reach the server as events, a moment after the flow returns.
    with get_client(sync_client=True) as client:
        return client.read_task_runs(flow_run_filter=FlowRunFilter(
            id=FlowRunFilterId(any_=[flow_run_id])))


def whole_batch_done(run) -> bool:
    # a task run the server has created from its first event may not have a state yet
    return run.name.startswith("whole_batch") and run.state is not None and run.state.is_completed()
