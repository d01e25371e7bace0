"""The Sluice pipeline flow: ingest -> parse -> clean -> NER -> embed -> store, per batch.

Run it: `sluice run SOURCE`, `python -m flows.pipeline SOURCE`, or as a deployment.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Collection, Iterator, Sequence
from typing import NamedTuple

from prefect import flow, task
from prefect.context import FlowRunContext
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from sluice.config import PipelineConfig, RunParams, load_config
from sluice.errors import ErrorRateExceeded, SluiceError
from sluice.memory import release_free_memory
from sluice.records import BatchReport, Document, Failure, RawDocument, RunSummary, SourceRef
from sluice.shield import termination_deferred
from tasks import STAGE
from tasks.clean import clean_batch
from tasks.embed import embed_batch
from tasks.events import EVENT_HOOKS, emit_document_failures, emit_job_event, use_event_blocks
from tasks.ingest import discover_sources, ingest_batch
from tasks.limits import ensure_limit
from tasks.ner import ner_stages
from tasks.parse import parse_batch
from tasks.progress import done_before, log_failures, measure, report_progress
from tasks.secure import secure_params
from tasks.shards import start_shards, wait_for_shards
from tasks.store import Stored, skip_unchanged, store_batch


def cancel_child_runs(flow: object, flow_run: object, state: object) -> None:
    """Prefect does not cancel the NER deployment runs (ner.mode=pool) or the shards of a
    cancelled job. Named as Prefect's runner calls it: flow=, flow_run=, state=."""
    from flows.jobs import cancel_children

    try:
        cancel_children(str(flow_run.id))
    except SluiceError:  # the embedded server: no deployments, so no child runs
        pass


# Results persisted: a suspended (paused) run is rescheduled and re-enters the flow from the top.
@flow(name="sluice-pipeline", log_prints=True, validate_parameters=True, persist_result=True,
      **{**EVENT_HOOKS, "on_cancellation": [*EVENT_HOOKS["on_cancellation"], cancel_child_runs]})
def pipeline(params: RunParams) -> RunSummary:
    params = secure_params(resolve_blocks(params))
    cfg = load_config(params.config, params.overrides)
    run_id = flow_run.get_id() or str(uuid.uuid4())
    job_id = params.job or run_id  # a shard's run works under its job's id
    started = time.perf_counter()
    refs = discover_sources(params.source)
    batches = _batches(refs, cfg.batch_size)
    # A resumed or re-run job (same flow run id) skips what it stored before: the store's ledger.
    done = done_before(params.store, job_id)
    if params.shard is None:
        emit_job_event("job.resumed" if done else "job.started", job_id, {"source": params.source})
    if params.shards > 1 and params.shard is None:
        runs = start_shards(params, job_id)
        totals = wait_for_shards(runs, job_id, len(refs), len(batches)).report()
    else:
        mine = batches if params.shard is None else batches[params.shard::params.shards]
        totals = run_batches(mine, params, cfg, job_id, run_id, done)
    summary = RunSummary(job_id=job_id, totals=totals, wall_s=time.perf_counter() - started,
                         store=params.store, out=params.out)
    print("\n".join(summary.lines()))
    if done:
        print(f"of these, stored before a pause, cancel or crash of this job: {len(done)}")
    check_error_rate(totals, cfg.max_error_rate)
    return summary


def run_batches(batches: list[list[SourceRef]], params: RunParams, cfg: PipelineConfig,
                job_id: str, run_id: str, done: Collection[str]) -> BatchReport:
    """The batches one after the other in this run, with progress after each under its id."""
    ensure_limit()
    started, total = time.perf_counter(), sum(len(refs) for refs in batches)
    # What the job stored before takes no time now; a shard cannot tell which of it is its own.
    resumed = len(done) if params.shard is None else 0
    totals, bar = BatchReport(), None
    for number, report in enumerate(process_batches(batches, params, cfg, job_id, done), 1):
        totals += report
        progress = measure(totals, total, number, len(batches),
                           time.perf_counter() - started, resumed=resumed)
        bar = report_progress(run_id, progress, bar)
        emit_job_event("batch.completed", job_id, progress.model_dump())
        release_free_memory()  # freed heap pages go back to the OS between batches
    return totals


def resolve_blocks(params: RunParams) -> RunParams:
    """Blocks named in the parameters, loaded from the server (none: nothing to load)."""
    use_event_blocks(params.redis_block, params.webhook_block)
    if not (params.store_block or params.cleaning_profile or params.s3_block):
        return params
    from blocks.use import apply_blocks

    return apply_blocks(params)


class Prepared(NamedTuple):
    """A batch up to NER: its documents, failures so far, and what it skipped."""

    inputs: int
    docs: list[Document]
    failures: list[Failure]
    skipped: int = 0
    resumed: int = 0


