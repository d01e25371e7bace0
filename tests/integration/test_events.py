"""Job events: CloudEvents to a private Redis (stopped and restarted), to a signed webhook
(failing, then answering), from a real flow run, and tailed by `sluice events`."""

from __future__ import annotations

import hashlib
import hmac
import threading
from pathlib import Path

import pytest
import redis

from sluice import events
from sluice.io import event_sinks, outbox
from tasks.events import emit_job_event

STREAM = "sluice:test-events"


@pytest.fixture
def outbox_file(prefect_harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An outbox of the test's own; no event target but those the test sets. (The harness:
    every emit also goes to Prefect.)"""
    path = tmp_path / "outbox.db"
    monkeypatch.setenv("SLUICE_OUTBOX", str(path))
    for name in ("SLUICE_EVENTS_REDIS", "SLUICE_EVENTS_WEBHOOK", "SLUICE_EVENTS_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLUICE_EVENTS_STREAM", STREAM)
    return path


def stream_events(url: str) -> list:
    entries = redis.Redis.from_url(url).xrange(STREAM)
    return [events.from_json(fields[b"event"]) for _id, fields in entries]


def test_events_are_cloudevents_with_the_job_as_subject() -> None:
    event = events.job_event("batch.completed", "job-7", {"done": 3})
    again = events.from_json(events.to_json(event))
    assert (again.get_specversion(), again.get_type(), again.get_subject()) == (
        "1.0", "sluice.batch.completed", "job-7")
    assert again.get_id() == event.get_id() and again.get_data() == {"done": 3}
    with pytest.raises(ValueError, match="unknown event kind"):
        events.job_event("job.exploded", "job-7")


def test_events_emitted_while_redis_is_down_arrive_after_it_is_back(
    private_redis, outbox_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLUICE_EVENTS_REDIS", private_redis.url)
    first = emit_job_event("job.started", "job-1")
    private_redis.stop()
    during = [emit_job_event("batch.completed", "job-1", {"batch": n}) for n in (1, 2)]
    with outbox.opened(outbox_file) as conn:
        assert len(outbox.pending_events(conn)) == 2
    private_redis.start()  # a fresh, empty Redis: only what the outbox still holds can arrive
    last = emit_job_event("job.completed", "job-1", wait_s=10)
    got = stream_events(private_redis.url)
    assert [e.get_id() for e in got] == [*during, last]  # in order, none lost
    assert first not in [e.get_id() for e in got]  # delivered before the restart, not again
    assert {e.get_subject() for e in got} == {"job-1"}
    with outbox.opened(outbox_file) as conn:
        assert outbox.pending_events(conn) == []


def test_events_webhook_is_signed_and_retried(webhook, outbox_file: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_EVENTS_WEBHOOK", webhook.url)
    monkeypatch.setenv("SLUICE_EVENTS_WEBHOOK_SECRET", "s3cret")
    webhook.failing.set()  # 503 until cleared
    event_id = emit_job_event("job.failed", "job-2", {"message": "boom"})
    assert webhook.requests == []
    webhook.failing.clear()
    targets = event_sinks.targets_from_env()
    assert event_sinks.deliver_pending(targets, wait_s=10) == 0
    [(headers, body)] = webhook.requests
    assert events.from_json(body).get_id() == event_id
    assert headers["Content-Type"].startswith("application/cloudevents+json")
    stamp, mac = dict(p.split("=", 1) for p in headers["X-Sluice-Signature"].split(",")).values()
    expected = hmac.new(b"s3cret", f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(mac, expected)


def test_events_flow_run_publishes_its_lifecycle(
    private_redis, webhook, outbox_file: Path, prefect_harness, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.pipeline import pipeline
    from sluice.config import RunParams

    monkeypatch.setenv("SLUICE_EVENTS_REDIS", private_redis.url)
    monkeypatch.setenv("SLUICE_EVENTS_WEBHOOK", webhook.url)
    source = tmp_path / "in"
    source.mkdir()
    (source / "good.txt").write_text("Reuters reported that Exxon raised prices in Houston.")
    (source / "empty.txt").write_text("")
    summary = pipeline(RunParams(source=str(source), store=f"sqlite:///{tmp_path}/s.db",
                                 out=str(tmp_path / "out")))
    got = stream_events(private_redis.url)
    kinds = [events.kind_of(e) for e in got]
    assert kinds == ["job.started", "document.failed", "batch.completed", "job.completed"]
    assert {e.get_subject() for e in got} == {summary.job_id}
    assert got[1].get_data()["error_class"] == "EmptyDocument"
    assert [events.from_json(body).get_id() for _h, body in webhook.requests] == [
        e.get_id() for e in got
    ]


def test_events_command_tails_the_stream(private_redis, outbox_file: Path, capsys,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.cli import main

    monkeypatch.setenv("SLUICE_EVENTS_REDIS", private_redis.url)
    emit_job_event("job.started", "job-3")
    follower = threading.Thread(
        target=main, args=(["events", "--follow", "--limit", "3", "--job", "job-3"],))
    follower.start()
    emit_job_event("job.started", "other-job")  # filtered out by --job
    emit_job_event("job.paused", "job-3")
    emit_job_event("job.resumed", "job-3")
    follower.join(timeout=30)
    assert not follower.is_alive()
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == ["job.started", "job.paused", "job.resumed"]
    assert all(line.split()[2] == "job-3" for line in lines)
