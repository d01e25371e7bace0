"""Parse stage: each format, its charsets, and every way a document ends as a Failure."""

from __future__ import annotations

import base64
import io
import logging
import quopri

import pypdf
import pytest

from sluice.parse import parse_documents
from sluice.records import Document, Failure, RawDocument, SourceRef


def raw(data: bytes, fmt: str, uri: str = "", part: int | None = None) -> RawDocument:
    ref = SourceRef(uri=uri or f"in/doc.{fmt}", format=fmt, part=part)
    return RawDocument(id=f"id-{fmt}-{part}", ref=ref, data=data)


def parse_one(data: bytes, fmt: str, **kwargs: str) -> Document:
    docs, failures = parse_documents([raw(data, fmt)], **kwargs)
    assert failures == [], failures
    return docs[0]


def fail_one(data: bytes, fmt: str, **kwargs: str) -> Failure:
    docs, failures = parse_documents([raw(data, fmt)], **kwargs)
    assert docs == []
    return failures[0]


def text_pdf(*pages: str, title: str = "", author: str = "") -> bytes:
    """A minimal valid PDF: one Helvetica line per page ("" gives a page without text)."""
    font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Pages: set below >>", font]
    kids = []
    for text in pages:
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET" if text else ""
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        objects.append(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {len(objects)} 0 R >>"
        )
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    info = ""
    if title or author:
        objects.append(f"<< /Title ({title}) /Author ({author}) >>")
        info = f" /Info {len(objects)} 0 R"
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info} >>\nstartxref\n{xref}\n"
    return out + trailer.encode() + b"%%EOF\n"


def encrypt(pdf: bytes, user_password: str, algorithm: str = "AES-256") -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- plain text and Markdown -------------------------------------------------------------------

CAFE = "Café “Résumé” \u2013 naïve crème brûlée costs €5"


@pytest.mark.parametrize(
    ("data", "charset"),
    [
        (CAFE.encode("utf-8"), "utf-8"),
        (CAFE.encode("utf-8-sig"), "utf-8-sig"),
        (CAFE.encode("utf-16"), "utf-16"),
        ("\ufeff".encode("utf-16-be") + CAFE.encode("utf-16-be"), "utf-16"),
        (CAFE.encode("utf-32"), "utf-32"),
        (CAFE.encode("cp1252"), "cp1252"),
    ],
)
def test_parse_txt_charset_from_bom_utf8_or_guess(data: bytes, charset: str) -> None:
    doc = parse_one(data, "txt")

    assert doc.text == CAFE
    assert doc.metadata["charset"] == charset
    assert (doc.content_type, doc.title) == ("text/plain", None)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Grüße aus Köln: schöne Straßen, große Plätze.", "latin-1"),
        ("Привет, как дела? Всё хорошо, спасибо.", "cp1251"),
    ],
)
def test_parse_txt_legacy_charset_without_declaration(text: str, encoding: str) -> None:
    assert parse_one(text.encode(encoding), "txt").text == text


def test_parse_txt_never_fails_to_decode_noise() -> None:
    doc = parse_one(bytes(range(1, 256)), "txt")

    assert len(doc.text) == 255


def test_parse_md_title_is_first_heading() -> None:
    doc = parse_one(b"Intro line\n\n## Release notes ##\n\n# Later\n", "md")

    assert doc.title == "Release notes"
    assert doc.text.startswith("Intro line")


# --- HTML --------------------------------------------------------------------------------------

PAGE = (
    "<html><head>{meta}<title>Caf&eacute; &amp; Bar\n guide</title></head>"
    "<body><p>{body}</p></body></html>"
)


@pytest.mark.parametrize(
    ("meta", "encoding", "body"),
    [
        ('<meta charset="windows-1252">', "cp1252", "“crème” à €3"),
        ("<meta charset=iso-8859-1>", "latin-1", "crème à 3"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-15">',
         "iso8859-15", "crème à €3"),
        ('<meta content="text/html; charset=koi8-r" http-equiv="content-type">',
         "koi8-r", "Москва"),
        ('<?xml version="1.0" encoding="windows-1251"?><meta x="y">', "cp1251", "Москва"),
    ],
)  # fmt: skip
def test_parse_html_honours_declared_charset(meta: str, encoding: str, body: str) -> None:
    html = PAGE.format(meta=meta, body=body)

    doc = parse_one(html.encode(encoding), "html")

    assert doc.text == html
    assert doc.content_type == "text/html"


def test_parse_html_keeps_markup_and_takes_title() -> None:
    doc = parse_one(PAGE.format(meta="", body="Hello").encode(), "html")

    assert "<p>Hello</p>" in doc.text
    assert doc.title == "Café & Bar guide"
    assert doc.metadata["charset"] == "utf-8"


