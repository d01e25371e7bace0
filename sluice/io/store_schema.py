"""Tables of the document store, for SQLite (the embedded default) and PostgreSQL alike."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy import Column, Table, Text
from sqlalchemy.dialects import postgresql


class _RealArray(sa.types.UserDefinedType[list[float]]):
    """REAL[] bound as the text of an array literal, which PostgreSQL parses about three times
    faster than the ARRAY[...] of numeric constants psycopg2 makes of a list."""

    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "REAL[]"


class Vector(sa.TypeDecorator[tuple[float, ...]]):
    """float4 REAL[] (like embeddings) on PostgreSQL; JSON text on SQLite, which has no arrays."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> Any:
        return dialect.type_descriptor(_RealArray() if dialect.name == "postgresql" else Text())

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> str | None:
        if value is None:
            return None
        if dialect.name != "postgresql":
            return json.dumps(list(value))
        return "{" + ",".join(map(repr, value)) + "}"

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> tuple[float, ...] | None:
        if value is None:
            return None
        # Text from SQLite's JSON, or from a pgvector column ("[1,2]", valid JSON too).
        values = json.loads(value) if isinstance(value, str) else value
        if dialect.name == "postgresql":
            # Both column types hold float4, printed as the shortest decimal that reads back as
            # that float4: return the float4 values themselves, as the embedder gave them.
            return tuple(np.asarray(values, dtype=np.float32).tolist())
        return tuple(values)


def _child_columns() -> list[Column[Any]]:
    """A child row's key, its document and place in that document's list, and its text span."""
    return [
        Column("doc_id", Text, sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
        Column("idx", sa.Integer, primary_key=True),
        Column("start", sa.Integer, nullable=False),
        Column("end", sa.Integer, nullable=False),
    ]


schema = sa.MetaData()
# JSONB on PostgreSQL: plain JSON has no equality, which the upsert's change test needs.
JSON_VALUE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

DOCUMENTS = Table(
    "documents", schema,
    Column("id", Text, primary_key=True),
    Column("source", Text, nullable=False, index=True),
    Column("format", Text, nullable=False),
    Column("title", Text),
    Column("text", Text, nullable=False),
    Column("content_type", Text, nullable=False),
    Column("language", Text),
    Column("metadata", JSON_VALUE, nullable=False),
    Column("text_hash", Text, nullable=False),
    Column("job_id", Text, nullable=False),
    Column("processed_at", sa.DateTime(timezone=True), nullable=False),
)  # fmt: skip
ENTITIES = Table(
    "entities", schema,
    *_child_columns(),
    Column("label", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("iso_date", Text),
)  # fmt: skip
CORRECTIONS = Table(
    "corrections", schema,
    *_child_columns(),
    Column("before", Text, nullable=False),
    Column("after", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("score", sa.Float),
)  # fmt: skip
CHUNKS = Table(
    "chunks", schema,
    *_child_columns(),
    Column("text", Text, nullable=False),
    Column("model", Text, nullable=False),
    Column("dim", sa.Integer, nullable=False),
    Column("vector", Vector(), nullable=False),
)  # fmt: skip
# Keyed by (source, stage) so that a re-run replaces a failure instead of adding another; a
# source label is unambiguous (sluice.names: no file name can take a JSONL line's label).
FAILURES = Table(
    "failures", schema,
    Column("source", Text, nullable=False),
    Column("stage", Text, nullable=False),
    Column("job_id", Text, nullable=False),
    Column("error_class", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("doc_id", Text, index=True),
    Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("source", "stage"),
)  # fmt: skip
# No foreign key: the ledger is history, and outlives a document replaced by a later version.
LEDGER = Table(
    "ledger", schema,
    Column("job_id", Text, primary_key=True),
    Column("doc_id", Text, primary_key=True),
    Column("done_at", sa.DateTime(timezone=True), nullable=False),
)  # fmt: skip
# A job's finished batches: the batch's number in the job's batch plan, a digest of its
# inputs' labels, and what it did (a BatchReport as JSON). Written in the transaction of the
# batch's ledger rows, so a resumed job passes a finished batch by without reading it, and
# its summary still counts what that batch did.
BATCHES = Table(
    "batches", schema,
    Column("job_id", Text, primary_key=True),
    Column("number", sa.Integer, primary_key=True),
    Column("refs_digest", Text, nullable=False),
    Column("report", JSON_VALUE, nullable=False),
    Column("done_at", sa.DateTime(timezone=True), nullable=False),
)  # fmt: skip
