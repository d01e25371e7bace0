from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from prefect import task
from sqlalchemy.engine import Engine

from sluice.io import jsonl, store
from sluice.records import Chunk, Document, Failure, RawDocument
from tasks import IO_RETRIES, STAGE


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine (and connection pool) per store URL per process."""
    return store.open_store(url)


@task(name="skip_unchanged", **STAGE, **IO_RETRIES)
def skip_unchanged(raws: Sequence[RawDocument], url: str) -> tuple[list[RawDocument], int]:
    """Content-hash ids already stored are skipped before parsing: a re-run is cheap."""
    known = store.known_ids(engine_for(url), [raw.id for raw in raws])
    return [raw for raw in raws if raw.id not in known], len(known)


@task(name="store_batch", **STAGE, **IO_RETRIES)
def store_batch(url: str, out_dir: str, job_id: str, docs: Sequence[Document],
                chunks: Sequence[Chunk], failures: Sequence[Failure]) -> int:
    store.write_batch(engine_for(url), job_id, docs, chunks, failures)
    chunk_counts = Counter(chunk.doc_id for chunk in chunks)
    return jsonl.write_documents(out_dir, docs, chunk_counts)
