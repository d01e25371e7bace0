"""Sinks: where a finished batch goes. A sink is named by a URI and chosen by its scheme:
sqlite:/// or postgresql:// (the document store), s3://bucket/prefix (JSONL objects), anything
else a local folder (daily JSONL files). Every sink write is idempotent, so a batch written
again, by a retry or a replay from the outbox, changes nothing the first write made."""

from __future__ import annotations

import hashlib
from collections import Counter
from functools import lru_cache

from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError

from sluice.errors import UnwritableRecord, failure_from
from sluice.io import jsonl, outbox, s3, store
from sluice.records import Chunk, Document, Failure, Record
from sluice.screen import valid_record, valid_unicode

STORE_SCHEMES = ("sqlite", "postgresql", "postgres")
# PostgreSQL indexes `source` (documents) and (source, stage) (failures) with B-trees, whose
# entries may not exceed 2,704 bytes: a longer label (a deep folder of long names) is refused.
PG_MAX_SOURCE_BYTES = 2_000
# SQLSTATE classes that say "this data", where psycopg2 (and so SQLAlchemy) still raises an
# OperationalError: 54 program limit exceeded (an index row too large, ...). 22 data exception
# and 23 integrity constraint come as DataError/IntegrityError, listed for other drivers.
DATA_SQLSTATE_CLASSES = ("22", "23", "54")


class SinkBatch(Record):
    """One batch as every sink receives it, and as the outbox keeps it (JSON)."""

    job_id: str
    documents: tuple[Document, ...] = ()
    chunks: tuple[Chunk, ...] = ()
    failures: tuple[Failure, ...] = ()
    # The batch's place in its job's plan, marked done with it; only a store keeps it.
    finished: store.FinishedBatch | None = None


