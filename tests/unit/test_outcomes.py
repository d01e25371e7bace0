"""Every input gets an outcome and every record can be written: names of any bytes, lone
surrogates, FIFOs, sockets, symlinks out of the source, unreadable files and folders, empty
documents, unambiguous failure keys, Sluice error classes, parked batches in the summary."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sluice.errors import failure_from
from sluice.io import jsonl
from sluice.io.files import discover, read_raw
from sluice.io.sinks import SinkBatch, writable
from sluice.names import escape_path, unescape_path
from sluice.records import BatchReport, Chunk, Document, Entity, RunSummary
from sluice.screen import FIXES, valid_unicode, without_empty

CAFE = b"caf\xe9.txt"  # Latin-1, not UTF-8


def outcomes(root: Path) -> tuple[dict[str, bytes], dict[str, tuple[str, str]]]:
    """Read everything under `root`: bytes by label, and (error class, message) by label."""
    raws, failures = read_raw(discover(str(root)), str(root))
    return ({r.ref.label: r.data for r in raws},
            {f.source: (f.error_class, f.message) for f in failures})


def label(root: Path, name: str | bytes) -> str:
    return escape_path(os.fsdecode(os.path.join(os.fsencode(root), os.fsencode(name))))


@pytest.mark.parametrize("name", [
    b"caf\xe9.txt", b"plain.txt", b"back\\slash.txt", b"x.jsonl#L1", b"\\xe9.txt",
    b"\xff\xfe\\\\x41#L12", b"#L", "caf\u00e9 \U0001f600.txt".encode(),
])  # fmt: skip
def test_outcomes_escaped_name_is_valid_unicode_and_reversible(name: bytes) -> None:
    escaped = escape_path(os.fsdecode(name))

    escaped.encode("utf-8")  # no surrogate left
    assert os.fsencode(unescape_path(escaped)) == name
    assert not escaped.endswith(("#L1", "#L12"))


def test_outcomes_escaped_names_cannot_collide() -> None:
    names = [b"caf\xe9.txt", b"caf\\xe9.txt", b"caf\\\\xe9.txt", b"x.jsonl#L1", b"x.jsonl\\x23L1"]
    escaped = [escape_path(os.fsdecode(n)) for n in names]

    assert len(set(escaped)) == len(names)
    assert escape_path("plain/name with % and #hash.txt") == "plain/name with % and #hash.txt"


def test_outcomes_non_utf8_file_name_is_discovered_and_read(tmp_path: Path) -> None:
    (Path(os.fsdecode(os.path.join(os.fsencode(tmp_path), CAFE)))).write_bytes(b"Caf\xc3\xa9 menu")

    read, failed = outcomes(tmp_path)

    assert failed == {}
    assert read == {label(tmp_path, CAFE): b"Caf\xc3\xa9 menu"}
    assert next(iter(read)).endswith("caf\\xe9.txt")


def test_outcomes_file_named_like_a_line_has_its_own_label(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_bytes(b'{"text": "line one"}\n')
    (tmp_path / "x.jsonl#L1").write_bytes(b"a file, not a line")

    read, failed = outcomes(tmp_path)

    assert failed == {}
    assert read == {f"{tmp_path}/x.jsonl#L1": b'{"text": "line one"}',
                    f"{tmp_path}/x.jsonl\\x23L1": b"a file, not a line"}


def test_outcomes_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    os.mkfifo(tmp_path / "pipe.jsonl")  # discovery must not open it to count its lines
    (tmp_path / "fine.txt").write_bytes(b"fine")
    result: list[tuple[dict, dict]] = []
    worker = threading.Thread(target=lambda: result.append(outcomes(tmp_path)), daemon=True)

    worker.start()
    worker.join(timeout=10)

    assert result, "reading a FIFO blocked"
    read, failed = result[0]
    assert read == {f"{tmp_path}/fine.txt": b"fine"}
    assert {k: v[0] for k, v in failed.items()} == {
        f"{tmp_path}/pipe.txt": "NotRegularFile", f"{tmp_path}/pipe.jsonl": "NotRegularFile"}
    assert "FIFO" in failed[f"{tmp_path}/pipe.txt"][1]


def test_outcomes_socket_and_device_are_not_regular_files(tmp_path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "sock.txt"))
        try:
            os.mknod(tmp_path / "null.txt", 0o644 | stat.S_IFCHR, os.makedev(1, 3))
        except PermissionError:
            pass  # not root: the socket alone
        read, failed = outcomes(tmp_path)

    assert read == {}
    assert {v[0] for v in failed.values()} == {"NotRegularFile"}
    assert "a socket" in failed[f"{tmp_path}/sock.txt"][1]
    if (tmp_path / "null.txt").exists():
        assert "character device" in failed[f"{tmp_path}/null.txt"][1]


def test_outcomes_symlinks_out_of_the_source_are_never_read(tmp_path: Path) -> None:
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"PASSWORD=hunter2")
    (root / "own.txt").write_bytes(b"mine")
    (root / "secret.txt").symlink_to(secret)
    (root / "environ.txt").symlink_to("/proc/self/environ")
    (root / "etc").symlink_to("/etc")  # a folder leading out
    (root / "sub" / "alias.txt").symlink_to(root / "own.txt")  # inside: fine
    (root / "sub" / "up").symlink_to(root)  # a folder inside: not walked twice, its own row

    read, failed = outcomes(root)

    assert read == {f"{root}/own.txt": b"mine", f"{root}/sub/alias.txt": b"mine"}
    assert {k: v[0] for k, v in failed.items()} == {
        f"{root}/secret.txt": "OutsideSourceRoot", f"{root}/environ.txt": "OutsideSourceRoot",
        f"{root}/etc": "OutsideSourceRoot", f"{root}/sub/up": "NotRegularFile"}
    assert all(b"hunter2" not in data for data in read.values())


def _as_nobody(root: Path) -> tuple[dict[str, bytes], dict[str, tuple[str, str]]]:
    """`outcomes(root)` in a forked child that dropped root's privileges (root reads anything)."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no exec, so nothing needs to be importable by nobody
        try:
            os.close(reader)
            os.setgid(65534)
            os.setuid(65534)
            read, failed = outcomes(root)
            os.write(writer, json.dumps([{k: v.decode() for k, v in read.items()},
                                         failed]).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    read, failed = json.loads(data)
    return {k: v.encode() for k, v in read.items()}, {k: tuple(v) for k, v in failed.items()}


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder that user nobody may enter (pytest's tmp_path is private to root)."""
    root = Path(tempfile.mkdtemp(prefix="sluice-outcomes-"))
    root.chmod(0o755)
    yield root
    for folder, _, _ in os.walk(root):
        os.chmod(folder, 0o755)
    shutil.rmtree(root)


def test_outcomes_unreadable_file_and_folder_get_failure_rows(shared_dir: Path) -> None:
    (shared_dir / "open.txt").write_bytes(b"readable")
    (shared_dir / "locked.txt").write_bytes(b"secret")
    (shared_dir / "locked.jsonl").write_bytes(b'{"text": "secret"}\n')
    (shared_dir / "closed").mkdir()
    (shared_dir / "closed" / "inside.txt").write_bytes(b"never listed")
    for path in (shared_dir / "open.txt", shared_dir / "closed" / "inside.txt"):
        path.chmod(0o644)
    for path in (shared_dir / "locked.txt", shared_dir / "locked.jsonl"):
        path.chmod(0o000)
    (shared_dir / "closed").chmod(0o700)  # owner root: nobody cannot list it

    read, failed = _as_nobody(shared_dir) if os.geteuid() == 0 else outcomes(shared_dir)

    assert read == {f"{shared_dir}/open.txt": b"readable"}
    assert {k: v[0] for k, v in failed.items()} == {
        f"{shared_dir}/locked.txt": "Unreadable", f"{shared_dir}/locked.jsonl": "Unreadable",
        f"{shared_dir}/closed": "Unreadable"}
    assert "cannot be listed" in failed[f"{shared_dir}/closed"][1]


def test_outcomes_library_errors_get_a_sluice_class_per_stage() -> None:
    cases = {"ingest": OSError("disk"), "parse": RecursionError("too deep"),
             "clean": UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"), "ner": KeyError("k"),
             "embed": ValueError("nan"), "store": TypeError("t"), "other": RuntimeError("r")}

    classes = {stage: failure_from(exc, stage, "s", None) for stage, exc in cases.items()}

    assert {s: f.error_class for s, f in classes.items()} == {
        "ingest": "IngestError", "parse": "ParseError", "clean": "CleanError",
        "ner": "NerError", "embed": "EmbedError", "store": "StoreError", "other": "StageError"}
    assert classes["parse"].message == "RecursionError: too deep"
    assert classes["clean"].message.startswith("UnicodeDecodeError: 'utf-8' codec")
    assert failure_from(OSError("caf\udce9"), "ingest", "s", None).message == "OSError: caf\\udce9"


def doc(text: str, **fields) -> Document:
    return Document(id=fields.pop("id", "d1"), source="s", format="txt", text=text, **fields)


def test_outcomes_lone_surrogates_anywhere_are_replaced_and_recorded() -> None:
    bad = doc("ab\udce9c\x00", title="t\ud800", metadata={"k\udc80": ["v\udcff", 1]},
              entities=(Entity(start=2, end=3, label="X", text="\udce9"),))

    assert valid_unicode([bad])[0].text == "ab\ufffdc\x00"  # NUL: left to the clean stage
    [fixed] = valid_unicode([bad], nul=True)

    assert fixed.text == "ab\ufffdc\ufffd" and fixed.title == "t\ufffd"
    assert fixed.metadata["k\ufffd"] == ["v\ufffd", 1]
    assert fixed.text[2:3] == fixed.entities[0].text  # one character for one: offsets hold
    assert fixed.metadata[FIXES] == {"text": 2, "title": 1, "metadata": 2, "entities": 1}
    fixed.model_dump_json()
    good = doc("caf\u00e9", metadata={"a": [1]})
    assert valid_unicode([good])[0] is good


def test_outcomes_text_empty_after_a_stage_is_an_empty_document_failure() -> None:
    docs = [doc("kept", id="a"), doc(" \n\t ", id="b"), doc("\ufffd\ufffd \ufffd", id="c")]

    kept, failures = without_empty(docs, "clean")

    assert [d.id for d in kept] == ["a"]
    assert [(f.doc_id, f.stage, f.error_class) for f in failures] == [
        ("b", "clean", "EmptyDocument"), ("c", "clean", "EmptyDocument")]


def test_outcomes_unwritable_document_fails_alone(tmp_path: Path) -> None:
    surrogate = doc("x\udce9", id="s")
    unserialisable = doc("fine text", id="u", metadata={"raw": b"\xff\xfe"})
    batch = SinkBatch(job_id="j", documents=(doc("good", id="g"), surrogate, unserialisable),
                      chunks=(Chunk(doc_id="u", index=0, start=0, end=4, text="fine", model="m",
                                    dim=1, vector=(1.0,)),))

    fine, failures = writable(batch)

    assert [d.id for d in fine.documents] == ["g", "s"] and fine.chunks == ()
    assert [(f.doc_id, f.stage, f.error_class) for f in failures] == [
        ("u", "store", "UnwritableRecord")]
    assert fine.failures == tuple(failures)
    fine.model_dump_json()  # what the outbox parks
    assert jsonl.write_documents(tmp_path, fine.documents) == 2


def test_outcomes_summary_says_what_was_parked() -> None:
    totals = BatchReport(documents=3, processed=3) + BatchReport(documents=2, processed=2,
                                                                 parked=2)
    summary = RunSummary(job_id="j", totals=totals, wall_s=1.0, store="s", out="o")

    assert totals.parked == 2
    assert "parked: 2 (run `sluice replay`)" in summary.lines()[1]
    clean = RunSummary(job_id="j", totals=BatchReport(processed=1), wall_s=1.0, store="", out="")
    assert "parked" not in clean.lines()[1]