def test_parse_html_utf8_beats_a_wrong_declaration() -> None:
    html = PAGE.format(meta='<meta charset="iso-8859-1">', body="Zürich \u2013 São Paulo")

    assert parse_one(html.encode("utf-8"), "html").text == html


def test_parse_html_without_visible_text_is_empty() -> None:
    html = b"<html><head><title></title><style>p{}</style></head><body><img src=x>&nbsp;</body>"

    failure = fail_one(html, "html")

    assert failure.error_class == "EmptyDocument"


# --- PDF ---------------------------------------------------------------------------------------


def test_parse_pdf_pages_joined_with_metadata() -> None:
    doc = parse_one(
        text_pdf("Page one", "Page two", title="Annual report", author="Ann Lee"), "pdf"
    )

    assert doc.text == "Page one\n\nPage two"
    assert doc.title == "Annual report"
    assert doc.metadata == {"pages": 2, "pdf_title": "Annual report", "pdf_author": "Ann Lee"}


def test_parse_pdf_file_name_as_title_is_not_a_title() -> None:
    doc = parse_one(text_pdf("Body", title="Microsoft Word - draft v2.docx"), "pdf")

    assert doc.title is None
    assert doc.metadata["pdf_title"] == "Microsoft Word - draft v2.docx"


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_parse_pdf_encrypted_with_empty_password_opens(algorithm: str) -> None:
    doc = parse_one(encrypt(text_pdf("Only printing is restricted"), "", algorithm), "pdf")

    assert doc.text == "Only printing is restricted"


def test_parse_pdf_with_password_is_encrypted_pdf() -> None:
    failure = fail_one(encrypt(text_pdf("Secret"), "s3cret"), "pdf")

    assert failure.error_class == "EncryptedPDF"
    assert "password" in failure.message


def test_parse_pdf_without_text_is_no_text_layer() -> None:
    failure = fail_one(text_pdf("", ""), "pdf")

    assert failure.error_class == "NoTextLayer"
    assert "2 pages" in failure.message


@pytest.mark.parametrize(
    "data",
    [
        text_pdf("Cut short")[:120],
        text_pdf("Cut short")[:-80],
        b"%PDF-1.4\n" + bytes(range(256)) * 4,
        b"<html>an error page saved as .pdf</html>",
    ],
    ids=["truncated-early", "truncated-late", "garbage", "not-a-pdf"],
)
def test_parse_pdf_corrupt_is_corrupt_pdf(data: bytes) -> None:
    failure = fail_one(data, "pdf")

    assert failure.error_class == "CorruptPDF"
    assert "damaged" in failure.message


def test_parse_pdf_repairable_damage_logs_no_pypdf_warnings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrong_xref = text_pdf("Still readable").replace(b"startxref\n", b"startxref\n9")
    caplog.set_level(logging.WARNING)

    assert parse_one(wrong_xref, "pdf").text == "Still readable"
    assert [r.name for r in caplog.records if r.name.startswith("pypdf")] == []


# --- e-mail ------------------------------------------------------------------------------------


def mail(headers: str, body: bytes) -> bytes:
    return headers.replace("\n", "\r\n").encode("ascii") + b"\r\n" + body


HEADERS = """\
From: =?utf-8?q?Ren=C3=A9_Castillo?= <rene@example.com>
To: Ann Lee <ann@example.com>
Subject: =?iso-8859-1?q?R=E9union_=E0_Lyon?=
Date: Wed, 16 Jun 2021 11:47:03 +0200
Message-ID: <abc.123@example.com>
MIME-Version: 1.0
"""


def test_parse_eml_headers_to_metadata_and_title() -> None:
    doc = parse_one(mail(HEADERS + "Content-Type: text/plain\n", b"Hello.\r\n"), "eml")

    assert doc.title == "Réunion à Lyon"
    assert doc.metadata == {
        "subject": "Réunion à Lyon",
        "from": "René Castillo <rene@example.com>",
        "to": "Ann Lee <ann@example.com>",
        "date": "2021-06-16T11:47:03+02:00",
        "message_id": "<abc.123@example.com>",
        "charset": "utf-8",
    }


def test_parse_eml_unparseable_date_kept_as_written() -> None:
    doc = parse_one(mail("Subject: x\nDate: sometime last week\n", b"Body"), "eml")

    assert doc.metadata["date"] == "sometime last week"


def test_parse_eml_multipart_alternative_prefers_plain_text() -> None:
    body = (
        b"--XYZ\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML version</p>\r\n"
        b"--XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlain version\r\n--XYZ--\r\n"
    )
    headers = HEADERS + 'Content-Type: multipart/alternative; boundary="XYZ"\n'

    doc = parse_one(mail(headers, body), "eml")

    assert (doc.text.strip(), doc.content_type) == ("Plain version", "text/plain")


