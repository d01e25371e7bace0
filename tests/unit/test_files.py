"""Ingest from files: discovery (formats, hidden files, JSONL lines) and reading (ids, failures)."""

from __future__ import annotations

import gzip
import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sluice.errors import SluiceError, SourceNotFound
from sluice.io.files import bytes_at_least, content_id, discover, discover_all, read_raw
from sluice.parse import parse_documents
from sluice.records import SourceRef

JSONL = b'{"text": "one"}\n\n{"text": "two"}\n   \n{"text": "three"}'


def make(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def names(refs: list[SourceRef], root: Path) -> list[tuple[str, str, int | None]]:
    return [(Path(r.uri).relative_to(root).as_posix(), r.format, r.part) for r in refs]


def test_files_discover_walks_folders_sorted_and_skips_hidden(tmp_path: Path) -> None:
    make(tmp_path, {
        "b.txt": b"b", "a/z.md": b"z", "a/y/x.html": b"x", ".hidden.txt": b"h",
        ".git/config.txt": b"g", "a/.cache/c.txt": b"c",
    })  # fmt: skip

    assert names(discover(str(tmp_path)), tmp_path) == [
        ("a/y/x.html", "html", None),
        ("a/z.md", "md", None),
        ("b.txt", "txt", None),
    ]
    refs, hidden = discover_all(str(tmp_path))
    assert names(refs, tmp_path) == names(discover(str(tmp_path)), tmp_path)
    # Each skipped name is accounted for; a hidden folder is one entry, never walked.
    assert [Path(h).relative_to(tmp_path).as_posix() + ("/" if h.endswith("/") else "")
            for h in hidden] == [".git/", ".hidden.txt", "a/.cache/"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.txt", "txt"),
        ("a.TXT", "txt"),
        ("a.md", "md"),
        ("a.html", "html"),
        ("a.htm", "html"),
        ("a.pdf", "pdf"),
        ("a.eml", "eml"),
        ("a.docx", "unknown"),
        ("a.gz", "unknown"),
        ("Makefile", "unknown"),
    ],
)
def test_files_discover_format_by_extension(tmp_path: Path, name: str, expected: str) -> None:
    make(tmp_path, {name: b"some bytes"})

    assert [r.format for r in discover(str(tmp_path))] == [expected]


def test_files_discover_single_file(tmp_path: Path) -> None:
    make(tmp_path, {"one.eml": b"Subject: hi\n\nbody", "two.txt": b"x"})

    assert discover(str(tmp_path / "one.eml")) == [
        SourceRef(uri=str(tmp_path / "one.eml"), format="eml")
    ]


def test_files_discover_missing_source_raises_source_not_found(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFound, match="nowhere") as caught:
        discover(str(tmp_path / "nowhere"))

    assert isinstance(caught.value, SluiceError)
    assert isinstance(caught.value, FileNotFoundError)


@pytest.mark.parametrize("name", ["d.jsonl", "d.jsonl.gz"])
def test_files_discover_one_ref_per_non_empty_jsonl_line(tmp_path: Path, name: str) -> None:
    data = gzip.compress(JSONL) if name.endswith(".gz") else JSONL
    make(tmp_path, {name: data})

    assert names(discover(str(tmp_path)), tmp_path) == [
        (name, "jsonl", 1),
        (name, "jsonl", 3),
        (name, "jsonl", 5),
    ]


def test_files_read_raw_bytes_and_content_hash_id(tmp_path: Path) -> None:
    make(tmp_path, {"a.txt": b"same bytes", "b/c.md": b"same bytes", "d.txt": b"other"})

    raws, failures = read_raw(discover(str(tmp_path)))

    assert failures == []
    assert [r.data for r in raws] == [b"same bytes", b"same bytes", b"other"]
    assert raws[0].id == hashlib.sha256(b"same bytes").hexdigest()[:32]
    assert raws[0].id == raws[1].id != raws[2].id
    assert len(raws[2].id) == 32


