"""Ingest from the local file system: find documents, then read their bytes.

Every name found gets an outcome: a readable regular file inside the source folder is read;
anything else (a FIFO, a socket, a device, a symlink leading out of the folder, a file or folder
that cannot be read) still gets a reference, which reading turns into a failure with its reason.
Names are kept as sluice.names.escape_path writes them (valid Unicode for any bytes).
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import io
import os
import stat
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, cast

from sluice.budgets import DEFAULT as DEFAULT_BUDGETS
from sluice.errors import (
    CorruptArchive,
    DocumentError,
    LineNotFound,
    NotRegularFile,
    OutsideSourceRoot,
    OverBudget,
    SourceNotFound,
    Unreadable,
    failure_from,
)
from sluice.io import s3
from sluice.names import escape_path, unescape_path
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
MAX_INPUT_BYTES = DEFAULT_BUDGETS.max_input_bytes
# O_NONBLOCK: opening a FIFO that no one writes would otherwise wait forever.
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)


def discover(source: str) -> list[SourceRef]:
    """Every document under `source` (a folder, searched recursively, or one file), sorted.

    Unknown file types come back with format "unknown" so that parsing reports them.
    An s3:// prefix is listed through sluice.io.s3.
    """
    if s3.is_s3(source):
        return [ref for uri in s3.list_uris(source) for ref in _refs_for(uri, None)]
    return discover_all(source)[0]


def discover_all(source: str) -> tuple[list[SourceRef], list[str]]:
    """`discover`, plus the hidden names it skipped (".DS_Store", ".git/"), so that a job can
    say what it left out and why. A hidden folder is one name: its contents are not walked."""
    if s3.is_s3(source):
        return discover(source), []
    root = Path(source)
    if not root.exists():
        raise SourceNotFound(f"source {source!r} does not exist (looked at {root.resolve()})")
    hidden: list[str] = []
    paths = _visible_entries(root, hidden) if root.is_dir() else [root]
    confined = os.path.realpath(root)
    return [ref for path in paths for ref in _refs_for(str(path), confined)], hidden


def bytes_at_least(source: str, wanted: int, entries: int = 10_000) -> int:
    """The bytes of the local source's visible regular files, counted only until `wanted`
    is reached or `entries` names were looked at: a cheap hint of how much work a job
    holds, before it lists its sources. 0 for S3 or a source that cannot be read."""
    if s3.is_s3(source):
        return 0
    total, seen = 0, 0
    stack = [source]
    while stack and total < wanted and seen < entries:
        path = stack.pop()
        try:
            info = os.stat(path, follow_symlinks=False)
            if stat.S_ISREG(info.st_mode):
                total += info.st_size
            elif stat.S_ISDIR(info.st_mode):
                with os.scandir(path) as names:
                    stack += [e.path for e in names if not e.name.startswith(".")]
        except OSError:
            pass
        seen += 1
    return min(total, wanted)


def read_raw(refs: Sequence[SourceRef], root: str | None = None,
             max_bytes: int = MAX_INPUT_BYTES) -> tuple[list[RawDocument], list[Failure]]:
    """Bytes of each reference; each JSONL file is read once per call however many lines it has.
    With `root` (the job's source), a local file whose real path is outside it is not read.
    A file or line over `max_bytes` is an OverBudget failure, and is never held in memory whole."""
    confined = None if root is None or s3.is_s3(root) else os.path.realpath(root)
    raws: list[RawDocument] = []
    failures: list[Failure] = []
    lines_by_uri = _read_jsonl_lines(refs, confined, max_bytes)
    for ref in refs:
        try:
            data = (_line_of(ref, lines_by_uri, max_bytes) if _is_line(ref)
                    else _whole(ref, confined, max_bytes))
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


def _visible_entries(root: Path, hidden: list[str]) -> list[Path]:
    """Names under `root` that are not hidden and not folders: files, symlinks to files, FIFOs,
    sockets, devices; also folders that cannot be listed and folder symlinks. Hidden names
    (a leading dot) go to `hidden`, folders with a trailing slash."""
    found: list[Path] = []

    def unlistable(error: OSError) -> None:
        found.append(Path(error.filename))  # reading it again reports why, as a failure

    for folder, dirnames, filenames in os.walk(root, onerror=unlistable):
        # Pruning in place keeps os.walk out of .git and other hidden trees altogether.
        hidden += [escape_path(str(Path(folder, d))) + "/" for d in dirnames if d.startswith(".")]
        hidden += [escape_path(str(Path(folder, f))) for f in filenames if f.startswith(".")]
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        # os.walk does not follow folder symlinks (a loop would never end): each is an input
        # refused with its reason, outside the source or (inside) read under its own name.
        found += [Path(folder, d) for d in dirnames if os.path.islink(Path(folder, d))]
        found += [Path(folder, f) for f in filenames if not f.startswith(".")]
    hidden.sort()
    return sorted(found, key=lambda p: p.relative_to(root).parts)


def _inside(real_path: str, real_root: str) -> bool:
    return real_path == real_root or real_path.startswith(real_root.rstrip(os.sep) + os.sep)


def _refs_for(path: str, confined: str | None) -> list[SourceRef]:
    uri = escape_path(path)
    fmt = format_of(Path(path))
    if fmt != "jsonl":
        return [SourceRef(uri=uri, format=fmt)]
    try:
        with _open_jsonl(uri, confined) as fh:
            numbers = list(_record_line_numbers(fh))
    except (OSError, EOFError, zlib.error, DocumentError):
        numbers = []
    # A JSONL file with no readable line still gets one ref, so the ledger shows it.
    if not numbers:
        return [SourceRef(uri=uri, format=fmt)]
    return [SourceRef(uri=uri, format=fmt, part=n) for n in numbers]


def _whole(ref: SourceRef, confined: str | None, max_bytes: int) -> bytes:
    if ref.format != "jsonl":
        if s3.is_s3(ref.uri):
            return _bounded(s3.read_bytes(unescape_path(ref.uri)), ref.uri, max_bytes)
        with _open_local(ref.uri, confined) as fh:
            return _read_at_most(fh, ref.uri, max_bytes)
    # A JSONL ref without a line: discovery found no record in it, so parse reports it empty.
    with _open_jsonl(ref.uri, confined) as fh:
        return _read_at_most(fh, ref.uri, max_bytes)


def _read_at_most(fh: IO[bytes], uri: str, max_bytes: int) -> bytes:
    # One byte more than allowed tells "too big" without reading a 50 GB file (or a gzip bomb).
    return _bounded(fh.read(max_bytes + 1), uri, max_bytes)


def _bounded(data: bytes, uri: str, max_bytes: int) -> bytes:
    if len(data) > max_bytes:
        raise OverBudget(f"{uri}: input over {max_bytes:,} bytes > budgets.max_input_bytes "
                         f"{max_bytes:,}; not read further")
    return data


def _open_local(uri: str, confined: str | None) -> IO[bytes]:
    """The regular file `uri` names, opened for reading, or the DocumentError saying why not:
    checked before opening (a device may act on open) and again on what was opened."""
    path = unescape_path(uri)
    _refuse_unless_readable_file(uri, path, confined)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except PermissionError as exc:
        raise Unreadable(f"{uri}: permission denied") from exc
    fh = os.fdopen(fd, "rb")
    kind = _kind(os.fstat(fd).st_mode)
    if kind:  # swapped for something else since the check above
        fh.close()
        raise NotRegularFile(f"{uri} is {kind}, not a regular file; not read")
    os.set_blocking(fd, True)
    return cast(IO[bytes], fh)


def _refuse_unless_readable_file(uri: str, path: str, confined: str | None) -> None:
    real = os.path.realpath(path)
    if confined is not None and not _inside(real, confined):
        raise OutsideSourceRoot(f"{uri} leads to {escape_path(real)}, outside the source "
                                f"{escape_path(confined)}; not read")
    try:
        mode = os.stat(path).st_mode
    except PermissionError as exc:
        raise Unreadable(f"{uri}: permission denied on a folder above it") from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotRegularFile(f"{uri} is a symlink loop; not followed") from exc
        raise
    if stat.S_ISDIR(mode):
        try:
            os.scandir(path).close()
        except OSError as exc:
            raise Unreadable(f"folder {uri} cannot be listed ({exc.strerror}); its files, if "
                             "any, were not read") from exc
        if os.path.islink(path):
            raise NotRegularFile(f"{uri} is a symlink to the folder {escape_path(real)} inside "
                                 "the source, whose files are read under their own names; "
                                 "not followed")
    kind = _kind(mode)
    if kind:
        raise NotRegularFile(f"{uri} is {kind}, not a regular file; not opened")


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    kinds = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
             (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"))
    if stat.S_ISREG(mode):
        return None
    return next((words for test, words in kinds if test(mode)), "not a regular file")


def _is_line(ref: SourceRef) -> bool:
    return ref.format == "jsonl" and ref.part is not None


def _read_jsonl_lines(refs: Sequence[SourceRef], confined: str | None,
                      max_bytes: int) -> dict[str, dict[int, bytes | None] | Exception]:
    """The wanted lines of each JSONL file, or the error that stopped reading it."""
    wanted: dict[str, set[int]] = {}
    for ref in refs:
        if _is_line(ref):
            wanted.setdefault(ref.uri, set()).add(ref.part or 0)
    found: dict[str, dict[int, bytes] | Exception] = {}
    for uri, numbers in wanted.items():
        try:
            with _open_jsonl(uri, confined) as fh:
                found[uri] = {n: line for n, line in _numbered_lines(fh, max_bytes)
                              if n in numbers}
        except Exception as exc:  # noqa: BLE001 -- reported once per line by _line_of
            found[uri] = exc
    return found


def _line_of(ref: SourceRef, lines_by_uri: dict[str, dict[int, bytes | None] | Exception],
             max_bytes: int) -> bytes:
    lines = lines_by_uri[ref.uri]
    if isinstance(lines, Exception):
        raise lines
    if ref.part not in lines:
        raise LineNotFound(
            f"{ref.uri} has no line {ref.part}: was the file changed since discovery?"
        )
    line = lines[ref.part]
    if line is None:
        raise OverBudget(f"{ref.label}: line over {max_bytes:,} bytes > budgets.max_input_bytes "
                         f"{max_bytes:,}; not read further")
    return line


@contextmanager
def _open_jsonl(uri: str, confined: str | None) -> Iterator[IO[bytes]]:
    packed = uri.lower().endswith(".gz")
    if s3.is_s3(uri):
        raw: IO[bytes] = io.BytesIO(s3.read_bytes(unescape_path(uri)))
    else:
        raw = _open_local(uri, confined)
    with raw:  # GzipFile does not close a file object it was handed
        if not packed:
            yield raw
            return
        try:
            yield cast(IO[bytes], gzip.GzipFile(fileobj=raw))
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise CorruptArchive(f"{uri} is not a readable gzip file ({type(exc).__name__}: "
                                 f"{exc or 'cut short'})") from exc


def _record_line_numbers(fh: IO[bytes], piece: int = 2**20) -> Iterator[int]:
    """Numbers of the lines that are not blank, read in pieces: counting the lines of a gzip
    bomb's one endless line costs a piece of memory, not the line."""
    number, blank, fresh = 0, True, True
    while data := fh.readline(piece):
        if fresh:
            number, blank = number + 1, True
        blank = blank and not data.strip()
        fresh = data.endswith(b"\n")
        if fresh and not blank:
            yield number
    if not fresh and not blank:
        yield number


def _numbered_lines(fh: IO[bytes],
                    max_bytes: int = MAX_INPUT_BYTES) -> Iterator[tuple[int, bytes | None]]:
    """Each line without its terminator (a last line without "\\n" hashes the same), or None
    for a line over `max_bytes`: read on in pieces, never held whole (a gzip bomb of one line)."""
    number = 0
    while line := fh.readline(max_bytes + 1):
        number += 1
        if len(line) <= max_bytes or line.endswith(b"\n"):
            yield number, line.rstrip(b"\r\n")
            continue
        while (piece := fh.readline(2**20)) and not piece.endswith(b"\n"):
            pass
        yield number, None
