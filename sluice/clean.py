"""Clean stage: named, ordered, switchable steps over a batch of Documents.

Text-changing steps run first; the last steps (currency, units, temporal) only add
metadata mentions with offsets, or rewrite text as recorded Corrections, so every offset
stays valid. Entities are found after cleaning (see sluice.ner).
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache

import ftfy

from sluice.boilerplate import repeated_edge_lines, strip_boilerplate
from sluice.config import CleanConfig
from sluice.contacts import handle_contacts
from sluice.currency import document_context, find_currency
from sluice.date_words import document_country
from sluice.dates import dated
from sluice.edits import Edit, apply_edits
from sluice.email_text import strip_email
from sluice.language import detect_language
from sluice.markup import defuse
from sluice.numbers import normalise_numbers
from sluice.records import Document
from sluice.typography import normalise_punctuation, strip_list_markers
from sluice.units import find_units

DocStep = Callable[[Document, CleanConfig], Document]
Step = Callable[[list[Document], CleanConfig], list[Document]]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANKS = re.compile(r"\n{3,}")
# A tag name must end at whitespace, "/" or ">": Reuters tickers such as "<PAN>" or "<BRK>"
# are not tags. Two of them make a text HTML; one could be a stray "<P>".
_TAG = re.compile(r"</?(?:html|body|div|p|br|span|table|tr|td|li|ul|a|b|i|font)(?:\s[^>]*)?/?>",
                  re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?:;\"')\]]$")
_BULLET = re.compile(r"^\s*(?:[-*\u2022\u25aa\u25cf]|\d+[.)])\s+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# What ftfy can change with line breaks left alone: non-ASCII (mojibake, widths, ligatures),
# "&" (HTML entities) and control characters. Printable ASCII besides "&" it never touches.
_FTFY_WORK = re.compile(r"[^\t\n\r -%'-~]")
_KEEP_FORMS = ("<super>", "<sub>", "<fraction>")  # NFKC would change the number: 1½ -> 11⁄2


_FTFY = ftfy.TextFixerConfig(explain=False, normalization=None, fix_line_breaks=False)


def fix_mojibake(doc: Document, cfg: CleanConfig) -> Document:
    if not _FTFY_WORK.search(doc.text):
        return doc  # ftfy would look at it line by line (~30 us a line) and change nothing
    return _with_text(doc, fix_text(doc.text))


def fix_text(text: str) -> str:
    """ftfy.fix_text(text, _FTFY), the same result by ftfy's own loop over the lines; only a
    line with work for ftfy (_FTFY_WORK) is handed to it. In a text with one "&lt;" most lines
    have none, and ftfy spends about 30 us on each line it is given."""
    config, out, pos = _FTFY, [], 0
    while pos < len(text):
        end = min(text.find("\n", pos) + 1 or len(text), pos + config.max_decode_length)
        line = text[pos:end]
        if config.unescape_html == "auto" and "<" in line:  # ftfy's rule: "<" ends unescaping
            config = config._replace(unescape_html=False)
        out.append(ftfy.fix_and_explain(line, config)[0] if _FTFY_WORK.search(line) else line)
        pos = end
    return "".join(out)


def html_to_text(doc: Document, cfg: CleanConfig) -> Document:
    """HTML documents (and text that is plainly HTML) become their main text."""
    if doc.content_type != "text/html" and len(_TAG.findall(doc.text[:5000])) < 2:
        return doc
    from sluice.html import extract_text  # lxml/trafilatura are slow to import

    text = extract_text(doc.text, main_only=cfg.html_main_text)
    return doc.model_copy(update={"text": text, "content_type": "text/plain"})


def email(doc: Document, cfg: CleanConfig) -> Document:
    if cfg.email_only_mail and doc.format != "eml":
        return doc
    return _with_text(doc, strip_email(doc.text))


def control_chars(doc: Document, cfg: CleanConfig) -> Document:
    text = doc.text.replace("\r\n", "\n").replace("\r", "\n")
    return _with_text(doc, _CONTROL.sub("", text))


def unicode(doc: Document, cfg: CleanConfig) -> Document:
    text = unicodedata.normalize("NFC", doc.text)
    if cfg.unicode_form == "NFKC":
        text = _NON_ASCII.sub(lambda m: _compatible(m.group()), text)
    return _with_text(doc, text)


@lru_cache(maxsize=4096)
def _compatible(char: str) -> str:
    return char if unicodedata.decomposition(char).startswith(_KEEP_FORMS) else \
        unicodedata.normalize("NFKC", char)


def boilerplate(docs: list[Document], cfg: CleanConfig) -> list[Document]:
    shared = shared_lines(docs, cfg)
    return [strip_shared(d, shared, cfg) for d in docs]


def shared_lines(docs: Sequence[Document], cfg: CleanConfig) -> frozenset[str]:
    """The batch's part of the boilerplate step: edge lines that many documents share."""
    return repeated_edge_lines([d.text for d in docs], cfg.boilerplate_edge_lines,
                               cfg.boilerplate_min_share, cfg.boilerplate_min_docs)


