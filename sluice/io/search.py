"""Similarity search over stored chunk vectors: pgvector in the database where the column is
`vector`, else cosine in numpy over REAL[] (PostgreSQL) or JSON (SQLite) vectors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sqlalchemy as sa
from sqlalchemy import Connection, Engine, select

from sluice.io.store_schema import CHUNKS, DOCUMENTS
from sluice.records import Record

SCAN_PARTITION = 10_000  # vectors scored per numpy step: bounded memory on a large store


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


def search_chunks(
    engine: Engine, query: Sequence[float], model: str, top: int = 5
) -> list[SearchHit]:
    """The `top` chunks embedded by `model` nearest to `query`, best first."""
    with engine.connect() as conn:
        if has_pgvector(conn):
            scored = _nearest_in_database(conn, query, model, top)
        else:
            scored = _nearest_in_numpy(conn, np.asarray(query, dtype=np.float32), model, top)
        return _hits(conn, scored)


def _nearest_in_database(
    conn: Connection, query: Sequence[float], model: str, top: int
) -> list[tuple[str, int, float]]:
    literal = "[" + ",".join(map(repr, query)) + "]"
    rows = conn.execute(
        sa.text(
            "SELECT doc_id, idx, 1 - (vector <=> CAST(:q AS vector)) FROM chunks "
            "WHERE model = :model ORDER BY vector <=> CAST(:q AS vector) LIMIT :top"
        ),
        {"q": literal, "model": model, "top": top},
    )
    return [(doc_id, idx, float(score)) for doc_id, idx, score in rows]


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
