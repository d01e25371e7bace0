"""HTML to text: trafilatura's main-text extraction, with a plain lxml fallback.

The fallback matters for fragments (an e-mail's HTML part, a JSONL field) where
trafilatura finds no "main content" and would return nothing.

Untrusted HTML must cost linear time. The page is parsed once, by trafilatura's own loader (so
a normal page gives trafilatura the very tree it would have built itself), then:
- a table row of more than MAX_ROW_CELLS cells is split into rows of that many: trafilatura
  2.3 counts a row's cells once per cell (quadratic: 32,000 cells in one row took 8-20 s);
- a page of more than MAX_ELEMENTS elements, or of more than MAX_NESTED_P paragraphs inside
  other paragraphs, goes to the linear fallback: trafilatura spends about 80 us an element on
  a flood of `<p>` (a 20 MB file would take minutes), and joins the text of every paragraph
  nested in a paragraph onto one growing string (quadratic: after an unknown tag such as a
  ticker `<PAN>` every later `<p>` nests; 40,000 of them took 48-51 s). The largest of 1,199
  real pages measured has 1,181 elements and no nested paragraph (bench/hostile_inputs.py has
  the flood as kind `html_tag_flood`);
- a page nested deeper than libxml2's limit (256) loses everything below it in the tree, so
  its text comes from `markup.visible_text` instead, a linear scan that keeps all of it.
"""

from __future__ import annotations

import logging
from html import unescape

import lxml.html
import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.settings import DEFAULT_CONFIG
from trafilatura.utils import HTML_PARSER as PARSER  # the parser load_html uses
from trafilatura.utils import load_html

from sluice.markup import visible_text

logging.getLogger("trafilatura").setLevel(logging.ERROR)

_BLOCK_TAGS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table")
_DROP_TAGS = ("script", "style", "noscript", "head", "template")
_CELLS = ("td", "th")
MAX_ROW_CELLS = 256  # real tables have tens of columns
MAX_ELEMENTS = 50_000  # 4 s of trafilatura on a quiet 2-core machine, 7 s at load 13
MAX_NESTED_P = 1_000  # about 0.1 s of trafilatura's joining
# libxml2 nests at most 256 deep, so each paragraph's ancestor test is bounded: linear.
_NESTED_P = etree.XPath("count(//p[ancestor::p])")
_MAX_FILE_SIZE = DEFAULT_CONFIG.getint("DEFAULT", "MAX_FILE_SIZE")


def extract_text(html: str, main_only: bool = True) -> str:
    if main_only:
        tree = load_html(html, _MAX_FILE_SIZE)
        if _cut_short(PARSER):
            return unescape(visible_text(html))
        if tree is not None and _flooded(tree):
            return _text_of(tree)  # no main-text detection: linear
        if tree is not None:
            _split_wide_rows(tree)
            text = trafilatura.extract(tree, include_comments=False, include_tables=True,
                                       favor_recall=True, deduplicate=False)
            if text and text.strip():
                return text
    return all_text(html)


def all_text(html: str) -> str:
    try:
        root = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return html
    if _cut_short(lxml.html.html_parser):
        return unescape(visible_text(html))
    return _text_of(root)


def _cut_short(parser: etree.HTMLParser) -> bool:
    """Whether the parser's last run stopped at a limit (libxml2's depth of 256)."""
    return any(error.type_name == "ERR_RESOURCE_LIMIT" for error in parser.error_log)


def _text_of(root: HtmlElement) -> str:
    for bad in root.iter(*_DROP_TAGS):
        bad.drop_tree()
    for block in root.iter(*_BLOCK_TAGS):
        block.tail = "\n" + (block.tail or "")
    return root.text_content()


def _flooded(tree: HtmlElement) -> bool:
    count = 0
    for _ in tree.iter():
        count += 1
        if count > MAX_ELEMENTS:
            return True
    return _NESTED_P(tree) > MAX_NESTED_P


def _split_wide_rows(tree: HtmlElement) -> None:
    """Rows (and cells sitting directly in a table, which trafilatura treats as one row) of
    more than MAX_ROW_CELLS cells become several rows, cells and text in their order."""
    for parent in list(tree.iter("tr", "table")):
        cells = [child for child in parent if child.tag in _CELLS]
        if len(cells) <= MAX_ROW_CELLS:
            continue
        after = parent
        for start in range(MAX_ROW_CELLS if parent.tag == "tr" else 0, len(cells),
                           MAX_ROW_CELLS):
            row = lxml.html.Element("tr")
            if parent.tag == "tr":  # the next rows follow it
                after.addnext(row)
                after = row
            else:  # cells loose in the table: each group becomes a row where it stood
                cells[start].addprevious(row)
            row.extend(cells[start:start + MAX_ROW_CELLS])  # moves them, tails included
