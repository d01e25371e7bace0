"""Ingest and parse over real-world files: every input ends as one Document or one Failure."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from sluice.io.files import discover, read_raw
from sluice.parse import parse_documents
from sluice.records import Document, Failure, SourceRef

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CORPORA = SHARED / "corpora"
EMAILS = 500

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not SHARED.is_dir(), reason=f"no {SHARED} next to this checkout, so no corpora to read"
    ),
]


def run(refs: list[SourceRef], **options: str) -> tuple[list[Document], list[Failure]]:
    raws, read_failures = read_raw(refs)
    docs, parse_failures = parse_documents(raws, **options)
    return docs, read_failures + parse_failures


def assert_each_input_ends_once(
    refs: list[SourceRef], docs: list[Document], failures: list[Failure]
) -> None:
    outcomes = Counter([d.source for d in docs] + [f.source for f in failures])
    assert sorted(outcomes) == sorted(r.label for r in refs), "an input was lost or invented"
    assert [label for label, n in outcomes.items() if n > 1] == [], "an input ended twice"
    assert [f.source for f in failures if not f.message.strip()] == []
    print(f"\n{len(docs)} documents, failures: {dict(Counter(f.error_class for f in failures))}")


def test_shared_corpora_every_pdf_ends_as_document_or_failure() -> None:
    refs = discover(str(CORPORA / "pdf"))

    docs, failures = run(refs)

    assert_each_input_ends_once(refs, docs, failures)
    by_name = {Path(f.source).name: f.error_class for f in failures}
    assert by_name["libreoffice-writer-password.pdf"] == "EncryptedPDF"
    assert by_name["crazyones-encrypted-256.pdf"] == "EncryptedPDF"
    assert len(docs) >= 0.75 * len(refs)


def test_shared_corpora_first_emails_end_as_document_or_failure() -> None:
    refs = discover(str(CORPORA / "spamassassin.jsonl.gz"))[:EMAILS]

    docs, failures = run(refs, text_field="raw_message", jsonl_content="eml")

    assert len(refs) == EMAILS
    assert_each_input_ends_once(refs, docs, failures)
    assert len(docs) >= 0.95 * EMAILS
    assert all(d.metadata.get("subject") or d.metadata.get("from") for d in docs)
