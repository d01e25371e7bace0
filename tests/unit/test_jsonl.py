"""The JSONL sink: round trip, one line per document ever, atomic writes, a file per UTC day."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from sluice.io.jsonl import read_documents, write_documents
from sluice.records import Correction, Document, Entity

DAY = datetime(2024, 1, 31, 12, 0, tzinfo=UTC)


def document(doc_id: str) -> Document:
    return Document(
        id=doc_id,
        source=f"in/{doc_id}.txt",
        format="txt",
        text="Zoë paid 12 € on 3 May 2024.",
        title="Zoë",
        language="en",
        metadata={"tags": ["a"], "page": {"n": 1}},
        entities=(
            Entity(start=16, end=26, label="DATE", text="3 May 2024", iso_date="2024-05-03"),
        ),
        corrections=(Correction(start=0, end=3, before="Zoe", after="Zoë", score=0.5),),
    )


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_jsonl_round_trip(tmp_path: Path) -> None:
    docs = [document("a"), Document(id="b", source="in/b.md", format="md", text="Plain.")]

    assert write_documents(tmp_path / "out", docs, {"a": 3}, now=DAY) == 2

    file = tmp_path / "out" / "documents-2024-01-31.jsonl"
    assert read_documents(tmp_path / "out") == docs
    assert read_documents(file) == docs
    assert [line["chunk_count"] for line in lines_of(file)] == [3, 0]


def test_jsonl_chunk_count_is_null_when_unknown(tmp_path: Path) -> None:
    write_documents(tmp_path, [document("a")], now=DAY)

    assert lines_of(tmp_path / "documents-2024-01-31.jsonl")[0]["chunk_count"] is None


def test_jsonl_second_write_writes_nothing(tmp_path: Path) -> None:
    docs = [document("a"), document("b"), document("a")]
    assert write_documents(tmp_path, docs, now=DAY) == 2
    before = (tmp_path / "documents-2024-01-31.jsonl").read_bytes()

    assert write_documents(tmp_path, docs, now=DAY) == 0
    assert write_documents(tmp_path, [document("c"), document("b")], now=DAY) == 1

    after = (tmp_path / "documents-2024-01-31.jsonl").read_bytes()
    assert after.startswith(before) and len(after.splitlines()) == 3


def test_jsonl_sees_documents_another_process_wrote(tmp_path: Path) -> None:
    write_documents(tmp_path, [document("a")], now=DAY)  # this process has now read the folder
    script = (
        "import sys; from sluice.io.jsonl import write_documents; "
        "from sluice.records import Document; "
        "doc = Document(id='b', source='in/b.txt', format='txt', text='x'); "
        "print(write_documents(sys.argv[1], [doc]), write_documents(sys.argv[1], [doc]))"
    )  # fmt: skip
    other = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True,
                           text=True, check=True, cwd=Path(__file__).parents[2])  # fmt: skip

    assert other.stdout.split() == ["1", "0"]
    assert write_documents(tmp_path, [document("b"), document("a")], now=DAY) == 0


def test_jsonl_failed_write_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    write_documents(tmp_path, [document("a")], now=DAY)
    before = (tmp_path / "documents-2024-01-31.jsonl").read_bytes()
    unwritable = Document(id="x", source="in/x", format="txt", text="x", metadata={"o": object()})

    with pytest.raises(ValueError):
        write_documents(tmp_path, [document("b"), unwritable], now=DAY)

    assert (tmp_path / "documents-2024-01-31.jsonl").read_bytes() == before
    assert write_documents(tmp_path, [document("b")], now=DAY) == 1  # not marked as written


def test_jsonl_leaves_no_temp_files(tmp_path: Path) -> None:
    crashed = tmp_path / ".documents-left-by-a-crash.tmp"
    crashed.write_text('{"id": "half')
    for batch in range(3):
        write_documents(tmp_path, [document(f"d{batch}")], now=DAY)

    assert sorted(path.name for path in tmp_path.iterdir()) == ["documents-2024-01-31.jsonl"]
    assert (tmp_path / "documents-2024-01-31.jsonl").stat().st_mode & 0o777 == 0o644


def test_jsonl_rotates_by_utc_day(tmp_path: Path) -> None:
    late_evening = datetime(2024, 1, 31, 23, 30, tzinfo=UTC)
    next_day_in_berlin = datetime(2024, 2, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    next_day = datetime(2024, 2, 1, 0, 10, tzinfo=UTC)

    write_documents(tmp_path, [document("a")], now=late_evening)
    write_documents(tmp_path, [document("b")], now=next_day_in_berlin)  # 22:30 UTC on the 31st
    written = write_documents(tmp_path, [document("a"), document("c")], now=next_day)

    assert written == 1  # "a" is in yesterday's file already
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "documents-2024-01-31.jsonl",
        "documents-2024-02-01.jsonl",
    ]
    assert [d.id for d in read_documents(tmp_path / "documents-2024-01-31.jsonl")] == ["a", "b"]
    assert [d.id for d in read_documents(tmp_path)] == ["a", "b", "c"]


def test_jsonl_concurrent_writers_lose_no_line(tmp_path: Path) -> None:
    def work(worker: int) -> None:
        for batch in range(10):
            docs = [document(f"{worker}-{batch}-{i}") for i in range(5)]
            write_documents(tmp_path, docs, now=DAY)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({d.id for d in read_documents(tmp_path)}) == len(read_documents(tmp_path)) == 200