def test_parse_eml_quoted_printable_utf8() -> None:
    text = "We haven’t received the payment of €84,250.00 " * 3
    headers = HEADERS + "Content-Type: text/plain; charset=utf-8\n"
    headers += "Content-Transfer-Encoding: quoted-printable\n"

    doc = parse_one(mail(headers, quopri.encodestring(text.encode())), "eml")

    assert doc.text == text
    assert doc.metadata["charset"] == "utf-8"


def test_parse_eml_latin1_8bit() -> None:
    text = "Chère Hélène, à bientôt à Genève."
    headers = HEADERS + "Content-Type: text/plain; charset=ISO-8859-1\n"
    headers += "Content-Transfer-Encoding: 8bit\n"

    assert parse_one(mail(headers, text.encode("latin-1")), "eml").text == text


def test_parse_eml_html_only_is_text_html() -> None:
    html = "<html><body><p>News — May</p></body></html>"
    headers = HEADERS + "Content-Type: text/html; charset=utf-8\n"
    headers += "Content-Transfer-Encoding: base64\n"

    doc = parse_one(mail(headers, base64.encodebytes(html.encode())), "eml")

    assert (doc.text, doc.content_type) == (html, "text/html")


@pytest.mark.parametrize(
    ("declared", "encoding"),
    [
        ("unknown-8bit", "cp1252"),
        ('"x-user-defined"', "cp1252"),
        ("us-ascii", "cp1252"),
        ("iso-8859-1", "utf-8"),
        ("utf-8", "latin-1"),
        ("no-such-charset", "utf-8"),
    ],
)
def test_parse_eml_wrong_or_unknown_charset_still_decodes(declared: str, encoding: str) -> None:
    text = "Café in Zürich: déjà vu, naïve façade, crème brûlée."
    if encoding == "cp1252":
        text += " “Quoted” \u2013 dash."
    headers = f"Subject: x\nContent-Type: text/plain; charset={declared}\n"

    assert parse_one(mail(headers, text.encode(encoding)), "eml").text == text


def test_parse_eml_without_text_part_is_no_text_part() -> None:
    body = (
        b"--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; "
        b'filename="a.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--B--\r\n'
    )

    failure = fail_one(mail('Content-Type: multipart/mixed; boundary="B"\n', body), "eml")

    assert failure.error_class == "NoTextPart"
    assert "application/pdf" in failure.message


def test_parse_eml_broken_boundary_falls_back_to_the_raw_body() -> None:
    # Common in spam: the boundary in the header never appears in the body.
    headers = 'Subject: Deals\nContent-Type: multipart/alternative; boundary="=Wrong"\n'

    doc = parse_one(mail(headers, b"--= Other\r\n\r\nPrinter cartridges from $1.21\r\n"), "eml")

    assert "Printer cartridges from $1.21" in doc.text


# --- JSONL -------------------------------------------------------------------------------------


def test_parse_jsonl_record_text_title_scalar_and_label_metadata() -> None:
    line = (
        b'{"id": 7, "title": "Cocoa review", "date": "26-FEB-1987 15:02:20.00", "score": 0.5,'
        b' "flag": true, "places": ["brazil"], "nested": {"x": 1}, "none": null,'
        b' "deep": [["a"]], "text": "Showers continued in Bahia."}'
    )

    doc = parse_one(line, "jsonl")

    assert (doc.text, doc.title, doc.content_type) == (
        "Showers continued in Bahia.", "Cocoa review", "text/plain"
    )  # fmt: skip
    assert doc.metadata == {
        "id": 7, "title": "Cocoa review", "date": "26-FEB-1987 15:02:20.00", "score": 0.5,
        "flag": True, "places": ["brazil"],
    }  # fmt: skip


def test_parse_jsonl_custom_text_field() -> None:
    doc = parse_one(b'{"body": "In the body.", "text": 3}', "jsonl", text_field="body")

    assert doc.text == "In the body."
    assert doc.metadata == {"text": 3}


EML_RECORD = (
    b'{"raw": "From: a@b.c\\nSubject: Hi there\\nDate: 1 Feb 2002 10:00 +0000\\n\\nBody text."}'
)
HTML_RECORD = b'{"raw": "<!DOCTYPE html><html><title>T</title><p>Page</p></html>"}'
TEXT_RECORD = b'{"raw": "Subject: not a header block\\n\\nJust text <b>bold</b>."}'


@pytest.mark.parametrize(
    ("line", "content", "content_type", "title"),
    [
        (EML_RECORD, "auto", "text/plain", "Hi there"),
        (HTML_RECORD, "auto", "text/html", "T"),
        (TEXT_RECORD, "auto", "text/plain", None),
        (HTML_RECORD, "text", "text/plain", None),
        (TEXT_RECORD, "html", "text/html", None),
        (EML_RECORD, "eml", "text/plain", "Hi there"),
    ],
)
def test_parse_jsonl_content_detected_or_forced(
    line: bytes, content: str, content_type: str, title: str | None
) -> None:
    doc = parse_one(line, "jsonl", text_field="raw", jsonl_content=content)

    assert (doc.content_type, doc.title) == (content_type, title)
    if title == "Hi there":
        assert (doc.text, doc.metadata["date"]) == ("Body text.", "2002-02-01T10:00:00+00:00")


