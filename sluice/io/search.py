"""Similarity search over stored chunk vectors: pgvector in the database where the column is
`vector` (through an HNSW index for the dimensions of the embedders Sluice ships), else cosine
in numpy over REAL[] (PostgreSQL) or JSON (SQLite) vectors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sqlalchemy as sa
from sqlalchemy import Connection, Engine, select

from sluice.io.store_schema import CHUNKS, DOCUMENTS
from sluice.records import Record

SCAN_PARTITION = 10_000  # vectors scored per numpy step: bounded memory on a large store
# pgvector indexes a column of one fixed dimension only, and chunks.vector holds any: so one
# partial HNSW index per dimension, over the column cast to it. wordllama gives 256, MiniLM 384.
INDEXED_DIMS = (256, 384)
# Candidates an HNSW scan keeps. Over 100k Reuters sentence chunks with State of the Union
# queries (bench/stores.py), 400 found 0.96 of the exact top 10 in about 8 ms, 200 found 0.94
# and pgvector's default of 40 only 0.72. `exact=True` compares with every chunk instead.
EF_SEARCH = 400


class SearchHit(Record):
    doc_id: str
    index: int
    source: str
    text: str
    score: float  # cosine similarity, 1 = same direction


def has_pgvector(conn: Connection) -> bool:
    """True where chunks.vector is a pgvector column (migration 0002 found the extension)."""
    if conn.dialect.name != "postgresql":
        return False
    query = sa.text(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = 'chunks'::regclass AND attname = 'vector'"
    )
    return conn.scalar(query) == "vector"


def vector_index_name(dim: int) -> str:
    return f"chunks_vector_hnsw_{int(dim)}"


def create_vector_index(conn: Connection, dim: int) -> None:
    """The HNSW index (cosine) over the chunks of dimension `dim`; the search's ORDER BY must
    spell its expression the same way for the planner to use it."""
    dim = int(dim)
    conn.exec_driver_sql(
        f"CREATE INDEX IF NOT EXISTS {vector_index_name(dim)} ON chunks "
        f"USING hnsw ((vector::vector({dim})) vector_cosine_ops) WHERE dim = {dim}"
    )


def drop_vector_indexes(engine: Engine) -> list[str]:
    """Drop the HNSW indexes before a bulk load, to build them once after it: each row written
    under the index costs about 20 plain writes, and drop, load and build ran 4.2 times faster
    than loading under the index (bench/stores.py, 100k chunks); the names dropped."""
    with engine.begin() as conn:
        if not has_pgvector(conn):
            return []
        for dim in INDEXED_DIMS:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {vector_index_name(dim)}")
    return [vector_index_name(dim) for dim in INDEXED_DIMS]


def build_vector_indexes(engine: Engine, work_mem: str = "1GB") -> list[str]:
    """(Re)create the HNSW indexes that are missing; the names, or none without pgvector. The
    build is fast while the graph fits in maintenance_work_mem, raised for this session."""
    with engine.begin() as conn:
        if not has_pgvector(conn):
            return []
        conn.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{work_mem}'")
        for dim in INDEXED_DIMS:
            create_vector_index(conn, dim)
    return [vector_index_name(dim) for dim in INDEXED_DIMS]


def search_chunks(
    engine: Engine, query: Sequence[float], model: str, top: int = 5, exact: bool = False
) -> list[SearchHit]:
    """The `top` chunks embedded by `model` nearest to `query`, best first. With pgvector the
    HNSW index answers (approximate: see EF_SEARCH) unless `exact`, which scans every chunk."""
    with engine.connect() as conn:
        if has_pgvector(conn):
            scored = _nearest_in_database(conn, query, model, top, exact)
        else:
            scored = _nearest_in_numpy(conn, np.asarray(query, dtype=np.float32), model, top)
        return _hits(conn, scored)


def _nearest_in_database(
    conn: Connection, query: Sequence[float], model: str, top: int, exact: bool
) -> list[tuple[str, int, float]]:
    sql, settings = database_query(len(query), top, exact)
    for setting in settings:
        conn.exec_driver_sql(setting)
    rows = conn.execute(sa.text(sql), {"q": vector_literal(query), "model": model, "top": top})
    return [(doc_id, idx, float(score)) for doc_id, idx, score in rows]


def database_query(dim: int, top: int, exact: bool = False) -> tuple[str, list[str]]:
    """The pgvector nearest-chunks SELECT (parameters :q, :model, :top) and the SET LOCALs to
    run before it in the same transaction."""
    dim = int(dim)
    if exact or dim not in INDEXED_DIMS:
        column, target, settings = "vector", "CAST(:q AS vector)", []
    else:
        # Spelled as in create_vector_index, so that the planner can use that index.
        column, target = f"(vector::vector({dim}))", f"CAST(:q AS vector({dim}))"
        settings = [
            # The model filter comes after the index scan: scan on until `top` rows pass it.
            "SET LOCAL hnsw.iterative_scan = strict_order",
            f"SET LOCAL hnsw.ef_search = {min(1000, max(EF_SEARCH, top))}",
        ]
    distance = f"{column} <=> {target}"
    sql = (
        f"SELECT doc_id, idx, 1 - ({distance}) FROM chunks "
        f"WHERE dim = {dim} AND model = :model ORDER BY {distance} LIMIT :top"
    )
    return sql, settings


def vector_literal(query: Sequence[float]) -> str:
    return "[" + ",".join(repr(float(x)) for x in query) + "]"


def _nearest_in_numpy(
    conn: Connection, query: np.ndarray, model: str, top: int
) -> list[tuple[str, int, float]]:
    query = query / (np.linalg.norm(query) or 1.0)
    best: list[tuple[str, int, float]] = []
    rows = conn.execution_options(yield_per=SCAN_PARTITION).execute(
        select(CHUNKS.c.doc_id, CHUNKS.c.idx, CHUNKS.c.vector).where(CHUNKS.c.model == model)
    )
    for part in rows.partitions():
        vectors = np.asarray([row.vector for row in part], dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1)
        scores = vectors @ query / np.where(norms == 0, 1.0, norms)
        best += [(part[i].doc_id, part[i].idx, float(scores[i])) for i in _top(scores, top)]
        best = sorted(best, key=lambda hit: -hit[2])[:top]
    return best


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    return np.argpartition(-scores, k - 1)[:k] if len(scores) > k else np.arange(len(scores))


def _hits(conn: Connection, scored: list[tuple[str, int, float]]) -> list[SearchHit]:
    hits = []
    for doc_id, idx, score in scored:
        query = (
            select(CHUNKS.c.text, DOCUMENTS.c.source)
            .join(DOCUMENTS, DOCUMENTS.c.id == CHUNKS.c.doc_id)
            .where(CHUNKS.c.doc_id == doc_id, CHUNKS.c.idx == idx)
        )
        row = conn.execute(query).one()
        hits.append(
            SearchHit(doc_id=doc_id, index=idx, source=row.source, text=row.text, score=score)
        )
    return hits
