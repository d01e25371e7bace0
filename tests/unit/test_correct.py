"""Spelling correction on real sentences: Reuters-21578 and SpamAssassin lines (the corpus
index, the 0-based line of ../shared/corpora/*.jsonl.gz, is cited; only even ones, the
tuning half), with real misspellings injected where a fix is expected."""

import time

import pytest

from sluice.config import CorrectConfig
from sluice.correct import correct_outside_entities, load_speller, shift_entities
from sluice.known_words import load_lexicon
from sluice.records import Entity


@pytest.fixture(scope="module")
def speller():
    return load_speller()


def ent(text: str, span: str, label: str = "GPE") -> Entity:
    start = text.index(span)
    return Entity(start=start, end=start + len(span), label=label, text=span)


def changes(speller, text: str, cfg: CorrectConfig | None = None) -> list[tuple[str, str]]:
    _, corrections = correct_outside_entities(text, [], speller, None, cfg or CorrectConfig())
    return [(c.before, c.after) for c in corrections]


@pytest.mark.parametrize(("text", "typo", "fix"), [
    # Reuters 16
    ("Customers who use the program will recieve a computer-generated report and "
     "recommendations for implementing a program", "recieve", "receive"),
    # Reuters 46
    ("The crumbling of the plan has been accompanied by a dramatic reversal in the foreign "
     "trade acount.", "acount", "account"),
    ("In 1984 and 1985 Brazil's anual trade surpluses had been sufficient to cover the 12 "
     "billion dlrs needed", "anual", "annual"),
    # Reuters 7498
    ("Drexel's Ramirez did not comit herself either way, adding that the next major move may "
     "have to wait until April 14", "comit", "commit"),
    # Reuters 48
    ("goverment agency, said in its daily operations report that there was a backlog of 39 "
     "ships waiting to enter the canal early today.", "goverment", "government"),
    # Reuters 374
    ("ICI Pharma and Stuart will operate as seperate units of ICI Pharmaceuticals Group, it "
     "said.", "seperate", "separate"),
    # SpamAssassin 236, a misspelling as written
    ("ive just gotton myself a modem (no its not a winmodem, yes im sure) it dials",
     "gotton", "gotten"),
])
def test_correct_fixes_real_typos_in_real_sentences(speller, text, typo, fix):
    assert changes(speller, text) == [(typo, fix)]


@pytest.mark.parametrize("text", [
    # SpamAssassin 44, 84, 296, 406, 564, 1228: apostrophe-less contractions
    ">So thats the trick, just let any anecdotal utterances you LIKE be deemed",
    "_that_ big of a project into a 32K ROM, so large project issues dont matter",
    "> If the creator didnt say you could have it without paying, it's theft, so",
    "> You dont use batteries for a 1/4 mile run, you use capacitors. MANY times",
    "SO I wont be bursting anyones thursdaynight plans if I smarkout and say",
    "Since I upgraded to redhat8 mplayer -vo sdl isnt working for me",
    # SpamAssassin 254: slang
    "really sloooww !! lol",
    # Reuters 13732: a US spelling
    "The overnight sell-off was partly due to skepticism that this week's monetary talks "
    "will yield new or lasting measures to stabilise currencies.",
])
def test_correct_leaves_contractions_slang_and_us_spelling(speller, text):
    assert changes(speller, text) == []


@pytest.mark.parametrize("word", [
    "tailender", "wheatbelt", "frontbencher", "unindicted", "reoffending", "undocked",
    "omg", "tonite", "tumblr", "wipro", "labor", "centers", "signaled", "eurobonds",
])
def test_correct_leaves_words_web_text_knows(speller, word):
    # Reuters 46, the word in place of "trade"
    text = f"accompanied by a dramatic reversal in the foreign {word} account."
    assert changes(speller, text) == []


def test_correct_leaves_loya_jirga(speller):
    # Reuters-style wire wording: a domain phrase of two rare words
    assert changes(speller, "a loya jirga, or grand council of tribal elders, met") == []