def strip_shared(doc: Document, shared: frozenset[str], cfg: CleanConfig) -> Document:
    """The per-document part of the boilerplate step."""
    text = strip_boilerplate(doc.text, shared, signoff=re.compile(cfg.signoff),
                             edge=cfg.boilerplate_edge_lines,
                             min_repeats=cfg.boilerplate_page_repeats)
    return _with_text(doc, text)


def line_wraps(doc: Document, cfg: CleanConfig) -> Document:
    return _with_text(doc, repair_line_wraps(doc.text))


def list_markers(doc: Document, cfg: CleanConfig) -> Document:
    return _with_text(doc, strip_list_markers(doc.text, cfg.list_numbers))


def punctuation(doc: Document, cfg: CleanConfig) -> Document:
    return _with_text(doc, normalise_punctuation(doc.text))


def contacts(doc: Document, cfg: CleanConfig) -> Document:
    text = doc.text
    for kind, mode in (("email", cfg.emails), ("url", cfg.urls), ("phone", cfg.phones)):
        text = handle_contacts(text, kind, mode)
    return _with_text(doc, text)


def numbers(doc: Document, cfg: CleanConfig) -> Document:
    return _with_text(doc, normalise_numbers(doc.text))


def whitespace(doc: Document, cfg: CleanConfig) -> Document:
    lines = [_SPACES.sub(" ", line).strip() for line in doc.text.split("\n")]
    return _with_text(doc, _BLANKS.sub("\n\n", "\n".join(lines)).strip())


def language(doc: Document, cfg: CleanConfig) -> Document:
    if doc.language is not None:
        return doc  # declared by the source (an e-mail header, a JSONL field)
    found = detect_language(doc.text, cfg.language_min_words)
    return doc.model_copy(update={"language": found}) if found else doc


def currency(doc: Document, cfg: CleanConfig) -> Document:
    # a bare "$" is the dollar of the document's country: Reuters places, sender, text
    mentions = find_currency(doc.text, document_context(doc.metadata, doc.text))
    rewrites = [Edit(m["start"], m["end"], f"{_plain(m['amount'])} {m['currency']}", "currency")
                for m in mentions] if cfg.currency_rewrite else []
    return apply_edits(_with_meta(doc, "currency", mentions), rewrites)


def units(doc: Document, cfg: CleanConfig) -> Document:
    money = [(m["start"], m["end"]) for m in doc.metadata.get("currency", [])]
    mentions = find_units(doc.text, skip=money)
    rewrites = [Edit(m["start"], m["end"], f"{_plain(m['si_value'])} {m['si_unit']}", "unit")
                for m in mentions] if cfg.units_rewrite else []
    return apply_edits(_with_meta(doc, "units", mentions), rewrites)


