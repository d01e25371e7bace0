"""Bytes to text without assuming UTF-8, and without ever failing.

Order: a byte-order mark, then valid UTF-8, then the declared charset, then charset_normalizer's
guess, then cp1252, then latin-1 (which decodes anything).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

import charset_normalizer

# UTF-32 first: its little-endian BOM starts with UTF-16's.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# As browsers do (WHATWG Encoding): these labels mean windows-1252, whose curly quotes and
# dashes in 0x80-0x9F mislabelled text uses all the time.
_READ_AS_CP1252 = {"ascii", "iso8859-1"}
_NEAR_TIE = 0.1  # charset_normalizer "chaos" (share of odd characters) counted as a tie
_HTML_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)"""
    rb"""|<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)""",
    re.IGNORECASE,
)


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """`data` as text, and the name of the charset that decoded it.

    Valid UTF-8 with non-ASCII bytes beats a declared single-byte charset: such bytes are
    almost never legacy text by chance, while mislabelled UTF-8 is common (mail, old pages).
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name, errors="replace"), name
    for name in _candidates(data, declared):
        text = _decode(data, name)
        if text is not None:
            return text, _codec_name(name) or name
    return data.decode("latin-1"), "latin-1"


def html_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in `<meta charset>`, `http-equiv` or an XML prolog."""
    match = _HTML_CHARSET.search(data[:8192])
    if match is None:
        return None
    return (match.group(1) or match.group(2)).decode("ascii")


def _candidates(data: bytes, declared: str | None) -> Iterator[str]:
    # A generator: the costly guess runs only when the cheap candidates all fail.
    known = _codec_name(declared)
    if not data.isascii():
        yield "utf-8"
        if known in _READ_AS_CP1252:
            yield "cp1252"
    if known:
        yield known
    if data.isascii():
        yield "utf-8"
    guess = _guess(data)
    if guess:
        yield guess
    yield "cp1252"


def _guess(data: bytes) -> str | None:
    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    # Without a BOM or NUL bytes UTF-16/32 is never right, yet short texts get guessed so.
    if best is None or (best.encoding.startswith("utf_") and b"\x00" not in data):
        return None
    # On short Western text cp1250, cp1252 and cp1257 score within a hair of each other and
    # the pick among them is arbitrary; cp1252, by far the commonest, wins near-ties.
    near = [m for m in matches if m.chaos <= best.chaos + _NEAR_TIE]
    if any("cp1252" in m.could_be_from_charset for m in near):
        return "cp1252"
    return best.encoding


def _codec_name(label: str | None) -> str | None:
    """Python's name for a charset label, or None for labels such as "unknown-8bit"."""
    if not label:
        return None
    try:
        return codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None


def _decode(data: bytes, name: str) -> str | None:
    try:
        return data.decode(name)
    except (UnicodeDecodeError, LookupError):
        return None
