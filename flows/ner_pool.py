"""The NER deployment: one batch of cleaned documents, by reference, on a work pool.

Deployed on the `sluice-gpu` pool with ner.device=gpu (fails at once without a GPU), it is
what the pipeline calls with `ner.mode=pool`. The batch travels through the store as a
staged key; only the key and the config cross the API.
"""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact

import flows  # noqa: F401 - Prefect defaults before Prefect is imported
from sluice import redact
from sluice.config import PipelineConfig
from sluice.io.staging import read_staged, stage_documents
from tasks.ner import annotate_batch
from tasks.store import engine_for


@flow(name="sluice-ner", log_prints=True)
def ner_on_pool(store: str, key_in: str, key_out: str, config: dict[str, Any],
                device: str = "gpu") -> dict[str, Any]:
    cfg = PipelineConfig.model_validate(config)
    cfg = cfg.model_copy(update={"ner": cfg.ner.model_copy(update={"device": device})})
    redact.install()
    engine = engine_for(redact.unredact(store))  # given with its password masked
    docs, _ = read_staged(engine, key_in)
    done, failures, choice = annotate_batch(docs, cfg)
    stage_documents(engine, key_out, done, failures)
    create_markdown_artifact(
        key="ner-device", description="where this NER batch ran",
        markdown=f"**{choice.device}** {choice.gpu_name or ''}: {choice.reason}; "
                 f"{len(done)} documents, {len(failures)} failed")
    print(f"batch {key_in}: {len(done)} annotated on {choice.device}; {choice.reason}")
    return {"key_out": key_out, "device": choice.device, "documents": len(done)}
