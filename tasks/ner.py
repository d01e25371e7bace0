from collections.abc import Sequence
from functools import partial

from prefect import task

from sluice.config import PipelineConfig
from sluice.correct import load_speller
from sluice.isolate import isolate
from sluice.ner import annotate_documents, load_ner
from sluice.records import Document, Failure
from tasks import STAGE


@task(name="ner_batch", **STAGE)
def ner_batch(docs: Sequence[Document],
              cfg: PipelineConfig) -> tuple[list[Document], list[Failure]]:
    speller = load_speller() if cfg.correct.enabled else None
    annotate = partial(annotate_documents, nlp=load_ner(cfg.ner.model), speller=speller,
                       ner_cfg=cfg.ner, correct_cfg=cfg.correct)
    return isolate("ner", annotate, docs)
