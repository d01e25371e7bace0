"""Clean stage: named, ordered, switchable text steps over Documents.

Each step is `Document -> Document`; steps that only touch text never shift entity
offsets because entities are found after cleaning (see sluice.ner).
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Callable, Sequence

import ftfy

from sluice.config import CleanConfig
from sluice.records import Document

Step = Callable[[Document, CleanConfig], Document]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANKS = re.compile(r"\n{3,}")
_TAG = re.compile(r"<(?:html|body|div|p|br|span|table|a\s)[^>]*>", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?:;\"')\]]$")
_BULLET = re.compile(r"^\s*(?:[-*\u2022\u25aa\u25cf]|\d+[.)])\s+")


def fix_mojibake(doc: Document, cfg: CleanConfig) -> Document:
    fixed = ftfy.fix_text(doc.text, normalization=None, fix_line_breaks=False)
    return _with_text(doc, fixed)


def html_to_text(doc: Document, cfg: CleanConfig) -> Document:
    """HTML documents (and text that is plainly HTML) become their main text."""
    if doc.content_type != "text/html" and not _TAG.search(doc.text[:5000]):
        return doc
    from sluice.html import extract_text  # lxml/trafilatura are slow to import

    text = extract_text(doc.text, main_only=cfg.html_main_text)
    return doc.model_copy(update={"text": text, "content_type": "text/plain"})


def control_chars(doc: Document, cfg: CleanConfig) -> Document:
    text = doc.text.replace("\r\n", "\n").replace("\r", "\n")
    return _with_text(doc, _CONTROL.sub("", text))


def unicode(doc: Document, cfg: CleanConfig) -> Document:
    return _with_text(doc, unicodedata.normalize(cfg.unicode_form, doc.text))


def line_wraps(doc: Document, cfg: CleanConfig) -> Document:
    return _with_text(doc, repair_line_wraps(doc.text))


def whitespace(doc: Document, cfg: CleanConfig) -> Document:
    lines = [_SPACES.sub(" ", line).strip() for line in doc.text.split("\n")]
    return _with_text(doc, _BLANKS.sub("\n\n", "\n".join(lines)).strip())


def repair_line_wraps(text: str) -> str:
    """Join lines that a fixed-width layout broke, keep real paragraph and list breaks.

    A break is real when followed by a blank line, an indented line (Reuters marks
    paragraphs with leading spaces) or a list marker, or when the line is much shorter
    than the document's typical line and ends a sentence.
    """
    lines = text.split("\n")
    if len(lines) < 2:
        return text
    typical = statistics.median([len(line) for line in lines if line.strip()] or [0])
    out: list[str] = [lines[0]]
    for prev, line in zip(lines, lines[1:]):
        if _is_real_break(prev, line, typical):
            out.append(line)
        elif out[-1].endswith("-") and line[:1].islower() and not out[-1].endswith(" -"):
            out[-1] = out[-1] + line.lstrip()  # keep the hyphen: "short-\nterm" is a compound
        else:
            out[-1] = out[-1].rstrip() + " " + line.lstrip()
    return "\n".join(out)


def _is_real_break(prev: str, line: str, typical: float) -> bool:
    if not prev.strip() or not line.strip():
        return True
    if line[:1] in (" ", "\t") or _BULLET.match(line):
        return True
    short = len(prev.rstrip()) < 0.6 * typical
    return short and bool(_SENTENCE_END.search(prev.rstrip()))


STEPS: dict[str, Step] = {
    "fix_mojibake": fix_mojibake,
    "html_to_text": html_to_text,
    "control_chars": control_chars,
    "unicode": unicode,
    "line_wraps": line_wraps,
    "whitespace": whitespace,
}


def clean_document(doc: Document, cfg: CleanConfig) -> Document:
    for name in cfg.steps:
        doc = STEPS[name](doc, cfg)
    return doc


def clean_documents(docs: Sequence[Document], cfg: CleanConfig) -> list[Document]:
    return [clean_document(doc, cfg) for doc in docs]


def _with_text(doc: Document, text: str) -> Document:
    return doc if text == doc.text else doc.model_copy(update={"text": text})
