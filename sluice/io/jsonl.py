"""JSONL sink of cleaned documents: one line per document, one file per UTC day.

A document id already in any file of the folder is not written again, so a retried or resumed
batch adds nothing twice. Each write replaces the day's file atomically (a temp file, fsync,
os.replace), so a reader or a crash never sees half a line.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sluice.errors import CorruptOutput
from sluice.records import Document

FILES = "documents-*.jsonl"
TEMP_PREFIX = ".documents-"
CHUNK_COUNT = "chunk_count"

# Folder -> (ids in its files, the files' state when those ids were read). Read once per
# folder; read again only when the state shows that another process has written since.
_seen: dict[Path, tuple[set[str], tuple[tuple[str, int, int, int], ...]]] = {}
_writer_lock = threading.Lock()


def write_documents(
    out_dir: str | Path,
    docs: Sequence[Document],
    chunk_counts: Mapping[str, int] | None = None,
    now: datetime | None = None,
) -> int:
    """Add the documents that no file of `out_dir` holds yet to the file of the UTC day of `now`
    (default: this moment); returns the lines written. `chunk_counts` maps a document id to its
    number of chunks (missing: 0); without it the count is written as null, unknown."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    day = (now or datetime.now(UTC)).astimezone(UTC)
    target = folder / f"documents-{day:%Y-%m-%d}.jsonl"
    with _only_writer(folder):
        seen = _ids_in(folder)
        fresh = {doc.id: doc for doc in docs if doc.id not in seen}
        lines = [line(doc, chunk_counts) for doc in fresh.values()]  # may raise: nothing written
        if lines:
            _append_atomically(target, lines)
            _seen[folder.resolve()] = (seen | fresh.keys(), _state(folder))
    return len(lines)


def read_documents(path_or_dir: str | Path) -> list[Document]:
    """The documents of one JSONL file, or of every day's file in a folder, oldest day first."""
    path = Path(path_or_dir)
    files = sorted(path.glob(FILES)) if path.is_dir() else [path]
    return [_document(record, file, number) for file, number, record in _records(files)]


def parse_documents(text: str, name: str) -> list[Document]:
    """The documents of JSONL `text` (read from elsewhere, such as S3); `name` for errors."""
    numbered = enumerate(text.splitlines(), start=1)
    return [
        _document(_parsed(row, name, number), name, number)
        for number, row in numbered
        if row.strip()
    ]


def _document(record: dict[str, Any], file: Path | str, number: int) -> Document:
    record.pop(CHUNK_COUNT, None)
    try:
        return Document.model_validate(record)
    except ValueError as exc:
        raise CorruptOutput(f"{file}:{number} is not a document: {exc}") from exc


def line(doc: Document, chunk_counts: Mapping[str, int] | None) -> str:
    """The JSONL line of `doc`, without its newline. Text that UTF-8 cannot hold (lone
    surrogates) never reaches here: sinks.writable makes every batch writable first."""
    count = None if chunk_counts is None else chunk_counts.get(doc.id, 0)
    return json.dumps({**doc.model_dump(mode="json"), CHUNK_COUNT: count}, ensure_ascii=False)


@contextmanager
def _only_writer(folder: Path) -> Iterator[None]:
    """One writer per folder: threads through the lock, processes through flock on the folder."""
    with _writer_lock:
        handle = os.open(folder, os.O_RDONLY)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            _remove_leftovers(folder)
            yield
        finally:
            os.close(handle)  # releases the flock


def _remove_leftovers(folder: Path) -> None:
    # Under the lock no write is under way, so a temp file is what a crashed writer left.
    for leftover in folder.glob(f"{TEMP_PREFIX}*.tmp"):
        leftover.unlink(missing_ok=True)


def _ids_in(folder: Path) -> set[str]:
    key, state = folder.resolve(), _state(folder)
    if key not in _seen or _seen[key][1] != state:
        ids = {record["id"] for _, _, record in _records(sorted(folder.glob(FILES)))}
        _seen[key] = (ids, state)
    return _seen[key][0]


def _state(folder: Path) -> tuple[tuple[str, int, int, int], ...]:
    """Changes whenever a file is replaced, as os.replace gives it a new inode."""
    stats = ((path.name, path.stat()) for path in sorted(folder.glob(FILES)))
    return tuple((name, st.st_ino, st.st_size, st.st_mtime_ns) for name, st in stats)


def _records(files: Sequence[Path]) -> Iterator[tuple[Path, int, dict[str, Any]]]:
    for file in files:
        with file.open(encoding="utf-8") as lines:
            for number, text in enumerate(lines, start=1):
                if text.strip():
                    yield file, number, _parsed(text, file, number)


def _parsed(text: str, file: Path | str, number: int) -> dict[str, Any]:
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CorruptOutput(f"{file}:{number} is not JSON: {exc}") from exc
    if not isinstance(record, dict) or "id" not in record:
        raise CorruptOutput(f"{file}:{number} is not a document record (no id)")
    return record


def _append_atomically(target: Path, lines: Sequence[str]) -> None:
    """The old content plus `lines` in a temp file beside `target`, synced, then swapped in."""
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            if target.exists():
                with target.open("rb") as old:
                    shutil.copyfileobj(old, out)
            out.write("".join(f"{text}\n" for text in lines).encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        # mkstemp makes the file private (0600); keep the file readable as before.
        os.chmod(temp, target.stat().st_mode & 0o777 if target.exists() else 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    _fsync_folder(target.parent)


def _fsync_folder(folder: Path) -> None:
    # Without it, a power cut may lose the rename although the data itself is on disk.
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
