"""The outbox: a local SQLite file holding what could not be delivered yet, so it survives the
crash or restart of the process and the outage of the service it is meant for.

Two kinds of entry: sink writes (a batch one sink failed to store, replayed by `sluice replay`)
and events (one row per event and target, delivered in order, at least once). An entry is
deleted only after its delivery succeeded; delivery is idempotent (sinks) or deduplicated by
the consumer on the CloudEvent id (events), so a crash in between repeats, never loses.
"""

from __future__ import annotations

import hmac
import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import NamedTuple

from sluice import redact
from sluice.io.wal import use_wal

DEFAULT_PATH = "data/outbox.db"
BUSY_TIMEOUT_S = 30.0
SCHEMA = """
CREATE TABLE IF NOT EXISTS writes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL, sink TEXT NOT NULL, payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1, last_error TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS writes_job ON writes (job_id);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    target TEXT NOT NULL, event_id TEXT NOT NULL, body BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, due_at REAL NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    UNIQUE (target, event_id));
"""


class Entry(NamedTuple):
    id: int
    key: str  # writes: the sink URI; events: the target name
    payload: str | bytes
    attempts: int


def default_path() -> str:
    return os.environ.get("SLUICE_OUTBOX", DEFAULT_PATH)


@contextmanager
def opened(path: str | Path | None = None) -> Iterator[sqlite3.Connection]:
    """The outbox at `path` (default $SLUICE_OUTBOX or data/outbox.db), one transaction."""
    file = Path(path or default_path())
    file.parent.mkdir(parents=True, exist_ok=True)
    _private(file)
    with closing(sqlite3.connect(file, timeout=BUSY_TIMEOUT_S)) as conn:
        use_wal(conn, BUSY_TIMEOUT_S)
        conn.executescript(SCHEMA)
        with conn:
            yield conn


def keyed_digest(value: str, path: str | Path | None = None) -> str:
    """A short HMAC-SHA256 of `value` under the outbox's own random key (a private file beside
    it, `outbox.db.key`): entries of two targets that differ only by a password stay apart, and
    the digest gives no way to test a guessed password without that key."""
    return hmac.new(_key(Path(path or default_path())), value.encode(), "sha256").hexdigest()[:16]


def _key(file: Path) -> bytes:
    key_file = file.with_name(file.name + ".key")
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        draft = key_file.with_name(f"{key_file.name}.{os.getpid()}.tmp")
        handle = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(handle, secrets.token_bytes(32))
            os.fsync(handle)
        finally:
            os.close(handle)
        try:
            os.link(draft, key_file)  # whole or not at all; the first of two writers wins
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return key_file.read_bytes()


def park_write(conn: sqlite3.Connection, job_id: str, sink: str, payload: str, error: str) -> None:
    """The sink is kept with its password masked; `parked_writes` gives it back whole when
    this process knows it, or the environment holds it (see sluice.redact.unredact)."""
    conn.execute(
        "INSERT INTO writes (job_id, sink, payload, last_error) VALUES (?, ?, ?, ?)",
        (job_id, redact.add_url(sink), payload, redact.scrub(error)),
    )


def parked_writes(conn: sqlite3.Connection, job_id: str | None = None) -> list[Entry]:
    """Writes waiting for a sink, oldest first (all jobs when `job_id` is None)."""
    where, args = ("WHERE job_id = ?", (job_id,)) if job_id else ("", ())
    rows = conn.execute(f"SELECT id, sink, payload, attempts FROM writes {where} ORDER BY id", args)
    return [Entry(id_, redact.unredact(sink), payload, tries) for id_, sink, payload, tries in rows]


def add_event(conn: sqlite3.Connection, targets: list[str], event_id: str, body: bytes) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO events (target, event_id, body) VALUES (?, ?, ?)",
        [(target, event_id, body) for target in targets],
    )


def pending_events(conn: sqlite3.Connection, now: float | None = None) -> list[Entry]:
    """Events waiting for a target, oldest first; with `now`, only those due by then."""
    query = "SELECT id, target, body, attempts FROM events"
    if now is None:
        return [Entry(*row) for row in conn.execute(f"{query} ORDER BY id")]
    return [Entry(*row) for row in conn.execute(f"{query} WHERE due_at <= ? ORDER BY id", (now,))]


def done(conn: sqlite3.Connection, table: str, entry_id: int) -> None:
    conn.execute(f"DELETE FROM {_table(table)} WHERE id = ?", (entry_id,))


def failed(
    conn: sqlite3.Connection, table: str, entry_id: int, error: str, due_at: float = 0.0
) -> None:
    """Count a failed delivery; an event waits until `due_at` before its next try."""
    conn.execute(
        f"UPDATE {_table(table)} SET attempts = attempts + 1, last_error = ? WHERE id = ?",
        (redact.scrub(error), entry_id),
    )
    if table == "events":
        conn.execute("UPDATE events SET due_at = ? WHERE id = ?", (due_at, entry_id))


def _private(file: Path) -> None:
    """Only the owner may read the outbox and its journals: they hold documents and errors."""
    for part in (file, file.with_name(file.name + "-wal"), file.with_name(file.name + "-shm")):
        if part == file and not part.exists():
            part.touch(mode=0o600)
        if part.exists() and part.stat().st_mode & 0o077:
            part.chmod(0o600)


def _table(name: str) -> str:
    if name not in ("writes", "events"):
        raise ValueError(f"no outbox table {name!r}")
    return name
