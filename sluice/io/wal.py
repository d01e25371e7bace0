"""Switch an SQLite file to WAL mode when other processes may be opening it at the same moment."""

from __future__ import annotations

import sqlite3
import time

RETRY_PAUSE_S = 0.02


def use_wal(db: sqlite3.Connection | sqlite3.Cursor, timeout_s: float) -> None:
    """WAL mode, waiting up to `timeout_s` while another connection holds a lock.

    SQLite does not call its busy handler for a journal-mode switch: on a new file, workers
    that started together got an immediate "database is locked" (1 start in 10 in the tests).
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(RETRY_PAUSE_S)
