"""CloudEvents 1.0 for the lifecycle of a job: built and (de)serialised here, published by
sluice.io.event_sinks. The job id is the `subject`, so a consumer follows one job by it."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime
from typing import Any

from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

SOURCE = "/sluice/pipeline"
TYPE_PREFIX = "sluice."
KINDS = (
    "job.started",
    "batch.completed",
    "document.failed",
    "job.paused",
    "job.resumed",
    "job.completed",
    "job.failed",
    "job.cancelled",
    "shard.completed",  # a sharded job's shards end one by one, then the job
    "shard.failed",
    "shard.cancelled",
)
_FORMAT = JSONFormat()


def job_event(kind: str, job_id: str, data: dict[str, Any] | None = None) -> CloudEvent:
    """A `sluice.<kind>` event about job `job_id`, with a fresh id and the time now."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}; one of {', '.join(KINDS)}")
    attributes = {
        "type": TYPE_PREFIX + kind,
        "source": SOURCE,
        "subject": job_id,
        "time": datetime.now(UTC),
        "datacontenttype": "application/json",
    }
    return CloudEvent(attributes, data or {})


def kind_of(event: CloudEvent) -> str:
    return event.get_type().removeprefix(TYPE_PREFIX)


def to_json(event: CloudEvent) -> bytes:
    """The structured-mode JSON of `event`, as sent to Redis and webhooks."""
    return _FORMAT.write(event)


def from_json(body: bytes | str) -> CloudEvent:
    return _FORMAT.read(CloudEvent, body)  # type: ignore[return-value]


def content_type() -> str:
    return JSONFormat.CONTENT_TYPE


# Webhook signatures, as Stripe's: `X-Sluice-Signature: t=<unix send time>,v1=<hex>`, where
# v1 = HMAC-SHA256(secret, "<t>." + body). The time is the moment of sending (a retry from the
# outbox signs anew), so a receiver that accepts only signatures within TOLERANCE_S of its clock
# refuses an event captured and replayed later; it drops duplicates by the CloudEvent id.
TOLERANCE_S = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(secret: str, header: str, body: bytes, tolerance_s: float = TOLERANCE_S,
                     now: float | None = None) -> bool:
    """True when `header` signs `body` with `secret` and its time is within `tolerance_s` of
    `now` (either way: a clock a little ahead is fine, a day-old replay is not)."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        stamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - stamp) > tolerance_s:
        return False
    expected = signature(secret, stamp, body).rsplit("v1=", 1)[1]
    return hmac.compare_digest(fields.get("v1", ""), expected)
