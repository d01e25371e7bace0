"""Publish job lifecycle events: as Prefect events (for automations) and as CloudEvents to
Redis Streams and webhooks through the outbox (see sluice.io.event_sinks).

`emit_job_event` is a plain function, not a task: an event is a side note of the flow, and
a task run per event would cost more than the event. The flow hooks below cover the end states.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from prefect.events import emit_event
from prefect.logging import get_logger

from sluice import events, redact
from sluice.io import event_sinks
from sluice.records import Failure

FINAL_FLUSH_S = 30.0  # how long the end of a job waits for a target that is down
_log = get_logger("sluice.events")


def emit_job_event(kind: str, job_id: str, data: dict[str, Any] | None = None,
                   wait_s: float = 0.0) -> str:
    """Emit `kind` about `job_id` everywhere; returns the CloudEvent id. Never raises for a
    target that is down: the event waits in the outbox and goes with a later emit or replay.
    Secrets in `data` (a URL's password in an error message) are masked first."""
    data = redact.scrub_data(data or {})
    event = events.job_event(kind, job_id, data)
    emit_event(event=event.get_type(), resource={"prefect.resource.id": f"sluice.job.{job_id}"},
               payload={"cloudevent_id": event.get_id(), **data})
    targets = event_targets()
    event_sinks.enqueue(targets, event.get_id(), events.to_json(event))
    left = event_sinks.deliver_pending(targets, wait_s=wait_s)
    if left:
        _log.warning("%d event(s) wait in the outbox for a target that is down", left)
    return event.get_id()


RUN_LEFT = "sluice.flow-run.left"  # deployments/automations.py expects it after a heartbeat


@contextmanager
def leaving_announced(run_id: str | None) -> Iterator[None]:
    """Around the flow's body: when it is left (paused, failed, done; not when the process is
    killed), say so with an event about the flow run. A run suspended by `sluice pause` keeps
    running until its next task and may send one more heartbeat after its Suspended state;
    the stack's crash detector takes this event, like a final state, as the end of its
    heartbeats, and does not mark the paused run Crashed 90 s later."""
    try:
        yield
    finally:
        if run_id:
            emit_event(event=RUN_LEFT,
                       resource={"prefect.resource.id": f"prefect.flow-run.{run_id}"})


_JOB_BLOCKS: dict[str, str | None] = {}  # the running job's event blocks (flow parameters)


def use_event_blocks(redis: str | None, webhook: str | None) -> None:
    """Event blocks named by the job's parameters; they win over the env vars."""
    _JOB_BLOCKS.update(redis=redis, webhook=webhook)


def event_targets() -> list[event_sinks.Target]:
    """Targets from env vars, plus those of the blocks named in SLUICE_REDIS_BLOCK and
    SLUICE_WEBHOOK_BLOCK (loaded once per process)."""
    names = (_JOB_BLOCKS.get("redis") or os.environ.get("SLUICE_REDIS_BLOCK"),
             _JOB_BLOCKS.get("webhook") or os.environ.get("SLUICE_WEBHOOK_BLOCK"))
    return [*event_sinks.targets_from_env(), *_block_targets(*names)]


@lru_cache(maxsize=4)
def _block_targets(redis: str | None, webhook: str | None) -> tuple[event_sinks.Target, ...]:
    from blocks.use import event_targets as from_blocks

    return tuple(from_blocks(redis, webhook)) if redis or webhook else ()


def emit_document_failures(job_id: str, failures: Sequence[Failure]) -> None:
    for failure in failures:
        emit_job_event("document.failed", job_id, failure.model_dump(mode="json"))


def _final(kind: str) -> Any:
    """A flow state hook emitting `kind`; it waits a while for targets that are down, as
    after the job's end no later emit would carry its events."""

    # These names, not others: Prefect's runner calls cancellation and crash hooks with
    # keywords (flow=, flow_run=, state=); any other name raises TypeError there.
    def hook(flow: Any, flow_run: Any, state: Any) -> None:
        data = {"state": state.name, "message": state.message}
        job = ((flow_run.parameters or {}).get("shard") or {}).get("job")
        if job:  # a shard's run: its end is news about its job, not the job's end
            emit_job_event(kind.replace("job.", "shard."), job, {**data, "run": str(flow_run.id)},
                           wait_s=FINAL_FLUSH_S)
        else:
            emit_job_event(kind, str(flow_run.id), data, wait_s=FINAL_FLUSH_S)
        _send_prefect_events_now()

    hook.__name__ = f"emit_{kind.replace('.', '_')}"
    return hook


def _send_prefect_events_now() -> None:
    """Send the Prefect events this process has queued: after a crash (SIGTERM from outside)
    the engine re-raises the signal once the hooks ran, and the process ends with no exit
    handler left to send them."""
    from prefect.events.worker import EventsWorker

    # Prefect warns "Still processing items" when a drain finds events still queued, which
    # is what this drain is for: every job's end showed that warning.
    worker_log = logging.getLogger(EventsWorker.__name__)
    level = worker_log.level
    worker_log.setLevel(logging.ERROR)
    try:
        EventsWorker.drain_all(timeout=FINAL_FLUSH_S, at_exit=False)
    finally:
        worker_log.setLevel(level)


# The job's end states, as hooks for @flow(**EVENT_HOOKS); a crash (killed process, lost
# infrastructure) ends the job as a failure.
EVENT_HOOKS = {
    "on_completion": [_final("job.completed")],
    "on_failure": [_final("job.failed")],
    "on_cancellation": [_final("job.cancelled")],
    "on_crashed": [_final("job.failed")],
}
