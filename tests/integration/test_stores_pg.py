"""The PostgreSQL writer (COPY + merge), migrations and search, on the real servers; sink
isolation with a private PostgreSQL stopped mid-run, then replay from the outbox."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from sluice.io import jsonl, migrate, outbox, store
from sluice.io.search import has_pgvector, search_chunks
from sluice.io.store_schema import schema
from sluice.records import Chunk, Document, Entity

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
AWKWARD = 'tab\there, new\nline, back\\slash, quote " and \' , Zoë ✓ \r end'


def doc(doc_id: str, source: str, text: str = AWKWARD) -> Document:
    return Document(id=doc_id, source=source, format="txt", text=text, title=None,
                    metadata={"k": [1, 2.5, None, "ü"]},
                    entities=(Entity(start=0, end=3, label="X", text=text[:3]),))


def chunk(doc_id: str, index: int, vector: tuple[float, ...]) -> Chunk:
    return Chunk(doc_id=doc_id, index=index, start=0, end=3, text=f"{doc_id}:{index}\t\\",
                 model="m", dim=len(vector), vector=vector)


def test_stores_migration_head_matches_the_scripts() -> None:
    assert migrate.HEAD == migrate.head_of_scripts()


def test_stores_copy_writer_round_trips_awkward_text(pg_url: str) -> None:
    engine = store.open_store(pg_url)
    docs = [doc("a", "in/a.txt"), doc("b", "in/b.txt", "plain")]
    chunks = [chunk("a", 0, (0.5, -1.25, 2.0**-25)), chunk("a", 1, (1.0, 0.0, 0.0))]
    store.write_batch(engine, "job", docs, chunks, [])
    assert store.read_documents(engine) == docs
    assert store.read_chunks(engine, "a") == chunks  # these floats are exact in float4
    before = store.counts(engine)
    store.write_batch(engine, "job", docs, chunks, [])  # same batch again: no new row
    assert store.counts(engine) == before == {
        "documents": 2, "entities": 2, "corrections": 0, "chunks": 2, "failures": 0, "ledger": 2,
        "batches": 0,
    }  # fmt: skip


def test_stores_changed_document_replaces_exactly_its_rows(pg_url: str) -> None:
    engine = store.open_store(pg_url)
    store.write_batch(engine, "j1", [doc("a1", "in/a.txt"), doc("b", "in/b.txt")],
                      [chunk("a1", 0, (1.0,)), chunk("b", 0, (2.0,))], [])
    changed = doc("a2", "in/a.txt", "the new text of a")
    store.write_batch(engine, "j2", [changed], [chunk("a2", 0, (3.0,)), chunk("a2", 1, (4.0,))], [])
    assert [d.id for d in store.read_documents(engine)] == ["a2", "b"]
    assert [c.vector for c in store.read_chunks(engine, "a2")] == [(3.0,), (4.0,)]
    assert store.read_chunks(engine, "a1") == [] and len(store.read_chunks(engine, "b")) == 1


def test_stores_open_adopts_a_store_made_before_migrations(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    schema.create_all(engine)  # how stores were created before Alembic
    with engine.begin() as conn:
        conn.execute(sa.insert(schema.tables["ledger"]).values(
            job_id="old", doc_id="x", done_at=sa.func.now()))
    opened = store.open_store(pg_url)
    assert migrate.is_current(opened)
    assert store.done_ids(opened, "old") == {"x"}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_stores_search_finds_nearest_chunks(kind: str, tmp_path: Path,
                                            request: pytest.FixtureRequest) -> None:
    url = f"sqlite:///{tmp_path}/s.db" if kind == "sqlite" else request.getfixturevalue("pg_url")
    engine = store.open_store(url)
    vectors = {"north": (0.0, 1.0), "east": (1.0, 0.0), "north-east": (0.7, 0.7)}
    docs = [doc(name, f"in/{name}.txt") for name in vectors]
    store.write_batch(engine, "j", docs, [chunk(n, 0, v) for n, v in vectors.items()], [])
    hits = search_chunks(engine, (0.1, 0.9), model="m", top=2)
    assert [h.doc_id for h in hits] == ["north", "north-east"]
    assert hits[0].score > hits[1].score and hits[0].source == "in/north.txt"
    with engine.connect() as conn:
        assert has_pgvector(conn) is False  # not installed here: REAL[] and numpy did it


def test_stores_search_command_embeds_the_query(tmp_path: Path, capsys) -> None:
    from flows.cli import main
    from sluice.embed import embed_documents, load_embedder

    url = f"sqlite:///{tmp_path}/s.db"
    texts = {"oil": "Crude oil prices rose as OPEC cut output.",
             "wheat": "Wheat harvest forecasts for Kansas farmers improved."}
    docs = [Document(id=k, source=f"{k}.txt", format="txt", text=t) for k, t in texts.items()]
    store.write_batch(store.open_store(url), "j", docs,
                      embed_documents(docs, load_embedder("wordllama", 256), 1000), [])
    assert main(["search", "petroleum price", "--store", url, "--top", "1"]) == 0
    assert "oil.txt" in capsys.readouterr().out


def test_stores_pg_down_midrun_then_replay(private_pg, prefect_harness, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """PostgreSQL stops after the first batch: JSONL still gets every document, the store's
    batches wait in the outbox; once it is back, `sluice replay` stores each exactly once."""
    from flows.cli import main
    from flows.pipeline import pipeline
    from sluice.config import RunParams

    monkeypatch.setenv("SLUICE_OUTBOX", str(tmp_path / "outbox.db"))
    monkeypatch.setenv("SLUICE_SINK_RETRY_DELAYS", "0.1,0.2")
    engine = store.open_store(private_pg.url)
    stopper = threading.Thread(target=_stop_after_first_batch, args=(engine, private_pg))
    stopper.start()
    params = RunParams(source=str(SAMPLES / "txt"), store=private_pg.url,
                       out=str(tmp_path / "out"), overrides={"batch_size": 2})
    summary = pipeline(params)
    stopper.join()
    total = summary.totals
    assert total.processed >= 4 and len(jsonl.read_documents(tmp_path / "out")) == total.processed
    with outbox.opened() as conn:
        assert len(outbox.parked_writes(conn, summary.job_id)) >= 1  # the batches PG missed

    private_pg.start()
    assert main(["replay", summary.job_id]) == 0
    counts = store.counts(engine)
    assert counts["documents"] == total.processed and counts["chunks"] == total.chunks
    assert store.done_ids(engine, summary.job_id) == {d.id for d in store.read_documents(engine)}
    with outbox.opened() as conn:
        assert outbox.parked_writes(conn) == []
    assert main(["replay", summary.job_id]) == 0 and store.counts(engine) == counts
    assert "replayed 0 batch" in capsys.readouterr().out


def test_stores_pg_down_at_start_job_goes_on_then_replay(private_pg, prefect_harness,
                                                         tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The store is down before the job starts: the job still runs to the end on JSONL, every
    store batch waits in the outbox, and `sluice replay` stores each exactly once."""
    from flows.cli import main
    from flows.pipeline import pipeline
    from sluice.config import RunParams

    monkeypatch.setenv("SLUICE_OUTBOX", str(tmp_path / "outbox.db"))
    monkeypatch.setenv("SLUICE_SINK_RETRY_DELAYS", "0.1")
    private_pg.stop()
    try:
        summary = pipeline(RunParams(source=str(SAMPLES / "txt"), store=private_pg.url,
                                     out=str(tmp_path / "out"), overrides={"batch_size": 3}))
    finally:
        private_pg.start()
    processed = summary.totals.processed
    assert processed >= 4 and len(jsonl.read_documents(tmp_path / "out")) == processed
    with outbox.opened() as conn:
        parked = outbox.parked_writes(conn, summary.job_id)
    assert len(parked) >= 2  # every batch of the job, none stored
    assert main(["replay", summary.job_id]) == 0
    engine = store.open_store(private_pg.url)
    assert store.counts(engine)["documents"] == processed
    assert store.done_ids(engine, summary.job_id) == {d.id for d in store.read_documents(engine)}


def _stop_after_first_batch(engine: sa.Engine, server) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and store.counts(engine)["documents"] == 0:
        time.sleep(0.05)
    engine.dispose()
    server.stop()
