"""Per-document budgets: each one turns a document into an `OverBudget` failure row that names
it, and the rest of the batch goes on; the sandbox worker bounds time and memory."""

from __future__ import annotations

import base64
import gzip
import itertools
import json
import time
import zlib
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import pytest

from sluice.bounded import clean_bounded, parse_bounded
from sluice.clean import clean_documents
from sluice.config import BudgetConfig, CleanConfig, load_config
from sluice.parse import parse_documents
from sluice.records import Document, Failure, RawDocument, SourceRef
from sluice.sandbox import Worker

REUTERS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "reuters-21578.jsonl.gz"


def raw(data: bytes, fmt: str, name: str = "doc") -> RawDocument:
    return RawDocument(id=f"id-{name}", ref=SourceRef(uri=f"in/{name}.{fmt}", format=fmt),
                       data=data)


def only_failure(data: bytes, fmt: str, budgets: BudgetConfig) -> Failure:
    docs, failures = parse_documents([raw(data, fmt)], budgets=budgets)
    assert docs == [] and len(failures) == 1, (docs, failures)
    return failures[0]


def make_pdf(text: str = "Hello budget", pages: int = 1, count: int | None = None,
             padding: int = 0) -> bytes:
    """A PDF written by hand: `pages` pages showing `text`, a content stream padded with
    `padding` spaces before compression, and a page tree that may claim `count` pages."""
    stream = zlib.compress(f"BT /F1 12 Tf 10 10 Td ({text}) Tj ET".encode() + b" " * padding, 9)
    kids = " ".join(f"{4 + i} 0 R" for i in range(pages))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            f"<< /Type /Pages /Kids [{kids}] /Count {count or pages} >>".encode(),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    objs += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents %d 0 R "
             b"/Resources << /Font << /F1 3 0 R >> >> >>" % (4 + pages)] * pages
    objs.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream
                + b"\nendstream")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def nested_mail(depth: int) -> bytes:
    """Written by hand: the email package's own generator recurses per level too."""
    head = [b"From: a@b\nTo: c@d\nSubject: nested\nMIME-Version: 1.0\n"]
    for level in range(depth):
        head.append(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (level, level))
    tail = [b"\n--b%d--\n" % level for level in reversed(range(depth))]
    return b"".join([*head, b"Content-Type: text/plain\n\nthe body\n", *tail])


def test_budgets_defaults_and_env_override() -> None:
    cfg = load_config(environ={"SLUICE__BUDGETS__PARSE_SECONDS": "5"})
    assert cfg.budgets.parse_seconds == 5.0
    assert cfg.budgets.max_input_bytes == 20 * 2**20
    assert (cfg.budgets.max_chars, cfg.budgets.max_pdf_pages) == (2_000_000, 2000)
    assert (cfg.budgets.max_mime_depth, cfg.budgets.max_mime_parts) == (20, 500)


def test_budgets_input_bytes_names_the_budget() -> None:
    failure = only_failure(b"x" * 2048, "txt", BudgetConfig(max_input_bytes=1024))
    assert failure.error_class == "OverBudget"
    assert failure.message == "input 2,048 bytes > budgets.max_input_bytes 1,024"


def test_budgets_chars_of_parsed_text() -> None:
    failure = only_failure("é".encode() * 3000, "txt", BudgetConfig(max_chars=2000))
    assert failure.message == "text 3,000 characters > budgets.max_chars 2,000"


def test_budgets_chars_of_html_are_counted_after_extraction() -> None:
    html = b"<html><body><p>" + b"word " * 100 + b"</p>" + b"<!-- pad -->" * 500 + b"</body></html>"
    budgets = BudgetConfig(max_chars=1000, sandbox=False)
    docs, failures = parse_bounded([raw(html, "html")], "text", "auto", budgets)
    assert failures == [] and len(docs[0].text) > 1000  # the raw HTML is not the measure
    cleaned, failures = clean_bounded(docs, CleanConfig(), budgets)
    assert failures == [] and "word word" in cleaned[0].text
    _, failures = clean_bounded(docs, CleanConfig(), BudgetConfig(max_chars=100, sandbox=False))
    assert [f.error_class for f in failures] == ["OverBudget"]
    assert "budgets.max_chars 100" in failures[0].message


