"""WAL switch on a file another connection is writing: it waits, it does not fail at once."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from sluice.io.wal import use_wal


def writer_holding_lock(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO t VALUES (1)")
    return conn


def test_plain_switch_fails_at_once_while_another_connection_writes(tmp_path: Path) -> None:
    # The SQLite behaviour use_wal is for: no busy handler, whatever the timeout.
    writer = writer_holding_lock(tmp_path / "x.db")
    other = sqlite3.connect(tmp_path / "x.db", timeout=5)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("PRAGMA journal_mode=WAL")
    writer.rollback()


def test_use_wal_waits_for_the_writer(tmp_path: Path) -> None:
    writer = writer_holding_lock(tmp_path / "x.db")
    threading.Timer(0.3, writer.execute, args=("COMMIT",)).start()
    other = sqlite3.connect(tmp_path / "x.db", timeout=5)

    use_wal(other, timeout_s=5)

    assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert other.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_use_wal_gives_up_after_its_timeout(tmp_path: Path) -> None:
    writer = writer_holding_lock(tmp_path / "x.db")
    other = sqlite3.connect(tmp_path / "x.db", timeout=5)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        use_wal(other, timeout_s=0.2)
    writer.rollback()
