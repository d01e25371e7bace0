"""Typographic variants folded to plain forms, so the same word is the same string:
curly quotes, dashes, ellipses, and bullet or list markers at the start of a line."""

from __future__ import annotations

import re

_TABLE = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"', "\u2010": "-", "\u2011": "-", "\u2012": "-",
    "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-", "\u2026": "...",
})
_BULLET = re.compile(r"^([ \t]*)(?:[\u2022\u2023\u25aa\u25ab\u25cf\u25e6\u2043\u2219\u00b7*]"
                     r"|-(?=\s)|o(?=\s{2,}))[ \t]+", re.MULTILINE)
_NUMBERED = re.compile(r"^([ \t]*)(?:\(?\d{1,2}[.)]|\(?[a-z][.)])[ \t]+(?=\S)", re.MULTILINE)


def normalise_punctuation(text: str) -> str:
    return text.translate(_TABLE)


def strip_list_markers(text: str, numbered: bool = False) -> str:
    """Drop bullet markers (the line break keeps the item apart); numbers are content
    ("2. The board...") unless asked for."""
    text = _BULLET.sub(r"\1", text)
    return _NUMBERED.sub(r"\1", text) if numbered else text
