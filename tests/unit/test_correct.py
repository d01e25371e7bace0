import pytest

from sluice.config import CorrectConfig
from sluice.correct import correct_outside_entities, load_speller, shift_entities
from sluice.records import Entity


@pytest.fixture(scope="module")
def speller():
    return load_speller()


def ent(text: str, span: str, label: str = "GPE") -> Entity:
    start = text.index(span)
    return Entity(start=start, end=start + len(span), label=label, text=span)


@pytest.mark.parametrize(("typo", "fix"), [
    ("goverment", "government"), ("recieve", "receive"), ("seperate", "separate"),
    ("occured", "occurred"), ("begining", "beginning"), ("untill", "until"),
])
def test_correct_fixes_common_typos(speller, typo, fix):
    text, corrections = correct_outside_entities(f"the {typo} here", [], speller, None,
                                                 CorrectConfig())
    assert text == f"the {fix} here"
    assert [(c.before, c.after) for c in corrections] == [(typo, fix)]


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
    texts = ["the temporao crop"] * 3
    vocab = speller.corpus_vocab(texts, min_count=3)
    _, corrections = correct_outside_entities(texts[0], [], speller, vocab, CorrectConfig())
    assert corrections == []


def test_correct_offsets_point_at_the_fix_and_undo_restores(speller):
    original = "we recieve the seperate goverment report about Paris today"
    entities = [ent(original, "Paris")]
    new, corrections = correct_outside_entities(original, entities, speller, None,
                                                CorrectConfig())
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


@pytest.mark.parametrize("word", ["labor", "centers", "signaled", "eurobonds", "defenses"])
def test_correct_us_spellings_and_plurals_count_as_known(speller, word):
    _, corrections = correct_outside_entities(f"the {word} rose", [], speller, None,
                                              CorrectConfig())
    assert corrections == []


@pytest.mark.parametrize(("text", "fixed"), [
    ("one ofo the largest", "one of the largest"),
    ("it said teh company", "it said the company"),
])
def test_correct_uses_neighbouring_words(speller, text, fixed):
    new, _ = correct_outside_entities(text, [], speller, None, CorrectConfig())
    assert new == fixed


def test_correct_confidence_threshold_holds_back_close_calls(speller):
    cautious = CorrectConfig(min_confidence=50.0)
    _, corrections = correct_outside_entities("the goverment said", [], speller, None,
                                              cautious)
    assert corrections == []
