"""Store tasks: skip what is stored unchanged, then write a batch to every sink, isolated."""

import os
from collections.abc import Sequence
from typing import NamedTuple

from prefect import get_run_logger, task
from prefect.utilities.annotations import quote
from sqlalchemy.exc import OperationalError

from sluice.io import outbox, sinks, store
from sluice.io.sinks import SinkBatch, engine_for
from sluice.io.store import FinishedBatch
from sluice.records import BatchReport, Chunk, Document, Failure, RawDocument
from tasks import STAGE

__all__ = ["Planned", "Stored", "batch_report", "engine_for", "skip_unchanged", "store_batch",
           "write_sink"]
SINK_RETRY_DELAYS_S = "1,2,4"  # then the batch waits in the outbox for `sluice replay`


@task(name="skip_unchanged", **STAGE)
def skip_unchanged(raws: Sequence[RawDocument], url: str) -> tuple[list[RawDocument], int]:
    """Content-hash ids already stored are skipped before parsing: a re-run is cheap."""
    try:
        known = store.known_ids(engine_for(url), [raw.id for raw in raws])
    except OperationalError as exc:  # the store is down: process all, its writes get parked
        get_run_logger().warning("store unreachable, nothing skipped: %s", exc.orig)
        return list(raws), 0
    return [raw for raw in raws if raw.id not in known], len(known)


@task(name="write_sink", **STAGE)
def write_sink(sink: str, batch: SinkBatch) -> tuple[int, list[Failure]]:
    return sinks.write_isolated(sink, batch)


class Stored(NamedTuple):
    """What storing one batch did: JSONL lines written, documents whose batch some sink could
    not take (parked in the outbox), and failures of documents no sink could write."""

    lines: int = 0
    parked: int = 0
    failures: list[Failure] = []


class Planned(NamedTuple):
    """A batch's place in its job's plan (number, refs digest) and what it did before the
    store: inputs seen, skipped unchanged, and done by the job before (`processed`)."""

    number: int
    digest: str
    base: BatchReport


def batch_report(base: BatchReport, docs: Sequence[Document], chunks: Sequence[Chunk],
                 failures: Sequence[Failure], parked: int) -> BatchReport:
    """What a batch did, once `docs` are stored and `failures` known."""
    kept = {doc.id for doc in docs}
    return base + BatchReport(processed=len(docs), failed=len(failures), parked=parked,
                              entities=sum(len(d.entities) for d in docs),
                              corrections=sum(len(d.corrections) for d in docs),
                              chunks=sum(1 for c in chunks if c.doc_id in kept))


def store_batch(url: str, out_dir: str, job_id: str, docs: Sequence[Document],
                chunks: Sequence[Chunk], failures: Sequence[Failure],
                plan: Planned | None = None) -> Stored:
    """Write the batch to each sink; one that still fails after its retries does not stop
    the others: its batch is parked in the outbox for `sluice replay`. A document no sink can
    write becomes a failure row of its own. JSONL first, the store (whose ledger marks
    documents done for a resume, and, with `plan`, the batch finished) last. A batch with
    nothing to write goes to the store alone, to be marked finished. JSONL and the store agree:
    what the store's known limits refuse never reaches JSONL (`sinks.writable`), and a document
    the store still refuses is withdrawn from JSONL (a crash in between: the batch is not
    finished, so its resume refuses and withdraws again)."""
    batch, unwritable = sinks.writable(SinkBatch(
        job_id=job_id, documents=tuple(docs), chunks=tuple(chunks), failures=tuple(failures)),
        store_url=url)
    delays = [float(d) for d in os.environ.get("SLUICE_SINK_RETRY_DELAYS",
                                               SINK_RETRY_DELAYS_S).split(",")]
    retrying = write_sink.with_options(retries=len(delays), retry_delay_seconds=delays)
    written, parked, rejected = {}, 0, list(unwritable)
    for sink in (out_dir, url) if docs or failures else (url,):
        if sink == url and plan is not None:  # its report as the store will hold the batch
            report = batch_report(plan.base, batch.documents, batch.chunks,
                                  [*batch.failures, *rejected[len(unwritable):]], parked)
            batch = batch.model_copy(update={"finished": FinishedBatch(
                number=plan.number, digest=plan.digest, report=report)})
        state = retrying(sink, quote(batch), return_state=True)
        if state.is_completed():
            written[sink], failed = state.result()
            rejected += failed
            continue
        with outbox.opened() as conn:
            outbox.park_write(conn, job_id, sink, batch.model_dump_json(), str(state.message))
        get_run_logger().error("sink %s failed, batch parked in the outbox (%d documents; "
                               "`sluice replay` writes it): %s", sink, len(batch.documents),
                               state.message)
        parked = len(batch.documents)
    refused = {f.doc_id for f in rejected[len(unwritable):] if f.doc_id}
    withdrawn = sinks.withdraw(out_dir, refused) if out_dir in written else 0
    return Stored(max(0, written.get(out_dir, 0) - withdrawn), parked, rejected)