def test_files_read_raw_jsonl_line_bytes_and_stable_ids(tmp_path: Path) -> None:
    # Same records with CRLF ends, gzip and no final newline: line ids must not change.
    crlf = JSONL.replace(b"\n", b"\r\n") + b"\r\n"
    make(tmp_path, {"a.jsonl": JSONL, "b.jsonl": crlf, "c.jsonl.gz": gzip.compress(JSONL)})

    raws, failures = read_raw(discover(str(tmp_path)))

    assert failures == []
    by_file = [[(r.ref.part, r.data) for r in raws if Path(r.ref.uri).stem[0] == n] for n in "abc"]
    expected = [(1, b'{"text": "one"}'), (3, b'{"text": "two"}'), (5, b'{"text": "three"}')]
    assert by_file == [expected, expected, expected]
    assert raws[0].id == content_id(b'{"text": "one"}')
    assert [r.id for r in raws[:3]] == [r.id for r in raws[3:6]] == [r.id for r in raws[6:]]


def test_files_read_raw_addresses_a_batch_of_lines(tmp_path: Path) -> None:
    make(tmp_path, {"d.jsonl": JSONL})
    refs = discover(str(tmp_path))

    raws, _ = read_raw([refs[2], refs[0]])

    assert [(r.ref.part, r.data) for r in raws] == [
        (5, b'{"text": "three"}'),
        (1, b'{"text": "one"}'),
    ]


@pytest.fixture
def opened_files() -> Iterator[list[str]]:
    """Paths passed to open() while the test runs, seen by a (permanent, then idle) audit hook."""
    seen: list[str] = []
    active = [True]

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if active[0] and event == "open" and isinstance(args[0], str | Path):
            seen.append(str(args[0]))

    sys.addaudithook(hook)
    yield seen
    active[0] = False


def test_files_read_raw_opens_each_jsonl_file_once_per_batch(
    tmp_path: Path, opened_files: list[str]
) -> None:
    make(tmp_path, {"d.jsonl": (JSONL + b"\n") * 20})
    refs = discover(str(tmp_path))
    opened_files.clear()

    raws, _ = read_raw(refs)

    assert len(raws) == 60
    assert opened_files.count(str(tmp_path / "d.jsonl")) == 1


def test_files_read_raw_unreadable_file_is_an_ingest_failure(tmp_path: Path) -> None:
    make(tmp_path, {"gone.txt": b"x", "kept.txt": b"y"})
    refs = discover(str(tmp_path))
    (tmp_path / "gone.txt").unlink()

    raws, failures = read_raw(refs)

    assert [r.data for r in raws] == [b"y"]
    assert [(f.stage, f.error_class, f.source) for f in failures] == [
        ("ingest", "IngestError", str(tmp_path / "gone.txt"))
    ]
    assert failures[0].message.startswith("FileNotFoundError: ")
    assert "gone.txt" in failures[0].message


def test_files_read_raw_line_gone_since_discovery_is_a_failure(tmp_path: Path) -> None:
    make(tmp_path, {"d.jsonl": JSONL})
    refs = discover(str(tmp_path))
    (tmp_path / "d.jsonl").write_bytes(b'{"text": "one"}\n')

    raws, failures = read_raw(refs)

    assert [r.ref.part for r in raws] == [1]
    assert [(f.error_class, f.source) for f in failures] == [
        ("LineNotFound", f"{tmp_path / 'd.jsonl'}#L3"),
        ("LineNotFound", f"{tmp_path / 'd.jsonl'}#L5"),
    ]


def test_files_broken_gzip_is_reported_not_dropped(tmp_path: Path) -> None:
    make(tmp_path, {"d.jsonl.gz": b"not gzip at all"})

    refs = discover(str(tmp_path))
    raws, failures = read_raw(refs)

    assert [(r.format, r.part) for r in refs] == [("jsonl", None)]
    assert raws == []
    assert [(f.stage, f.error_class) for f in failures] == [("ingest", "CorruptArchive")]
    assert "not a readable gzip file (BadGzipFile: " in failures[0].message


