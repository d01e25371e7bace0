"""The store on both of its databases: embedded SQLite and the real PostgreSQL."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from sluice.errors import UnsupportedStoreURL
from sluice.io.store import (
    counts,
    done_ids,
    known_ids,
    open_store,
    read_chunks,
    read_documents,
    write_batch,
)
from sluice.io.store_schema import FAILURES, schema
from sluice.records import Chunk, Correction, Document, Entity, Failure

TEXT = "Anna Berg met Zoë in Zürich on 3 May 2024 and paid 12 €."


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """An empty database of each kind; the SQLite file's folder does not exist yet."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/not/yet/there/sluice.db"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[sa.Engine]:
    engine = open_store(store_url)
    yield engine
    engine.dispose()


def found(word: str, text: str = TEXT) -> dict[str, int]:
    start = text.index(word)
    return {"start": start, "end": start + len(word)}


def document(doc_id: str, source: str) -> Document:
    return Document(
        id=doc_id,
        source=source,
        format="txt",
        text=TEXT,
        title=f"Title of {doc_id}",
        language="en",
        metadata={"author": "Zoë", "tags": ["a", "b"], "page": {"n": 1, "ratio": 0.5}},
        entities=(
            Entity(**found("Anna Berg"), label="PERSON", text="Anna Berg"),
            Entity(**found("3 May 2024"), label="DATE", text="3 May 2024", iso_date="2024-05-03"),
        ),
        corrections=(Correction(**found("Zoë"), before="Zoe", after="Zoë", score=0.75),),
    )


def chunks_of(doc: Document, n: int = 2) -> list[Chunk]:
    return [
        Chunk(doc_id=doc.id, index=i, start=0, end=len(doc.text), text=doc.text,
              model="wordllama-l2-v1", dim=3, vector=(0.1 * i, -0.25, 1 / 3))
        for i in range(n)
    ]  # fmt: skip


def failure(source: str, stage: str = "parse", message: str = "cannot read") -> Failure:
    return Failure(source=source, stage=stage, error_class="CorruptPDF", message=message)


