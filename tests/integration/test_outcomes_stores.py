"""Hostile inputs through the real flow into SQLite, PostgreSQL and JSONL: a file name that is
not UTF-8, a lone surrogate, a FIFO, a symlink out of the source, files that end up empty, a
file named like a JSONL line; then the 0005 migration of old labels, and a run whose store is
down (parked batches, exit status 3, replay)."""

from __future__ import annotations

import contextlib
import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from sluice.io import jsonl, migrate, outbox, store
from sluice.io.files import discover
from sluice.io.store_schema import DOCUMENTS, FAILURES
from sluice.names import escape_path
from sluice.screen import FIXES

CAFE = b"caf\xe9.txt"


def hostile_folder(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    root.mkdir()
    Path(os.fsdecode(os.fsencode(root) + b"/" + CAFE)).write_bytes(
        b"The caf\xc3\xa9 in Paris opened in 1999 and serves coffee to visitors from London.")
    (root / "good.txt").write_text("Angela Merkel visited Chicago on 3 March 2015 to talk trade.")
    (root / "lone.jsonl").write_bytes(  # JSON's \ud800 escape decodes to a lone surrogate
        b'{"text": "A lone \\ud800 surrogate reached Berlin in May 2020 by train."}\n'
        b'{"text": "Madrid and Lisbon signed a treaty about rivers in 1998."}\n')
    (root / "x.jsonl").write_bytes(b'{"not_text": 1}\n')  # line 1: a BadRecord failure
    (root / "x.jsonl#L1").write_bytes(b"a file named like line 1 of x.jsonl")
    (root / "nul.txt").write_bytes(b"\x00" * 4096)
    (root / "nested.html").write_bytes(b"<html><body>" + b"<div>" * 300 + b"</div>" * 300
                                       + b"</body></html>")
    os.mkfifo(root / "pipe.txt")
    (tmp_path / "secret.txt").write_text("PASSWORD=hunter2")
    (root / "secret.txt").symlink_to(tmp_path / "secret.txt")
    return root


def failure_rows(url: str) -> dict[str, tuple[str, str]]:
    with store.open_store(url).connect() as conn:
        rows = conn.execute(sa.select(FAILURES.c.source, FAILURES.c.stage, FAILURES.c.error_class))
        return {source: (stage, cls) for source, stage, cls in rows}


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/sluice.db"
    return str(request.getfixturevalue("pg_url"))


def test_outcomes_hostile_inputs_end_to_end(store_url: str, prefect_harness, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.pipeline import pipeline
    from sluice.config import RunParams

    monkeypatch.setenv("SLUICE_OUTBOX", str(tmp_path / "outbox.db"))
    root, out = hostile_folder(tmp_path), tmp_path / "out"
    labels = {ref.label for ref in discover(str(root))}
    at = f"{root}/"

    state = pipeline(RunParams(source=str(root), store=store_url, out=str(out),
                               overrides={"max_error_rate": 1.0}), return_state=True)

    assert state.is_completed(), state.message
    totals = state.result().totals
    docs = {d.source: d for d in store.read_documents(store.open_store(store_url))}
    failures = failure_rows(store_url)
    assert failures == {
        f"{at}x.jsonl#L1": ("parse", "BadRecord"),
        f"{at}x.jsonl\\x23L1": ("parse", "UnsupportedFormat"),
        f"{at}pipe.txt": ("ingest", "NotRegularFile"),
        f"{at}secret.txt": ("ingest", "OutsideSourceRoot"),
        f"{at}nul.txt": ("clean", "EmptyDocument"),
        f"{at}nested.html": ("parse", "EmptyDocument"),  # no visible text: parse says so
    }
    assert sorted(docs) == sorted([f"{at}caf\\xe9.txt", f"{at}good.txt", f"{at}lone.jsonl#L1",
                                   f"{at}lone.jsonl#L2"])
    assert set(docs) | set(failures) == labels  # every input has exactly one outcome
    assert (totals.documents, totals.processed, totals.failed, totals.parked) == (10, 4, 6, 0)
    assert "caf\u00e9 in Paris" in docs[f"{at}caf\\xe9.txt"].text
    lone = docs[f"{at}lone.jsonl#L1"]
    assert "A lone \ufffd surrogate" in lone.text and lone.metadata[FIXES] == {"text": 1}
    assert not any("hunter2" in d.text for d in docs.values())
    written = jsonl.read_documents(out)  # strict UTF-8: no surrogate reached the file
    assert sorted(d.source for d in written) == sorted(docs)


def _store_at_0004(url: str) -> sa.Engine:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        migrate.upgrade(conn, "0004")
    return engine


def test_outcomes_migration_0005_escapes_old_labels(store_url: str) -> None:
    engine = _store_at_0004(store_url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(sa.insert(DOCUMENTS), [
            {"id": "a", "source": "in\\back.txt", "format": "txt", "text": "t",
             "content_type": "text/plain", "metadata": {}, "text_hash": "h", "job_id": "j",
             "processed_at": now},
            {"id": "b", "source": "in/plain.txt", "format": "txt", "text": "t",
             "content_type": "text/plain", "metadata": {}, "text_hash": "h", "job_id": "j",
             "processed_at": now}])  # fmt: skip
        conn.execute(sa.insert(FAILURES), [
            {"source": src, "stage": "parse", "job_id": "j", "error_class": cls,
             "message": "m", "doc_id": None, "at": now}
            for src, cls in [("in/x.jsonl#L1", "UnsupportedFormat"), ("in/y.jsonl#L2", "BadRecord"),
                             ("in\\a\\b.jsonl#L3", "BadRecord"), ("in\\\\b", "CorruptPDF"),
                             ("in\\b", "CorruptPDF")]])  # fmt: skip

    upgraded = store.open_store(store_url)

    with upgraded.connect() as conn:
        assert migrate.current_revision(conn) == migrate.HEAD  # 0005 and every later one
        sources = dict(conn.execute(sa.select(DOCUMENTS.c.id, DOCUMENTS.c.source)).all())
    assert sources == {"a": "in\\\\back.txt", "b": "in/plain.txt"}
    assert failure_rows(store_url) == {
        "in/x.jsonl\\x23L1": ("parse", "UnsupportedFormat"),
        "in/y.jsonl#L2": ("parse", "BadRecord"),
        "in\\\\a\\\\b.jsonl#L3": ("parse", "BadRecord"),
        "in\\\\\\\\b": ("parse", "CorruptPDF"),
        "in\\\\b": ("parse", "CorruptPDF"),
    }
    assert escape_path("in\\b") == "in\\\\b"  # the form a new run gives that file


def test_outcomes_store_down_parks_and_run_exits_3(private_pg, prefect_harness, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Odd names and a lone surrogate in a batch that goes to the outbox: it is parked (it
    could not be before), `sluice run` says so and exits 3, and replay stores it."""
    from flows.cli import PARKED_EXIT, main

    monkeypatch.setenv("SLUICE_OUTBOX", str(tmp_path / "outbox.db"))
    monkeypatch.setenv("SLUICE_SINK_RETRY_DELAYS", "0.1")
    root, stderr = hostile_folder(tmp_path), io.StringIO()
    private_pg.stop()
    try:
        # Not capsys: a logging handler made while it captures keeps its stream, which capsys
        # closes after the test, and every later flow run in the session fails on it.
        with contextlib.redirect_stderr(stderr):
            code = main(["run", str(root), "--store", private_pg.url, "--out",
                         str(tmp_path / "out"), "--set", "max_error_rate=1.0"])
    finally:
        private_pg.start()

    assert code == PARKED_EXIT == 3
    assert "sluice: 4 processed documents are parked in the outbox" in stderr.getvalue()
    with outbox.opened() as conn:
        [entry] = outbox.parked_writes(conn)
    assert "caf\\\\xe9.txt" in str(entry.payload)
    assert main(["replay", _job_of(tmp_path)]) == 0
    sources = {d.source for d in store.read_documents(store.open_store(private_pg.url))}
    assert f"{root}/caf\\xe9.txt" in sources and len(sources) == 4
    assert len(failure_rows(private_pg.url)) == 6


def _job_of(tmp_path: Path) -> str:
    with outbox.opened(tmp_path / "outbox.db") as conn:
        return str(conn.execute("SELECT job_id FROM writes").fetchone()[0])


def test_outcomes_store_rejecting_one_document_stores_the_rest(store_url: str) -> None:
    from sluice.io.sinks import SinkBatch, writable, write_isolated
    from sluice.records import Document, Entity, Failure

    huge = Entity(start=2**70, end=2**70 + 1, label="X", text="x")  # no INTEGER column holds it
    docs = (Document(id="good", source="in/good.txt", format="txt", text="fine"),
            Document(id="bad", source="in/bad.txt", format="txt", text="x", entities=(huge,)))
    earlier = Failure(source="in/other.pdf", stage="parse", error_class="CorruptPDF", message="m")
    batch, unwritable = writable(SinkBatch(job_id="j", documents=docs, failures=(earlier,)))

    written, failures = write_isolated(store_url, batch)

    assert unwritable == [] and written == 1
    assert [(f.doc_id, f.error_class) for f in failures] == [("bad", "StoreError")]
    assert [d.id for d in store.read_documents(store.open_store(store_url))] == ["good"]
    assert failure_rows(store_url) == {"in/bad.txt": ("store", "StoreError"),
                                       "in/other.pdf": ("parse", "CorruptPDF")}


def test_outcomes_jsonl_and_store_agree_on_what_the_store_refuses(
        store_url: str, prefect_harness, tmp_path: Path) -> None:
    """A label too long for PostgreSQL's index of sources (a deep folder of long names: 3,100
    bytes of random names, which do not compress) is refused before JSONL is written; a value
    the database refuses at write time (an offset no INTEGER holds) is withdrawn from JSONL.
    Either way JSONL holds what the store holds, also when the batch is written again."""
    import hashlib
    import secrets

    from sluice.io.sinks import PG_MAX_SOURCE_BYTES
    from sluice.records import Document, Entity
    from tasks.store import store_batch

    deep = "/".join(secrets.token_hex(96) for _ in range(16))
    long_source = f"{tmp_path}/in/{deep}/wire.txt"
    huge = Entity(start=2**70, end=2**70 + 1, label="X", text="x")
    docs = [Document(id="good", source="in/good.txt", format="txt", text="fine"),
            Document(id="deep", source=long_source, format="txt", text="deep down"),
            Document(id="bad", source="in/bad.txt", format="txt", text="x", entities=(huge,))]
    out = tmp_path / "out"
    postgres = store_url.startswith("postgresql")
    for _ in range(2):  # a retried or resumed batch: the same outcome
        stored = store_batch(store_url, str(out), "job-agree", docs, [], [])
        assert stored.parked == 0
        in_store = {d.id for d in store.read_documents(store.open_store(store_url))}
        assert {d.id for d in jsonl.read_documents(out)} == in_store
        assert in_store == ({"good"} if postgres else {"good", "deep"})
    rows = failure_rows(store_url)
    assert rows.pop("in/bad.txt") == ("store", "StoreError")
    if postgres:
        [(key, outcome)] = rows.items()
        assert outcome == ("store", "UnwritableRecord")
        assert len(key.encode()) <= PG_MAX_SOURCE_BYTES and long_source.startswith(key[:1900])
        assert key.endswith("\\#" + hashlib.sha256(long_source.encode()).hexdigest())
    else:
        assert rows == {}


def test_outcomes_index_row_too_large_is_the_documents_fault_not_an_outage(pg_url: str) -> None:
    """psycopg2 raises PostgreSQL's "index row size exceeds maximum" (SQLSTATE 54000) as an
    OperationalError, which used to read as an outage: the whole batch was parked for a replay
    that could never succeed. Written without `writable`'s check (an outbox entry of an older
    version), it costs that document alone."""
    import secrets

    from sluice.io.sinks import SinkBatch, write_isolated
    from sluice.records import Document

    long_source = "in/" + "/".join(secrets.token_hex(96) for _ in range(16)) + "/wire.txt"
    docs = (Document(id="good", source="in/good.txt", format="txt", text="fine"),
            Document(id="deep", source=long_source, format="txt", text="deep down"))
    written, failures = write_isolated(pg_url, SinkBatch(job_id="j", documents=docs))
    assert written == 1
    assert [(f.doc_id, f.error_class) for f in failures] == [("deep", "StoreError")]
    assert "index row size" in failures[0].message
    [(key, outcome)] = failure_rows(pg_url).items()
    assert outcome == ("store", "StoreError") and long_source.startswith(key.split("\\#")[0])
