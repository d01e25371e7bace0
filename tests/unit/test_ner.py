import itertools

import pytest

from sluice.config import CorrectConfig, NerConfig
from sluice.correct import load_speller
from sluice.ner import annotate_documents, char_bounded, cut_points, find_entities, load_ner
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


def test_ner_char_bounded_keeps_order_and_both_bounds():
    texts = ["a" * 300, "b" * 300, "c" * 500, "d" * 2000, "e" * 10, "f" * 10, "g" * 10]
    parts = char_bounded(texts, max_count=2, max_chars=1000)
    assert [t for part in parts for t in part] == texts
    assert all(len(part) <= 2 for part in parts)
    assert all(sum(map(len, part)) <= 1000 for part in parts if len(part) > 1)
    assert ["d" * 2000] in parts  # longer than the bound: alone, not dropped


def test_ner_entities_do_not_depend_on_the_character_bound(nlp):
    texts = ["Reuters reported that IBM opened an office in Tokyo.",
             "The Federal Reserve met in Washington on Tuesday.",
             "Shell and BP traded in London."] * 5
    whole = find_entities(texts, nlp, batch_size=64, batch_chars=1_000_000)
    assert find_entities(texts, nlp, batch_size=64, batch_chars=60) == whole
    assert sum(map(len, whole)) >= 30


def test_ner_memory_zone_frees_the_strings_a_batch_adds(nlp):
    before = len(nlp.vocab.strings)
    find_entities([f"Zqxv{i} met Wrrk{i} in Plmq{i}." for i in range(200)], nlp)
    assert len(nlp.vocab.strings) - before < 50


@pytest.mark.parametrize(("places", "iso"), [(["canada"], "1987-10-12"), (["usa"], "1987-11-26")])
def test_ner_date_entities_use_the_document_country_calendar(places, iso):
    # A Reuters-style wire (dated 20-OCT-1987): Canada's Thanksgiving is in October.
    doc = Document(id="1", source="s", format="txt",
                   text="Retail sales in Toronto rose sharply over Thanksgiving, the council said.",
                   metadata={"date": "20-OCT-1987 10:00:00.00", "places": places})
    [out] = annotate_documents([doc], load_ner(), None, NerConfig(), CorrectConfig())
    assert [(e.text, e.iso_date) for e in out.entities if e.label == "DATE"] == [
        ("Thanksgiving", iso)]


def test_ner_dates_resolve_against_the_document_date_the_clean_stage_found(nlp):
    # The text's first full date is the anchor of the later "March 3" ...
    text = "Talks opened in Paris on February 26, 1987. A vote is due on March 3."
    meta = {"date": None}
    clean_found = dict(meta, document_date=None)  # ... unless the clean stage found none
    got = {}
    for name, metadata in (("unset", meta), ("none", clean_found),
                           ("set", dict(meta, document_date="1990-01-01"))):
        doc = Document(id=name, source="s", format="txt", text=text, metadata=metadata)
        [out] = annotate_documents([doc], nlp, None, NerConfig(), CorrectConfig())
        got[name] = {e.text: e.iso_date for e in out.entities if e.label == "DATE"}
    assert got["unset"]["March 3"] == "1987-03-03"  # no temporal step ran: found here
    assert got["none"].get("March 3") is None  # the step looked and found no anchor
    assert got["set"]["March 3"] == "1990-03-03"  # the step's anchor is used as found


def test_ner_cut_points_cover_the_text_at_paragraph_ends():
    text = ("A paragraph of words. " * 30 + "\n\n") * 20
    cuts = cut_points(text, 2000)
    assert cuts[0][0] == 0 and cuts[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(cuts))
    assert all(end - start <= 2000 for start, end in cuts)
    assert all(text[:end].endswith("\n\n") for _, end in cuts[:-1])
    assert cut_points("x" * 50, 20) == [(0, 20), (20, 40), (40, 50)]  # no separator: at size


def test_ner_long_speech_in_pieces_has_the_entities_of_the_whole(nlp):
    from pathlib import Path

    sotu = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "sotu"
    if not sotu.is_dir():
        pytest.skip(f"the State of the Union corpus is not at {sotu} (../shared absent)")
    text = (sotu / "1907_theodore_roosevelt_r.txt").read_text(encoding="utf-8")[:60_000]
    whole = find_entities([text], nlp, batch_chars=10**9)[0]
    pieces = find_entities([text], nlp, batch_chars=20_000)[0]
    assert len(cut_points(text, 20_000)) >= 3
    assert pieces == whole and len(whole) > 200


def test_ner_model_is_loaded_afresh_past_its_vocabulary_growth(monkeypatch):
    """spaCy keeps a lexeme per distinct token it saw: past VOCAB_GROWTH new ones the model
    is reloaded (the memory freed), and the entities stay the same."""
    import random
    import string

    from sluice import ner

    monkeypatch.setattr(ner, "VOCAB_GROWTH", 5_000)
    text = "Reuters reported that Shell sold its stake in Rotterdam to Total on Monday."
    first = ner.ner_model()
    [before] = find_entities([text], first)
    rnd = random.Random(7)
    junk = " ".join("".join(rnd.choices(string.ascii_lowercase, k=9)) for _ in range(6_000))
    find_entities([junk], first)
    assert len(first.vocab) > 6_000  # the junk words became lexemes
    fresh = ner.ner_model()
    assert fresh is not first and len(fresh.vocab) < 6_000
    assert find_entities([text], fresh) == [before]
    assert ner.ner_model() is fresh  # not reloaded again while under the growth
