"""Job progress, visible in the Prefect UI and read back by `sluice status`.

After every batch the flow publishes a `JobProgress`: a progress bar and a one-row table
artifact keyed by the job, both updated in place (one card each per job, across its attempts),
plus a log line. Failures go to the log as warnings, which `sluice status` shows as the job's
last error.

The rate and ETA are those of the batches this attempt worked through: batches a resumed job
passes by (finished before) and documents it skips as done count as done, never towards the
rate. A job that is not running shows none (`at_rest`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NamedTuple
from uuid import UUID

from prefect import get_client, get_run_logger, task
from prefect.artifacts import (
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.actions import ArtifactUpdate
from prefect.client.schemas.objects import StateType
from prefect.runtime import flow_run
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError

from sluice.io import store
from sluice.io.store import FinishedBatch
from sluice.records import BatchReport, Failure
from tasks import IO_RETRIES, STAGE
from tasks.store import engine_for


class JobProgress(BaseModel):
    total: int  # inputs found in the source
    done: int = 0  # stored, skipped unchanged, or stored by this job before a pause or crash
    failed: int = 0
    batch: int = 0  # batches finished
    batches: int = 0
    docs_per_min: float = 0.0  # inputs this attempt has worked through, per minute
    eta_s: float | None = None  # None: not running, or no batch of this attempt done yet
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


def measure(earlier: BatchReport, attempt: BatchReport, total: int, batch: int, batches: int,
            elapsed_s: float, resumed: int = 0) -> JobProgress:
    """Progress after `batch` batches: `earlier`, what batches finished before this attempt
    did; `attempt`, what this attempt's batches did in `elapsed_s`, of which `resumed`
    documents were stored by the job before. Only the rest makes the rate."""
    totals = earlier + attempt
    handled = totals.processed + totals.skipped + totals.failed
    worked = max(0, attempt.processed + attempt.skipped + attempt.failed - resumed)
    rate = 60.0 * worked / elapsed_s if elapsed_s > 0 else 0.0
    eta = 60.0 * max(0, total - handled) / rate if rate > 0 else None
    return JobProgress(total=total, done=totals.processed + totals.skipped, failed=totals.failed,
                       batch=batch, batches=batches, docs_per_min=round(rate, 1),
                       eta_s=None if eta is None else round(eta, 1),
                       processed=totals.processed, skipped=totals.skipped,
                       entities=totals.entities, corrections=totals.corrections,
                       chunks=totals.chunks, parked=totals.parked)


def at_rest(progress: JobProgress, state: StateType | None) -> JobProgress:
    """`progress` as a job in `state` shows it: only a running job has a rate and an ETA (a
    paused or crashed job's last row still holds those of its last batch)."""
    if state == StateType.RUNNING:
        return progress
    rate = progress.docs_per_min if state == StateType.COMPLETED else 0.0
    return progress.model_copy(update={"docs_per_min": rate, "eta_s": None})


class Earlier(NamedTuple):
    """What a job stored in its earlier attempts: documents, and finished batches by number."""

    done: set[str]
    finished: dict[int, FinishedBatch]


@task(name="job_done_ids", **STAGE, **IO_RETRIES)
def job_done_ids(url: str, job_id: str) -> Earlier:
    """Documents and batches this job stored in an earlier attempt (before a pause, cancel or
    crash)."""
    engine = engine_for(url)
    return Earlier(store.done_ids(engine, job_id), store.finished_batches(engine, job_id))


def done_before(url: str, job_id: str) -> Earlier:
    """`job_done_ids`, with its retries for a passing fault. A store still down after them
    leaves none done: the job goes on, on the JSONL sink, its store writes parked in the
    outbox, reading every batch; redoing a stored document then costs time, never a
    duplicate (upserts)."""
    # Called for its value, not with return_state: State.result() goes through Prefect's
    # event-loop thread, which at a job's start is busy for about 0.2 s with the run's
    # events and logs.
    try:
        return job_done_ids(url, job_id)  # the ids, or any other error raised as it was
    except OperationalError as exc:
        get_run_logger().warning("store unreachable at the start, the job goes on without it "
                                 "(batches wait in the outbox for `sluice replay`): %s",
                                 exc.orig)
    return Earlier(set(), {})


class Cards(NamedTuple):
    """A job's two progress artifacts: the table row and the bar, updated in place."""

    table: UUID
    bar: UUID


@task(name="report_progress", **STAGE)
def report_progress(job_id: str, progress: JobProgress, cards: Cards | None = None) -> Cards:
    """Publish `progress`; returns its artifacts, to update them in place next time. With none
    given, those this flow run made before (a paused run re-enters from the top) are reused."""
    percent = round(100 * progress.fraction, 1)
    row = [progress.model_dump()]
    cards = cards or _own_cards(job_id)
    if cards is None:
        table = create_table_artifact(row, key=progress_key(job_id),
                                      description="Sluice job progress")
        bar = create_progress_artifact(percent, key=f"{progress_key(job_id)}-bar",
                                       description="documents done or failed, %")
        cards = Cards(table, bar)
    else:
        with get_client(sync_client=True) as client:
            client.update_artifact(cards.table, ArtifactUpdate(data=json.dumps(row)))
        update_progress_artifact(cards.bar, percent)
    eta = "?" if progress.eta_s is None else f"{progress.eta_s:.0f} s"
    get_run_logger().info("batch %d/%d: %d/%d done, %d failed, %.0f docs/min, ETA %s",
                          progress.batch, progress.batches, progress.done, progress.total,
                          progress.failed, progress.docs_per_min, eta)
    return cards


def _own_cards(job_id: str) -> Cards | None:
    """The latest table and bar of `job_id`'s key, if this flow run made them."""
    keys = [progress_key(job_id), f"{progress_key(job_id)}-bar"]
    with get_client(sync_client=True) as client:
        latest = post_filter(client, "/artifacts/latest/filter",
                             artifacts={"key": {"any_": keys}}, limit=2)
    mine = {a["key"]: UUID(a["latest_id"]) for a in latest
            if a.get("flow_run_id") == flow_run.get_id()}
    if len(mine) < 2:
        return None
    return Cards(mine[keys[0]], mine[keys[1]])


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
