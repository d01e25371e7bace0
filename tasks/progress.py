"""Job progress, visible in the Prefect UI and read back by `sluice status`.

After every batch the flow publishes a `JobProgress`: a progress bar (updated in place) and a
one-row table artifact keyed by the job (a new version per batch: the artifact's history is the
job's history), plus a log line. Failures go to the log as warnings, which `sluice status` shows
as the job's last error.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from uuid import UUID

from prefect import get_run_logger, task
from prefect.artifacts import (
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.client.orchestration import SyncPrefectClient
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError

from sluice.io import store
from sluice.records import BatchReport, Failure
from tasks import IO_RETRIES, STAGE
from tasks.store import engine_for


class JobProgress(BaseModel):
    total: int  # inputs found in the source
    done: int = 0  # stored, skipped unchanged, or stored by this job before a pause or crash
    failed: int = 0
    batch: int = 0  # batches finished
    batches: int = 0
    docs_per_min: float = 0.0  # inputs this run attempt has worked through, per minute
    eta_s: float | None = None
    # the counts behind `done`, and what was found; a sharded job adds up its shards' rows
    processed: int = 0
    skipped: int = 0
    entities: int = 0
    corrections: int = 0
    chunks: int = 0
    parked: int = 0  # processed, but waiting in the outbox for `sluice replay`

    def report(self) -> BatchReport:
        return BatchReport(documents=self.total, processed=self.processed, skipped=self.skipped,
                           failed=self.failed, entities=self.entities,
                           corrections=self.corrections, chunks=self.chunks, parked=self.parked)

    @property
    def fraction(self) -> float:
        return (self.done + self.failed) / self.total if self.total else 1.0


def progress_key(job_id: str) -> str:
    return f"job-{job_id}"  # artifact keys allow lowercase letters, digits and dashes


def measure(totals: BatchReport, total: int, batch: int, batches: int, elapsed_s: float,
            resumed: int) -> JobProgress:
    """Progress after `batch` batches; `resumed` documents were done before this attempt, and
    take no time now, so they count as done but not towards the rate."""
    handled = totals.processed + totals.skipped + totals.failed
    worked = max(0, handled - resumed)
    rate = 60.0 * worked / elapsed_s if elapsed_s > 0 else 0.0
    eta = 60.0 * (total - handled) / rate if rate > 0 else None
    return JobProgress(total=total, done=totals.processed + totals.skipped, failed=totals.failed,
                       batch=batch, batches=batches, docs_per_min=round(rate, 1),
                       eta_s=None if eta is None else round(eta, 1),
                       processed=totals.processed, skipped=totals.skipped,
                       entities=totals.entities, corrections=totals.corrections,
                       chunks=totals.chunks, parked=totals.parked)


@task(name="job_done_ids", **STAGE, **IO_RETRIES)
def job_done_ids(url: str, job_id: str) -> set[str]:
    """Documents this job stored in an earlier attempt (before a pause, cancel or crash)."""
    return store.done_ids(engine_for(url), job_id)


def done_before(url: str, job_id: str) -> set[str]:
    """`job_done_ids`, with its retries for a passing fault. A store still down after them
    leaves none done: the job goes on, on the JSONL sink, its store writes parked in the
    outbox; redoing a stored document then costs time, never a duplicate (upserts)."""
    state = job_done_ids(url, job_id, return_state=True)
    outcome = state.result(raise_on_failure=False)
    if not isinstance(outcome, OperationalError):
        return state.result()  # the ids, or any other error raised as it was
    get_run_logger().warning("store unreachable at the start, the job goes on without it "
                             "(batches wait in the outbox for `sluice replay`): %s", outcome.orig)
    return set()


@task(name="report_progress", **STAGE)
def report_progress(job_id: str, progress: JobProgress, bar: UUID | None = None) -> UUID:
    """Publish `progress`; returns the progress bar's id, to update it in place next time."""
    percent = round(100 * progress.fraction, 1)
    if bar is None:
        bar = create_progress_artifact(percent, key=f"{progress_key(job_id)}-bar",
                                       description="documents done or failed, %")
    else:
        update_progress_artifact(bar, percent)
    create_table_artifact([progress.model_dump()], key=progress_key(job_id),
                          description="Sluice job progress")
    eta = "?" if progress.eta_s is None else f"{progress.eta_s:.0f} s"
    get_run_logger().info("batch %d/%d: %d/%d done, %d failed, %.0f docs/min, ETA %s",
                          progress.batch, progress.batches, progress.done, progress.total,
                          progress.failed, progress.docs_per_min, eta)
    return bar


def read_progress(client: SyncPrefectClient, run_ids: Sequence[str]) -> dict[str, JobProgress]:
    """The latest progress row of each run, by run id (runs without one are left out)."""
    if not run_ids:
        return {}
    keys = [progress_key(run_id) for run_id in run_ids]
    latest = post_filter(client, "/artifacts/latest/filter",
                         artifacts={"key": {"any_": keys}}, limit=len(keys))
    return {artifact["key"].removeprefix("job-"): _table_row(artifact["data"])
            for artifact in latest}


def _table_row(data: str | list) -> JobProgress:
    table = json.loads(data) if isinstance(data, str) else data
    return JobProgress.model_validate(table[0])


def post_filter(client: SyncPrefectClient, path: str, **body: object) -> list[dict]:
    """POST a filter query with only the set fields: Prefect's client sends unset fields as
    null, which newer fastapi releases reject with 422 on these endpoints."""
    return client.request("POST", path, json=body).json()


def log_failures(failures: Sequence[Failure]) -> None:
    """One warning per batch with failures: their number and the last one."""
    if failures:
        last = failures[-1]
        get_run_logger().warning("%d document(s) failed; last: %s %s: %s (%s)", len(failures),
                                 last.stage, last.error_class, last.message, last.source)
