import pytest

from sluice.config import CorrectConfig, NerConfig
from sluice.correct import load_speller
from sluice.ner import annotate_documents, find_entities, load_ner
from sluice.records import Document


@pytest.fixture(scope="module")
def nlp():
    return load_ner()


def test_ner_loads_only_the_ner_component(nlp):
    assert nlp.pipe_names == ["ner"]


def test_ner_finds_entities_with_offsets(nlp):
    text = "Bill Gates flew to San Francisco on March 3, 1987."
    ents = find_entities([text], nlp)[0]
    assert ("San Francisco", "GPE") in [(e.text, e.label_ if hasattr(e, "label_") else e.label)
                                         for e in ents]
    assert all(text[e.start:e.end] == e.text for e in ents)


def test_ner_protected_correction_keeps_entities_byte_identical(nlp):
    text = ("The goverment of Brazil said it would recieve a seperate offer from "
            "Comissaria Smith in Sao Paulo on March 3.")
    doc = Document(id="d", source="s", format="txt", text=text,
                   metadata={"date": "26-FEB-1987 15:02:20.00"})
    before = find_entities([text], nlp)[0]
    out = annotate_documents([doc], nlp, load_speller(), NerConfig(), CorrectConfig())[0]
    assert {c.before for c in out.corrections} >= {"goverment", "recieve", "seperate"}
    assert [e.text for e in out.entities] == [e.text for e in before]
    assert all(out.text[e.start:e.end] == e.text for e in out.entities)
    for c in out.corrections:
        assert out.text[c.start:c.end] == c.after
        assert not any(e.start < c.end and c.start < e.end for e in out.entities)
    dates = {e.text: e.iso_date for e in out.entities if e.label == "DATE"}
    assert dates.get("March 3") == "1987-03-03"


def test_ner_skips_correction_for_non_english(nlp):
    doc = Document(id="d", source="s", format="txt", text="la goverment est ici",
                   language="fr")
    out = annotate_documents([doc], nlp, load_speller(), NerConfig(), CorrectConfig())[0]
    assert out.corrections == () and out.text == doc.text


def test_ner_correction_after_a_currency_rewrite_keeps_every_offset(nlp):
    from sluice.clean import clean_document
    from sluice.config import CleanConfig

    raw = "The goverment of Brazil will recieve 1.5 mln dlrs from Citibank in March."
    doc = Document(id="d", source="s", format="txt", text=raw,
                   metadata={"date": "26-FEB-1987 15:02:20.00"})
    cleaned = clean_document(doc, CleanConfig(currency_rewrite=True))
    out = annotate_documents([cleaned], nlp, load_speller(), NerConfig(), CorrectConfig())[0]
    assert [c.kind for c in out.corrections] == ["spelling", "spelling", "currency"]
    assert all(out.text[e.start:e.end] == e.text for e in out.entities)
    assert all(out.text[m["start"]:m["end"]] == m["text"] for m in out.metadata["dates"])
    money = out.metadata["currency"][0]  # its text stays as written; the span is rewritten
    assert (money["text"], out.text[money["start"]:money["end"]]) == ("1.5 mln dlrs",
                                                                     "1500000 USD")
    undone = out.text
    for c in reversed(out.corrections):
        undone = undone[:c.start] + c.before + undone[c.end:]
    assert undone == raw


@pytest.mark.parametrize(("language", "corrected"), [("en", True), (None, True), ("de", False)])
def test_ner_corrects_only_configured_languages(nlp, language, corrected):
    doc = Document(id="d", source="s", format="txt", text="the goverment said",
                   language=language)
    out = annotate_documents([doc], nlp, load_speller(), NerConfig(), CorrectConfig())[0]
    assert bool(out.corrections) is corrected


def test_ner_long_text_of_undetected_language_is_not_corrected(nlp):
    text = ("Chère Madame, suite à notre réunion nous confirmons l'offre. " * 6
            + "Für den deutschen Teil schreibt Herr Weber aus München. " * 6)
    doc = Document(id="d", source="s", format="eml", text=text, language=None)
    out = annotate_documents([doc], nlp, load_speller(), NerConfig(), CorrectConfig())[0]
    assert out.corrections == () and out.text == text


def test_ner_short_text_of_undetected_language_is_corrected_as_english(nlp):
    doc = Document(id="d", source="s", format="txt", text="the goverment report", language=None)
    out = annotate_documents([doc], nlp, load_speller(), NerConfig(), CorrectConfig())[0]
    assert [c.after for c in out.corrections] == ["government"]
