"""Open, write and read the document store (its tables are in `store_schema`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import Connection, Engine, Table, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError

from sluice.errors import UnsupportedStoreURL
from sluice.io import migrate, pg_copy
from sluice.io.store_schema import (
    BATCHES,
    CHUNKS,
    CORRECTIONS,
    DOCUMENTS,
    ENTITIES,
    FAILURES,
    LEDGER,
    schema,
)
from sluice.io.wal import use_wal
from sluice.records import BatchReport, Chunk, Correction, Document, Entity, Failure, Record

SQLITE_BUSY_TIMEOUT_MS = 30_000
POOL_SIZE = 4  # PostgreSQL connections kept open per process: a flow writes one batch at a time
SCHEMA_LOCK_KEY = 0x51_1CE  # PostgreSQL advisory lock held while creating the tables
IN_LIST_SIZE = 5_000  # ids per IN (...): well under SQLite's 32,766 bound variables
R = TypeVar("R", bound=Record)


class WriteStats(Record):
    """Rows one `write_batch` wrote, and rows it removed on the way."""

    documents: int = 0
    entities: int = 0
    corrections: int = 0
    chunks: int = 0
    failures: int = 0
    ledger: int = 0
    replaced: int = 0  # older documents of the batch's sources, deleted with their rows
    failures_cleared: int = 0  # earlier failures of documents that have now gone through


class FinishedBatch(Record):
    """Batch `number` (1-based) of a job's batch plan, stored: the digest of its inputs'
    labels (`refs_digest`), which a resumed job compares, and what the batch did."""

    number: int
    digest: str
    report: BatchReport


def refs_digest(labels: Iterable[str]) -> str:
    """One digest of a batch's input labels, in order (JSON: no label can forge a boundary)."""
    return hashlib.sha256(json.dumps(list(labels)).encode()).hexdigest()


def open_store(url: str) -> Engine:
    """An engine on `url` with the schema migrated to the newest revision; a plain
    `postgresql://` means psycopg2."""
    driver_url = _driver_url(url)
    if driver_url.get_backend_name() == "postgresql":
        # pre_ping: after a server restart, pooled connections are dead; test them on checkout.
        engine = sa.create_engine(driver_url, pool_size=POOL_SIZE, pool_pre_ping=True)
    else:
        engine = sa.create_engine(driver_url)
        _make_sqlite_concurrent(engine)
    if not migrate.is_current(engine):
        _migrate_schema(engine)
    return engine


def _driver_url(url: str) -> sa.URL:
    try:
        parsed = sa.make_url(url)
    except ArgumentError as exc:
        raise UnsupportedStoreURL(f"store URL {url!r} is not a database URL") from exc
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        driver = parsed.get_driver_name() if "+" in parsed.drivername else "psycopg2"
        return parsed.set(drivername=f"postgresql+{driver}")
    if backend != "sqlite":
        raise UnsupportedStoreURL(
            f"store URL {url!r} has the unknown scheme {parsed.drivername!r}; "
            "use sqlite:///path/to/file.db or postgresql://user@host:port/database"
        )
    database = parsed.database or ":memory:"
    if database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    return parsed


def _make_sqlite_concurrent(engine: Engine) -> None:
    """WAL lets readers run beside the one writer; the busy timeout makes writers queue, not fail.

    sqlite3's legacy mode sends no BEGIN before SELECT or DDL, so we send it ourselves
    (SQLAlchemy's documented recipe); that also lets a writer ask for BEGIN IMMEDIATE.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # The timeout first: switching a new file to WAL must wait for the other processes too.
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        use_wal(cursor, SQLITE_BUSY_TIMEOUT_MS / 1000)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction that on SQLite takes the write lock at BEGIN, waiting while another
    writer holds it; a plain BEGIN would read first, then fail (no wait) to upgrade its lock."""
    with engine.connect() as conn:
        conn.execution_options(sqlite_begin="BEGIN IMMEDIATE")
        with conn.begin():
            yield conn


def _migrate_schema(engine: Engine) -> None:
    # Workers that start together would race to migrate the same tables: one at a time.
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(select(sa.func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY)))
        migrate.upgrade(conn)


