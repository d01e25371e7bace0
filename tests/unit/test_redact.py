"""sluice.redact: URL passwords and registered secrets masked in text, log records (message,
arguments, traceback), the run summary, the outbox and webhook signatures' window."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import time
from pathlib import Path

import pytest

from sluice import events, redact
from sluice.io import outbox
from sluice.records import BatchReport, RunSummary

PASSWORD = "Pw-7f3b9c2e1d"
URL = f"postgresql://sluice:{PASSWORD}@db.example:5432/sluice"


def test_redact_url_masks_the_password_only() -> None:
    assert redact.redact_url(URL) == "postgresql://sluice:***@db.example:5432/sluice"
    assert redact.redact_url("postgresql://sluice@db/x") == "postgresql://sluice@db/x"
    assert redact.redact_url("sqlite:///data/x.db") == "sqlite:///data/x.db"
    text = f"connect {URL} failed; then redis://:r3dispass@cache:6379/0 too"
    assert PASSWORD not in redact.scrub(text) and "r3dispass" not in redact.scrub(text)


def test_redact_registered_secret_masked_also_percent_encoded() -> None:
    redact.add_secret("k3y/with spaces")
    assert redact.scrub("sig k3y/with spaces and k3y%2Fwith%20spaces") == "sig *** and ***"
    redact.add_secret("abc")  # too short to mask without mangling ordinary text
    assert redact.scrub("abc") == "abc"


def test_redact_add_url_then_unredact_gives_the_url_back(monkeypatch) -> None:
    masked = redact.add_url(URL)
    assert PASSWORD not in masked and redact.unredact(masked) == URL
    other = "postgresql://u:Other-Secret-99@h2/db"
    key = redact.redact_url(other)
    assert redact.unredact(key, environ={}) == "postgresql://u@h2/db"  # libpq: PGPASSWORD
    assert redact.unredact(key, environ={"SLUICE_STORE_URL": other}) == other


def test_redact_log_records_message_args_and_traceback(caplog) -> None:
    redact.install()
    redact.install()  # idempotent
    log = logging.getLogger("some.library")
    with caplog.at_level(logging.INFO):
        log.info("sink %s failed", URL)
        try:
            raise RuntimeError(f"cannot open {URL}")
        except RuntimeError:
            log.exception("store down")
    text = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    assert "cannot open postgresql://sluice:***@" in text
    assert PASSWORD not in text


def test_redact_environment_secrets_are_registered() -> None:
    redact.secrets_from_env({"SLUICE_EVENTS_WEBHOOK_SECRET": "hook-secret-42",
                             "PREFECT_API_AUTH_STRING": "admin:Auth-Pass-77", "HOME": "/root"})
    assert redact.scrub("hook-secret-42 Auth-Pass-77 /root") == "*** *** /root"


def test_redact_is_linear_on_hostile_text() -> None:
    # An unbounded pattern would scan to the end from each of the 40,000 "://": minutes.
    hostile = "://a:" * 40_000 + "x" * 1_000_000 + "@"
    started = time.perf_counter()
    redact.scrub(hostile)
    assert time.perf_counter() - started < 2.0


def test_run_summary_masks_the_store_password() -> None:
    summary = RunSummary(job_id="j", totals=BatchReport(), wall_s=1.0, store=URL, out="data/out")
    assert PASSWORD not in "\n".join(summary.lines())
    assert PASSWORD not in summary.model_dump_json()


def test_outbox_is_private_and_keeps_no_password(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "outbox.db"
    os.umask(0o022)
    with outbox.opened(path) as conn:
        outbox.park_write(conn, "job-1", URL, '{"documents": []}', f"OperationalError at {URL}")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for part in tmp_path.iterdir():
        assert PASSWORD.encode() not in part.read_bytes(), part
        assert stat.S_IMODE(part.stat().st_mode) == 0o600, part
    with sqlite3.connect(path) as raw:
        (key,) = raw.execute("SELECT sink FROM writes").fetchone()
    assert key == redact.redact_url(URL)
    monkeypatch.setenv("SLUICE_STORE_URL", URL)  # what `sluice replay` runs with
    redact._urls.clear()  # a fresh process knows nothing but its environment
    with outbox.opened(path) as conn:
        [entry] = outbox.parked_writes(conn)
    assert entry.key == URL


def test_webhook_signature_window_rejects_a_replay() -> None:
    body = b'{"id": "1"}'
    sent = int(time.time())
    header = events.signature("s3cret", sent, body)
    assert events.verify_signature("s3cret", header, body)
    assert events.verify_signature("s3cret", header, body, now=sent + events.TOLERANCE_S)
    assert not events.verify_signature("s3cret", header, body, now=sent + events.TOLERANCE_S + 1)
    assert not events.verify_signature("s3cret", header, body, now=sent + 86_400)
    assert not events.verify_signature("other", header, body)
    assert not events.verify_signature("s3cret", header, body + b" ")
    assert not events.verify_signature("s3cret", "garbage", body)


@pytest.mark.parametrize("name", ["SLUICE_STORE_PASSWORD", "AWS_SECRET_ACCESS_KEY"])
def test_redact_secret_named_variables(name: str) -> None:
    redact.secrets_from_env({name: f"value-of-{name}"})
    assert redact.scrub(f"x value-of-{name} y") == "x *** y"


@pytest.mark.parametrize(("text", "masked"), [
    ("postgresql://u:abc@db.example/x", "postgresql://u:***@db.example/x"),  # 3 characters
    ("redis://:p@cache:6379/0", "redis://:***@cache:6379/0"),
    ("postgresql://u:p@ss@db/x; ann@example.com", "postgresql://u:***@db/x; ann@example.com"),
    ("host=db user=u password=ab dbname=x", "host=db user=u password=*** dbname=x"),
    ("host=db password='a b' dbname=x", "host=db password='***' dbname=x"),
    ("postgresql://u@db/x?ssl=1&password=ab", "postgresql://u@db/x?ssl=1&password=***"),
    ('{"password": "ab", "user": "u"}', '{"password": "***", "user": "u"}'),
    ("PGPASSWORD=ab psql", "PGPASSWORD=*** psql"),
    ("tokens=5 secret_count=3 at 12:30", "tokens=5 secret_count=3 at 12:30"),
])
def test_redact_short_secrets_are_masked_by_their_place(text: str, masked: str) -> None:
    assert redact.scrub(text) == masked


def test_redact_settings_scan_is_linear_on_hostile_text() -> None:
    for hostile in ("password=" * 1_000_000, "password" + " " * 1_000_000, "://a:" + "@" * 10**6):
        assert seconds_of(lambda text=hostile: redact.scrub(text)) < 2.0


def seconds_of(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def test_redis_targets_that_differ_by_password_keep_their_events_apart(tmp_path: Path) -> None:
    from sluice.io import event_sinks

    path = tmp_path / "outbox.db"
    one = event_sinks.RedisTarget(url="redis://:abc@127.0.0.1:6379/0", stream="s")
    two = event_sinks.RedisTarget(url="redis://:xyz@127.0.0.1:6379/0", stream="s")
    assert one.name == two.name  # the display name hides the password...
    keys = {event_sinks.outbox_key(t, str(path)) for t in (one, two)}
    assert len(keys) == 2  # ...the outbox keys do not collide
    assert all("abc" not in key and "xyz" not in key for key in keys)
    assert keys == {event_sinks.outbox_key(t, str(path)) for t in (one, two)}  # stable
    key_file = tmp_path / "outbox.db.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and len(key_file.read_bytes()) == 32
    other = tmp_path / "other" / "outbox.db"  # another outbox, another key: no shared digest
    assert event_sinks.outbox_key(one, str(other)) not in keys

    # One event, two targets: two entries (one key would have kept one, and lost the other's).
    event_sinks.enqueue([one, two], "event-1", b'{"id": "event-1"}', str(path))
    with outbox.opened(path) as conn:
        assert sorted(e.key for e in outbox.pending_events(conn)) == sorted(keys)
