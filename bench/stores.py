"""Store benchmark: Sluice's PostgreSQL writer vs psycopg2 `executemany` in batches of 50
(what unstructured-ingest does), and a re-run of an unchanged corpus vs its first run.

Usage: python bench/stores.py [--rows 20000] [--runs 5] [--docs 2000] [--skip-rerun]
Writes 384-dimension chunk rows with text into the real PostgreSQL (SLUICE_BENCH_PG_URL, default
the test server), each run into a fresh schema; prints rows/s (median of the runs) and ratios
measured in this one run. Not a timed test.
"""

from __future__ import annotations

import argparse
import os
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
from bench.throughput import REUTERS, reuters_bodies  # noqa: E402
from sluice.io import store  # noqa: E402
from sluice.records import Chunk, Document  # noqa: E402

PG_URL = os.environ.get("SLUICE_BENCH_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
DIM = 384
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
    engine = store.open_store(url)
    per_doc = WRITER_BATCH // CHUNKS_PER_DOC
    started = time.perf_counter()
    for i in range(0, len(docs), per_doc):
        store.write_batch(engine, "bench", docs[i:i + per_doc],
                          chunks[i * CHUNKS_PER_DOC:(i + per_doc) * CHUNKS_PER_DOC], [])
    elapsed = time.perf_counter() - started
    assert store.counts(engine)["chunks"] == len(chunks)
    engine.dispose()
    return elapsed


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--docs", type=int, default=2_000)
    parser.add_argument("--skip-rerun", action="store_true")
    args = parser.parse_args()
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
