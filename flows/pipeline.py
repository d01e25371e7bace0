"""The Sluice pipeline flow: ingest -> parse -> clean -> NER -> embed -> store, per batch.

Run it: `sluice run SOURCE`, `python -m flows.pipeline SOURCE`, or as a deployment.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Collection, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import NamedTuple

from prefect import flow, task
from prefect.context import FlowRunContext
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote
from pydantic.json_schema import SkipJsonSchema

from flows.jobs import cancel_children
from sluice.config import PipelineConfig, RunParams, Shard, load_config
from sluice.errors import ErrorRateExceeded, SluiceError
from sluice.io.store import FinishedBatch, refs_digest
from sluice.memory import release_free_memory
from sluice.models import model_loaders
from sluice.ner_workers import processes_for
from sluice.records import BatchReport, Document, Failure, RawDocument, RunSummary, SourceRef
from sluice.sandbox import start_idle_worker
from sluice.shield import termination_deferred
from sluice.spawn import children_stop_on_sigterm
from tasks import STAGE
from tasks.clean import clean_batch
from tasks.embed import embed_batch
from tasks.events import (
    EVENT_HOOKS,
    emit_document_failures,
    emit_job_event,
    leaving_announced,
    use_event_blocks,
)
from tasks.ingest import discover_sources, ingest_batch
from tasks.limits import ensure_limit, shared_worker
from tasks.ner import ner_ahead, ner_stages
from tasks.parse import parse_batch
from tasks.progress import Earlier, done_before, log_failures, measure, report_progress
from tasks.secure import secure_params
from tasks.shards import start_shards, wait_for_shards
from tasks.store import Planned, batch_report, skip_unchanged, store_batch
from tasks.warm_pause import hold_while_paused

Plan = list[tuple[int, list[SourceRef]]]  # batches, numbered from 1 in the job's batch plan


def cancel_child_runs(flow: object, flow_run: object, state: object) -> None:
    """Prefect does not cancel the NER deployment runs (ner.mode=pool) or the shards of a
    cancelled job. Named as Prefect's runner calls it: flow=, flow_run=, state=."""
    try:
        cancel_children(str(flow_run.id))
    except SluiceError:  # the embedded server: no deployments, so no child runs
        pass


# Results persisted: a suspended (paused) run is rescheduled and re-enters the flow from the top.
@flow(name="sluice-pipeline", log_prints=True, validate_parameters=True, persist_result=True,
      **{**EVENT_HOOKS, "on_cancellation": [*EVENT_HOOKS["on_cancellation"], cancel_child_runs]})
def pipeline(params: RunParams, shard: SkipJsonSchema[Shard | None] = None) -> RunSummary:
    """`shard`: set by a sharded job on the runs it starts; not in the deployment's run form."""
    # A stop (cancel, SIGTERM) kills the NER and sandbox workers first: a share in flight is
    # not replayed in a new worker while the run shuts down (sluice.spawn).
    with leaving_announced(flow_run.get_id()), children_stop_on_sigterm():
        return run_job(params, shard)


def run_job(params: RunParams, shard: Shard | None) -> RunSummary:
    params = secure_params(resolve_blocks(params))
    if shard is not None:
        shard.check(params)
    cfg = load_config(params.config, params.overrides)
    run_id = flow_run.get_id() or str(uuid.uuid4())
    job_id = shard.job if shard else run_id  # a shard's run works under its job's id
    started = time.perf_counter()
    # The models (and the parse worker) load while the sources are listed and the job's done
    # set is read: a resumed run's first batch then waits for neither. A sharded job's own
    # run only coordinates its shards: it loads none.
    warming = warm_models(cfg) if params.shards <= 1 or shard is not None else None
    refs, hidden = discover_sources(params.source)
    plan = list(enumerate(_batches(refs, cfg.batch_size), 1))
    # A resumed or re-run job (same flow run id) passes by the batches it stored before and
    # skips the documents it stored before: the store's batches table and ledger.
    earlier = done_before(params.store, job_id)
    done = earlier.done
    if shard is None:
        emit_job_event("job.resumed" if done else "job.started", job_id, {"source": params.source})
    if params.shards > 1 and shard is None:
        runs = start_shards(params, job_id)
        totals = wait_for_shards(runs, job_id, len(refs), len(plan)).report()
        prior = BatchReport()  # the shards' own summaries tell their rates
    else:
        mine = plan if shard is None else plan[shard.index::params.shards]
        prior = unfinished(mine, earlier.finished)[1]
        totals = run_batches(mine, params, cfg, job_id, run_id, earlier, warming)
    summary = RunSummary(job_id=job_id, totals=totals, wall_s=time.perf_counter() - started,
                         store=params.store, out=params.out,
                         hidden=len(hidden) if shard is None else 0,
                         earlier=prior.processed + prior.failed)
    print("\n".join(summary.lines()))
    if done:
        print(f"of these, stored before a pause, cancel or crash of this job: {len(done)}")
    check_error_rate(totals, cfg.max_error_rate)
    return summary


