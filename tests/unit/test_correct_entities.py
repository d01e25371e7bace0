"""The correction call site in the NER stage: which entities protect their words, and which
documents are corrected at all. Entities are hand-built (as spaCy's tagger gives them) on
real Reuters sentences; the corpus index is the 0-based line of reuters-21578.jsonl.gz."""

import pytest

from sluice.config import CorrectConfig
from sluice.correct import load_speller
from sluice.ner import _annotate
from sluice.records import Document, Entity

# Reuters 16 and 374, with a real misspelling injected
TEXT = ("Customers who use the program will recieve a computer-generated report, and Stuart "
        "will operate as seperate units")


@pytest.fixture(scope="module")
def speller():
    return load_speller()


def entity(text: str, span: str, label: str) -> Entity:
    start = text.index(span)
    return Entity(start=start, end=start + len(span), label=label, text=span)


def annotate(speller, text: str, entities: list[Entity], language: str | None = "en"):
    doc = Document(id="d", source="reuters", format="jsonl", text=text, language=language)
    return _annotate(doc, entities, speller, None, CorrectConfig())


def test_correct_lowercase_misspelling_tagged_person_is_fixed_and_untagged(speller):
    out = annotate(speller, TEXT, [entity(TEXT, "recieve", "PERSON"),
                                   entity(TEXT, "Stuart", "PERSON")])
    assert [(c.before, c.after) for c in out.corrections] == [("recieve", "receive"),
                                                               ("seperate", "separate")]
    assert [e.text for e in out.entities] == ["Stuart"]
    assert all(out.text[e.start:e.end] == e.text for e in out.entities)


@pytest.mark.parametrize(("span", "label"), [
    ("Customers", "ORG"),  # capitalised: a name
    ("computer-generated report", "PRODUCT"),  # several words
    ("seperate units", "ORG"),
])
def test_correct_other_entities_still_protect_their_words(speller, span, label):
    out = annotate(speller, TEXT, [entity(TEXT, span, label)])
    assert out.entities[0].text == span and out.text[out.entities[0].start:].startswith(span)


def test_correct_undetected_short_foreign_text_is_not_corrected(speller):
    text = "la goverment est ici"  # French words around a misspelling
    assert annotate(speller, text, [], language=None).corrections == ()


def test_correct_undetected_short_english_text_is_corrected(speller):
    text = "the goverment report"
    out = annotate(speller, text, [], language=None)
    assert [c.after for c in out.corrections] == ["government"]
