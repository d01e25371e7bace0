from collections.abc import Sequence

from prefect import task

from sluice.io.files import MAX_INPUT_BYTES, discover, read_raw
from sluice.records import Failure, RawDocument, SourceRef
from tasks import IO_RETRIES, STAGE


@task(name="discover", **STAGE, **IO_RETRIES)
def discover_sources(source: str) -> list[SourceRef]:
    return discover(source)


@task(name="ingest_batch", **STAGE, **IO_RETRIES)
def ingest_batch(refs: Sequence[SourceRef], root: str | None = None,
                 max_bytes: int = MAX_INPUT_BYTES) -> tuple[list[RawDocument], list[Failure]]:
    """Read a batch; with `root` (the job's source) nothing outside it is read, and no input
    over `max_bytes` (budgets.max_input_bytes) is read whole."""
    return read_raw(refs, root, max_bytes)