def process_batches(batches: list[list[SourceRef]], params: RunParams, cfg: PipelineConfig,
                    job_id: str, done: Collection[str]) -> Iterator[BatchReport]:
    """Batch by batch; with ner.mode=pool, `ner.parallel` batches at a time have their NER
    runs in flight on the pool at once, which is how a job scales out over NER workers."""
    if distributed_runner():  # Dask: every batch, all its stages, is a task on the cluster
        # As plain dicts: Dask walks the lists in a task's arguments and would take the
        # records (iterables of fields) apart.
        futures = [whole_batch.submit([r.model_dump() for r in refs], params, cfg, job_id,
                                      quote(done), number)
                   for number, refs in enumerate(batches, 1)]
        for future in futures:
            yield future.result()
        return
    window = cfg.ner.parallel if cfg.ner.mode == "pool" else 1
    for first in range(0, len(batches), window):
        prepared = [prepare_batch(refs, params, cfg, done)
                    for refs in batches[first:first + window]]
        annotated = ner_stages([p.docs for p in prepared], cfg, params.store, job_id, first + 1)
        for batch, (docs, failed_ner) in zip(prepared, annotated, strict=False):
            yield finish_batch(batch, docs, failed_ner, params, cfg, job_id)


def distributed_runner() -> bool:
    """True when the flow runs with a task runner other than Prefect's thread pool: the
    DaskTaskRunner of flows/pipeline_dask.py (or a Ray one), whose workers are processes."""
    return not isinstance(FlowRunContext.get().task_runner, ThreadPoolTaskRunner)


@task(name="whole_batch", **STAGE)
def whole_batch(refs: list[dict], params: RunParams, cfg: PipelineConfig, job_id: str,
                done: Collection[str], number: int) -> BatchReport:
    """One batch through every stage on a task runner's worker: only references travel there
    and a report comes back; the worker loads the models once and writes to the store itself."""
    batch = prepare_batch([SourceRef(**r) for r in refs], params, cfg, done)
    [(docs, failed_ner)] = ner_stages([batch.docs], cfg, params.store, job_id, number)
    return finish_batch(batch, docs, failed_ner, params, cfg, job_id)


def prepare_batch(refs: Sequence[SourceRef], params: RunParams, cfg: PipelineConfig,
                  done: Collection[str]) -> Prepared:
    """Ingest, skip, parse, clean. Documents in `done` (stored by this job) count as processed.
    Batches go in `quote()`: Prefect would otherwise walk every record of every argument."""
    raws, failed_ingest = ingest_batch(quote(refs), params.source,
                                       cfg.budgets.max_input_bytes)
    raws, resumed = _not_in(raws, done)
    skipped = 0
    if raws and not cfg.reprocess:
        raws, skipped = skip_unchanged(quote(raws), params.store)
    if not raws:
        return Prepared(len(refs), [], failed_ingest, skipped, resumed)
    docs, failed_parse = parse_batch(quote(raws), cfg)
    docs, failed_clean = clean_batch(quote(docs), cfg.clean, cfg.budgets)
    return Prepared(len(refs), docs, failed_ingest + failed_parse + failed_clean, skipped, resumed)


def finish_batch(batch: Prepared, docs: list[Document], failed_ner: list[Failure],
                 params: RunParams, cfg: PipelineConfig, job_id: str) -> BatchReport:
    """Embed and store one annotated batch."""
    chunks, failed_embed = embed_batch(quote(docs), cfg.embed) if docs else ([], [])
    failures = batch.failures + failed_ner + failed_embed
    bad = {f.doc_id for f in failed_embed}
    docs = [d for d in docs if d.id not in bad]
    stored = Stored()
    if docs or failures:
        with termination_deferred():  # a cancel lands before or after the write, not inside
            stored = store_batch(params.store, params.out, job_id, docs, chunks, failures)
    failures = failures + stored.failures  # documents that no sink could write
    unwritten = {f.doc_id for f in stored.failures}
    docs = [d for d in docs if d.id not in unwritten]
    log_failures(failures)
    emit_document_failures(job_id, failures)
    return BatchReport(documents=batch.inputs, processed=len(docs) + batch.resumed,
                       skipped=batch.skipped, failed=len(failures), parked=stored.parked,
                       entities=sum(len(d.entities) for d in docs),
                       corrections=sum(len(d.corrections) for d in docs), chunks=len(chunks))


def _not_in(raws: list[RawDocument], done: Collection[str]) -> tuple[list[RawDocument], int]:
    todo = [raw for raw in raws if raw.id not in done]
    return todo, len(raws) - len(todo)


def _batches(refs: list[SourceRef], size: int) -> list[list[SourceRef]]:
    return [refs[i:i + size] for i in range(0, len(refs), size)]


def check_error_rate(totals: BatchReport, max_error_rate: float) -> None:
    rate = totals.failed / totals.documents if totals.documents else 0.0
    if rate > max_error_rate:
        raise ErrorRateExceeded(
            f"{totals.failed} of {totals.documents} inputs failed ({rate:.0%}), above "
            f"max_error_rate {max_error_rate:.0%}; see the failures table")


if __name__ == "__main__":
    pipeline(RunParams(source=sys.argv[1]))