def is_store(sink: str) -> bool:
    return sink.split(":", 1)[0].split("+", 1)[0] in STORE_SCHEMES and "://" in sink


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine (and connection pool) per store URL per process."""
    return store.open_store(url)


def writable(batch: SinkBatch, store_url: str | None = None) -> tuple[SinkBatch, list[Failure]]:
    """`batch` as every sink and the outbox can serialise it, and as the store `store_url` can
    hold it: valid Unicode throughout, and without the documents that JSON or the store's
    known limits still refuse (returned as failures, with their chunks left out), so one such
    document never costs its batch, and JSONL never holds a document the store refused."""
    postgres = store_url is not None and _is_postgres(store_url)
    docs, failures = [], [_keyable(valid_record(f), postgres) for f in batch.failures]
    for doc in valid_unicode(batch.documents, nul=True):
        try:
            doc.model_dump_json()  # the serialiser jsonl.line and the outbox use
            if postgres:
                _fits_postgres(doc)
        except Exception as exc:  # noqa: BLE001 -- any serialisation error: that document
            error = exc if isinstance(exc, UnwritableRecord) else \
                UnwritableRecord(f"{type(exc).__name__}: {exc}")
            failure = failure_from(error, "store", doc.source, doc.id)
            failures.append(_keyable(failure, postgres))
            continue
        docs.append(doc)
    kept = {doc.id for doc in docs}
    chunks = [valid_record(c) for c in batch.chunks if c.doc_id in kept]
    fine = SinkBatch(job_id=batch.job_id, documents=tuple(docs), chunks=tuple(chunks),
                     failures=tuple(failures))
    return fine, failures[len(batch.failures):]


def _is_postgres(url: str) -> bool:
    return url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


def _fits_postgres(doc: Document) -> None:
    size = len(doc.source.encode())
    if size > PG_MAX_SOURCE_BYTES:
        raise UnwritableRecord(f"source label of {size:,} bytes > {PG_MAX_SOURCE_BYTES:,}, the "
                               "longest PostgreSQL's index of sources can hold")


def _keyable(failure: Failure, postgres: bool) -> Failure:
    """`failure`, keyed in PostgreSQL by a source label it can index: a label over the limit is
    cut and ends in a backslash, "#" and the SHA-256 of the whole label. No file's label can
    take that key: sluice.names writes a real backslash as two, and the cut never ends in one."""
    raw = failure.source.encode()
    if not postgres or len(raw) <= PG_MAX_SOURCE_BYTES:
        return failure
    head = raw[:PG_MAX_SOURCE_BYTES - 80].decode("utf-8", "ignore").rstrip("\\")
    key = f"{head}\\#{hashlib.sha256(raw).hexdigest()}"
    return failure.model_copy(update={"source": key})


def write(sink: str, batch: SinkBatch) -> int:
    """Store `batch` in `sink`; returns the documents it wrote (0: all there already)."""
    return write_isolated(sink, batch)[0]


def write_isolated(sink: str, batch: SinkBatch) -> tuple[int, list[Failure]]:
    """`write`; and where the store rejects the batch while it is reachable, each document is
    written alone: those it still rejects become StoreError failure rows, the rest is stored.
    Returns (documents written, failures of the documents left out)."""
    if is_store(sink):
        try:
            return _store(sink, batch), []
        except Exception as exc:
            if _passing(exc, sink):
                raise  # the store is away or busy: the caller retries, then parks the batch
            return _store_one_by_one(sink, batch)
    chunk_counts = Counter(chunk.doc_id for chunk in batch.chunks)
    if s3.is_s3(sink):
        return s3.write_documents(sink, batch.documents, chunk_counts), []
    return jsonl.write_documents(sink, batch.documents, chunk_counts), []


def _store(sink: str, batch: SinkBatch) -> int:
    stats = store.write_batch(
        engine_for(sink), batch.job_id, batch.documents, batch.chunks, batch.failures,
        batch.finished,
    )
    return stats.documents


def _passing(exc: Exception, sink: str) -> bool:
    """True for an error that says nothing about the documents: a lost connection, a lock or
    deadlock (SQLAlchemy's OperationalError, unless its SQLSTATE blames the data), or a store
    that no longer answers."""
    code = str(getattr(getattr(exc, "orig", None), "pgcode", None) or "")
    if code[:2] in DATA_SQLSTATE_CLASSES:
        return not _reachable(sink)
    return isinstance(exc, OperationalError) or not _reachable(sink)


def _reachable(sink: str) -> bool:
    try:
        with engine_for(sink).connect() as conn:
            conn.execute(select(1))
    except Exception:  # noqa: BLE001 -- any error: not reachable now
        return False
    return True


def _store_one_by_one(sink: str, batch: SinkBatch) -> tuple[int, list[Failure]]:
    """A value the database refuses (an integer out of its range, ...) costs one document.
    The batch is not marked finished: its report does not count these failures, so a resumed
    job reads it again."""
    batch = batch.model_copy(update={"finished": None})
    _store(sink, batch.model_copy(update={"documents": (), "chunks": ()}))
    written, failures = 0, []
    for doc in batch.documents:
        chunks = tuple(c for c in batch.chunks if c.doc_id == doc.id)
        try:
            written += _store(sink, SinkBatch(job_id=batch.job_id, documents=(doc,),
                                              chunks=chunks))
        except Exception as exc:
            if _passing(exc, sink):
                raise
            cause = getattr(exc, "orig", None) or exc
            failure = failure_from(cause, "store", doc.source, doc.id)
            failures.append(_keyable(failure, _is_postgres(sink)))
    if failures:
        _store(sink, SinkBatch(job_id=batch.job_id, failures=tuple(failures)))
    return written, failures


def withdraw(sink: str, ids: set[str]) -> int:
    """Take documents the store refused out of a JSONL sink that took them first, so that the
    two agree; returns the lines removed. A store keeps only what it took; S3 objects stay."""
    if not ids or is_store(sink) or s3.is_s3(sink):
        return 0
    return jsonl.withdraw_documents(sink, ids)


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
