"""Bytes to text without assuming UTF-8, and without ever failing.

Order: valid UTF-8 (the fast path) or a byte-order mark; the byte patterns that only one
encoding makes (ISO-2022's escape sequences, the NUL bytes of UTF-16 and UTF-32 written
without a mark); the declared charset, then the superset browsers read that label as, then,
for CJK labels, the same with a few bad bytes replaced; chardet's guesses, best first; then
cp1252, then latin-1 (which decodes anything). bench/charsets.py measures the guess against
charset-normalizer alone and a mix of the two, on real text in 47 encodings.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

import chardet

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
# What a declared charset is tried as when it does not decode: its superset, as browsers read
# the label anyway (WHATWG: gb2312 means GBK, Korean labels mean UHC, tis-620 means cp874).
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs", "cp950": "big5hkscs",
              "shift_jis": "cp932", "euc_kr": "cp949", "iso8859-9": "cp1254",
              "tis-620": "cp874", "iso8859-11": "cp874"}  # fmt: skip
# Declared CJK text with a few broken byte pairs is still read in its charset: no single-byte
# guess comes close. At most one replacement character per this many characters.
_MULTIBYTE = {"gb2312", "gbk", "gb18030", "big5", "big5hkscs", "cp950", "shift_jis", "cp932",
              "euc_jp", "euc_kr", "cp949"}  # fmt: skip
_CHARS_PER_ERROR = 500
# Labels that mail and web pages use but Python's codec registry lacks.
_ALIASES = {"windows-874": "cp874", "x-sjis": "cp932", "chinesebig5": "big5"}
# Shift sequences that only ISO-2022 text contains: Korean (RFC 1557) first, since its
# designator also opens with ESC $; then Japanese (RFC 1468), whose plain codec is tried
# before the extensions (half-width kana, JIS X 0212, ISO-2022-JP-2's other scripts).
_ISO2022 = ((re.compile(rb"\x1b\$\)C"), ("iso2022_kr",)),
            (re.compile(rb"\x1b\$[@AB(]|\x1b\([BIJ]"),
             ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_2004")))  # fmt: skip
# A UTF-16/32 label on bytes without a mark and without one NUL is wrong (WHATWG reads such
# a page's <meta charset=utf-16> as UTF-8): ASCII would turn into CJK-looking nonsense.
_WIDE = ("utf-16", "utf-32")
_SNIFF = 4096  # bytes looked at for the NUL pattern of UTF-16/32
# chardet reads this much: from the top, or from just before the first non-ASCII byte where a
# long English preamble (headers, markup) would otherwise hide the bytes that tell code pages
# apart. 64 KB guesses as well as chardet's default 200 KB in a third of the time.
_GUESS_BYTES = 65_536
_GUESS_LEAD = 1024
_NON_ASCII = re.compile(rb"[\x80-\xff]")
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
    text = _plain_utf8(data, declared)
    if text is not None:
        return text, "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name, errors="replace"), name
    for name, lenient in _candidates(data, declared):
        text = _decode(data, name, lenient)
        if text is not None:
            return text, _codec_name(name) or name
    return data.decode("latin-1"), "latin-1"


def html_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in `<meta charset>`, `http-equiv` or an XML prolog."""
    match = _HTML_CHARSET.search(data[:8192])
    if match is None:
        return None
    return (match.group(1) or match.group(2)).decode("ascii")


def _plain_utf8(data: bytes, declared: str | None) -> str | None:
    """The fast path for most input: UTF-8 that nothing else could claim.

    NULs (UTF-16/32), ESC (ISO-2022) or a UTF-8 mark take the long way, and so does 7-bit
    text with a declared charset, which then decides (EBCDIC, say).
    """
    if b"\x00" in data or b"\x1b" in data or data.startswith(codecs.BOM_UTF8):
        return None
    if declared and data.isascii():
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _candidates(data: bytes, declared: str | None) -> Iterator[tuple[str, bool]]:
    """(codec, lenient) pairs to try in turn; lenient ones may replace a few bad bytes."""
    # A generator: the costly guess runs only when the cheap candidates all fail.
    seven_bit = data.isascii()
    for name in _sniff(data, seven_bit):
        yield name, False
    known = _codec_name(declared)
    if not seven_bit:
        yield "utf-8", False
        if known in _READ_AS_CP1252:
            yield "cp1252", False
    if known and not (known.startswith(_WIDE) and b"\x00" not in data):
        yield known, False
        if known in _SUPERSETS:
            yield _SUPERSETS[known], False
        if known in _MULTIBYTE:
            yield _SUPERSETS.get(known, known), True
    if seven_bit:
        yield "utf-8", False
    elif _western(data):
        yield "cp1252", False
    for name in _guesses(data):
        yield name, False
    yield "cp1252", False


