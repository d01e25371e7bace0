"""jsonl.withdraw_documents: the lines of documents the store refused leave the JSONL files
whole (a rename), other lines and other writers' view of the folder stay right."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from sluice.io import jsonl
from sluice.records import Document


def doc(i: int) -> Document:
    return Document(id=f"d{i}", source=f"in/{i}.txt", format="txt", text=f"Wire number {i}.")


def test_withdraw_removes_only_the_refused_lines_across_days(tmp_path: Path) -> None:
    jsonl.write_documents(tmp_path, [doc(1), doc(2)], now=datetime(2026, 1, 1, tzinfo=UTC))
    jsonl.write_documents(tmp_path, [doc(3), doc(4)], now=datetime(2026, 1, 2, tzinfo=UTC))
    before = {p.name: p.stat().st_ino for p in tmp_path.iterdir()}

    assert jsonl.withdraw_documents(tmp_path, {"d2", "d4", "never-written"}) == 2

    assert [d.id for d in jsonl.read_documents(tmp_path)] == ["d1", "d3"]
    assert all(p.stat().st_ino != before[p.name] for p in tmp_path.iterdir())  # renamed whole
    assert not list(tmp_path.glob(".*"))  # no temp file left
    assert jsonl.withdraw_documents(tmp_path, {"d2"}) == 0  # nothing left to take


def test_withdrawn_document_is_written_again_when_it_comes_back(tmp_path: Path) -> None:
    jsonl.write_documents(tmp_path, [doc(1), doc(2)])
    jsonl.withdraw_documents(tmp_path, {"d2"})
    assert jsonl.write_documents(tmp_path, [doc(1), doc(2)]) == 1  # the index forgot d2 only
    assert sorted(d.id for d in jsonl.read_documents(tmp_path)) == ["d1", "d2"]


def test_withdraw_drops_a_torn_tail_and_keeps_the_file_mode(tmp_path: Path) -> None:
    jsonl.write_documents(tmp_path, [doc(1), doc(2)])
    [file] = tmp_path.glob("documents-*.jsonl")
    with file.open("ab") as handle:
        handle.write(b'{"id": "d9", "text": "cut by a cra')  # a writer killed mid-line
    os.chmod(file, 0o644)
    assert jsonl.withdraw_documents(tmp_path, {"d1"}) == 1
    assert file.read_bytes().endswith(b"\n")
    assert [d.id for d in jsonl.read_documents(file)] == ["d2"]
    assert file.stat().st_mode & 0o777 == 0o644


def test_withdraw_from_a_missing_folder_is_nothing(tmp_path: Path) -> None:
    assert jsonl.withdraw_documents(tmp_path / "none", {"d1"}) == 0
