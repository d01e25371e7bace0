"""Thin Prefect task wrappers: one task per stage per batch of documents."""

from prefect.cache_policies import NO_CACHE

from sluice.errors import SluiceError


def transient(task, task_run, state) -> bool:
    """Retry I/O errors, not Sluice's own verdicts (a missing source stays missing)."""
    try:
        state.result()
    except SluiceError:
        return False
    except Exception:  # noqa: BLE001 - anything else may be a passing I/O fault
        return True
    return True


# Documents are passed in memory between tasks of one flow run; hashing megabytes of
# inputs for a cache key would cost more than the stage. Resume uses the store's ledger.
STAGE = {"cache_policy": NO_CACHE, "persist_result": False}
IO_RETRIES = {"retries": 3, "retry_delay_seconds": [1, 4, 16], "retry_condition_fn": transient}
