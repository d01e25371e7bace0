from collections.abc import Sequence

from prefect import task

from sluice.bounded import parse_bounded
from sluice.config import PipelineConfig
from sluice.records import Document, Failure, RawDocument
from tasks import STAGE


@task(name="parse_batch", **STAGE)
def parse_batch(raws: Sequence[RawDocument],
                cfg: PipelineConfig) -> tuple[list[Document], list[Failure]]:
    return parse_bounded(raws, cfg.text_field, cfg.jsonl_content, cfg.budgets)