def test_files_jsonl_without_records_ends_as_empty_document(tmp_path: Path) -> None:
    make(tmp_path, {"d.jsonl": b"\n  \n", "e.jsonl.gz": gzip.compress(b"")})

    raws, read_failures = read_raw(discover(str(tmp_path)))
    docs, failures = parse_documents(raws)

    assert read_failures == [] and docs == []
    assert [f.error_class for f in failures] == ["EmptyDocument", "EmptyDocument"]


def test_files_unknown_format_reaches_parse_as_unsupported(tmp_path: Path) -> None:
    make(tmp_path, {"agenda.rtf": rb"{\rtf1 Agenda}"})

    raws, _ = read_raw(discover(str(tmp_path)))
    docs, failures = parse_documents(raws)

    assert docs == []
    assert [(f.error_class, f.doc_id) for f in failures] == [("UnsupportedFormat", raws[0].id)]
    assert "agenda.rtf" in failures[0].message


def test_files_gzip_bomb_line_is_over_budget_and_never_held_whole(tmp_path):
    import tracemalloc

    bomb = tmp_path / "bomb.jsonl.gz"
    with gzip.open(bomb, "wb", compresslevel=1) as fh:
        fh.write(b'{"text": "fine"}\n')
        zeros = b"0" * 2**20
        for _ in range(64):  # one 64 MiB line with no newline
            fh.write(zeros)
    tracemalloc.start()
    refs = discover(str(tmp_path))
    raws, failures = read_raw(refs, str(tmp_path), max_bytes=2**20)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [r.part for r in refs] == [1, 2]
    assert [raw.data for raw in raws] == [b'{"text": "fine"}']
    assert [f.error_class for f in failures] == ["OverBudget"]
    assert "budgets.max_input_bytes" in failures[0].message
    assert peak < 16 * 2**20, f"peak {peak:,} bytes: the long line was held whole"


def test_files_file_over_max_bytes_is_not_read(tmp_path):
    (tmp_path / "big.txt").write_bytes(b"a" * 5000)
    (tmp_path / "small.txt").write_bytes(b"a" * 10)
    raws, failures = read_raw(discover(str(tmp_path)), str(tmp_path), max_bytes=1000)
    assert [raw.ref.uri.endswith("small.txt") for raw in raws] == [True]
    assert [f.error_class for f in failures] == ["OverBudget"]
    assert failures[0].source.endswith("big.txt")


def test_files_folder_symlink_inside_the_source_gets_an_outcome(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("hello")
    (tmp_path / "sub" / "up").symlink_to("..")
    raws, failures = read_raw(discover(str(tmp_path)), str(tmp_path))
    assert [raw.ref.uri.endswith("a.txt") for raw in raws] == [True]
    assert [(f.error_class, f.source.endswith("up")) for f in failures] == [
        ("NotRegularFile", True)]


def test_files_corrupt_gzip_and_symlink_loops_get_sluice_classes(tmp_path):
    whole = gzip.compress(b'{"text": "a"}\n' * 2000)
    (tmp_path / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "plain.jsonl.gz").write_bytes(b"plain text, not gzip\n")
    (tmp_path / "a.txt").symlink_to("b.txt")
    (tmp_path / "b.txt").symlink_to("a.txt")
    _, failures = read_raw(discover(str(tmp_path)), str(tmp_path))
    classes = {Path(f.source).name: f.error_class for f in failures}
    assert classes == {"cut.jsonl.gz": "CorruptArchive", "plain.jsonl.gz": "CorruptArchive",
                       "a.txt": "NotRegularFile", "b.txt": "NotRegularFile"}


def test_files_bytes_at_least_counts_visible_files_up_to_what_is_asked(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_bytes(b"x" * 300)
    (tmp_path / "two.txt").write_bytes(b"y" * 500)
    (tmp_path / ".hidden").write_bytes(b"z" * 10_000)  # a job skips it: not counted
    assert bytes_at_least(str(tmp_path), 10_000) == 800
    assert bytes_at_least(str(tmp_path), 400) == 400  # stops once it has enough
    assert bytes_at_least(str(tmp_path / "two.txt"), 10_000) == 500
    assert bytes_at_least(str(tmp_path / "missing"), 10_000) == 0
    assert bytes_at_least("s3://bucket/prefix", 10_000) == 0  # not listed here