def run_batches(plan: Plan, params: RunParams, cfg: PipelineConfig, job_id: str, run_id: str,
                earlier: Earlier, warming: Future | None = None) -> BatchReport:
    """The batches one after the other in this run, with progress after each under its id.
    Batches the job finished before are passed by unread; their stored reports count.
    `warming`: the models loading (warm_models)."""
    ensure_limit()
    todo, before = unfinished(plan, earlier.finished)
    total, passed = sum(len(refs) for _, refs in plan), len(plan) - len(todo)
    started, attempt, resumed = time.perf_counter(), BatchReport(), 0
    cards = report_progress(run_id, measure(before, attempt, total, passed, len(plan), 0.0))
    batches = process_batches(todo, params, cfg, job_id, earlier.done, warming)
    for number, (report, done_before_now) in enumerate(batches, passed + 1):
        attempt, resumed = attempt + report, resumed + done_before_now
        progress = measure(before, attempt, total, number, len(plan),
                           time.perf_counter() - started, resumed)
        cards = report_progress(run_id, progress, cards)
        emit_job_event("batch.completed", job_id, progress.model_dump())
        release_free_memory()  # freed heap pages go back to the OS between batches
        if shared_worker():  # a deployment's run: `sluice pause` holds it here, models warm
            hold_while_paused(run_id, job_id, 0.0 if distributed_runner() else None)
    return before + attempt


def unfinished(plan: Plan, finished: dict[int, FinishedBatch]) -> tuple[Plan, BatchReport]:
    """The batches of `plan` still to do, and what the finished ones did: a finished batch
    is one stored under its number with the same inputs (a changed source re-plans)."""
    todo, before = [], BatchReport()
    for number, refs in plan:
        batch = finished.get(number)
        if batch is not None and batch.digest == refs_digest(ref.label for ref in refs):
            before += batch.report
        else:
            todo.append((number, refs))
    return todo, before


def warm_models(cfg: PipelineConfig) -> Future | None:
    """Load this process's models in a thread while the first batch is read, parsed and
    cleaned; the loaders are cached, so the stages then find them loaded. None: the models
    load elsewhere (Dask workers, the NER pool) or on first use."""
    if distributed_runner():
        return None
    if cfg.budgets.sandbox:  # the first batch's parse then finds its worker started
        start_idle_worker(cfg.budgets.memory_mb)
    loads = model_loaders(cfg)
    if not loads:
        return None
    pool = ThreadPoolExecutor(1, thread_name_prefix="sluice-warm")
    warming = pool.submit(lambda: [load() for load in loads])
    pool.shutdown(wait=False)  # its thread ends after this one job
    return warming


def _warmed(warming: Future | None) -> None:
    """Wait for the models: a stage loading one the thread is loading would load it twice.
    A loader's error is left for the stage, which raises it where it is handled."""
    if warming is not None:
        warming.exception()


def resolve_blocks(params: RunParams) -> RunParams:
    """Blocks named in the parameters, loaded from the server (none: nothing to load)."""
    use_event_blocks(params.redis_block, params.webhook_block)
    if not (params.store_block or params.cleaning_profile or params.s3_block):
        return params
    from blocks.use import apply_blocks

    return apply_blocks(params)


class Prepared(NamedTuple):
    """A batch up to NER: its place in the plan, documents, failures so far, and what it
    skipped (unchanged) or found done by this job before (resumed)."""

    number: int
    refs: list[SourceRef]
    docs: list[Document]
    failures: list[Failure]
    skipped: int = 0
    resumed: int = 0

    def planned(self) -> Planned:
        base = BatchReport(documents=len(self.refs), processed=self.resumed,
                           skipped=self.skipped)
        return Planned(self.number, refs_digest(ref.label for ref in self.refs), base)


def process_batches(plan: Plan, params: RunParams, cfg: PipelineConfig, job_id: str,
                    done: Collection[str],
                    warming: Future | None = None) -> Iterator[tuple[BatchReport, int]]:
    """Batch by batch, each report with the documents of it done before (resumed); with
    ner.mode=pool, `ner.parallel` batches at a time have their NER runs in flight on the
    pool at once, which is how a job scales out over NER workers."""
    if distributed_runner():  # Dask: every batch, all its stages, is a task on the cluster
        # As plain dicts: Dask walks the lists in a task's arguments and would take the
        # records (iterables of fields) apart.
        if cfg.ner.processes is None:  # the cluster's worker processes are the parallelism
            cfg = cfg.model_copy(update={"ner": cfg.ner.model_copy(update={"processes": 0})})
        futures = [whole_batch.submit([r.model_dump() for r in refs], params, cfg, job_id,
                                      quote(done), number)
                   for number, refs in plan]
        for future in futures:
            yield future.result()
        return
    if overlapped(cfg):
        yield from overlap_ner(plan, params, cfg, job_id, done, warming)
        return
    window = cfg.ner.parallel if cfg.ner.mode == "pool" else 1
    for first in range(0, len(plan), window):
        prepared = [prepare_batch(number, refs, params, cfg, done)
                    for number, refs in plan[first:first + window]]
        _warmed(warming)
        annotated = ner_stages([p.docs for p in prepared], cfg, params.store, job_id,
                               [p.number for p in prepared])
        for batch, (docs, failed_ner) in zip(prepared, annotated, strict=False):
            yield finish_batch(batch, docs, failed_ner, params, cfg, job_id), batch.resumed


