"""The Sluice pipeline flow: ingest -> parse -> clean -> NER -> embed -> store, per batch.

Run it: `sluice run SOURCE`, `python -m flows.pipeline SOURCE`, or as a deployment.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Sequence

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from sluice.config import PipelineConfig, RunParams, load_config
from sluice.errors import ErrorRateExceeded
from sluice.records import BatchReport, RunSummary, SourceRef
from tasks.clean import clean_batch
from tasks.embed import embed_batch
from tasks.ingest import discover_sources, ingest_batch
from tasks.ner import ner_batch
from tasks.parse import parse_batch
from tasks.store import skip_unchanged, store_batch


@flow(name="sluice-pipeline", log_prints=True, validate_parameters=True)
def pipeline(params: RunParams) -> RunSummary:
    cfg = load_config(params.config, params.overrides)
    job_id = flow_run.get_id() or str(uuid.uuid4())
    started = time.perf_counter()
    refs = discover_sources(params.source)
    totals = BatchReport()
    for number, refs_batch in enumerate(_batches(refs, cfg.batch_size), start=1):
        totals += process_batch(refs_batch, params, cfg, job_id)
        get_run_logger().info("batch %d: %d/%d inputs done", number,
                              totals.documents, len(refs))
    summary = RunSummary(job_id=job_id, totals=totals, wall_s=time.perf_counter() - started,
                         store=params.store, out=params.out)
    print("\n".join(summary.lines()))
    check_error_rate(totals, cfg.max_error_rate)
    return summary


def process_batch(refs: Sequence[SourceRef], params: RunParams, cfg: PipelineConfig,
                  job_id: str) -> BatchReport:
    raws, failed_ingest = ingest_batch(refs)
    skipped = 0
    if not cfg.reprocess:
        raws, skipped = skip_unchanged(raws, params.store)
    docs, failed_parse = parse_batch(raws, cfg)
    docs, failed_clean = clean_batch(docs, cfg.clean)
    docs, failed_ner = ner_batch(docs, cfg)
    chunks, failed_embed = embed_batch(docs, cfg.embed)
    failures = failed_ingest + failed_parse + failed_clean + failed_ner + failed_embed
    bad = {f.doc_id for f in failed_embed}
    docs = [d for d in docs if d.id not in bad]
    store_batch(params.store, params.out, job_id, docs, chunks, failures)
    return BatchReport(documents=len(refs), processed=len(docs), skipped=skipped,
                       failed=len(failures), entities=sum(len(d.entities) for d in docs),
                       corrections=sum(len(d.corrections) for d in docs), chunks=len(chunks))


def _batches(refs: list[SourceRef], size: int) -> list[list[SourceRef]]:
    return [refs[i:i + size] for i in range(0, len(refs), size)]


def check_error_rate(totals: BatchReport, max_error_rate: float) -> None:
    rate = totals.failed / totals.documents if totals.documents else 0.0
    if rate > max_error_rate:
        raise ErrorRateExceeded(
            f"{totals.failed} of {totals.documents} inputs failed ({rate:.0%}), above "
            f"max_error_rate {max_error_rate:.0%}; see the failures table")


if __name__ == "__main__":
    pipeline(RunParams(source=sys.argv[1]))
