"""Batches handed between deployments by reference, through the job's own store.

A GPU worker on another host reads the batch from the same database the pipeline writes
to, so the flow passes a key, never the texts. Keys are per job and batch, so a retried or
resumed child overwrites its own staged batch instead of adding another.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import Engine

from sluice.io.store import write_transaction
from sluice.records import Document, Failure, Record

R = TypeVar("R", bound=Record)

_META = sa.MetaData()
STAGED = sa.Table(
    "staged_batches", _META,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("documents", sa.Text, nullable=False),  # JSON lines of Document records
    sa.Column("failures", sa.Text, nullable=False),  # JSON lines of Failure records
)  # fmt: skip


def batch_key(job_id: str, batch_no: int, stage: str) -> str:
    return f"{job_id}/{batch_no:06d}/{stage}"


def stage_documents(
    engine: Engine, key: str, docs: Sequence[Document], failures: Sequence[Failure] = ()
) -> str:
    row = {"key": key, "documents": _lines(docs), "failures": _lines(failures)}
    with write_transaction(engine) as conn:  # the parent and NER runs write at once
        _META.create_all(conn, checkfirst=True)
        conn.execute(sa.delete(STAGED).where(STAGED.c.key == key))
        conn.execute(sa.insert(STAGED), [row])
    return key


def read_staged(engine: Engine, key: str) -> tuple[list[Document], list[Failure]]:
    with engine.connect() as conn:
        exists = sa.inspect(conn).has_table(STAGED.name)
        row = conn.execute(sa.select(STAGED).where(STAGED.c.key == key)).first() if exists else None
    if row is None:
        raise KeyError(f"no staged batch {key!r} in the store")
    return _records(Document, row.documents), _records(Failure, row.failures)


def _lines(records: Sequence[Record]) -> str:
    return "\n".join(record.model_dump_json() for record in records)


def _records(cls: type[R], payload: str) -> list[R]:
    return [cls.model_validate(json.loads(line)) for line in payload.splitlines() if line]


def drop_staged(engine: Engine, prefix: str) -> None:
    with write_transaction(engine) as conn:
        _META.create_all(conn, checkfirst=True)
        conn.execute(sa.delete(STAGED).where(STAGED.c.key.startswith(prefix)))
