from collections.abc import Sequence

from prefect import task

from sluice.config import PipelineConfig
from sluice.parse import parse_documents
from sluice.records import Document, Failure, RawDocument
from tasks import STAGE


@task(name="parse_batch", **STAGE)
def parse_batch(raws: Sequence[RawDocument],
                cfg: PipelineConfig) -> tuple[list[Document], list[Failure]]:
    return parse_documents(raws, text_field=cfg.text_field, jsonl_content=cfg.jsonl_content)
