"""A job's finished batches in the store: written in the transaction of their ledger rows,
read back for a resume, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from sluice.io.store import (
    FinishedBatch,
    counts,
    done_ids,
    finished_batches,
    open_store,
    refs_digest,
    write_batch,
)
from sluice.records import BatchReport
from tests.integration.test_store import chunks_of, document

REPORT = BatchReport(documents=3, processed=2, failed=1, entities=4, corrections=2, chunks=4)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    url = (f"sqlite:///{tmp_path}/sluice.db" if request.param == "sqlite"
           else str(request.getfixturevalue("pg_url")))
    engine = open_store(url)
    yield engine
    engine.dispose()


def batch(number: int, labels: list[str], report: BatchReport = REPORT) -> FinishedBatch:
    return FinishedBatch(number=number, digest=refs_digest(labels), report=report)


def test_finished_batches_are_read_back_per_job(store: sa.Engine) -> None:
    a, b = document("a", "in/a.txt"), document("b", "in/b.txt")
    first = batch(1, ["in/a.txt", "in/b.txt", "in/c.pdf"])
    write_batch(store, "job-1", [a, b], [*chunks_of(a), *chunks_of(b)], [], first)
    write_batch(store, "job-1", [], [], [], batch(2, [], BatchReport()))
    write_batch(store, "job-2", [a], [], [], batch(1, ["in/a.txt"]))

    assert finished_batches(store, "job-1") == {1: first, 2: batch(2, [], BatchReport())}
    assert finished_batches(store, "job-2")[1].digest == refs_digest(["in/a.txt"])
    assert finished_batches(store, "job-3") == {}


def test_finished_batch_rewritten_with_other_inputs_replaces_its_row(store: sa.Engine) -> None:
    a = document("a", "in/a.txt")
    write_batch(store, "job-1", [a], [], [], batch(1, ["in/a.txt"]))
    again = batch(1, ["in/a.txt", "in/new.txt"], REPORT.model_copy(update={"processed": 1}))
    write_batch(store, "job-1", [a], [], [], again)

    assert finished_batches(store, "job-1") == {1: again}
    assert counts(store)["batches"] == 1


def test_failed_batch_marks_nothing_finished(store: sa.Engine) -> None:
    doc = document("a", "in/a.txt")
    orphan = chunks_of(document("missing", "in/m.txt"), 1)  # no such document: foreign key fails

    with pytest.raises(sa.exc.IntegrityError):
        write_batch(store, "job-1", [doc], orphan, [], batch(1, ["in/a.txt"]))

    assert finished_batches(store, "job-1") == {} and done_ids(store, "job-1") == set()


def test_refs_digest_depends_on_every_label_and_their_order() -> None:
    labels = ["in/a.txt", "in/b.jsonl#L2", "in/b.jsonl#L3"]
    assert refs_digest(labels) == refs_digest(iter(labels))
    assert refs_digest(labels) != refs_digest(labels[::-1])
    assert refs_digest(["a", "b"]) != refs_digest(["a\", \"b"])  # no label forges a boundary
    assert refs_digest(labels) != refs_digest(labels[:2])
