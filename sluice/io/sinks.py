"""Sinks: where a finished batch goes. A sink is named by a URI and chosen by its scheme:
sqlite:/// or postgresql:// (the document store), s3://bucket/prefix (JSONL objects), anything
else a local folder (daily JSONL files). Every sink write is idempotent, so a batch written
again, by a retry or a replay from the outbox, changes nothing the first write made."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from sqlalchemy import Engine

from sluice.io import jsonl, outbox, s3, store
from sluice.records import Chunk, Document, Failure, Record

STORE_SCHEMES = ("sqlite", "postgresql", "postgres")


class SinkBatch(Record):
    """One batch as every sink receives it, and as the outbox keeps it (JSON)."""

    job_id: str
    documents: tuple[Document, ...] = ()
    chunks: tuple[Chunk, ...] = ()
    failures: tuple[Failure, ...] = ()


def is_store(sink: str) -> bool:
    return sink.split(":", 1)[0].split("+", 1)[0] in STORE_SCHEMES and "://" in sink


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine (and connection pool) per store URL per process."""
    return store.open_store(url)


def write(sink: str, batch: SinkBatch) -> int:
    """Store `batch` in `sink`; returns the documents it wrote (0: all there already)."""
    if is_store(sink):
        stats = store.write_batch(
            engine_for(sink), batch.job_id, batch.documents, batch.chunks, batch.failures
        )
        return stats.documents
    chunk_counts = Counter(chunk.doc_id for chunk in batch.chunks)
    if s3.is_s3(sink):
        return s3.write_documents(sink, batch.documents, chunk_counts)
    return jsonl.write_documents(sink, batch.documents, chunk_counts)


def replay(job_id: str | None, path: str | None = None) -> tuple[int, int]:
    """Write the outbox's parked batches of `job_id` (all jobs: None) to their sinks again;
    returns (replayed, still failing). A replayed entry is removed, a failing one kept."""
    with outbox.opened(path) as conn:
        entries = outbox.parked_writes(conn, job_id)
    replayed = 0
    for entry in entries:
        try:
            write(entry.key, SinkBatch.model_validate_json(entry.payload))
        except Exception as exc:  # noqa: BLE001 -- kept for the next replay, with its error
            with outbox.opened(path) as conn:
                outbox.failed(conn, "writes", entry.id, f"{type(exc).__name__}: {exc}")
            continue
        with outbox.opened(path) as conn:
            outbox.done(conn, "writes", entry.id)
        replayed += 1
    return replayed, len(entries) - replayed
