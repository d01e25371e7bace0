"""Markup in untrusted text, always in linear time.

`visible_text` and `html_title` read raw HTML. `defuse` keeps live markup out of stored text: a
page that shows a stored text or title unescaped must not run what the source had escaped
(`&lt;script&gt;` unescaped is a live `<script>`). Only tag-like sequences that can run or load
something are touched: a tag of a scripting or embedding element, a loading element's tag with
an attribute, or any tag with an `on...=` handler or a `javascript:` URL. Their "<" becomes
U+2039 ("‹"), which reads the same and is no tag. Reuters' tickers ("<PAN>") and prose
("a < b") stay.
"""

from __future__ import annotations

import re
from html import unescape

DEFUSED_LT = "\u2039"
# Elements that run or hide code whatever their attributes...
_CODE_TAGS = "script|style|iframe|frame|frameset|object|embed|applet|svg|math|template|" \
    "noscript|xmp|plaintext|noembed|noframes"
# ...and ones that load or send something only through an attribute (so Reuters' company
# names "<Video Shopping Mall Inc>" and tickers "<BASE>" stay as they are).
_LOADING_TAGS = "img|image|video|audio|source|track|base|link|meta|form|input|button|" \
    "textarea|select|body|html|a|area|details|marquee|isindex|portal"
# Each alternative is linear: names are bounded, and an attribute scan stops at the next "<"
# or ">", so no text is rescanned from a later "<".
# The first lookahead (a letter after "<") rejects most "<" before the name lists are tried.
_LIVE = re.compile(
    r"<(?=\s*/?\s*[a-z])(?:"
    rf"(?=\s*/?\s*(?:{_CODE_TAGS})\b)"
    rf"|(?=\s*(?:{_LOADING_TAGS})\b[^<>]*=)"
    r"|(?=/?[a-z][^<>]*?(?:\bon[a-z]+\s*=|javascript:)))",
    re.IGNORECASE,
)


# Raw HTML is untrusted: no pattern over it may backtrack, so tags and comments are found with
# str.find from left to right (linear) rather than with lazy regexes (quadratic on "<!--" * n).
_RAW_TEXT = re.compile(r"<(script|style|template)\b", re.IGNORECASE)


def defuse(text: str) -> tuple[str, int]:
    """The text with the "<" of every live tag replaced, and how many were replaced."""
    if "<" not in text:
        return text, 0
    return _LIVE.subn(DEFUSED_LT, text)


def visible_text(html: str) -> str:
    """The text outside tags, comments and script/style/template elements, in one pass.

    An element or comment left open runs to the end, as in a browser; a "<" with no ">" after
    it is text.
    """
    out: list[str] = []
    i = 0
    while (j := html.find("<", i)) >= 0:
        out.append(html[i:j])
        if html.startswith("<!--", j):
            end, width = html.find("-->", j + 4), 3
        elif raw := _RAW_TEXT.match(html, j):
            close = _find_ci(html, "</" + raw.group(1), j)
            end, width = (html.find(">", close) if close >= 0 else -1), 1
        else:
            end, width = html.find(">", j), 1
            if end < 0:
                out.append(html[j:])  # no ">" anywhere after: no tag can start from here on
                return " ".join(out)
        if end < 0:
            return " ".join(out)
        i = end + width
    out.append(html[i:])
    return " ".join(out)


def _find_ci(text: str, needle: str, start: int) -> int:
    # A literal pattern: the regex engine scans it like str.find, without backtracking.
    found = re.compile(re.escape(needle), re.IGNORECASE).search(text, start)
    return found.start() if found else -1


def html_title(html: str) -> str | None:
    """The first <title> element's text, found with str.find (see `visible_text`)."""
    start = _find_ci(html, "<title", 0)
    opened = html.find(">", start) if start >= 0 else -1
    end = _find_ci(html, "</title", opened) if opened >= 0 else -1
    if end < 0:
        return None
    title = " ".join(unescape(html[opened + 1:end]).split())
    return title or None
