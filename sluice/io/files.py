"""Ingest from the local file system: find documents, then read their bytes."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, cast

from sluice.errors import LineNotFound, SourceNotFound, failure_from
from sluice.io import s3
from sluice.records import Failure, RawDocument, SourceRef

# Longest suffix first, so that ".jsonl.gz" wins over ".gz".
FORMATS: dict[str, str] = {
    ".jsonl.gz": "jsonl",
    ".jsonl": "jsonl",
    ".txt": "txt",
    ".md": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".eml": "eml",
}
UNKNOWN = "unknown"


def discover(source: str) -> list[SourceRef]:
    """Every document under `source` (a folder, searched recursively, or one file), sorted.

    Unknown file types come back with format "unknown" so that parsing reports them.
    An s3:// prefix is listed through sluice.io.s3.
    """
    if s3.is_s3(source):
        return [ref for uri in s3.list_uris(source) for ref in _refs_for(uri)]
    root = Path(source)
    if not root.exists():
        raise SourceNotFound(f"source {source!r} does not exist (looked at {root.resolve()})")
    paths = _visible_files(root) if root.is_dir() else [root]
    return [ref for path in paths for ref in _refs_for(path)]


def read_raw(refs: Sequence[SourceRef]) -> tuple[list[RawDocument], list[Failure]]:
    """Bytes of each reference; each JSONL file is read once per call however many lines it has."""
    raws: list[RawDocument] = []
    failures: list[Failure] = []
    lines_by_uri = _read_jsonl_lines(refs)
    for ref in refs:
        try:
            data = _line_of(ref, lines_by_uri) if _is_line(ref) else _whole(ref)
        except Exception as exc:  # noqa: BLE001 -- any read error becomes a ledger entry
            failures.append(failure_from(exc, "ingest", ref.label, None))
            continue
        raws.append(RawDocument(id=content_id(data), ref=ref, data=data))
    return raws, failures


def content_id(data: bytes) -> str:
    """Stable document id: identical bytes give the same id on every run and machine."""
    return hashlib.sha256(data).hexdigest()[:32]


def format_of(path: Path) -> str:
    name = path.name.lower()
    return next((fmt for suffix, fmt in FORMATS.items() if name.endswith(suffix)), UNKNOWN)


def _visible_files(root: Path) -> list[Path]:
    found: list[Path] = []
    for folder, dirnames, filenames in os.walk(root):
        # Pruning in place keeps os.walk out of .git and other hidden trees altogether.
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        found += [Path(folder, f) for f in filenames if not f.startswith(".")]
    return sorted((p for p in found if p.is_file()), key=lambda p: p.relative_to(root).parts)


def _refs_for(path: Path | str) -> list[SourceRef]:
    fmt = format_of(Path(path))
    if fmt != "jsonl":
        return [SourceRef(uri=str(path), format=fmt)]
    try:
        with _open_jsonl(path) as fh:
            numbers = [n for n, line in _numbered_lines(fh) if line.strip()]
    except (OSError, EOFError, zlib.error):
        numbers = []
    # A JSONL file with no readable line still gets one ref, so the ledger shows it.
    if not numbers:
        return [SourceRef(uri=str(path), format=fmt)]
    return [SourceRef(uri=str(path), format=fmt, part=n) for n in numbers]


def _whole(ref: SourceRef) -> bytes:
    if ref.format != "jsonl":
        return s3.read_bytes(ref.uri) if s3.is_s3(ref.uri) else Path(ref.uri).read_bytes()
    # A JSONL ref without a line: discovery found no record in it, so parse reports it empty.
    with _open_jsonl(ref.uri) as fh:
        return fh.read()


def _is_line(ref: SourceRef) -> bool:
    return ref.format == "jsonl" and ref.part is not None


def _read_jsonl_lines(refs: Sequence[SourceRef]) -> dict[str, dict[int, bytes] | Exception]:
    """The wanted lines of each JSONL file, or the error that stopped reading it."""
    wanted: dict[str, set[int]] = {}
    for ref in refs:
        if _is_line(ref):
            wanted.setdefault(ref.uri, set()).add(ref.part or 0)
    found: dict[str, dict[int, bytes] | Exception] = {}
    for uri, numbers in wanted.items():
        try:
            with _open_jsonl(uri) as fh:
                found[uri] = {n: line for n, line in _numbered_lines(fh) if n in numbers}
        except Exception as exc:  # noqa: BLE001 -- reported once per line by _line_of
            found[uri] = exc
    return found


def _line_of(ref: SourceRef, lines_by_uri: dict[str, dict[int, bytes] | Exception]) -> bytes:
    lines = lines_by_uri[ref.uri]
    if isinstance(lines, Exception):
        raise lines
    if ref.part not in lines:
        raise LineNotFound(
            f"{ref.uri} has no line {ref.part}: was the file changed since discovery?"
        )
    return lines[ref.part]


def _open_jsonl(path: Path | str) -> IO[bytes]:
    packed = str(path).lower().endswith(".gz")
    if s3.is_s3(path):
        raw = io.BytesIO(s3.read_bytes(str(path)))
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw)) if packed else raw
    return cast(IO[bytes], gzip.open(path, "rb")) if packed else Path(path).open("rb")


def _numbered_lines(fh: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    # The terminator is not part of the record: a last line without "\n" hashes the same.
    for number, line in enumerate(fh, start=1):
        yield number, line.rstrip(b"\r\n")
