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

from sluice.errors import NoTextPart

_HEADER_LINE = re.compile(r"^([!-9;-~]+):")
_KNOWN_HEADERS = {"from", "to", "subject", "date", "received", "return-path", "message-id",
                  "mime-version", "content-type", "delivered-to", "reply-to", "cc"}  # fmt: skip
_METADATA_HEADERS = {"subject": "subject", "from": "from", "to": "to", "message_id": "message-id"}


@dataclass(frozen=True)
class MailBody:
    payload: bytes  # transfer encoding (quoted-printable, base64) already undone
    charset: str | None  # as declared, possibly wrong or unknown to Python
    is_html: bool
    headers: dict[str, str]  # subject, from, to, date (ISO 8601 when it parses), message_id


def read_mail(data: bytes) -> MailBody:
    """The body an e-mail reader would show: text/plain preferred, else text/html."""
    # policy.default builds EmailMessage objects (typeshed only promises Message).
    message = cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(data))
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
    try:
        value = message[name]
    except Exception:  # noqa: BLE001 -- a header the email package cannot parse is just absent
        return None
    return " ".join(str(value).split()) if value is not None else None


def _iso_date(value: str) -> str:
    """ISO 8601 when the date parses; otherwise as written, which beats no date at all."""
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        return value
