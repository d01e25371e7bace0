"""Parse stage: raw bytes to `Document`s, one parser per format. Pure: no file I/O.

HTML stays HTML here (content_type "text/html"); the clean stage extracts its main text.
Every problem with one document becomes a `Failure`, never an exception out of the batch.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

import pypdf
from pypdf.errors import DependencyError, LimitReachedError, PdfReadError

from sluice.budgets import DEFAULT, check, out_of_memory
from sluice.charset import decode_bytes, html_charset
from sluice.config import BudgetConfig
from sluice.errors import (
    BadRecord,
    CorruptPDF,
    EmptyDocument,
    EncryptedPDF,
    NoTextLayer,
    OverBudget,
    UnsupportedFormat,
    failure_from,
)
from sluice.mail import looks_like_mail, mail_bytes, read_mail
from sluice.markup import defuse, html_title, visible_text
from sluice.records import Document, Failure, RawDocument

# pypdf logs a warning for every malformed object it works around; real PDFs have hundreds.
logging.getLogger("pypdf").setLevel(logging.ERROR)

JSONL_CONTENT = ("auto", "text", "html", "eml")
_ENTITY_SPACE = re.compile(r"&nbsp;|&#160;", re.IGNORECASE)
_FILE_NAME_TITLE = re.compile(r"\.(pdf|docx?|odt|rtf|tex|pptx?|xlsx?)$|^untitled\b", re.IGNORECASE)
_HTML_START = re.compile(r"\s*(<!doctype\s+html|<html\b|<head\b|<body\b)", re.IGNORECASE)

Parsed = tuple[str, str, str | None, dict[str, Any]]  # text, content_type, title, metadata


def parse_documents(
    raws: Sequence[RawDocument], text_field: str = "text", jsonl_content: str = "auto",
    budgets: BudgetConfig = DEFAULT,
) -> tuple[list[Document], list[Failure]]:
    """One `Document` or one `Failure` per raw document, in input order within each list.

    `text_field` names the JSONL field holding the text; `jsonl_content` says what that text is:
    "text", "html", "eml" (a whole RFC 822 message) or "auto" to decide per record.
    """
    if jsonl_content not in JSONL_CONTENT:
        raise ValueError(f"jsonl_content must be one of {JSONL_CONTENT}, not {jsonl_content!r}")
    docs: list[Document] = []
    failures: list[Failure] = []
    for raw in raws:
        parsed = parse_or_fail(raw, text_field, jsonl_content, budgets)
        (docs if isinstance(parsed, Document) else failures).append(parsed)
    return docs, failures


def parse_or_fail(raw: RawDocument, text_field: str = "text", jsonl_content: str = "auto",
                  budgets: BudgetConfig = DEFAULT) -> Document | Failure:
    try:
        return parse_document(raw, text_field, jsonl_content, budgets)
    except MemoryError:  # in the sandbox worker: its address-space limit was reached
        return failure_from(out_of_memory("parse", budgets), "parse", raw.ref.label, raw.id)
    except Exception as exc:  # noqa: BLE001 -- one bad document must not sink the batch
        return failure_from(exc, "parse", raw.ref.label, raw.id)


def parse_document(
    raw: RawDocument, text_field: str = "text", jsonl_content: str = "auto",
    budgets: BudgetConfig = DEFAULT,
) -> Document:
    """One document; raises a `DocumentError` when it cannot be parsed."""
    check("input", len(raw.data), "max_input_bytes", budgets, "bytes")
    if not raw.data.strip():
        raise EmptyDocument(f"the {raw.ref.format} file is empty ({len(raw.data)} bytes)")
    if raw.ref.format == "jsonl":
        text, content_type, title, metadata = _parse_jsonl(raw, text_field, jsonl_content,
                                                           budgets)
    elif raw.ref.format in _PARSERS:
        text, content_type, title, metadata = _PARSERS[raw.ref.format](raw.data, budgets)
    else:
        raise UnsupportedFormat(
            f"no parser for {raw.ref.uri!r} (supported: {', '.join([*_PARSERS, 'jsonl'])})"
        )
    if not _has_text(text, content_type):
        what = "visible text in its HTML" if content_type == "text/html" else "text"
        raise EmptyDocument(f"the {raw.ref.format} document has no {what}")
    if content_type != "text/html":  # HTML is measured once the clean stage extracted it
        check("text", len(text), "max_chars", budgets, "characters")
    title, metadata = _defused(title, metadata)
    return Document(
        id=raw.id, source=raw.ref.label, format=raw.ref.format, text=text,
        content_type=content_type, title=title, metadata={**raw.metadata, **metadata},
    )  # fmt: skip


def _defused(title: str | None, metadata: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """Title and parsed metadata (e-mail headers, JSONL fields) with live markup defused."""
    count = 0
    if title:
        title, count = defuse(title)
    found = {}
    for key, value in metadata.items():
        if isinstance(value, str):
            value, n = defuse(value)
            count += n
        found[key] = value
    return title, {**found, "markup_defused": count} if count else found


def _has_text(text: str, content_type: str) -> bool:
    if content_type == "text/html":
        text = _ENTITY_SPACE.sub(" ", visible_text(text))
    return bool(text.strip())


def _parse_text(data: bytes, budgets: BudgetConfig = DEFAULT,
                declared: str | None = None) -> Parsed:
    text, charset = decode_bytes(data, declared)
    return text, "text/plain", None, {"charset": charset}


def _parse_markdown(data: bytes, budgets: BudgetConfig = DEFAULT) -> Parsed:
    text, content_type, _, metadata = _parse_text(data)
    heading = _HEADING.search(text)
    return text, content_type, heading.group(1) if heading else None, metadata


# Greedy to the line's last character that is not " ", "\t" or "#": the lazy "(.+?)[ \t#]*$"
# retried the rest of a long line once per character.
_HEADING = re.compile(r"^#{1,2}[ \t]+([^\n]*[^ \t#\n])", re.MULTILINE)


def _parse_html(data: bytes, budgets: BudgetConfig = DEFAULT,
                declared: str | None = None) -> Parsed:
    text, charset = decode_bytes(data, declared or html_charset(data))
    return text, "text/html", html_title(text), {"charset": charset}


def _parse_pdf(data: bytes, budgets: BudgetConfig = DEFAULT) -> Parsed:
    limit = budgets.max_pdf_stream_bytes
    try:
        # pypdf's own decompression limits, so a small PDF cannot inflate to gigabytes
        with pypdf.apply_configuration(
            maximum_declared_stream_length=limit, zlib_maximum_output_length=limit,
            lzw_maximum_output_length=limit, run_length_maximum_output_length=limit,
            array_based_stream_maximum_output_length=limit,
        ):
            reader = pypdf.PdfReader(io.BytesIO(data))
            _unlock(reader)
            check("PDF declares", _declared_pages(reader), "max_pdf_pages", budgets, "pages")
            check("PDF", len(reader.pages), "max_pdf_pages", budgets, "pages")
            pages = _page_texts(reader, budgets)
    except LimitReachedError as exc:
        raise OverBudget(f"a PDF stream is larger than budgets.max_pdf_stream_bytes "
                         f"{limit:,} once decompressed ({exc})") from exc
    except NotImplementedError as exc:
        # pypdf's words for an encryption handler or a filter it lacks (or a damaged name)
        what = EncryptedPDF if "ncryption" in str(exc) else CorruptPDF
        raise what(f"the PDF uses something pypdf cannot read ({exc})") from exc
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            AssertionError, RecursionError, ZeroDivisionError) as exc:
        # pypdf reports damaged structure with many exception types, not just PdfReadError.
        raise CorruptPDF(f"the PDF is damaged or truncated ({type(exc).__name__}: {exc})") from exc
    if not any(page.strip() for page in pages):
        raise NoTextLayer(f"none of the {len(pages)} pages has a text layer (a scan? it needs OCR)")
    metadata: dict[str, Any] = {"pages": len(pages), **_pdf_info(reader)}
    return "\n\n".join(pages), "text/plain", _pdf_title(metadata), metadata


def _declared_pages(reader: pypdf.PdfReader) -> int:
    # The page tree's /Count, read before pypdf walks the tree: a PDF may claim 20,000 pages.
    count = reader.trailer["/Root"]["/Pages"].get("/Count", 0)
    return count if isinstance(count, int) else 0


def _page_texts(reader: pypdf.PdfReader, budgets: BudgetConfig) -> list[str]:
    pages, size = [], 0
    for page in reader.pages:
        pages.append(page.extract_text() or "")
        size += len(pages[-1])
        check("text", size, "max_chars", budgets, "characters")  # stop early, not at the end
    return pages


def _unlock(reader: pypdf.PdfReader) -> None:
    if not reader.is_encrypted:
        return
    # Many PDFs are "encrypted" only to restrict printing and open with an empty password.
    try:
        opened = reader.decrypt("")
    except DependencyError as exc:
        raise EncryptedPDF(f"the PDF is encrypted and cannot be opened here: {exc}") from exc
    if opened == pypdf.PasswordType.NOT_DECRYPTED:
        raise EncryptedPDF("the PDF is protected by a password; Sluice cannot open it")


def _pdf_info(reader: pypdf.PdfReader) -> dict[str, str]:
    try:
        info = reader.metadata
    except PdfReadError:
        info = None
    found = {"pdf_title": info.title, "pdf_author": info.author} if info else {}
    return {key: _one_line(value) for key, value in found.items() if value and _one_line(value)}


def _one_line(value: object) -> str:
    # PDF info strings often carry NULs and padding from the tool that wrote them.
    return " ".join(str(value).replace("\x00", " ").split())


def _pdf_title(metadata: dict[str, Any]) -> str | None:
    title = metadata.get("pdf_title")
    # Word and friends write the file name as the title ("Microsoft Word - report.docx").
    return None if title is None or _FILE_NAME_TITLE.search(title) else title


def _parse_eml(data: bytes, budgets: BudgetConfig = DEFAULT) -> Parsed:
    mail = read_mail(data, budgets)
    subject = mail.headers.get("subject")
    if mail.is_html:
        text, content_type, _, found = _parse_html(mail.payload, budgets, mail.charset)
    else:
        text, content_type, _, found = _parse_text(mail.payload, budgets, mail.charset)
    return text, content_type, subject, {**mail.headers, **found}


def _parse_jsonl(raw: RawDocument, text_field: str, content: str,
                 budgets: BudgetConfig) -> Parsed:
    record = _json_object(raw)
    value = record.get(text_field)
    if not isinstance(value, str):
        problem = "has no" if value is None else f"has a {type(value).__name__} in its"
        fields = "fields: " + (", ".join(sorted(record)) or "none")
        raise BadRecord(f"{_where(raw)}: the record {problem} {text_field!r} field ({fields})")
    kind = _detect(value) if content == "auto" else content
    text, content_type, title, metadata = _parse_embedded(value, kind, budgets)
    kept = {k: v for k, v in record.items() if k != text_field and _keepable(v)}
    title = record["title"] if isinstance(record.get("title"), str) else title
    return text, content_type, title, {**metadata, **kept}


def _json_object(raw: RawDocument) -> dict[str, Any]:
    line, _ = decode_bytes(raw.data)
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadRecord(f"{_where(raw)}: not valid JSON ({exc})") from exc
    except RecursionError as exc:
        raise BadRecord(f"{_where(raw)}: JSON nested too deeply to read") from exc
    if not isinstance(record, dict):
        raise BadRecord(f"{_where(raw)}: a JSON {type(record).__name__}, not an object")
    return record


def _where(raw: RawDocument) -> str:
    return f"line {raw.ref.part}" if raw.ref.part is not None else "the file"


def _parse_embedded(value: str, kind: str, budgets: BudgetConfig) -> Parsed:
    if kind == "eml":
        return _parse_eml(mail_bytes(value), budgets)
    if kind == "html":
        return value, "text/html", html_title(value), {}
    return value, "text/plain", None, {}


def _detect(value: str) -> str:
    if looks_like_mail(value):
        return "eml"
    return "html" if _HTML_START.match(value) else "text"


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


MAX_LIST = 64  # items of a list field kept as metadata (Reuters `places`, `topics`)


def _keepable(value: Any) -> bool:
    """Scalars, and short flat lists of them: labels such as Reuters' `places` give the
    cleaning steps their context (a wire's country decides what a bare "$" is)."""
    if isinstance(value, list):
        return len(value) <= MAX_LIST and all(_is_scalar(item) for item in value)
    return _is_scalar(value)


_PARSERS: dict[str, Callable[[bytes, BudgetConfig], Parsed]] = {
    "txt": _parse_text,
    "md": _parse_markdown,
    "html": _parse_html,
    "pdf": _parse_pdf,
    "eml": _parse_eml,
}
