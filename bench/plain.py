"""The pipeline's stage functions called in a plain loop, without Prefect, for comparison."""

from __future__ import annotations

from sluice.clean import clean_documents
from sluice.config import load_config
from sluice.correct import load_speller
from sluice.embed import embed_documents, load_embedder
from sluice.io import jsonl, store
from sluice.io.files import discover, read_raw
from sluice.ner import annotate_documents, load_ner
from sluice.ner_workers import pool_for, processes_for
from sluice.parse import parse_documents


def run_plain(source: str, url: str, out: str, text_field: str = "body") -> int:
    cfg = load_config(overrides={"text_field": text_field})
    engine = store.open_store(url)
    # NER as the flow runs it: in the NER worker processes, or here (ner.processes=0)
    pool = pool_for(cfg) if processes_for(cfg) else None
    nlp, speller = (None, None) if pool else (load_ner(cfg.ner.model), load_speller())
    embedder = load_embedder(cfg.embed.model, cfg.embed.dim)
    refs = discover(source)
    done = 0
    for i in range(0, len(refs), cfg.batch_size):
        raws, failures = read_raw(refs[i:i + cfg.batch_size])
        docs, failed = parse_documents(raws, cfg.text_field, cfg.jsonl_content)
        docs = clean_documents(docs, cfg.clean)
        if pool is not None:
            docs, failed_ner = pool.annotate(docs, cfg)
            failed += failed_ner
        else:
            docs = annotate_documents(docs, nlp, speller, cfg.ner, cfg.correct)
        chunks = embed_documents(docs, embedder, cfg.embed.max_chars)
        store.write_batch(engine, "plain", docs, chunks, failures + failed)
        jsonl.write_documents(out, docs)
        done += len(docs)
    return done
