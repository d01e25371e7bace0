"""Store tasks: skip what is stored unchanged, then write a batch to every sink, isolated."""

import os
from collections.abc import Sequence

from prefect import get_run_logger, task
from prefect.utilities.annotations import quote
from sqlalchemy.exc import OperationalError

from sluice.io import outbox, sinks, store
from sluice.io.sinks import SinkBatch, engine_for
from sluice.records import Chunk, Document, Failure, RawDocument
from tasks import STAGE

__all__ = ["engine_for", "skip_unchanged", "store_batch", "write_sink"]
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
def write_sink(sink: str, batch: SinkBatch) -> int:
    return sinks.write(sink, batch)


def store_batch(url: str, out_dir: str, job_id: str, docs: Sequence[Document],
                chunks: Sequence[Chunk], failures: Sequence[Failure]) -> int:
    """Write the batch to each sink; one that still fails after its retries does not stop
    the others: its batch is parked in the outbox for `sluice replay`. Returns JSONL lines.
    JSONL first, the store (whose ledger marks documents done for a resume) last."""
    batch = SinkBatch(job_id=job_id, documents=tuple(docs), chunks=tuple(chunks),
                      failures=tuple(failures))
    delays = [float(d) for d in os.environ.get("SLUICE_SINK_RETRY_DELAYS",
                                               SINK_RETRY_DELAYS_S).split(",")]
    retrying = write_sink.with_options(retries=len(delays), retry_delay_seconds=delays)
    written = {}
    for sink in (out_dir, url):
        state = retrying(sink, quote(batch), return_state=True)
        if state.is_completed():
            written[sink] = state.result()
            continue
        get_run_logger().error("sink %s failed, batch kept in the outbox: %s", sink, state.message)
        with outbox.opened() as conn:
            outbox.park_write(conn, job_id, sink, batch.model_dump_json(), str(state.message))
    return written.get(out_dir, 0)
