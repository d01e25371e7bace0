"""RFC 822 e-mail: the body part to read, its declared charset and the useful headers.

Decoding the body's bytes is left to `sluice.charset`, since declared charsets are often wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from typing import cast

from sluice.budgets import DEFAULT, check
from sluice.config import BudgetConfig
from sluice.errors import NoTextPart, OverBudget

_HEADER_LINE = re.compile(r"^([!-9;-~]+):")
_BOUNDARY = re.compile(rb"boundary\s*=", re.IGNORECASE)
_KNOWN_HEADERS = {"from", "to", "subject", "date", "received", "return-path", "message-id",
                  "mime-version", "content-type", "delivered-to", "reply-to", "cc"}  # fmt: skip
_METADATA_HEADERS = {"subject": "subject", "from": "from", "to": "to", "message_id": "message-id"}
# The email package's header parser needs thousands of bytes of memory per byte of RFC 2047
# encoded words (a 272 KB Subject took 2.1 GB), so only this much of a raw value is decoded.
HEADER_VALUE_MAX = 4096


@dataclass(frozen=True)
class MailBody:
    payload: bytes  # transfer encoding (quoted-printable, base64) already undone
    charset: str | None  # as declared, possibly wrong or unknown to Python
    is_html: bool
    headers: dict[str, str]  # subject, from, to, date (ISO 8601 when it parses), message_id


def read_mail(data: bytes, budgets: BudgetConfig = DEFAULT) -> MailBody:
    """The body an e-mail reader would show: text/plain preferred, else text/html."""
    # Every multipart part declares a boundary: counting them is a linear upper bound on the
    # parts, checked before the parser spends seconds (and its recursion) on 2,000 levels.
    check("MIME boundaries", len(_BOUNDARY.findall(data)), "max_mime_parts", budgets)
    try:
        # policy.default builds EmailMessage objects (typeshed only promises Message).
        message = cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(data))
    except RecursionError as exc:
        raise OverBudget("the e-mail's MIME parts nest deeper than Python can parse > "
                         f"budgets.max_mime_depth {budgets.max_mime_depth:,}") from exc
    check_structure(message, budgets)
    part = message.get_body(preferencelist=("plain", "html")) or _fallback_body(message)
    if part is None:
        kinds = sorted({p.get_content_type() for p in message.walk()})
        raise NoTextPart(f"the e-mail has no text or HTML body (parts: {', '.join(kinds)})")
    payload = part.get_payload(decode=True)
    return MailBody(
        payload=payload if isinstance(payload, bytes) else b"",
        charset=part.get_content_charset(),
        is_html=part.get_content_subtype().startswith("html"),
        headers=_headers(message),
    )


def check_structure(message: EmailMessage, budgets: BudgetConfig) -> None:
    """MIME depth, part count and each part's raw header size, before any header is parsed."""
    stack, parts = [(message, 1)], 0
    while stack:
        part, depth = stack.pop()
        parts += 1
        check("MIME depth", depth, "max_mime_depth", budgets)
        check("MIME parts", parts, "max_mime_parts", budgets)
        size = sum(len(name) + len(value) for name, value in part.raw_items())
        check("e-mail header", size, "max_header_bytes", budgets, "bytes")
        payload = part.get_payload()
        if isinstance(payload, list):
            stack += [(child, depth + 1) for child in payload]


def looks_like_mail(text: str) -> bool:
    """A header block (an mbox "From " line allowed) naming at least two well-known headers."""
    lines = text.lstrip().split("\n", 60)[:60]
    if lines and lines[0].startswith("From "):
        lines = lines[1:]
    known = 0
    for line in lines:
        if not line.strip():
            break
        match = _HEADER_LINE.match(line)
        if match is None and not line[:1].isspace():
            return False
        known += bool(match and match.group(1).lower() in _KNOWN_HEADERS)
    return known >= 2


def mail_bytes(message: str) -> bytes:
    """Bytes of a message that a JSON writer stored as a string."""
    # Writers often decoded the original bytes as latin-1, so encoding back gets them exactly;
    # anything beyond latin-1 can only have been decoded properly, so it was UTF-8.
    try:
        return message.encode("latin-1")
    except UnicodeEncodeError:
        return message.encode("utf-8", errors="surrogateescape")


def _fallback_body(message: EmailMessage) -> EmailMessage | None:
    # Broken MIME, common in spam: a malformed text Content-Type that get_body skips, or a
    # multipart whose boundary never appears (the email package then keeps the body unsplit).
    for part in message.walk():
        if part.is_multipart() or part.is_attachment():
            continue
        if part.get_content_maintype() in ("text", "multipart"):
            return cast(EmailMessage, part)
    return None


def _headers(message: EmailMessage) -> dict[str, str]:
    found = {key: _header(message, name) for key, name in _METADATA_HEADERS.items()}
    date = _header(message, "date")
    if date:
        found["date"] = _iso_date(date)
    return {key: value for key, value in found.items() if value}


def _header(message: EmailMessage, name: str) -> str | None:
    raw = next((value for key, value in message.raw_items() if key.lower() == name), None)
    if raw is None:
        return None
    try:
        value = policy.default.header_fetch_parse(name, raw[:HEADER_VALUE_MAX])
    except Exception:  # noqa: BLE001 -- a header the email package cannot parse is just absent
        return None
    return " ".join(str(value).split())


def _iso_date(value: str) -> str:
    """ISO 8601 when the date parses; otherwise as written, which beats no date at all."""
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        return value