@pytest.mark.parametrize("text", [
    # Reuters 16, the misspelling quoted, as code, in a URL, a hashtag and a handle
    'Customers who use the program will "recieve" a computer-generated report',
    "Customers who use the program will `recieve` a computer-generated report",
    "Customers who use the program see http://example.com/recieve today",
    "Customers who use the program will #recieve a computer-generated report",
    "Customers who use the program will @recieve a computer-generated report",
])
def test_correct_leaves_quotes_code_urls_and_tags(speller, text):
    assert changes(speller, text) == []


def test_correct_leaves_a_foreign_phrase_but_fixes_the_english(speller):
    # Reuters 46 with a French aside
    text = ("a dramatic reversal, je vous remercie beaucoup pour votre aide, in the foreign "
            "trade acount.")
    assert changes(speller, text) == [("acount", "account")]


def test_correct_never_touches_an_entity(speller):
    text = "officials in san francisko said the goverment agreed"
    entities = [ent(text, "san francisko")]
    new, corrections = correct_outside_entities(text, entities, speller, None, CorrectConfig())
    moved = shift_entities(entities, corrections)
    assert "san francisko" in new and "government" in new
    assert new[moved[0].start:moved[0].end] == "san francisko"


@pytest.mark.parametrize("token", [
    "Goverment", "GOVERMENT", "goverment2", "www.goverment.com", "bob@goverment.org",
    "anti-goverment", "th",
])
def test_correct_guards_leave_token_alone(speller, token):
    text, corrections = correct_outside_entities(f"see {token} now", [], speller, None,
                                                 CorrectConfig())
    assert corrections == [] and text == f"see {token} now"


def test_correct_corpus_vocabulary_protects_domain_words(speller):
    # Reuters 0: "temporao", the Bahia cocoa mid-crop
    texts = ["prospects for the coming temporao, although normal humidity levels"] * 3
    vocab = speller.corpus_vocab(texts, min_count=3)
    _, corrections = correct_outside_entities(texts[0], [], speller, vocab, CorrectConfig())
    assert "temporao" in vocab and corrections == []


def test_correct_offsets_point_at_the_fix_and_undo_restores(speller):
    # Reuters 16 and 374 with misspellings, "Paris" an entity
    original = ("Customers in Paris will recieve a computer-generated report and will operate "
                "as seperate units")
    entities = [ent(original, "Paris")]
    new, corrections = correct_outside_entities(original, entities, speller, None,
                                                CorrectConfig())
    assert [c.after for c in corrections] == ["receive", "separate"]
    for c in corrections:
        assert new[c.start:c.end] == c.after
    undone = new
    for c in reversed(corrections):
        undone = undone[:c.start] + c.before + undone[c.end:]
    assert undone == original
    moved = shift_entities(entities, corrections)
    assert new[moved[0].start:moved[0].end] == "Paris"


def test_correct_corpus_vocabulary_does_not_protect_a_repeated_typo(speller):
    texts = ["teh price of the crop and the rest of the market"] * 5 + ["the"] * 100
    assert "teh" not in speller.corpus_vocab(texts, min_count=3)


def test_correct_confidence_threshold_holds_back_close_calls(speller):
    text = "Drexel's Ramirez did not comit herself either way"  # Reuters 7498
    assert changes(speller, text) == [("comit", "commit")]
    assert changes(speller, text, CorrectConfig(min_confidence=50.0)) == []


def test_correct_short_word_needs_context(speller):
    # SpamAssassin-style tool names of 3-4 letters stay; "wll" before "be" is fixed
    assert changes(speller, "the wav files and the alsa drivers") == []
    assert changes(speller, "the company said it wll be sold") == [("wll", "will")]


def test_correct_lexicon_loads_from_cache_fast(speller):
    started = time.perf_counter()
    lexicon = load_lexicon()
    assert time.perf_counter() - started < 2.0  # about 0.1 s; built once per machine
    assert lexicon.zipf("skepticism") > 3 and lexicon.count("skepticism") == 0
    assert ("receive", 1) in lexicon.candidates("recieve", 2)
