"""HTML to text: trafilatura's main-text extraction, with a plain lxml fallback.

The fallback matters for fragments (an e-mail's HTML part, a JSONL field) where
trafilatura finds no "main content" and would return nothing.
"""

from __future__ import annotations

import logging

import lxml.html
import trafilatura

logging.getLogger("trafilatura").setLevel(logging.ERROR)

_BLOCK_TAGS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table")
_DROP_TAGS = ("script", "style", "noscript", "head", "template")


def extract_text(html: str, main_only: bool = True) -> str:
    if main_only:
        text = trafilatura.extract(html, include_comments=False, include_tables=True,
                                   favor_recall=True, deduplicate=False)
        if text and text.strip():
            return text
    return all_text(html)


def all_text(html: str) -> str:
    try:
        root = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return html
    for bad in root.iter(*_DROP_TAGS):
        bad.drop_tree()
    for block in root.iter(*_BLOCK_TAGS):
        block.tail = "\n" + (block.tail or "")
    return root.text_content()