def temporal(doc: Document, cfg: CleanConfig) -> Document:
    anchor, found = dated(doc.metadata, doc.text, document_country(doc.metadata))
    doc = _with_meta(doc, "document_date", anchor.isoformat() if anchor else None)
    return _with_meta(doc, "dates", found)


def defuse_markup(doc: Document) -> Document:
    """Always last, whatever the steps: stored text never holds a live tag (sluice.markup).
    One character for one, so the offsets that later steps recorded stay valid."""
    text, count = defuse(doc.text)
    if not count:
        return doc
    total = doc.metadata.get("markup_defused", 0) + count
    return _with_meta(_with_text(doc, text), "markup_defused", total)


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
    # An output line is kept as its pieces: appending to one growing string copied it each
    # time, quadratic over a long run of joined lines ("-\n" * 200,000 took seconds).
    out: list[list[str]] = [[lines[0]]]
    for prev, line in zip(lines, lines[1:], strict=False):
        joined = out[-1]
        tail = "".join(joined[-2:])[-2:]  # pieces after the first are never empty
        if _is_real_break(prev, line, typical):
            out.append([line])
        elif tail.endswith("-") and line[:1].islower() and tail != " -":
            joined.append(line.lstrip())  # keep the hyphen: "short-\nterm" is a compound
        else:
            joined[-1] = joined[-1].rstrip()
            joined += [" ", line.lstrip()]
    return "\n".join("".join(pieces) for pieces in out)


def _is_real_break(prev: str, line: str, typical: float) -> bool:
    if not prev.strip() or not line.strip():
        return True
    if line[:1] in (" ", "\t") or _BULLET.match(line):
        return True
    short = len(prev.rstrip()) < 0.6 * typical
    return short and bool(_SENTENCE_END.search(prev.rstrip()))


def _each(step: DocStep) -> Step:
    return lambda docs, cfg: [step(d, cfg) for d in docs]


STEPS: dict[str, Step] = {
    "boilerplate": boilerplate,  # needs the whole batch: lines shared by many documents
    **{name: _each(fn) for name, fn in (
        ("fix_mojibake", fix_mojibake), ("html_to_text", html_to_text), ("email", email),
        ("control_chars", control_chars), ("unicode", unicode), ("line_wraps", line_wraps),
        ("list_markers", list_markers), ("punctuation", punctuation), ("contacts", contacts),
        ("numbers", numbers), ("whitespace", whitespace), ("language", language),
        ("currency", currency), ("units", units), ("temporal", temporal))},
}


BATCH_STEPS = ("boilerplate",)


def clean_documents(docs: Sequence[Document], cfg: CleanConfig) -> list[Document]:
    out = list(docs)
    for name in cfg.steps:
        out = STEPS[name](out, cfg)
    return [defuse_markup(d) for d in out]


def phases(steps: Sequence[str]) -> list[tuple[str, ...]]:
    """The steps in runs of per-document steps, each batch step alone between them."""
    runs: list[tuple[str, ...]] = []
    for name in steps:
        if name in BATCH_STEPS or not runs or runs[-1][0] in BATCH_STEPS:
            runs.append((name,))
        else:
            runs[-1] = (*runs[-1], name)
    return runs


def clean_steps(doc: Document, names: Sequence[str], cfg: CleanConfig) -> Document:
    """Per-document steps on one document."""
    for name in names:
        doc = STEPS[name]([doc], cfg)[0]
    return doc


def clean_document(doc: Document, cfg: CleanConfig) -> Document:
    return clean_documents([doc], cfg)[0]


def _with_text(doc: Document, text: str) -> Document:
    return doc if text == doc.text else doc.model_copy(update={"text": text})


def _with_meta(doc: Document, key: str, value) -> Document:
    return doc.model_copy(update={"metadata": {**doc.metadata, key: value}})


def _plain(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")
