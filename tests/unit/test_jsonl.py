"""The JSONL sink: round trip, one line per document ever, whole lines after a crash, a file per
UTC day."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from sluice.io.jsonl import parse_documents, read_documents, write_documents
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


REUTERS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "reuters-21578.jsonl.gz"
REPO = Path(__file__).resolve().parents[2]
# A child that writes two batches of Reuters wires; with "torn" it writes half the bytes of the
# second batch's one write and then SIGKILLs itself: what a crash mid-write leaves on disk.
WRITER = """
import gzip, json, os, signal, sys
from sluice.io import jsonl
folder, count, torn = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "torn"
with gzip.open(sys.argv[4], "rt", encoding="utf-8") as fh:
    bodies = [r["body"] for r in map(json.loads, fh) if r.get("body", "").strip()][:count]
docs = [jsonl.Document(id=f"r{n}", source="reuters.jsonl", format="txt", text=body)
        for n, body in enumerate(bodies)]
half = len(docs) // 2
print(jsonl.write_documents(folder, docs[:half]), flush=True)
if torn:
    real_write = os.write
    def write_half_then_die(fd, data):
        real_write(fd, bytes(data[: len(data) // 2]))
        os.kill(os.getpid(), signal.SIGKILL)
    jsonl.os.write = write_half_then_die
print(jsonl.write_documents(folder, docs), flush=True)
"""


def run_writer(folder: Path, count: int, torn: bool) -> subprocess.CompletedProcess[str]:
    if not REUTERS.exists():
        pytest.skip(f"the Reuters corpus is not at {REUTERS} (../shared absent)")
    args = [str(folder), str(count), "torn" if torn else "whole", str(REUTERS)]
    return subprocess.run([sys.executable, "-c", WRITER, *args], capture_output=True,
                          text=True, cwd=REPO)  # fmt: skip


def test_jsonl_writer_killed_mid_write_loses_nothing_and_repeats_nothing(tmp_path: Path) -> None:
    killed = run_writer(tmp_path, 400, torn=True)
    assert killed.returncode == -signal.SIGKILL and killed.stdout.split() == ["200"]
    file = next(tmp_path.glob("documents-*.jsonl"))
    torn = file.read_bytes()
    assert not torn.endswith(b"\n")  # half a line on disk ...
    survivors = read_documents(tmp_path)  # ... which no reader sees
    assert 200 < len(survivors) < 400 and [d.id for d in survivors[:200]] == [
        f"r{n}" for n in range(200)]  # fmt: skip

    retried = run_writer(tmp_path, 400, torn=False)  # a fresh process resumes the same batches

    assert retried.returncode == 0, retried.stderr
    assert retried.stdout.split() == ["0", str(400 - len(survivors))]
    data = file.read_bytes()
    assert data.endswith(b"\n") and data.startswith(torn[: torn.rfind(b"\n") + 1])
    assert sorted(d.id for d in read_documents(tmp_path)) == sorted(f"r{n}" for n in range(400))
    assert all(json.loads(row)["text"] for row in data.splitlines())


def test_jsonl_writer_killed_from_outside_leaves_whole_lines(tmp_path: Path) -> None:
    if not REUTERS.exists():
        pytest.skip(f"the Reuters corpus is not at {REUTERS} (../shared absent)")
    args = [str(tmp_path), "6000", "whole", str(REUTERS)]
    child = subprocess.Popen([sys.executable, "-c", WRITER, *args], cwd=REPO,
                             stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert child.stdout is not None and child.stdout.readline().strip() == "3000"
    file = next(tmp_path.glob("documents-*.jsonl"))
    first = file.stat().st_size
    while file.stat().st_size == first and child.poll() is None:
        pass  # kill as soon as the second batch's write shows: usually in the middle of it
    child.send_signal(signal.SIGKILL)
    child.wait()

    survivors = len(read_documents(tmp_path))
    retried = run_writer(tmp_path, 6000, torn=False)
    assert retried.stdout.split() == ["0", str(6000 - survivors)]
    data = file.read_bytes()
    assert data.endswith(b"\n") and len(data.splitlines()) == 6000
    assert len({d.id for d in read_documents(tmp_path)}) == 6000


def test_jsonl_reader_skips_a_line_without_its_newline(tmp_path: Path) -> None:
    write_documents(tmp_path, [document("a")], now=DAY)
    file = tmp_path / "documents-2024-01-31.jsonl"
    with file.open("ab") as out:
        out.write(b'{"id": "b", "source": "in/b.txt", "format": "txt", "te')

    assert [d.id for d in read_documents(file)] == ["a"]
    assert write_documents(tmp_path, [document("b")], now=DAY) == 1
    assert [d.id for d in read_documents(file)] == ["a", "b"]
    assert file.read_bytes().count(b"\n") == 2


def test_jsonl_rereads_a_file_replaced_by_hand(tmp_path: Path) -> None:
    write_documents(tmp_path, [document("a"), document("b")], now=DAY)
    file = tmp_path / "documents-2024-01-31.jsonl"
    kept = tmp_path / "kept.tmp"
    kept.write_bytes(file.read_bytes().splitlines(keepends=True)[0])
    kept.replace(file)  # "b" removed by an operator

    assert write_documents(tmp_path, [document("a"), document("b")], now=DAY) == 1


def test_jsonl_line_separator_inside_text_stays_one_line(tmp_path: Path) -> None:
    doc = Document(id="s", source="in/s.txt", format="txt", text="One\u2028two\u2029three.")
    write_documents(tmp_path, [doc], now=DAY)
    text = (tmp_path / "documents-2024-01-31.jsonl").read_text(encoding="utf-8")

    assert parse_documents(text, "s3://b/documents.jsonl") == read_documents(tmp_path) == [doc]
