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