def write_batch(
    engine: Engine,
    job_id: str,
    docs: Sequence[Document],
    chunks: Sequence[Chunk],
    failures: Sequence[Failure],
    finished: FinishedBatch | None = None,
) -> WriteStats:
    """Store one batch in one transaction; writing the same batch again changes no row.
    `finished`, if given, marks the batch done in the job's plan in that same transaction."""
    now = datetime.now(UTC)
    # The last of several versions of a key wins, as one statement cannot upsert a row twice.
    docs = list({doc.id: doc for doc in docs}.values())
    chunks = list({(chunk.doc_id, chunk.index): chunk for chunk in chunks}.values())
    failures = list({(f.source, f.stage): f for f in failures}.values())
    ids = [doc.id for doc in docs]
    with write_transaction(engine) as conn:
        replaced = _delete_older_rows(conn, docs, {chunk.doc_id for chunk in chunks})
        _upsert_documents(conn, docs, job_id, now)
        written = _insert_children(conn, docs, chunks)
        cleared = _replace_failures(conn, docs, failures, job_id, now)
        if ids:
            ledger = [{"job_id": job_id, "doc_id": doc_id, "done_at": now} for doc_id in ids]
            _write_rows(conn, LEDGER, ledger, keys=["job_id", "doc_id"])
        if finished is not None:
            _write_finished(conn, job_id, finished, now)
    return WriteStats(
        documents=len(docs), **written, failures=len(failures), ledger=len(ids),
        replaced=replaced, failures_cleared=cleared,
    )  # fmt: skip


def _write_finished(conn: Connection, job_id: str, batch: FinishedBatch, now: datetime) -> None:
    row = {"job_id": job_id, "number": batch.number, "refs_digest": batch.digest,
           "report": batch.report.model_dump(), "done_at": now}
    _write_rows(conn, BATCHES, [row], keys=["job_id", "number"],
                compared=["refs_digest", "report"])


def _delete_older_rows(conn: Connection, docs: list[Document], chunked_ids: set[str]) -> int:
    """Child rows of the batch's ids, and every row of other ids from the same sources."""
    ids = [doc.id for doc in docs]
    same_source = DOCUMENTS.c.source.in_({doc.source for doc in docs}) & DOCUMENTS.c.id.not_in(ids)
    older = select(DOCUMENTS.c.id).where(same_source)
    for table, own in ((ENTITIES, ids), (CORRECTIONS, ids), (CHUNKS, [*ids, *chunked_ids])):
        conn.execute(delete(table).where(or_(table.c.doc_id.in_(own), table.c.doc_id.in_(older))))
    return conn.execute(delete(DOCUMENTS).where(same_source)).rowcount


def _upsert_documents(conn: Connection, docs: list[Document], job_id: str, now: datetime) -> None:
    rows = [
        {
            **doc.model_dump(mode="json", exclude={"entities", "corrections"}),
            "text_hash": hashlib.sha256(doc.text.encode()).hexdigest(),
            "job_id": job_id,
            "processed_at": now,
        }
        for doc in docs
    ]
    content = [c.name for c in DOCUMENTS.c if c.name not in ("id", "processed_at")]
    _write_rows(conn, DOCUMENTS, rows, keys=["id"], compared=content)


def _insert_children(conn: Connection, docs: list[Document], chunks: list[Chunk]) -> dict[str, int]:
    entities = [_child_row(doc.id, i, e) for doc in docs for i, e in enumerate(doc.entities)]
    corrections = [_child_row(doc.id, i, c) for doc in docs for i, c in enumerate(doc.corrections)]
    chunk_rows = [_chunk_row(c) for c in chunks]
    for table, rows in ((ENTITIES, entities), (CORRECTIONS, corrections), (CHUNKS, chunk_rows)):
        _write_rows(conn, table, rows, keys=["doc_id", "idx"])
    return {"entities": len(entities), "corrections": len(corrections), "chunks": len(chunk_rows)}


def _child_row(doc_id: str, idx: int, record: Record) -> dict[str, Any]:
    return {**record.model_dump(exclude={"doc_id", "index"}), "doc_id": doc_id, "idx": idx}


def _chunk_row(c: Chunk) -> dict[str, Any]:
    # By hand, not model_dump: a dump copies every float of the vector, the hot path of a batch.
    return {
        "doc_id": c.doc_id,
        "idx": c.index,
        "start": c.start,
        "end": c.end,
        "text": c.text,
        "model": c.model,
        "dim": c.dim,
        "vector": c.vector,
    }


def _replace_failures(
    conn: Connection, docs: list[Document], failures: list[Failure], job_id: str, now: datetime
) -> int:
    """Drop the failures of earlier runs of documents that have now gone through, then store
    this batch's (after, so a document stored with a failed later stage keeps its failure)."""
    went_through = FAILURES.c.source.in_({d.source for d in docs}) | FAILURES.c.doc_id.in_(
        [d.id for d in docs]
    )
    cleared = conn.execute(delete(FAILURES).where(went_through)).rowcount if docs else 0
    rows = [{**f.model_dump(), "job_id": job_id, "at": now} for f in failures]
    compared = ["job_id", "error_class", "message", "doc_id"]
    _write_rows(conn, FAILURES, rows, keys=["source", "stage"], compared=compared)
    return cleared


