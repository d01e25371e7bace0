from collections.abc import Sequence
from functools import partial

from prefect import task

from sluice.clean import clean_documents
from sluice.config import CleanConfig
from sluice.isolate import isolate
from sluice.records import Document, Failure
from tasks import STAGE


@task(name="clean_batch", **STAGE)
def clean_batch(docs: Sequence[Document],
                cfg: CleanConfig) -> tuple[list[Document], list[Failure]]:
    return isolate("clean", partial(clean_documents, cfg=cfg), docs)