def overlapped(cfg: PipelineConfig) -> bool:
    return cfg.ner.mode == "local" and cfg.ner.overlap and processes_for(cfg) > 0


def overlap_ner(plan: Plan, params: RunParams, cfg: PipelineConfig, job_id: str,
                done: Collection[str],
                warming: Future | None = None) -> Iterator[tuple[BatchReport, int]]:
    """NER of batch N runs in the NER worker processes while this process reads, parses and
    cleans batch N+1, then embeds and stores batch N: the cores do not wait on one another.
    Batch N+1 goes to the NER workers as soon as it is cleaned, before batch N's NER is
    done: its parts wait behind N's, and a worker done with N goes on with N+1 at once.
    Batches are still stored one at a time in plan order; a batch whose NER is in flight
    when the run stops is not stored, so it is done again on resume (exactly once)."""
    previous: Prepared | None = None
    waiting = None
    for number, refs in plan:
        batch = prepare_batch(number, refs, params, cfg, done)
        _warmed(warming)
        ahead = ner_ahead(batch.docs, cfg)
        if previous is not None and waiting is not None:
            yield finish_batch(previous, *waiting(), params, cfg, job_id), previous.resumed
        previous, waiting = batch, ahead
    if previous is not None and waiting is not None:
        yield finish_batch(previous, *waiting(), params, cfg, job_id), previous.resumed


def distributed_runner() -> bool:
    """True when the flow runs with a task runner other than Prefect's thread pool: the
    DaskTaskRunner of flows/pipeline_dask.py (or a Ray one), whose workers are processes."""
    return not isinstance(FlowRunContext.get().task_runner, ThreadPoolTaskRunner)


@task(name="whole_batch", **STAGE)
def whole_batch(refs: list[dict], params: RunParams, cfg: PipelineConfig, job_id: str,
                done: Collection[str], number: int) -> tuple[BatchReport, int]:
    """One batch through every stage on a task runner's worker: only references travel there
    and a report comes back; the worker loads the models once and writes to the store itself."""
    batch = prepare_batch(number, [SourceRef(**r) for r in refs], params, cfg, done)
    [(docs, failed_ner)] = ner_stages([batch.docs], cfg, params.store, job_id, [number])
    return finish_batch(batch, docs, failed_ner, params, cfg, job_id), batch.resumed


def prepare_batch(number: int, refs: Sequence[SourceRef], params: RunParams,
                  cfg: PipelineConfig, done: Collection[str]) -> Prepared:
    """Ingest, skip, parse, clean. Documents in `done` (stored by this job) count as processed.
    Batches go in `quote()`: Prefect would otherwise walk every record of every argument."""
    raws, failed_ingest = ingest_batch(quote(refs), params.source,
                                       cfg.budgets.max_input_bytes)
    raws, resumed = _not_in(raws, done)
    skipped = 0
    if raws and not cfg.reprocess:
        raws, skipped = skip_unchanged(quote(raws), params.store)
    if not raws:
        return Prepared(number, list(refs), [], failed_ingest, skipped, resumed)
    docs, failed_parse = parse_batch(quote(raws), cfg)
    docs, failed_clean = clean_batch(quote(docs), cfg.clean, cfg.budgets)
    return Prepared(number, list(refs), docs, failed_ingest + failed_parse + failed_clean,
                    skipped, resumed)


def finish_batch(batch: Prepared, docs: list[Document], failed_ner: list[Failure],
                 params: RunParams, cfg: PipelineConfig, job_id: str) -> BatchReport:
    """Embed and store one annotated batch, marked finished in the job's plan with its report
    (the same report this returns) in the store transaction of its documents."""
    chunks, failed_embed = embed_batch(quote(docs), cfg.embed) if docs else ([], [])
    failures = batch.failures + failed_ner + failed_embed
    bad = {f.doc_id for f in failed_embed}
    docs = [d for d in docs if d.id not in bad]
    planned = batch.planned()
    with termination_deferred():  # a cancel lands before or after the write, not inside
        stored = store_batch(params.store, params.out, job_id, docs, chunks, failures, planned)
    failures = failures + stored.failures  # documents that no sink could write
    unwritten = {f.doc_id for f in stored.failures}
    docs = [d for d in docs if d.id not in unwritten]
    log_failures(failures)
    emit_document_failures(job_id, failures)
    return batch_report(planned.base, docs, chunks, failures, stored.parked)


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