def test_budgets_pdf_pages_real_and_declared() -> None:
    assert parse_documents([raw(make_pdf(pages=3), "pdf")])[0][0].text.count("Hello") == 3
    failure = only_failure(make_pdf(pages=3), "pdf", BudgetConfig(max_pdf_pages=2))
    assert failure.message == "PDF declares 3 pages > budgets.max_pdf_pages 2"
    failure = only_failure(make_pdf(count=20_000), "pdf", BudgetConfig())
    assert failure.message == "PDF declares 20,000 pages > budgets.max_pdf_pages 2,000"


def test_budgets_pdf_decompression_bomb() -> None:
    bomb = make_pdf(padding=8 * 2**20)  # 8 KB that inflates to 8 MB
    assert len(bomb) < 20_000
    failure = only_failure(bomb, "pdf", BudgetConfig(max_pdf_stream_bytes=2**21))
    assert failure.error_class == "OverBudget"
    assert "budgets.max_pdf_stream_bytes 2,097,152" in failure.message


def test_budgets_mime_depth_and_parts() -> None:
    docs, failures = parse_documents([raw(nested_mail(5), "eml")])
    assert failures == [] and docs[0].text.strip() == "the body"
    failure = only_failure(nested_mail(5), "eml", BudgetConfig(max_mime_depth=3))
    assert failure.message == "MIME depth 4 > budgets.max_mime_depth 3"
    many = MIMEMultipart()
    for n in range(12):
        many.attach(MIMEText(f"part {n}", "plain"))
    failure = only_failure(many.as_bytes(), "eml", BudgetConfig(max_mime_parts=10))
    assert failure.message == "MIME parts 11 > budgets.max_mime_parts 10"


def test_budgets_deep_mime_is_over_budget_not_recursion_error() -> None:
    failure = only_failure(nested_mail(2000), "eml", BudgetConfig())
    assert failure.error_class == "OverBudget"
    assert "budgets.max_mime_parts 500" in failure.message  # counted before parsing


def test_budgets_header_bytes() -> None:
    mail = b"From: a@b\nTo: c@d\nSubject: " + b"x" * 5000 + b"\n\nbody\n"
    failure = only_failure(mail, "eml", BudgetConfig(max_header_bytes=4096))
    assert failure.message.startswith("e-mail header ")
    assert failure.message.endswith("> budgets.max_header_bytes 4,096")


def test_budgets_parse_seconds_stop_one_document_and_the_batch_goes_on() -> None:
    # 400 base64 parts of a real Reuters sentence: about 1 s of MIME parsing.
    body = base64.encodebytes(b"Showers continued throughout the week in the Bahia cocoa zone. "
                              * 400)
    part = b"--b\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n" + body
    mail = (b"From: a@b\nTo: c@d\nSubject: s\nMIME-Version: 1.0\n"
            b"Content-Type: multipart/mixed; boundary=b\n\n"
            + b"\n".join([part] * 400) + b"\n--b--\n")
    slow = raw(mail, "eml", "slow")
    raws = [raw(b"first", "txt", "a"), slow, raw(b"third", "txt", "c")]
    budgets = BudgetConfig(parse_seconds=0.2, max_chars=50_000_000)
    began = time.monotonic()
    docs, failures = parse_bounded(raws, "text", "auto", budgets)
    assert [d.text for d in docs] == ["first", "third"]
    assert [(f.doc_id, f.error_class) for f in failures] == [("id-slow", "OverBudget")]
    assert "parse took more than 0.2 s > budgets.parse_seconds" in failures[0].message
    assert time.monotonic() - began < 60  # a worker start or two, not the document's time


