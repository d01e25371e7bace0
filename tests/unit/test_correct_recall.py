"""The recall rules of issue 10's third corrector round, each on real text: the first letter
is seldom wrong, a short word's fix that leads all rivals by far needs no more context than a
long word's, a long word's slips cost less against keeping it and its fix may be rarer, and a
prefix swapped for another builds another word. Sentences are from even-indexed (tuning)
documents of ../shared/corpora/*.jsonl.gz, cited by 0-based line, as their authors wrote
them; the misspellings are theirs."""

import pytest

from sluice.config import CorrectConfig
from sluice.correct import correct_outside_entities, load_speller
from sluice.typo_channel import channel_cost
from sluice.typo_cost import CHANNEL_WEIGHT, FIRST_LETTER, typo_cost


@pytest.fixture(scope="module")
def speller():
    return load_speller()


def changes(speller, text: str) -> list[tuple[str, str]]:
    _, corrections = correct_outside_entities(text, [], speller, None, CorrectConfig())
    return [(c.before, c.after) for c in corrections]


def test_typo_cost_charges_a_changed_first_letter():
    def charged(word: str, term: str) -> float:  # what typo_cost adds to the learned channel
        return typo_cost(word, term) - CHANNEL_WEIGHT * channel_cost(word, term)

    assert charged("bauma", "obama") == pytest.approx(FIRST_LETTER)  # a letter before the first
    assert charged("pudge", "judge") == pytest.approx(FIRST_LETTER)
    assert typo_cost("ommited", "committed") > typo_cost("ommited", "omitted")
    # ...but not two first letters swapped, nor one vowel for another
    assert charged("htis", "this") == pytest.approx(0.0)
    assert charged("intrusted", "entrusted") == pytest.approx(0.0)


def test_lowercase_trade_fair_name_is_not_made_a_name(speller):
    # samples/jsonl/newswire_briefs.jsonl, line 13
    text = ("MUNICH, May 22 - Exhibitors at the bauma construction fair in Munich reported "
            "orders worth more than 1.5 billion euros, organiser Messe Muenchen said.")
    assert changes(speller, text) == []


@pytest.mark.parametrize(("text", "fix"), [
    # SpamAssassin 2602: a swap whose fix leads every rival by far
    ("What I would like to do is split up the tracks and convert them the mp3 for xmms. "
     "I'm jsut not sure what tools would be able to handle these strange compressed wav's",
     ("jsut", "just")),
    # Reuters 2044
    ("The company explained that underwriters exercised in full their option to increase "
     "tohe offering by buying an additional 4,950,000 shares", ("tohe", "the")),
])
def test_short_typo_with_a_far_lead_is_fixed(speller, text, fix):
    assert changes(speller, text) == [fix]


@pytest.mark.parametrize("text", [
    # SpamAssassin 1140: a window manager
    "I'm running v2.4 - 06/23/2000 - Creaky, I know.) I went into twm with no virtual "
    "desktops, and it came up just fine.",
    # Reuters 1770: an airline, lower case
    "A spokesman said he could not comment on the twa action.",
])
def test_short_name_without_a_far_lead_is_left(speller, text):
    assert changes(speller, text) == []


@pytest.mark.parametrize(("text", "fix"), [
    # Reuters 1314: two slips in a 12-letter word
    ("estimates of 29 mln to 32 mln and 24 cts to 30 cts, respecivtely,\" said Raymond Meyo, "
     "president and chief executive officer.", ("respecivtely", "respectively")),
    # Reuters 2744
    ("a more through demonstration of the main steam isolation valve's acceptablility will "
     "be needed before the plant's power ascension program can proceed.",
     ("acceptablility", "acceptability")),
    # Reuters 4390: a fix rarer than a short word's would need to be
    ("He said recently increased polyetylene prices appear to be holding.",
     ("polyetylene", "polyethylene")),
    # Reuters 3588
    ("Sucralose is essentially not metabollized by the body.", ("metabollized", "metabolized")),
])
def test_long_word_with_two_slips_is_fixed(speller, text, fix):
    assert changes(speller, text) == [fix]


def test_prefix_swapped_for_another_is_no_typo(speller):
    # SpamAssassin 1070
    text = ("How can i get it to recognize that the package is indeed installed it, and/or "
            "get it to unstall it? You're a bit too vague")
    assert changes(speller, text) == []
