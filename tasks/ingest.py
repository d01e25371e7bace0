from collections.abc import Sequence

from prefect import get_run_logger, task

from sluice.io.files import MAX_INPUT_BYTES, discover_all, read_raw
from sluice.records import Failure, RawDocument, SourceRef
from tasks import IO_RETRIES, STAGE


@task(name="discover", **STAGE, **IO_RETRIES)
def discover_sources(source: str) -> tuple[list[SourceRef], list[str]]:
    """The documents, and the hidden names skipped (logged here, counted in the summary)."""
    refs, hidden = discover_all(source)
    if hidden:
        shown = ", ".join(hidden[:SHOWN]) + (f" and {len(hidden) - SHOWN} more"
                                              if len(hidden) > SHOWN else "")
        get_run_logger().info("skipped %d hidden name(s): %s", len(hidden), shown)
    return refs, hidden


SHOWN = 20  # hidden names listed in the log line; the rest are counted


@task(name="ingest_batch", **STAGE, **IO_RETRIES)
def ingest_batch(refs: Sequence[SourceRef], root: str | None = None,
                 max_bytes: int = MAX_INPUT_BYTES) -> tuple[list[RawDocument], list[Failure]]:
    """Read a batch; with `root` (the job's source) nothing outside it is read, and no input
    over `max_bytes` (budgets.max_input_bytes) is read whole."""
    return read_raw(refs, root, max_bytes)