def test_budgets_clean_seconds_stop_one_document() -> None:
    # 60,000 distinct paragraphs: 2-3 s of cleaning (one paragraph repeated would now be
    # dropped as boilerplate in no time by the linear extractor such pages go to)
    big = ("<html><body>" + "".join(f"<div><p>words {n} here</p></div>" for n in range(60_000))
           + "</body></html>")
    docs = [Document(id=n, source=n, format="html", text=t, content_type="text/html")
            for n, t in (("a", "<p>plain words</p>"), ("big", big), ("c", "<p>more words</p>"))]
    out, failures = clean_bounded(docs, CleanConfig(), BudgetConfig(clean_seconds=0.3))
    assert [d.id for d in out] == ["a", "c"]
    assert [(f.doc_id, f.stage, f.error_class) for f in failures] == [
        ("big", "clean", "OverBudget")]


def test_budgets_worker_times_out_and_runs_the_rest() -> None:
    worker = Worker(memory_mb=512)
    try:
        outcomes = worker.map(time.sleep, [0, 30, 0.05, 0], [2, 2, 2, 2])
    finally:
        worker.stop()
    assert [o.status for o in outcomes] == ["ok", "time", "ok", "ok"]
    assert 2 <= outcomes[1].seconds < 10


def test_budgets_worker_memory_limit_fails_one_item() -> None:
    worker = Worker(memory_mb=256)
    try:
        outcomes = worker.map(bytearray, [10, 2 * 2**30, 10], [30, 30, 30])
    finally:
        worker.stop()
    assert [o.status for o in outcomes] == ["ok", "memory", "ok"]
    assert outcomes[2].value == bytearray(10)


def reuters_raws(count: int) -> list[RawDocument]:
    if not REUTERS.exists():
        pytest.skip(f"the Reuters corpus is not at {REUTERS} (../shared absent)")
    with gzip.open(REUTERS, "rt") as lines:
        found = [line for line in itertools.islice(lines, count * 2)
                 if json.loads(line).get("body", "").strip()][:count]
    return [RawDocument(id=f"r{n}", ref=SourceRef(uri="reuters.jsonl", format="jsonl",
                                                  part=n + 1), data=line.encode())
            for n, line in enumerate(found)]


def test_budgets_sandboxed_output_is_identical_to_in_process() -> None:
    raws = reuters_raws(300)
    parsed, _ = parse_documents(raws, text_field="body")
    expected = clean_documents(parsed, CleanConfig())
    budgets = BudgetConfig()
    docs, failed_parse = parse_bounded(raws, "body", "auto", budgets)
    cleaned, failed_clean = clean_bounded(docs, CleanConfig(), budgets)
    assert failed_parse == failed_clean == []
    assert [d.model_dump() for d in cleaned] == [d.model_dump() for d in expected]


def test_budgets_batch_goes_to_the_worker_in_bounded_messages(monkeypatch) -> None:
    from sluice import sandbox

    monkeypatch.setattr(sandbox, "MESSAGE_SIZE", 10)
    assert sandbox._chunks([3, 3, 3, 3, 20, 1, 1]) == [(0, 3), (3, 4), (4, 5), (5, 7)]
    outcomes = sandbox.run_each(abs, [-1, -2, -3, -4], [5] * 4, 512, sizes=[6, 6, 6, 6])
    assert [o.value for o in outcomes] == [1, 2, 3, 4]


def test_budgets_oversize_input_fails_before_the_worker() -> None:
    raws = [raw(b"small text", "txt", "a"), raw(b"x" * 5000, "txt", "big")]
    docs, failures = parse_bounded(raws, "text", "auto", BudgetConfig(max_input_bytes=4096))
    assert [d.id for d in docs] == ["id-a"]
    assert [(f.doc_id, f.error_class) for f in failures] == [("id-big", "OverBudget")]
