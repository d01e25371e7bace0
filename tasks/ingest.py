from collections.abc import Sequence

from prefect import task

from sluice.io.files import discover, read_raw
from sluice.records import Failure, RawDocument, SourceRef
from tasks import IO_RETRIES, STAGE


@task(name="discover", **STAGE, **IO_RETRIES)
def discover_sources(source: str) -> list[SourceRef]:
    return discover(source)


@task(name="ingest_batch", **STAGE, **IO_RETRIES)
def ingest_batch(refs: Sequence[SourceRef]) -> tuple[list[RawDocument], list[Failure]]:
    return read_raw(refs)
