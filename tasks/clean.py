from collections.abc import Sequence

from prefect import task

from sluice.bounded import clean_bounded
from sluice.config import BudgetConfig, CleanConfig
from sluice.records import Document, Failure
from tasks import STAGE


@task(name="clean_batch", **STAGE)
def clean_batch(docs: Sequence[Document], cfg: CleanConfig,
                budgets: BudgetConfig) -> tuple[list[Document], list[Failure]]:
    """Each document in the sandbox worker, under `budgets`."""
    return clean_bounded(docs, cfg, budgets)
