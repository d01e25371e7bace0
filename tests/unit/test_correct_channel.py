"""The learned noisy channel of issue 10 (sluice.typo_channel, priced by sluice.typo_cost)
and the corrector rules built on it: three-edit fixes for long words, the margin over a
rival the channel finds likelier, the first-letter charge, and the table itself. Sentences
are from even-indexed (tuning) documents of ../shared/corpora, cited as in
bench/data/correction/misspellings-tuning.jsonl, with the Aspell list's misspellings."""

import pytest

from bench import build_typo_channel as build
from sluice import typo_channel_table as table
from sluice.config import CorrectConfig
from sluice.correct import THREE_EDIT_LETTERS
from sluice.typo_channel import channel_cost
from sluice.typo_cost import FIRST_LETTER, SLIP, typo_cost
from tests.unit.test_correct_recall import changes


@pytest.mark.parametrize(("word", "meant", "other"), [
    ("recieve", "receive", "relieve"),  # two letters swapped, against one put for another
    ("untill", "until", "unroll"),  # a letter doubled
    ("seperate", "separate", "serrate"),  # a vowel for a vowel
    ("goverment", "government", "garment"),  # a letter left out before another
])
def test_channel_prefers_real_human_slips(word, meant, other):
    # each rival is as many plain edits away or fewer; the channel knows which people make
    assert channel_cost(word, meant) < channel_cost(word, other)
    assert typo_cost(word, meant) <= SLIP < typo_cost(word, other)


@pytest.mark.parametrize(("text", "fix"), [
    # Reuters 1794: "maintenance" three edits away
    ("EG and G said its EG and G Services unit was awarded a contract to provide facilities "
     "operations, maintainence and related services for the U.S. government's chemical "
     "decontamination training facility at Fort McClellan, Ala.",
     ("maintainence", "maintenance")),
    # Reuters 4702
    ("Finance Minister Kiichi Miyazawa told a parliamentary session the current dollar/yen "
     "exchange rate is not nessasarily satisfactory for the Japanese economy.",
     ("nessasarily", "necessarily")),
])
def test_long_word_three_edits_away_is_fixed(speller, text, fix):
    assert len(fix[0]) >= THREE_EDIT_LETTERS
    assert changes(speller, text) == [fix]


def test_short_word_three_edits_away_is_not_searched(speller):
    # "acomodte" (8 letters) is three edits from "accommodate": too short to look that far;
    # "acomodatte" (10 letters) is three edits from it too, and long enough
    assert "accommodate" not in [t for t, _ in speller._found("acomodte", CorrectConfig())]
    assert "accommodate" in [t for t, _ in speller._found("acomodatte", CorrectConfig())]


@pytest.mark.parametrize("text", [
    # SOTU 2005 (Bush): "assassinated"; "assigned" is commoner but needs dearer edits
    "Thank you to the American people who paid the cost but, most of all, to the soldiers.\" "
    "Eleven years ago, Safia's father was assasined by Saddam's intelligence service.",
    # SOTU 2019 (Trump): "holy"; "whole" is commoner, "holy" one letter less
    "And let us reaffirm a fundamental truth: all children -- born and unborn -- are made in "
    "the wholy image of God.",
])
def test_fix_that_a_likelier_rival_nearly_ties_is_not_made(speller, text):
    assert changes(speller, text) == []


def test_first_letter_charge_keeps_the_meant_word(speller):
    # "ommited" could be "committed" with its first letter lost: that costs FIRST_LETTER more
    assert typo_cost("ommited", "committed") >= FIRST_LETTER
    assert typo_cost("ommited", "omitted") < typo_cost("ommited", "committed") - FIRST_LETTER / 2
    # Reuters 3840, "omitted" written as "ommited"
    text = ("Farah Inc said it ommited its quarterly common stock dividend for the second "
            "consecutive quarter.")
    # without the charge "committed" (commoner) would win; with it, "omitted" leads too
    # little over "committed" to be sure, so the word is at worst left alone
    assert ("ommited", "committed") not in changes(speller, text)


def test_table_is_built_without_held_out_or_tuning_words():
    if not build.CODESPELL.exists():
        pytest.skip(f"the codespell list is not at {build.CODESPELL} (../shared absent)")
    pairs = build.codespell_pairs()
    held, tuning = build.held_out_words(), build.tuning_words()
    lower = [(w, f) for w, f in pairs if build._LOWER.fullmatch(w) and build._LOWER.fullmatch(f)]
    used = [(w, f) for w, f in lower if not {w, f} & held and not {w, f} & tuning]
    assert "accomadate" in tuning and not any("accomadate" in pair for pair in used)
    assert "contenpted" in held and not any("contented" in pair for pair in used)
    assert len(used) == table.PAIRS  # the shipped table is this build's
    counted = build.count(used)
    assert counted["edits"] == table.EDITS and counted["letters"] == table.LETTERS


def test_known_pairs_cost_less_than_unrelated_words():
    # pairs from codespell's list that the table was built from, against words unrelated
    for word, meant in (("acommodate", "accommodate"), ("definately", "definitely"),
                        ("occured", "occurred"), ("wich", "which")):
        assert typo_cost(word, meant) < 2 * SLIP
        assert typo_cost(word, meant) < typo_cost(word, "elephant") - 2 * SLIP
