"""Deliver CloudEvents to Redis Streams and HTTP webhooks through the outbox: an event is first
stored, then sent; one a target did not take stays and is tried again later with a growing
delay, in order, so an event emitted while Redis is down arrives once it is back.

Webhooks get the structured JSON with an HMAC-SHA256 signature over the send time and body
(`X-Sluice-Signature: t=<unix>,v1=<hex>`), so a receiver can check sender and freshness with
`sluice.events.verify_signature` (a window of TOLERANCE_S = 300 s; see sluice.events).
A target's name has any password in its URL masked; its key in the outbox adds, where the URL
has a password, a digest of it keyed by the outbox's own secret (two Redis targets that differ
only by password keep their events apart, and the key reveals nothing of either password).
"""

from __future__ import annotations

import os
import time
import urllib.request
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from pydantic import SecretStr

from sluice import redact
from sluice.events import signature
from sluice.io import outbox
from sluice.records import Record

DEFAULT_STREAM = "sluice:events"
STREAM_MAXLEN = 100_000  # about; older entries are trimmed so the stream cannot grow forever
SIGNATURE_HEADER = "X-Sluice-Signature"
BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 60.0
TIMEOUT_S = 5.0


class RedisTarget(Record):
    url: str = "redis://127.0.0.1:6379/0"
    stream: str = DEFAULT_STREAM

    @property
    def name(self) -> str:
        return f"redis:{redact.add_url(self.url)}#{self.stream}"


class WebhookTarget(Record):
    url: str
    secret: SecretStr | None = None
    timeout_s: float = TIMEOUT_S

    def model_post_init(self, _context: Any) -> None:
        if self.secret is not None:  # masked in this process's logs from now on
            redact.add_secret(self.secret.get_secret_value())

    @property
    def name(self) -> str:
        return f"webhook:{redact.add_url(self.url)}"


Target = RedisTarget | WebhookTarget


def outbox_key(target: Target, path: str | None = None) -> str:
    password = redact.url_password(target.url)
    return f"{target.name}~{outbox.keyed_digest(password, path)}" if password else target.name


def targets_from_env(environ: Mapping[str, str] | None = None) -> list[Target]:
    """SLUICE_EVENTS_REDIS (+ SLUICE_EVENTS_STREAM) and SLUICE_EVENTS_WEBHOOK
    (+ SLUICE_EVENTS_WEBHOOK_SECRET); none set: events go to Prefect only."""
    env = os.environ if environ is None else environ
    targets: list[Target] = []
    if env.get("SLUICE_EVENTS_REDIS"):
        stream = env.get("SLUICE_EVENTS_STREAM") or DEFAULT_STREAM
        targets.append(RedisTarget(url=env["SLUICE_EVENTS_REDIS"], stream=stream))
    if env.get("SLUICE_EVENTS_WEBHOOK"):
        secret = env.get("SLUICE_EVENTS_WEBHOOK_SECRET")
        targets.append(
            WebhookTarget(
                url=env["SLUICE_EVENTS_WEBHOOK"], secret=SecretStr(secret) if secret else None
            )
        )
    return targets


def send(target: Target, body: bytes) -> None:
    """One delivery attempt; raises on any failure."""
    if isinstance(target, RedisTarget):
        redis_client(target.url).xadd(
            target.stream, {"event": body}, maxlen=STREAM_MAXLEN, approximate=True
        )
    else:
        _post(target, body)


@lru_cache(maxsize=8)
def redis_client(url: str) -> Any:
    import redis

    # Short timeouts: a Redis that is down must cost an emit seconds, not minutes.
    return redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)


def _post(target: WebhookTarget, body: bytes) -> None:
    headers = {"Content-Type": "application/cloudevents+json; charset=utf-8"}
    if target.secret is not None:
        headers[SIGNATURE_HEADER] = signature(  # signed at sending: the receiver's window
            target.secret.get_secret_value(), int(time.time()), body
        )
    request = urllib.request.Request(target.url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=target.timeout_s) as response:
        response.read()  # urlopen raises HTTPError on 4xx/5xx: the entry stays in the outbox


def enqueue(targets: Sequence[Target], event_id: str, body: bytes, path: str | None = None) -> None:
    if targets:
        with outbox.opened(path) as conn:
            outbox.add_event(conn, [outbox_key(t, path) for t in targets], event_id, body)


def deliver_pending(targets: Sequence[Target], path: str | None = None, wait_s: float = 0.0) -> int:
    """Send the outbox's due events to `targets`, oldest first; with `wait_s`, keep retrying
    (with backoff) up to that long until none is left. Returns the events still waiting."""
    if not targets:
        return 0
    by_name = {outbox_key(t, path): t for t in targets}
    deadline = time.monotonic() + wait_s
    while True:
        left, next_due = _deliver_round(by_name, path)
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(max(0.05, min(next_due - time.time(), deadline - time.monotonic())))


def _deliver_round(by_name: dict[str, Target], path: str | None) -> tuple[int, float]:
    """One pass; a target that fails is not tried again in this pass, which keeps its events
    in order. Returns (events left for these targets, when the earliest becomes due)."""
    with outbox.opened(path) as conn:
        pending = [e for e in outbox.pending_events(conn) if e.key in by_name]
        due = {e.id for e in outbox.pending_events(conn, now=time.time())}
    blocked: set[str] = set()
    for entry in pending:
        if entry.id not in due:
            blocked.add(entry.key)  # waiting out its backoff: no newer event may overtake it
        if entry.key in blocked:
            continue
        try:
            send(by_name[entry.key], bytes(entry.payload))  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 -- any failure: keep it, try again later
            blocked.add(entry.key)
            delay = min(BACKOFF_BASE_S * 2**entry.attempts, BACKOFF_MAX_S)
            with outbox.opened(path) as conn:
                outbox.failed(
                    conn,
                    "events",
                    entry.id,
                    f"{type(exc).__name__}: {exc}",
                    due_at=time.time() + delay,
                )
            continue
        with outbox.opened(path) as conn:
            outbox.done(conn, "events", entry.id)
    with outbox.opened(path) as conn:
        left = [e for e in outbox.pending_events(conn) if e.key in by_name]
        next_due = min((_due_at(conn, e.id) for e in left), default=time.time())
    return len(left), next_due


def _due_at(conn: Any, entry_id: int) -> float:
    return float(conn.execute("SELECT due_at FROM events WHERE id = ?", (entry_id,)).fetchone()[0])