def _sniff(data: bytes, seven_bit: bool) -> tuple[str, ...]:
    """Encodings that the bytes themselves give away, though they may pass as UTF-8."""
    if b"\x00" in data:
        wide = _wide_unicode(data[:_SNIFF])
        return (wide,) if wide else ()
    if seven_bit and b"\x1b" in data:
        for shift, names in _ISO2022:
            if shift.search(data):
                return names
    return ()


def _wide_unicode(head: bytes) -> str | None:
    """UTF-32 or UTF-16 without a byte-order mark, told by where the NUL bytes fall.

    Every UTF-32 character has a NUL high byte, and most have two; in UTF-16 the NULs are
    the high bytes of ASCII characters (spaces, digits, markup), so they cluster on one side.
    """
    quads = len(head) // 4
    if quads == 0:
        return None
    zeros = [head[k : quads * 4 : 4].count(0) / quads for k in range(4)]
    if zeros[3] == 1 and zeros[2] > 0.9:
        return "utf-32-le"
    if zeros[0] == 1 and zeros[1] > 0.9:
        return "utf-32-be"
    even, odd = (zeros[0] + zeros[2]) / 2, (zeros[1] + zeros[3]) / 2
    if odd > 0.05 and odd > 4 * even:
        return "utf-16-le"
    if even > 0.05 and even > 4 * odd:
        return "utf-16-be"
    return None


def _guesses(data: bytes) -> Iterator[str]:
    """chardet's encodings for `data`, most likely first, UTF-16/32 left to `_sniff`."""
    start = 0  # from the top, where chardet also reads a page's own <meta charset>
    if data[: _GUESS_BYTES // 2].isascii():
        start = max(0, _first_non_ascii(data) - _GUESS_LEAD)
    window = data[start : start + _GUESS_BYTES]
    best = chardet.detect(window, max_bytes=_GUESS_BYTES)["encoding"]
    if best and not best.lower().startswith("utf-"):
        yield best
    # Only when the best guess does not decode: detect_all costs a sixth more.
    for match in chardet.detect_all(window, max_bytes=_GUESS_BYTES):
        name = match["encoding"]
        if name and name != best and not name.lower().startswith("utf-"):
            yield name


# Mostly-ASCII text whose other bytes read, in cp1252, as typography ("It’s 5€ – or so…") or
# as a few accented letters of Western European words is cp1252: on a handful of bytes chardet
# has too little to go on and guesses a Mac or DOS page. The Windows code pages of Central
# Europe, the Baltics and Cyrillic put the same typography at the same bytes, so that text
# reads the same in any of them. Left out: the letters other pages' letters turn into in
# cp1252 (Turkish ı ş ğ as ý þ ð, Polish ł ą as ³ ¹, Œ Š Ž), and typography inside a word,
# which is how DOS pages' letters look in cp1252 ("caf‚" for café in cp850).
_TYPOGRAPHY = set("\u201c\u201d\u201a\u201e\u2013\u2014\u2026\u2022\u20ac\u2122\u00a0")
_APOSTROPHES = set("\u2018\u2019")
_LETTERS = set(
    "ÀÁÂÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÖØÙÚÛÜßàáâäåæçèéêëìíîïñòóôöøùúûüÿ"  # not ã õ: Romanian ă, Hungarian ő
)
_WESTERN_SHARE = 0.02  # at most this many accented letters per letter


def _western(data: bytes) -> bool:
    text = data[:_GUESS_BYTES].decode("cp1252", errors="replace")
    accented = 0
    for i, char in enumerate(text):
        if char.isascii() or char in _APOSTROPHES:
            continue
        if char in _LETTERS:
            accented += 1
        elif char not in _TYPOGRAPHY or _inside_word(text, i):
            return False
    return accented <= _WESTERN_SHARE * sum(c.isalpha() for c in text)


def _inside_word(text: str, i: int) -> bool:
    return 0 < i < len(text) - 1 and text[i - 1].isalpha() and text[i + 1].isalpha()


def _first_non_ascii(data: bytes) -> int:
    # bytes.isascii() by blocks, then a regex in one block: a regex over 50 MB takes a second.
    for start in range(0, len(data), _GUESS_BYTES):
        block = data[start : start + _GUESS_BYTES]
        if not block.isascii():
            return start + _NON_ASCII.search(block).start()  # type: ignore[union-attr]
    return 0


def _codec_name(label: str | None) -> str | None:
    """Python's name for a charset label, or None for labels such as "unknown-8bit"."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    try:
        return codecs.lookup(_ALIASES.get(label, label)).name
    except LookupError:
        return None


def _decode(data: bytes, name: str, lenient: bool = False) -> str | None:
    try:
        return data.decode(name)
    except LookupError:
        return None
    except UnicodeDecodeError:
        if not lenient:
            return None
    text = data.decode(name, errors="replace")
    return text if text.count("\ufffd") * _CHARS_PER_ERROR <= len(text) else None
