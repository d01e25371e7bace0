"""Scale-out over workers: a job split into shards, each a run of the job's own deployment.

The coordinator run (the job) starts one run per shard on the pool's `shards` work queue
(SLUICE_SHARD_QUEUE in the worker's environment names another), where any worker of the pool
polling it, on any host, takes it; the job's own run waits on the `default` queue's worker.
Which shard a run is goes as the flow's `shard` parameter, which the run form does not show.
Each shard does every shards-th batch under the job's id, so the job keeps one ledger: a
resumed job skips what any shard stored. The job's progress is the sum of its shards'
progress rows, published as its own.
"""

from __future__ import annotations

import os
import time
from collections.abc import Collection, Sequence
from uuid import UUID

from prefect import get_client, task
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.deployments import run_deployment
from prefect.flow_runs import resume_flow_run
from prefect.runtime import deployment, flow_run
from prefect.states import Scheduled

from sluice.config import RunParams, Shard
from sluice.errors import ConfigError, SluiceError
from tasks import IO_RETRIES, STAGE
from tasks.progress import JobProgress, read_progress, report_progress

SHARD_TAG = "sluice-shard"
POLL_S = 2.0
RESTARTABLE = {StateType.FAILED, StateType.CRASHED, StateType.CANCELLED}
SHARD_QUEUE = "shards"


def shard_queue() -> str:
    return os.environ.get("SLUICE_SHARD_QUEUE") or SHARD_QUEUE


@task(name="start_shards", **STAGE, **IO_RETRIES)
def start_shards(params: RunParams, job_id: str) -> list[str]:
    """One run per shard; the idempotency key makes a resumed job find its shards again, and a
    shard that failed, crashed, was cancelled or paused is set going again."""
    if deployment.id is None:
        raise ConfigError("shards > 1 needs a deployment run (sluice submit): a shard is a run "
                          "of the job's deployment on the pool's shards queue")
    name = f"{flow_run.flow_name}/{deployment.name}"
    runs = []
    for shard in range(params.shards):
        which = Shard(job=job_id, index=shard).model_dump()
        run = run_deployment(name, parameters={"params": params.to_parameters(), "shard": which},
                             timeout=0, tags=[f"sluice-job:{job_id}", SHARD_TAG],
                             work_queue_name=shard_queue(),
                             as_subflow=False,  # Prefect cannot suspend a subflow: pause could not
                             idempotency_key=f"{job_id}:shard:{shard}")
        _restart(run)
        runs.append(str(run.id))
    return runs


def _restart(run: FlowRun) -> None:
    if run.state_type == StateType.PAUSED:
        resume_flow_run(run.id)
    elif run.state_type in RESTARTABLE:
        with get_client(sync_client=True) as client:
            client.set_flow_run_state(run.id, Scheduled(name="Resuming"), force=True)


def wait_for_shards(runs: Sequence[str], job_id: str, total: int, batches: int) -> JobProgress:
    """Until every shard has ended, publish the job's progress whenever it moves; the sum of
    the shards' last progress rows. A shard that did not complete fails the job, once all end."""
    last, bar = None, None
    while True:
        states, rows, paused = _shard_states(runs, job_id)
        ended = {run for run, state in states.items() if state.is_final()}
        progress = _job_progress(rows, total, batches, ended)
        # A pause lands at a task's start: a paused job with quiet shards must start one.
        if progress != last or paused:
            bar = report_progress(job_id, progress, bar)
            last = progress
        if len(ended) == len(runs):
            break
        time.sleep(POLL_S)
    bad = {run: s for run, s in states.items() if s.type != StateType.COMPLETED}
    if bad:
        raise SluiceError(f"{len(bad)} of {len(runs)} shards did not complete ("
                          + "; ".join(f"{run}: {s.name} {s.message or ''}".strip()
                                      for run, s in bad.items())
                          + "); `sluice resume` the job to run them again")
    return last


def _shard_states(runs: Sequence[str], job_id: str) -> tuple[dict, dict[str, JobProgress], bool]:
    """The shards' states and progress rows, and whether the job itself was paused."""
    with get_client(sync_client=True) as client:
        found = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            id=FlowRunFilterId(any_=[UUID(run) for run in runs])), limit=len(runs))
        states = {str(run.id): run.state for run in found}
        paused = client.read_flow_run(UUID(job_id)).state_type == StateType.PAUSED
        return states, read_progress(client, runs), paused


def _job_progress(rows: dict[str, JobProgress], total: int, batches: int,
                  ended: Collection[str] = ()) -> JobProgress:
    """The shards' rows summed; the rate, and so the ETA, only of the shards still running."""
    parts = list(rows.values())
    done, failed = sum(p.done for p in parts), sum(p.failed for p in parts)
    rate = sum(p.docs_per_min for run, p in rows.items() if run not in ended)
    left = total - done - failed
    return JobProgress(
        total=total, done=done, failed=failed, batch=sum(p.batch for p in parts),
        batches=batches, docs_per_min=round(rate, 1),
        eta_s=round(60.0 * left / rate, 1) if rate > 0 else None,
        **{field: sum(getattr(p, field) for p in parts)
           for field in ("processed", "skipped", "entities", "corrections", "chunks", "parked")})