def test_parse_jsonl_embedded_mail_keeps_its_8bit_bytes() -> None:
    # The JSONL writer decoded the message as latin-1; its part is really ISO-8859-1.
    message = "Subject: x\nContent-Type: text/plain; charset=iso-8859-1\n\nCafé crème"
    line = ('{"text": "' + message.replace("\n", "\\n") + '"}').encode()

    doc = parse_one(line, "jsonl", jsonl_content="eml")

    assert doc.text == "Café crème"


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        (b'{"text": "cut off', "not valid JSON"),
        (b'["text", "an array"]', "list, not an object"),
        (b'"just a string"', "str, not an object"),
        (b'{"title": "no text"}', "has no 'text' field (fields: title)"),
        (b'{"text": 42}', "has a int in its 'text' field"),
    ],
)
def test_parse_jsonl_bad_line_is_bad_record_naming_the_line(line: bytes, hint: str) -> None:
    docs, failures = parse_documents([raw(line, "jsonl", "in/d.jsonl", part=7)])

    assert docs == []
    assert (failures[0].error_class, failures[0].source) == ("BadRecord", "in/d.jsonl#L7")
    assert failures[0].message.startswith("line 7: ")
    assert hint in failures[0].message


def test_parse_unknown_jsonl_content_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="jsonl_content"):
        parse_documents([], jsonl_content="xml")


# --- every format: the batch and the ledger ----------------------------------------------------


@pytest.mark.parametrize("fmt", ["txt", "md", "html", "pdf", "eml", "jsonl"])
@pytest.mark.parametrize("data", [b"", b" \r\n\t \n"])
def test_parse_empty_or_blank_file_is_empty_document(fmt: str, data: bytes) -> None:
    failure = fail_one(data, fmt)

    assert failure.error_class == "EmptyDocument"
    assert f"{fmt} file is empty" in failure.message


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (b'{"text": "   \\n "}', "jsonl"),
        (b"Subject: nothing to say\r\n\r\n   \r\n", "eml"),
        (b"\xef\xbb\xbf  \n", "txt"),
    ],
)
def test_parse_blank_text_after_parsing_is_empty_document(data: bytes, fmt: str) -> None:
    assert fail_one(data, fmt).error_class == "EmptyDocument"


def test_parse_unknown_format_is_unsupported_format() -> None:
    failure = fail_one(b"PK\x03\x04 zip bytes", "unknown")

    assert failure.error_class == "UnsupportedFormat"
    assert "in/doc.unknown" in failure.message


def test_parse_unexpected_error_becomes_failure_named_after_it(monkeypatch) -> None:
    import sluice.parse

    def broken(data: bytes, budgets: object) -> None:
        return 1 / 0

    monkeypatch.setitem(sluice.parse._PARSERS, "txt", broken)
    failure = fail_one(b"some text", "txt")

    assert failure.error_class == "ParseError"  # the stage's Sluice class (errors.STAGE_ERRORS)
    assert failure.message.startswith("ZeroDivisionError: ")


def test_parse_bad_document_does_not_sink_the_batch() -> None:
    raws = [
        raw(b"first", "txt", "a.txt"),
        raw(b"%PDF-1.4 broken", "pdf", "b.pdf"),
        raw(b'{"text": "second"}', "jsonl", "c.jsonl", part=2),
        raw(b"", "md", "d.md"),
        raw(b"<p>third</p>", "html", "e.html"),
    ]

    docs, failures = parse_documents(raws)

    assert [(d.id, d.source, d.format, d.text) for d in docs] == [
        ("id-txt-None", "a.txt", "txt", "first"),
        ("id-jsonl-2", "c.jsonl#L2", "jsonl", "second"),
        ("id-html-None", "e.html", "html", "<p>third</p>"),
    ]
    assert [(f.stage, f.source, f.doc_id, f.error_class) for f in failures] == [
        ("parse", "b.pdf", "id-pdf-None", "CorruptPDF"),
        ("parse", "d.md", "id-md-None", "EmptyDocument"),
    ]
    assert all(f.message for f in failures)


def test_parse_deeply_nested_json_line_is_a_bad_record():
    raw = RawDocument(id="x", ref=SourceRef(uri="a.jsonl", format="jsonl", part=1),
                      data=b"[" * 100_000 + b"]" * 100_000)
    _, failures = parse_documents([raw])
    assert [(f.error_class, "nested too deeply" in f.message) for f in failures] == [
        ("BadRecord", True)]
