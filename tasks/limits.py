"""The global concurrency limit that keeps the NER stage from oversubscribing the machine.

Every deployment run's NER batches share `sluice-ner`'s slots, however many jobs and workers run.
The stack script sizes the limit; a server without it (a fresh stack) gets one created at the
start of the run, so a missing limit neither blocks NER nor lets it run unlimited without a
trace. A flow called in-process (`sluice run`, the tests) is alone in its process: it takes no
slot, and so cannot be blocked by a slot that a dead run left on a server with no lease reaper.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from prefect import get_client, get_run_logger
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.sync import concurrency
from prefect.context import FlowRunContext
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.runtime import deployment

from sluice.errors import ConfigError

NER_LIMIT = "sluice-ner"
# A run killed while holding a slot gives it back when its lease runs out; 60 s is the shortest
# lease the server accepts.
LEASE_S = 60


def default_slots() -> int:
    """spaCy's NER keeps one core busy per batch: one slot per core."""
    return os.cpu_count() or 1


def shared_worker() -> bool:
    """True in a deployment's run, where other jobs may share the machine. A run of the flow
    called in-process (`sluice run`, tests) is alone in its process and has no slot to share;
    and a temporary server has no lease reaper to return the slot of a run that died."""
    return in_deployment()


def in_deployment() -> bool:
    """Whether this run came from a deployment. A top-level run in context says so itself:
    `prefect.runtime.deployment.id` reads such a run from the server with a new client on
    every call when it has no deployment (asked at a job's start and twice a batch). A
    nested flow counts its parent's deployment, as that does."""
    context = FlowRunContext.get()
    run = context.flow_run if context is not None else None
    if run is not None and (run.deployment_id is not None or run.parent_task_run_id is None):
        return run.deployment_id is not None
    return deployment.id is not None  # a nested flow, or a task outside the flow's context


def ensure_limit(name: str = NER_LIMIT, slots: int | None = None) -> int | None:
    """The limit's slots, after creating it with `slots` (default: one per core) if missing;
    None where no limit applies (see shared_worker)."""
    if not shared_worker():
        return None
    with get_client(sync_client=True) as client:
        try:
            limit = client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            wanted = slots or default_slots()
            try:
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=name, limit=wanted))
                get_run_logger().warning("created the missing concurrency limit %s with %d "
                                         "slots", name, wanted)
            except ObjectAlreadyExists:
                pass  # another job created it a moment ago
            limit = client.read_global_concurrency_limit_by_name(name)
    if limit.active and limit.limit == 0:
        raise ConfigError(f"concurrency limit {name} has 0 slots, so NER could never run; "
                          f"set it with: prefect gcl update {name} --limit {default_slots()}")
    return limit.limit


@contextmanager
def ner_slot() -> Iterator[None]:
    if not shared_worker():
        yield
        return
    # strict: a limit deleted while jobs run fails the batch instead of silently lifting it.
    with concurrency(NER_LIMIT, occupy=1, strict=True, lease_duration=LEASE_S):
        yield