def _write_rows(
    conn: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    keys: list[str],
    compared: list[str] | None = None,
) -> None:
    """Insert `rows`; a row whose key is stored already is left alone (no `compared`), or
    updated, but only where a `compared` column differs: an unchanged row keeps its timestamp,
    so a repeated batch leaves every row as it was. PostgreSQL gets them by COPY."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        staging = pg_copy.copy_to_staging(conn, table, rows)
        stmt = postgresql.insert(table).from_select(list(rows[0]), select(staging))
        conn.execute(_on_conflict(stmt, table, list(rows[0]), keys, compared))
    else:
        stmt = sqlite.insert(table)
        conn.execute(_on_conflict(stmt, table, list(rows[0]), keys, compared), rows)


def _on_conflict(
    stmt: Any, table: Table, names: list[str], keys: list[str], compared: list[str] | None
) -> Any:
    if compared is None:
        return stmt.on_conflict_do_nothing(index_elements=keys)
    changed = or_(*(table.c[name].is_distinct_from(stmt.excluded[name]) for name in compared))
    update = {name: stmt.excluded[name] for name in names if name not in keys}
    return stmt.on_conflict_do_update(index_elements=keys, set_=update, where=changed)


def done_ids(engine: Engine, job_id: str) -> set[str]:
    """Ids of the documents that job `job_id` has stored."""
    with engine.connect() as conn:
        return set(conn.scalars(select(LEDGER.c.doc_id).where(LEDGER.c.job_id == job_id)))


def finished_batches(engine: Engine, job_id: str) -> dict[int, FinishedBatch]:
    """The batches of job `job_id`'s plan that it has stored, by number."""
    query = select(BATCHES).where(BATCHES.c.job_id == job_id)
    with engine.connect() as conn:
        rows = list(conn.execute(query).mappings())
    return {row["number"]: FinishedBatch(number=row["number"], digest=row["refs_digest"],
                                         report=_report(row["report"])) for row in rows}


def _report(stored: Mapping[str, Any] | str) -> BatchReport:
    """A stored report; counts a later BatchReport no longer has are left out."""
    values = json.loads(stored) if isinstance(stored, str) else stored
    return BatchReport(**{k: v for k, v in values.items() if k in BatchReport.model_fields})


def known_ids(engine: Engine, ids: Iterable[str]) -> set[str]:
    """Those of `ids` already stored, by any job."""
    with engine.connect() as conn:
        rows = _rows_of(conn, select(DOCUMENTS.c.id), DOCUMENTS.c.id, list(ids))
    return {row["id"] for row in rows}


def counts(engine: Engine) -> dict[str, int]:
    """Rows per table."""
    with engine.connect() as conn:
        return {
            t.name: conn.scalar(select(sa.func.count()).select_from(t)) or 0
            for t in schema.sorted_tables
        }


def read_documents(engine: Engine, ids: Iterable[str] | None = None) -> list[Document]:
    """Stored documents (all, or those of `ids`) with their entities and corrections, by source."""
    wanted = None if ids is None else list(ids)
    with engine.connect() as conn:
        rows = _rows_of(conn, select(DOCUMENTS), DOCUMENTS.c.id, wanted)
        entities = _by_doc(_rows_of(conn, select(ENTITIES), ENTITIES.c.doc_id, wanted), Entity)
        corrections = _by_doc(
            _rows_of(conn, select(CORRECTIONS), CORRECTIONS.c.doc_id, wanted), Correction
        )
    rows.sort(key=lambda row: (row["source"], row["id"]))
    return [
        _record(Document, {**row, "entities": entities.get(row["id"], ()),
                           "corrections": corrections.get(row["id"], ())})
        for row in rows
    ]  # fmt: skip


def read_chunks(engine: Engine, doc_id: str) -> list[Chunk]:
    """The chunks of one document, in order."""
    query = select(CHUNKS).where(CHUNKS.c.doc_id == doc_id).order_by(CHUNKS.c.idx)
    with engine.connect() as conn:
        return [
            _record(Chunk, {**row, "index": row["idx"]}) for row in conn.execute(query).mappings()
        ]


def _rows_of(
    conn: Connection, query: sa.Select[Any], key: Any, values: list[str] | None
) -> list[sa.RowMapping]:
    """Rows of `query`, all or those whose `key` is in `values`, asked for a slice at a time."""
    if values is None:
        return list(conn.execute(query).mappings())
    unique = list(dict.fromkeys(values))
    parts = (unique[i : i + IN_LIST_SIZE] for i in range(0, len(unique), IN_LIST_SIZE))
    return [row for part in parts for row in conn.execute(query.where(key.in_(part))).mappings()]


def _by_doc(rows: list[sa.RowMapping], record: type[R]) -> dict[str, tuple[R, ...]]:
    by_doc: dict[str, list[R]] = {}
    for row in sorted(rows, key=lambda row: (row["doc_id"], row["idx"])):
        by_doc.setdefault(row["doc_id"], []).append(_record(record, row))
    return {doc_id: tuple(records) for doc_id, records in by_doc.items()}


def _record(record: type[R], row: Mapping[str, Any]) -> R:
    """The record built from those of the row's columns it has a field for."""
    return record.model_validate({name: row[name] for name in record.model_fields if name in row})
