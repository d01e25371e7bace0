"""Thin Prefect task wrappers: one task per stage per batch of documents."""

from prefect.cache_policies import NO_CACHE

# Documents are passed in memory between tasks of one flow run; hashing megabytes of
# inputs for a cache key would cost more than the stage. Resume uses the store's ledger.
STAGE = {"cache_policy": NO_CACHE, "persist_result": False}
IO_RETRIES = {"retries": 3, "retry_delay_seconds": [1, 4, 16]}
