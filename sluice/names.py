"""Source names as valid Unicode: a file name may be any bytes, a record's text may not.

On POSIX a name is bytes; Python hands names that are not UTF-8 over as lone surrogates
(os.fsdecode's surrogateescape), which no JSON encoder, PostgreSQL or SQLite text accepts.
`escape_path` turns such a name into valid Unicode that is still unambiguous, and
`unescape_path` gives back the name `open()` needs:

- an undecodable byte 0xE9 becomes the four characters `\\xe9`;
- a backslash becomes `\\\\`, so the escapes above cannot be forged by a real name;
- a name ending in `#L<digits>` gets its `#` written `\\x23`, so that no file name can take
  the label of a JSONL line (`x.jsonl#L1`: line 1 of `x.jsonl`, the failures table's key).

Every other name (valid UTF-8, no backslash: nearly all of them) stays exactly as it was, so
labels already in a store keep matching. Percent-encoding was the other candidate; it would have
rewritten every name holding a `%`, which are far more common than backslashes.
"""

from __future__ import annotations

import re

_LINE_SUFFIX = re.compile(r"#L\d+\Z")
_ESCAPE = re.compile(r"\\(\\|x[0-9a-f]{2}|u[0-9a-f]{4})")
SURROGATE_BYTES = range(0xDC80, 0xDD00)  # what surrogateescape makes of the bytes 0x80-0xFF


def escape_path(name: str) -> str:
    """`name` (as os.fsdecode gives it, surrogates and all) as valid, unambiguous Unicode."""
    out = name.replace("\\", "\\\\")
    if not out.isascii():
        out = "".join(_escape_char(c) for c in out)
    suffix = _LINE_SUFFIX.search(out)
    if suffix:
        out = f"{out[: suffix.start()]}\\x23{out[suffix.start() + 1 :]}"
    return out


def unescape_path(uri: str) -> str:
    """The name `escape_path` was given, to open the file (Python encodes its surrogates back
    to the original bytes)."""
    return _ESCAPE.sub(_unescaped, uri) if "\\" in uri else uri


def line_label(uri: str, part: int | None) -> str:
    """The label of a whole file (part None) or of one line of a JSONL file."""
    return uri if part is None else f"{uri}#L{part}"


def _escape_char(char: str) -> str:
    code = ord(char)
    if code in SURROGATE_BYTES:
        return f"\\x{code - 0xDC00:02x}"
    if 0xD800 <= code <= 0xDFFF:  # a surrogate that stands for no byte: keep its code point
        return f"\\u{code:04x}"
    return char


def _unescaped(match: re.Match[str]) -> str:
    code = match.group(1)
    if code == "\\":
        return "\\"
    value = int(code[1:], 16)
    if code[0] == "x" and value >= 0x80:
        return chr(0xDC00 + value)
    return chr(value)