def snapshot(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in key order."""
    with engine.connect() as conn:
        return {
            table.name: [
                tuple(row) for row in conn.execute(sa.select(table).order_by(*table.primary_key))
            ]
            for table in schema.sorted_tables
        }


def stored_failures(engine: sa.Engine) -> list[tuple[str, str, str]]:
    query = sa.select(FAILURES.c.source, FAILURES.c.stage, FAILURES.c.message)
    with engine.connect() as conn:
        return sorted(tuple(row) for row in conn.execute(query))


def assert_same_chunks(stored: list[Chunk], written: list[Chunk]) -> None:
    # PostgreSQL keeps vectors as float4, so they come back to float4 precision.
    assert [c.model_copy(update={"vector": ()}) for c in stored] == [
        c.model_copy(update={"vector": ()}) for c in written
    ]
    for got, want in zip(stored, written, strict=True):
        assert all(
            math.isclose(g, w, rel_tol=1e-6) for g, w in zip(got.vector, want.vector, strict=True)
        )


def test_store_round_trip(store: sa.Engine) -> None:
    a = document("a", "in/a.txt")
    b = Document(id="b", source="in/b.md", format="md", text="Plain.")  # every default
    stats = write_batch(store, "job-1", [b, a], [*chunks_of(a), *chunks_of(b, 1)], [])

    assert read_documents(store) == [a, b]
    assert read_documents(store, ids=iter(["b"])) == [b]
    assert_same_chunks(read_chunks(store, "a"), chunks_of(a))
    assert counts(store) == {
        "documents": 2, "entities": 2, "corrections": 1, "chunks": 3, "failures": 0, "ledger": 2,
        "batches": 0,
    }  # fmt: skip
    assert (stats.documents, stats.entities, stats.chunks, stats.ledger) == (2, 2, 3, 2)


def test_store_second_write_of_a_batch_changes_no_row(store: sa.Engine) -> None:
    docs = [document("a", "in/a.txt"), document("b", "in/b.txt")]
    batch = (docs, [c for d in docs for c in chunks_of(d)], [failure("in/c.pdf")])
    write_batch(store, "job-1", *batch)
    before = snapshot(store)

    write_batch(store, "job-1", *batch)

    assert snapshot(store) == before
    assert counts(store)["documents"] == 2 and counts(store)["chunks"] == 4


def test_store_changed_file_replaces_exactly_its_own_rows(store: sa.Engine) -> None:
    old, other = document("a-v1", "in/a.txt"), document("b", "in/b.txt")
    write_batch(store, "job-1", [old, other], chunks_of(old, 3) + chunks_of(other), [])
    person = Entity(start=0, end=9, label="PERSON", text="Anna Berg")
    update = {"text": "Anna Berg left.", "entities": (person,), "corrections": ()}
    new = document("a-v2", "in/a.txt").model_copy(update=update)

    stats = write_batch(store, "job-2", [new], chunks_of(new, 1), [])

    assert stats.replaced == 1
    assert read_documents(store) == [new, other]
    assert read_chunks(store, "a-v1") == []
    assert counts(store) | {"ledger": 0} == {
        "documents": 2, "entities": 3, "corrections": 1, "chunks": 3, "failures": 0, "ledger": 0,
        "batches": 0,
    }  # fmt: skip


def test_store_rewritten_document_replaces_its_children(store: sa.Engine) -> None:
    doc = document("a", "in/a.txt")
    write_batch(store, "job-1", [doc], chunks_of(doc, 3), [])
    rewritten = doc.model_copy(update={"title": "New", "entities": doc.entities[:1]})

    write_batch(store, "job-2", [rewritten], chunks_of(doc, 1), [])

    assert read_documents(store) == [rewritten]
    assert_same_chunks(read_chunks(store, "a"), chunks_of(doc, 1))


def test_store_failure_of_same_source_and_stage_is_replaced(store: sa.Engine) -> None:
    write_batch(store, "job-1", [], [], [failure("in/c.pdf", message="first")])
    write_batch(store, "job-2", [], [], [failure("in/c.pdf", message="second")])
    write_batch(store, "job-2", [], [], [failure("in/c.pdf", stage="embed")])

    assert stored_failures(store) == [
        ("in/c.pdf", "embed", "cannot read"),
        ("in/c.pdf", "parse", "second"),
    ]


def test_store_failure_is_removed_when_the_document_later_succeeds(store: sa.Engine) -> None:
    write_batch(store, "job-1", [], [], [failure("in/a.txt"), failure("in/z.pdf")])
    doc = document("a", "in/a.txt")

    stats = write_batch(store, "job-2", [doc], [], [failure("in/a.txt", stage="embed")])

    assert stats.failures_cleared == 1
    # Stored, but its embedding failed in this very batch: that failure stays.
    assert stored_failures(store) == [
        ("in/a.txt", "embed", "cannot read"),
        ("in/z.pdf", "parse", "cannot read"),
    ]


def test_store_ledger_knows_what_each_job_has_done(store: sa.Engine) -> None:
    a, b = document("a", "in/a.txt"), document("b", "in/b.txt")
    write_batch(store, "job-1", [a, b], [], [])
    write_batch(store, "job-2", [b], [], [])

    assert done_ids(store, "job-1") == {"a", "b"}
    assert done_ids(store, "job-2") == {"b"}
    assert done_ids(store, "job-3") == set()
    assert known_ids(store, ["a", "zz", "a"]) == {"a"}


def test_store_known_ids_asks_in_slices_below_the_bound_variable_limit(store: sa.Engine) -> None:
    write_batch(store, "job-1", [document("a", "in/a.txt")], [], [])
    many = [f"id-{i}" for i in range(300_000)]  # SQLite here allows 250,000 per statement

    assert known_ids(store, [*many, "a"]) == {"a"}


def test_store_failed_batch_writes_nothing(store: sa.Engine) -> None:
    doc = document("a", "in/a.txt")
    orphan = chunks_of(document("missing", "in/m.txt"), 1)  # no such document: foreign key fails

    with pytest.raises(sa.exc.IntegrityError):
        write_batch(store, "job-1", [doc], orphan, [failure("in/c.pdf")])

    assert set(counts(store).values()) == {0}


def test_store_workers_starting_together_all_write(store_url: str) -> None:
    workers, batches = 4, 5
    start = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        start.wait()
        try:
            engine = open_store(store_url)  # every worker creates the schema at the same moment
            for batch in range(batches):
                docs = [
                    document(f"{worker}-{batch}-{i}", f"in/{worker}-{batch}-{i}") for i in range(20)
                ]
                write_batch(engine, f"job-{worker}", docs, [], [])
            engine.dispose()
        except BaseException as exc:  # noqa: BLE001 -- reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    engine = open_store(store_url)
    assert counts(engine)["documents"] == workers * batches * 20
    engine.dispose()


def test_store_sqlite_waits_for_writers_in_wal_mode(tmp_path: Any) -> None:
    engine = open_store(f"sqlite:///{tmp_path}/sluice.db")
    with engine.connect() as conn:
        pragmas = ("journal_mode", "busy_timeout", "foreign_keys")
        modes = [conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in pragmas]
    engine.dispose()

    assert modes == ["wal", 30_000, 1]


def test_store_plain_postgresql_url_means_psycopg2(pg_url: str) -> None:
    engine = open_store(pg_url.replace("postgresql+psycopg2://", "postgresql://", 1))
    try:
        assert engine.dialect.driver == "psycopg2"
        assert counts(engine)["documents"] == 0
    finally:
        engine.dispose()


@pytest.mark.parametrize("url", ["mysql://root@localhost/sluice", "mongodb://x", "not a url"])
def test_store_unknown_scheme_is_a_clear_error(url: str) -> None:
    with pytest.raises(UnsupportedStoreURL, match="sqlite:///|not a database URL"):
        open_store(url)
